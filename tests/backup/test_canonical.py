"""Canonical JSON, checksums and the snapshot file format (encode and verify)."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cogs.backup_restore import canonical
from cogs.backup_restore.canonical import (
    canonical_bytes,
    checksum,
    decode_snapshot,
    encode_snapshot,
)
from cogs.backup_restore.model import SnapshotCorrupt


def sample() -> dict[str, Any]:
    return {
        "format": 1,
        "guild_id": 1234,
        "created_at": "2026-12-02T19:44:00+00:00",
        "label": "before the raid — café 🎨",
        "roles": [{"id": 2, "name": "Admin", "permissions": 8}],
        "channels": [{"id": 3, "name": "général", "topic": None}],
    }


def test_canonical_bytes_are_sorted_compact_utf8() -> None:
    raw = canonical_bytes({"b": 1, "a": {"é": "🎨", "c": [1, None, True]}})
    assert raw == '{"a":{"c":[1,null,true],"é":"🎨"},"b":1}'.encode()
    # The same content built in another order gives the same bytes and checksum.
    again = {"a": {"c": [1, None, True], "é": "🎨"}, "b": 1}
    assert canonical_bytes(again) == raw
    assert checksum(again) == hashlib.sha256(raw).hexdigest()


def test_canonical_bytes_refuse_nan() -> None:
    with pytest.raises(ValueError):
        canonical_bytes({"x": float("nan")})


def test_checksum_changes_with_one_byte() -> None:
    doc = sample()
    base = checksum(doc)
    renamed = sample()
    renamed["roles"][0]["name"] = "Admio"  # one byte
    assert checksum(renamed) != base
    bumped = sample()
    bumped["roles"][0]["permissions"] = 9
    assert checksum(bumped) != base
    assert checksum(sample()) == base


async def test_encode_is_the_canonical_file_and_runs_in_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[int] = []
    real = canonical.canonical_bytes

    def spy(obj: Any) -> bytes:
        threads.append(threading.get_ident())
        return real(obj)

    monkeypatch.setattr(canonical, "canonical_bytes", spy)
    doc = sample()
    raw, digest = await encode_snapshot(doc)
    assert threads and threading.get_ident() not in threads  # encoded off the loop thread
    assert digest == hashlib.sha256(real(doc)).hexdigest()
    assert raw == real({"checksum": digest, "snapshot": doc})
    assert json.loads(raw) == {"checksum": digest, "snapshot": doc}


async def test_decode_round_trip() -> None:
    doc = sample()
    raw, digest = await encode_snapshot(doc)
    assert decode_snapshot(raw, digest) == doc
    assert decode_snapshot(raw, None) == doc


@pytest.mark.parametrize("cut", [1, 10, 100])
async def test_decode_detects_truncation(cut: int) -> None:
    raw, digest = await encode_snapshot(sample())
    with pytest.raises(SnapshotCorrupt, match=r"^truncated or not JSON$"):
        decode_snapshot(raw[:-cut], digest)


async def test_decode_detects_tampering() -> None:
    raw, digest = await encode_snapshot(sample())
    tampered = raw.replace(b'"permissions":8', b'"permissions":9')
    assert tampered != raw and len(tampered) == len(raw)
    with pytest.raises(SnapshotCorrupt, match=r"^checksum mismatch$"):
        decode_snapshot(tampered, digest)
    with pytest.raises(SnapshotCorrupt, match=r"^checksum mismatch$"):
        decode_snapshot(tampered, None)  # the file's own checksum no longer matches either


async def test_decode_detects_a_rewritten_file_with_a_fresh_checksum() -> None:
    """Someone edits the snapshot and recomputes the checksum in the file: the checksum the
    index recorded at write time still exposes it."""
    _, digest = await encode_snapshot(sample())
    doc = sample()
    doc["roles"][0]["permissions"] = 2**40
    forged, _ = await encode_snapshot(doc)
    assert decode_snapshot(forged, None) == doc  # self-consistent on its own
    with pytest.raises(SnapshotCorrupt, match=r"^checksum mismatch$"):
        decode_snapshot(forged, digest)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'{"checksum": "00", "snapshot": []}',
        b'{"checksum": 5, "snapshot": {}}',
        b'{"snapshot": {"format": 1}}',
        b'{"checksum": "00", "snapshot": {"hello": "world"}}',
    ],
)
def test_decode_rejects_what_is_not_a_snapshot(raw: bytes) -> None:
    with pytest.raises(SnapshotCorrupt) as info:
        decode_snapshot(raw, None)
    assert str(info.value) in {"truncated or not JSON", "not a snapshot"}
    if raw.startswith(b"{"):
        assert str(info.value) == "not a snapshot"


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(JSON)
def test_canonical_bytes_equal_json_dumps(value: Any) -> None:
    """The piecewise encoder writes exactly what one json.dumps call would."""
    expected = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    try:
        expected_bytes = expected.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: covered by the test below
        return
    assert canonical_bytes(value) == expected_bytes
    assert json.loads(canonical_bytes(value)) == value


def test_lone_surrogates_round_trip() -> None:
    doc = sample()
    doc["label"] = "broken \udc80 text"
    raw = canonical_bytes(doc)
    assert json.loads(raw) == doc
    assert canonical_bytes(json.loads(raw)) == raw


def test_a_big_document_is_encoded_in_small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """No single json call encodes a whole member list (one call holds the GIL, and the
    event loop waits, for as long as it runs)."""
    doc = sample()
    doc["members"] = {
        "captured": True,
        "note": "",
        "items": [{"id": i, "name": f"user{i}", "roles": [1, 2]} for i in range(2000)],
    }
    largest = 0
    real = canonical._ENCODER.encode

    def spy(obj: Any) -> str:
        nonlocal largest
        text = real(obj)
        largest = max(largest, len(text))
        return text

    monkeypatch.setattr(canonical._ENCODER, "encode", spy)
    raw = canonical_bytes(doc)
    assert len(raw) > 50_000
    assert largest < 100
