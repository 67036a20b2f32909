"""Client-side IDENTIFY pacing for discord.py bots on a sandbox (see :func:`use_sandbox`).

discord.py sleeps 5 s before every identify but a process's first, whatever
``max_concurrency`` allows and even when nothing identified for minutes. The sandbox
enforces Discord's limit (one identify per 5 s per bucket ``shard_id % max_concurrency``),
so the hook installed by ``use_sandbox`` waits exactly as long as that limit requires:
it reads ``max_concurrency`` once per client from ``GET /gateway/bot`` and gives each
identify of this process the next free slot of its bucket. Identifies from other
processes are not known here: if one took the slot, the sandbox answers op 9 and
discord.py identifies again through this hook, one window later.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import weakref
from collections import OrderedDict
from typing import Any

from .identify_limits import IDENTIFY_WINDOW

log = logging.getLogger("zoryx.sandbox.identify")

# A little more than the sandbox's window: the window is measured between arrivals at the
# sandbox, and a busy client may send the previous identify a moment after its slot.
MARGIN = 0.25
_BOOKS_CAP = 64

# (REST base URL, digest of the token) -> bucket -> monotonic time of the latest slot given out.
_books: OrderedDict[tuple[str, str], dict[int, float]] = OrderedDict()
_concurrency: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


async def _max_concurrency(client: Any) -> int:
    known = _concurrency.get(client)
    if known is not None:
        return known
    import discord

    try:
        _, _, limits = await client.http.get_bot_gateway()
        value = max(int(limits.get("max_concurrency", 1)), 1)
    except (discord.HTTPException, discord.GatewayNotFound, KeyError, TypeError, ValueError):
        log.debug("could not read max_concurrency; pacing identifies one at a time")
        value = 1
    _concurrency[client] = value
    return value


def reserve_slot(key: tuple[str, str], bucket: int, now: float) -> float:
    """Book the next identify slot of ``bucket`` for ``key``; returns seconds to wait."""
    book = _books.get(key)
    if book is None:
        book = _books[key] = {}
        while len(_books) > _BOOKS_CAP:
            _books.popitem(last=False)
    _books.move_to_end(key)
    last = book.get(bucket)
    slot = now if last is None else max(now, last + IDENTIFY_WINDOW + MARGIN)
    book[bucket] = slot
    return slot - now


async def paced_identify(self: Any, shard_id: int | None, *, initial: bool = False) -> None:
    """``Client.before_identify_hook`` for a sandbox: wait for the shard's bucket slot."""
    import discord.http

    concurrency = await _max_concurrency(self)
    token = str(getattr(self.http, "token", "") or "")
    key = (discord.http.Route.BASE, hashlib.sha256(token.encode()).hexdigest()[:16])
    delay = reserve_slot(key, (shard_id or 0) % concurrency, time.monotonic())
    if delay > 0:
        log.debug("shard %s waits %.2fs for its identify slot", shard_id, delay)
        await asyncio.sleep(delay)


__all__ = ["MARGIN", "paced_identify", "reserve_slot"]
