"""Signed bus messages: HMAC-SHA256 with the fleet secret, a timestamp and a nonce.

Wire format: ``Z1.`` + 64 lowercase hex digits (the HMAC) + ``.`` + the canonical JSON
envelope ``{"body", "from", "kind", "nonce", "ts", "v"}`` (sorted keys, no spaces). The
HMAC covers exactly those envelope bytes and is checked (constant-time) before any JSON is
parsed, so unauthenticated input is never decoded.

:meth:`Signer.open` refuses, in this order: more than ``max_bytes`` (``oversized``); no
signature (``unsigned``); a broken frame (``malformed``); a wrong HMAC (``bad_signature``);
a signed envelope of the wrong shape (``malformed``); a timestamp further than ``window``
seconds from now (``stale``); a nonce seen before (``replayed``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_BYTES", "REASONS", "Envelope", "Rejected", "Signer"]

MAX_BYTES = 1 << 20
REASONS = ("oversized", "malformed", "unsigned", "bad_signature", "stale", "replayed")
_MAGIC = b"Z1."
_SIG_LEN = 64
_HEADER = len(_MAGIC) + _SIG_LEN + 1
_VERSION = 1
_MAX_LABEL = 128  # kind, sender and nonce lengths


class Rejected(Exception):
    """A bus message was refused; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"message refused: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Envelope:
    """An authentic, fresh bus message."""

    kind: str
    sender: str
    ts: float
    nonce: str
    body: dict[str, Any]


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _label(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX_LABEL


class Signer:
    """Seals and opens bus messages with one secret.

    Args:
        secret: The fleet secret (``SHARD_IPC_SECRET``); never shown by ``repr``.
        max_bytes: Largest message accepted or produced.
        window: Seconds a message stays fresh (either side of now, for clock skew).
        clock: Wall clock in seconds (injectable for tests).
        max_nonces: Nonces remembered for replay detection. When more fresh messages
            arrive than that within ``window``, the oldest nonces are forgotten and every
            message not newer than them is refused as replayed, so a replay can never slip
            through the bounded cache.
    """

    def __init__(
        self,
        secret: str,
        *,
        max_bytes: int = MAX_BYTES,
        window: float = 60.0,
        clock: Callable[[], float] = time.time,
        max_nonces: int = 50_000,
    ) -> None:
        if not secret:
            raise ValueError("the signing secret is empty")
        self._key = secret.encode("utf-8")
        self.max_bytes = max_bytes
        self.window = window
        self._clock = clock
        self._max_nonces = max_nonces
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._floor = -math.inf  # messages not newer than this are refused as replayed

    def __repr__(self) -> str:
        return f"Signer(window={self.window}, max_bytes={self.max_bytes})"

    @property
    def nonces(self) -> int:
        """How many nonces are remembered now (at most ``max_nonces``)."""
        return len(self._seen)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest().encode("ascii")

    def seal(self, kind: str, sender: str, body: dict[str, Any]) -> bytes:
        """A signed message; ValueError when it would exceed ``max_bytes`` or ``body`` is
        not JSON data."""
        if not (_label(kind) and _label(sender)):
            raise ValueError("kind and sender must be 1-128 characters")
        envelope = {
            "v": _VERSION,
            "kind": kind,
            "from": sender,
            "ts": float(self._clock()),
            "nonce": secrets.token_hex(16),
            "body": body,
        }
        try:
            payload = _canonical(envelope)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"message body is not JSON data: {exc}") from None
        raw = _MAGIC + self._mac(payload) + b"." + payload
        if len(raw) > self.max_bytes:
            raise ValueError(f"message of {len(raw)} bytes exceeds {self.max_bytes}")
        return raw

    def open(self, raw: bytes) -> Envelope:
        """The authentic envelope in ``raw``, once; raises :class:`Rejected`."""
        envelope = self.verify(raw, max_age=self.window)
        self._remember(envelope)
        return envelope

    def verify(self, raw: bytes, *, max_age: float | None) -> Envelope:
        """Like :meth:`open` without replay detection, for stored records that are read
        many times; ``max_age`` None accepts any age."""
        if len(raw) > self.max_bytes:
            raise Rejected("oversized")
        if not raw.startswith(_MAGIC):
            raise Rejected("unsigned" if raw.lstrip()[:1] in (b"{", b"[") else "malformed")
        if len(raw) < _HEADER or raw[_HEADER - 1 : _HEADER] != b".":
            raise Rejected("malformed")
        sig, payload = raw[len(_MAGIC) : _HEADER - 1], raw[_HEADER:]
        if not hmac.compare_digest(sig, self._mac(payload)):
            raise Rejected("bad_signature")
        envelope = _parse(payload)
        if max_age is not None and abs(self._clock() - envelope.ts) > max_age:
            raise Rejected("stale")
        return envelope

    def _remember(self, envelope: Envelope) -> None:
        if envelope.nonce in self._seen or envelope.ts <= self._floor:
            raise Rejected("replayed")
        horizon = self._clock() - self.window
        # Entries older than the window are refused as stale anyway: forget them.
        while self._seen:
            nonce, ts = next(iter(self._seen.items()))
            if ts >= horizon:
                break
            del self._seen[nonce]
        while len(self._seen) >= self._max_nonces:
            _, ts = self._seen.popitem(last=False)
            self._floor = max(self._floor, ts)
        self._seen[envelope.nonce] = envelope.ts


def _parse(payload: bytes) -> Envelope:
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        raise Rejected("malformed") from None
    if not isinstance(data, dict) or data.get("v") != _VERSION:
        raise Rejected("malformed")
    kind, sender, ts = data.get("kind"), data.get("from"), data.get("ts")
    nonce, body = data.get("nonce"), data.get("body")
    if not (isinstance(kind, str) and isinstance(sender, str) and isinstance(nonce, str)):
        raise Rejected("malformed")
    if not (_label(kind) and _label(sender) and _label(nonce) and isinstance(body, dict)):
        raise Rejected("malformed")
    if isinstance(ts, bool) or not isinstance(ts, int | float):
        raise Rejected("malformed")
    try:
        stamp = float(ts)
    except OverflowError:
        raise Rejected("malformed") from None
    if not math.isfinite(stamp):
        raise Rejected("malformed")
    return Envelope(kind=kind, sender=sender, ts=stamp, nonce=nonce, body=body)
