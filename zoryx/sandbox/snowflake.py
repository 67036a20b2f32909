"""Snowflake IDs and bot tokens with Discord's real shapes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import threading
import time

DISCORD_EPOCH_MS = 1_420_070_400_000


class SnowflakeGenerator:
    """Generates unique, time-ordered snowflakes (timestamp << 22 | worker | increment).

    Args:
        worker_id: Value stored in bits 17–21 (0–31).
        start_ms: Optional virtual clock start (milliseconds since the Unix epoch).
    """

    def __init__(self, worker_id: int = 1, start_ms: int | None = None) -> None:
        self._worker = (worker_id & 0x1F) << 17
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._last = 0
        self._virtual = start_ms

    def use_real_clock(self) -> None:
        """Switch from the virtual clock to wall time (IDs stay increasing)."""
        with self._lock:
            self._virtual = None

    def next(self, at_ms: int | None = None) -> int:
        """Return a new snowflake, strictly greater than every earlier one.

        With ``start_ms`` set, time is virtual (1 ms per id) so worlds are reproducible.
        """
        with self._lock:
            if at_ms is not None:
                now = at_ms
            elif self._virtual is not None:
                self._virtual += 1
                now = self._virtual
            else:
                now = int(time.time() * 1000)
            increment = next(self._counter) & 0xFFF
            value = ((now - DISCORD_EPOCH_MS) << 22) | self._worker | increment
            if value <= self._last:
                value = self._last + 1
            self._last = value
            return value


def snowflake_time_ms(snowflake: int) -> int:
    """Milliseconds since the Unix epoch encoded in a snowflake."""
    return (snowflake >> 22) + DISCORD_EPOCH_MS


def shard_for(guild_id: int, shard_count: int) -> int:
    """Discord's shard routing formula."""
    return (guild_id >> 22) % max(shard_count, 1)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_token(bot_id: int, secret: bytes) -> str:
    """Build a bot token shaped like Discord's: b64(bot id) . b64(time) . hmac."""
    head = _b64(str(bot_id).encode())
    stamp = _b64(int(time.time() - 1_293_840_000).to_bytes(4, "big"))
    mac = _b64(hmac.new(secret, f"{head}.{stamp}".encode(), hashlib.sha256).digest())[:27]
    return f"{head}.{stamp}.{mac}"


def token_bot_id(token: str) -> int | None:
    """Decode the bot id from a token's first segment (None when malformed)."""
    head = token.split(".", 1)[0]
    try:
        return int(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        return None
