"""The fleet's shared IDENTIFY budget.

Discord lets a bot send ``max_concurrency`` IDENTIFYs per 5 seconds, one per bucket
(``shard_id % max_concurrency``), counted over every process of the bot. A shard takes
its turn by creating ``ns:identify:<max_concurrency>:<bucket>`` in Redis with ``SET NX PX``
(the window plus a small safety margin): while the key lives, no other shard of the fleet
gets that bucket. When Redis cannot be reached, each process paces its own shards.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Literal

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["IdentifyGate"]

log = logging.getLogger("zoryx.cluster")

_MAX_SLOTS = 1024
_POLL_FLOOR = 0.01
_IO_TIMEOUT = 15.0


class IdentifyGate:
    """Hands out IDENTIFY turns, fleet-wide through Redis or else locally.

    Args:
        prefix: Key prefix (``<namespace>:identify``).
        owner: Written as the key's value (which cluster took the turn).
        window: Seconds one bucket stays taken (5 on Discord).
        margin: Extra seconds added to the window, so that a turn handed out the moment
            the previous one expires still lands a full window later at Discord.
    """

    def __init__(self, prefix: str, *, owner: str, window: float, margin: float) -> None:
        self.prefix = prefix
        self.owner = owner
        self.hold = window + margin
        # (max_concurrency, bucket) -> lock serialising this process's shards; last turn.
        self._locks: OrderedDict[tuple[int, int], asyncio.Lock] = OrderedDict()
        self._last: OrderedDict[tuple[int, int], float] = OrderedDict()

    def _lock(self, slot: tuple[int, int]) -> asyncio.Lock:
        lock = self._locks.get(slot)
        if lock is None:
            if len(self._locks) >= _MAX_SLOTS:
                for key in [k for k, v in self._locks.items() if not v.locked()]:
                    del self._locks[key]
            lock = self._locks[slot] = asyncio.Lock()
        return lock

    def _note(self, slot: tuple[int, int]) -> None:
        self._last[slot] = time.monotonic()
        self._last.move_to_end(slot)
        while len(self._last) > _MAX_SLOTS:
            self._last.popitem(last=False)

    async def turn(
        self, client: Redis | None, shard_id: int, max_concurrency: int
    ) -> Literal["fleet", "local"]:
        """Wait for ``shard_id``'s turn. Returns ``"fleet"`` when Redis granted it,
        ``"local"`` when it was paced by this process alone (Redis unavailable)."""
        if max_concurrency < 1 or shard_id < 0:
            raise ValueError("shard_id must be >= 0 and max_concurrency >= 1")
        slot = (max_concurrency, shard_id % max_concurrency)
        async with self._lock(slot):
            if client is not None:
                try:
                    await self._fleet_turn(client, slot)
                except (RedisError, OSError) as exc:
                    log.warning(
                        "IDENTIFY pacing falls back to this process (Redis: %s)",
                        type(exc).__name__,
                    )
                else:
                    self._note(slot)
                    return "fleet"
            await self._local_turn(slot)
            self._note(slot)
            return "local"

    async def _fleet_turn(self, client: Redis, slot: tuple[int, int]) -> None:
        key = f"{self.prefix}:{slot[0]}:{slot[1]}"
        hold_ms = max(1, round(self.hold * 1000))
        while True:
            async with asyncio.timeout(_IO_TIMEOUT):  # a hung Redis: pace locally instead
                if await client.set(key, self.owner, nx=True, px=hold_ms):
                    return
                left = await client.pttl(key)  # -2: just expired, -1: no expiry
                if left == -1:  # not ours (we always set one): bound it, never wait forever
                    await client.pexpire(key, hold_ms)
            wait = left / 1000 if isinstance(left, int) and left > 0 else _POLL_FLOOR
            await asyncio.sleep(min(max(wait, _POLL_FLOOR), self.hold))

    async def _local_turn(self, slot: tuple[int, int]) -> None:
        last = self._last.get(slot)
        if last is not None:
            wait = last + self.hold - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
