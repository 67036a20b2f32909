"""Canonical JSON for snapshots: one byte string per state, its SHA-256, and the file format.

Canonical means ``json.dumps`` with sorted keys, no whitespace, non-ASCII kept as UTF-8 and
no NaN/Infinity, so two captures of the same guild state give the same bytes and the same
checksum. A snapshot file is the canonical JSON of ``{"checksum": ..., "snapshot": ...}``.

Encoding a large snapshot takes tens of milliseconds and more, so :func:`encode_snapshot`
runs in a worker thread. A thread alone is not enough: one ``json.dumps`` call of a whole
document holds the GIL until it returns, which stalls the event loop just the same. So the
document is encoded piece by piece (its items one C call each, joined in Python), which
gives the loop the GIL back between pieces and yields exactly ``json.dumps``'s bytes.
:func:`decode_snapshot` is synchronous: callers on the event loop run it with
:func:`asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from .model import SnapshotCorrupt

__all__ = ["canonical_bytes", "checksum", "decode_snapshot", "encode_snapshot"]

#: Keys every snapshot document has (see ``model.py``); a file without them is not one.
REQUIRED_KEYS = frozenset({"format", "guild_id", "created_at", "roles", "channels"})


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
#: Containers nested deeper than this are encoded in one call (one role, one member…).
_SPLIT_DEPTH = 3


def _pieces(obj: Any, depth: int, out: list[str]) -> None:
    """Append the canonical JSON of ``obj`` to ``out`` in pieces; the same text as
    ``_ENCODER.encode(obj)`` (objects with non-string keys are left to the encoder, which
    converts and sorts those its own way)."""
    if depth < _SPLIT_DEPTH and isinstance(obj, list | tuple) and obj:
        out.append("[")
        for index, item in enumerate(obj):
            if index:
                out.append(",")
            _pieces(item, depth + 1, out)
        out.append("]")
    elif (
        depth < _SPLIT_DEPTH and isinstance(obj, dict) and obj and all(type(k) is str for k in obj)
    ):
        out.append("{")
        for index, key in enumerate(sorted(obj)):
            if index:
                out.append(",")
            out.append(_ENCODER.encode(key))
            out.append(":")
            _pieces(obj[key], depth + 1, out)
        out.append("}")
    else:
        out.append(_ENCODER.encode(obj))


def canonical_bytes(obj: Any) -> bytes:
    """The canonical UTF-8 JSON encoding of ``obj`` (a JSON-able value): ``json.dumps``
    with sorted keys, ``(",", ":")`` separators, ``ensure_ascii=False``, no NaN."""
    out: list[str] = []
    _pieces(obj, 0, out)
    # A lone surrogate (Discord text may carry one) only occurs inside a JSON string, where
    # backslashreplace writes it as the \uXXXX escape that json.loads turns back into it.
    return "".join(out).encode("utf-8", "backslashreplace")


def checksum(obj: Any) -> str:
    """SHA-256 (hex) of ``canonical_bytes(obj)``."""
    return hashlib.sha256(canonical_bytes(obj)).hexdigest()


def _encode(snapshot: dict[str, Any]) -> tuple[bytes, str]:
    body = canonical_bytes(snapshot)
    digest = hashlib.sha256(body).hexdigest()
    # Equal to canonical_bytes({"checksum": digest, "snapshot": snapshot}) ("checksum" sorts
    # first) without encoding the whole document a second time.
    raw = b'{"checksum":"' + digest.encode("ascii") + b'","snapshot":' + body + b"}"
    return raw, digest


async def encode_snapshot(snapshot: dict[str, Any]) -> tuple[bytes, str]:
    """The file bytes of ``snapshot`` and its checksum, computed in a worker thread."""
    return await asyncio.to_thread(_encode, snapshot)


def decode_snapshot(raw: bytes, expected_checksum: str | None) -> dict[str, Any]:
    """Parse and verify snapshot file bytes; return the snapshot document.

    Raises :class:`~.model.SnapshotCorrupt` with the reason a user reads: ``"truncated or
    not JSON"``, ``"not a snapshot"`` or ``"checksum mismatch"`` (the content does not hash
    to the checksum in the file, or that checksum differs from ``expected_checksum``, the
    one the index recorded when the file was written).
    """
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise SnapshotCorrupt("truncated or not JSON") from exc
    if not isinstance(document, dict):
        raise SnapshotCorrupt("not a snapshot")
    stored = document.get("checksum")
    snapshot = document.get("snapshot")
    if (
        set(document) != {"checksum", "snapshot"}
        or not isinstance(stored, str)
        or not isinstance(snapshot, dict)
        or not REQUIRED_KEYS <= snapshot.keys()
    ):
        raise SnapshotCorrupt("not a snapshot")
    try:
        actual = checksum(snapshot)
    except ValueError as exc:  # NaN/Infinity smuggled into the file
        raise SnapshotCorrupt("not a snapshot") from exc
    if actual != stored or (expected_checksum is not None and expected_checksum != stored):
        raise SnapshotCorrupt("checksum mismatch")
    return snapshot
