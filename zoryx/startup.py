"""Start-up at scale: per-shard progress, progress lines, and the no-progress watchdog.

A bot in thousands of guilds may take minutes to become ready (see :mod:`zoryx.chunking`),
so start-up is never cut off by a fixed deadline. It fails only when nothing moves: no
READY, no guild arriving, no member chunk and no shard becoming ready for
``startup.stall_timeout`` seconds. Waiting is not stalling: time a shard spends on the
gateway send limit, or waiting for its turn to IDENTIFY, does not count.

A shard serves its guilds as soon as they arrive; :class:`StartupTracker` counts, per
shard, the guilds that arrived ("ready": the bot answers there), the guilds whose member
list is complete ("chunked") and whether discord.py declared the shard ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("zoryx.startup")

#: Gateway events that show a connecting shard is getting somewhere.
PROGRESS_EVENTS = frozenset({"READY", "RESUMED", "GUILD_CREATE", "GUILD_MEMBERS_CHUNK"})
#: More shards than this changing at once are reported in one summary line.
MAX_SHARD_LINES = 8
POLL_SECONDS = 1.0
#: Unchanged progress is repeated after this many progress intervals (still alive).
REPEAT_EVERY = 6


class StartupStalled(TimeoutError):
    """Start-up made no progress for ``startup.stall_timeout`` seconds."""


@dataclass(frozen=True, slots=True)
class ShardProgress:
    """One shard's start-up, as the progress lines and the ``shards`` view show it."""

    shard_id: int
    state: str  # "connecting" (no READY yet) | "loading" | "ready"
    guilds: int  # guilds the shard's READY listed
    guilds_ready: int  # arrived (GUILD_CREATE): the bot answers commands there
    guilds_chunked: int  # full member list cached
    rate_limited: bool  # waiting on the gateway send limit

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def line(self) -> str:
        if self.state == "connecting":
            return f"shard {self.shard_id}: connecting"
        text = (
            f"shard {self.shard_id}: {self.guilds_ready:,}/{self.guilds:,} guilds ready, "
            f"{self.guilds_chunked:,} chunked"
        )
        if self.ready:
            return text + " (shard ready)"
        return text + (" (waiting on the gateway send limit)" if self.rate_limited else "")


class StartupTracker:
    """Follows the shards of one bot from connect to ready.

    Args:
        bot: The (auto-sharded) bot; listeners are added by :meth:`attach`.
        clock: Monotonic clock (tests).
    """

    def __init__(self, bot: Any, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.bot = bot
        self._clock = clock
        self.started_at = clock()
        self.last_progress = self.started_at
        self.connected: set[int] = set()
        self.ready: set[int] = set()
        self.ready_after: dict[int, float] = {}  # seconds from start to each shard's ready
        self.done_after: float | None = None  # seconds from start to the whole bot's ready
        self._waits = 0
        self._watching = False

    # -- listeners -------------------------------------------------------------------------
    def attach(self) -> None:
        """Listen for shard and gateway events; the event-type listener only until ready."""
        self.bot.add_listener(self._on_shard_connect, "on_shard_connect")
        self.bot.add_listener(self._on_shard_ready, "on_shard_ready")
        self.bot.add_listener(self._on_ready, "on_ready")
        self.bot.add_listener(self._on_event_type, "on_socket_event_type")
        self._watching = True

    def restart_clock(self) -> None:
        """Start timing now (the bot is about to connect)."""
        self.started_at = self.last_progress = self._clock()
        self.done_after = None
        self.ready_after.clear()

    def finish(self) -> None:
        """The bot is ready: stop watching every gateway event (reconnects keep the rest)."""
        if self.done_after is None:
            self.done_after = self._clock() - self.started_at
        if self._watching:
            self._watching = False
            self.bot.remove_listener(self._on_event_type, "on_socket_event_type")

    async def _on_ready(self) -> None:
        self.finish()

    async def _on_event_type(self, event: str) -> None:
        if event in PROGRESS_EVENTS:
            self.last_progress = self._clock()

    async def _on_shard_connect(self, shard_id: int) -> None:
        # A READY: the shard's guilds are on their way (again, after a new session).
        self.connected.add(shard_id)
        self.ready.discard(shard_id)
        self.last_progress = self._clock()

    async def _on_shard_ready(self, shard_id: int) -> None:
        now = self._clock()
        self.connected.add(shard_id)
        self.ready.add(shard_id)
        self.last_progress = now
        first = shard_id not in self.ready_after
        self.ready_after.setdefault(shard_id, now - self.started_at)
        progress = self.shard(shard_id)
        if first and progress is not None:
            log.info(
                "shard %d ready: %s guilds, %s chunked, after %.1f s",
                shard_id,
                f"{progress.guilds:,}",
                f"{progress.guilds_chunked:,}",
                now - self.started_at,
            )

    @contextlib.asynccontextmanager
    async def waiting(self) -> AsyncIterator[None]:
        """Time spent inside does not count as a stall (e.g. waiting for an IDENTIFY turn)."""
        self._waits += 1
        try:
            yield
        finally:
            self._waits -= 1
            self.last_progress = self._clock()

    # -- reading ---------------------------------------------------------------------------
    def shard_ids(self) -> list[int]:
        bot = self.bot
        ids = set(self.connected)
        if bot.shard_ids is not None:
            ids.update(bot.shard_ids)
        elif bot.shard_count:
            ids.update(range(bot.shard_count))
        ids.update(bot.shards)
        return sorted(ids)

    def progress(self) -> list[ShardProgress]:
        """Every shard's progress, by shard ID (one pass over the guilds)."""
        counts: dict[int, list[int]] = {}
        for guild in self.bot.guilds:
            count = counts.setdefault(guild.shard_id or 0, [0, 0, 0])
            count[0] += 1
            if not guild.unavailable:
                count[1] += 1
                if guild.chunked:
                    count[2] += 1
        shards = self.bot.shards
        out = []
        for shard_id in self.shard_ids() or [0]:
            total, arrived, chunked = counts.get(shard_id, (0, 0, 0))
            if shard_id in self.ready:
                state = "ready"
            elif shard_id in self.connected:
                state = "loading"
            else:
                state = "connecting"
            info = shards.get(shard_id)
            limited = info is not None and _rate_limited(info)
            out.append(ShardProgress(shard_id, state, total, arrived, chunked, limited))
        return out

    def shard(self, shard_id: int) -> ShardProgress | None:
        return next((p for p in self.progress() if p.shard_id == shard_id), None)

    def stalled_for(self) -> float:
        """Seconds since the last progress (0 while something is known to be waiting)."""
        now = self._clock()
        if self._waits or any(
            _rate_limited(info)
            for shard_id, info in self.bot.shards.items()
            if shard_id not in self.ready
        ):
            self.last_progress = now
        return now - self.last_progress


def _rate_limited(info: Any) -> bool:
    try:
        return bool(info.is_ws_ratelimited())
    except (AttributeError, RuntimeError):  # the shard's websocket is being replaced
        return False


def progress_lines(progress: list[ShardProgress]) -> list[str]:
    """The lines for shards still starting: one each, or one summary for many shards."""
    pending = [p for p in progress if not p.ready]
    if len(pending) <= MAX_SHARD_LINES:
        return [p.line() for p in pending]
    total = sum(p.guilds for p in progress)
    arrived = sum(p.guilds_ready for p in progress)
    chunked = sum(p.guilds_chunked for p in progress)
    ready = len(progress) - len(pending)
    return [
        f"shards: {ready}/{len(progress)} ready; {arrived:,}/{total:,} guilds ready, "
        f"{chunked:,} chunked"
    ]


async def wait_until_ready(
    bot: Any,
    bot_task: asyncio.Future[Any],
    tracker: StartupTracker,
    *,
    stall_timeout: float,
    progress_interval: float,
    ready_timeout: float | None = None,
    on_first_shard: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Wait for the bot's ready, logging progress; fail only when start-up stalls.

    Raises:
        StartupStalled: no progress for ``stall_timeout`` seconds (or not ready within
            ``ready_timeout``, when given).
        RuntimeError: the bot task ended first (its exception is the cause).
    """
    waiter = asyncio.ensure_future(bot.wait_until_ready())
    started = time.monotonic()
    last_lines: list[str] = []
    last_print = started
    next_report = started + progress_interval
    first_done = on_first_shard is None
    try:
        while True:
            done, _ = await asyncio.wait(
                {bot_task, waiter}, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            if waiter in done:
                break
            if bot_task in done:
                exc = bot_task.exception() if not bot_task.cancelled() else None
                raise RuntimeError(f"the bot stopped during start-up: {exc}") from exc
            if not first_done and tracker.ready and on_first_shard is not None:
                first_done = True
                await on_first_shard()
            now = time.monotonic()
            stalled = tracker.stalled_for()
            if stalled >= stall_timeout:
                raise StartupStalled(_stall_text(tracker, stall_timeout))
            if ready_timeout is not None and now - started >= ready_timeout:
                raise StartupStalled(
                    f"the bot was not ready within {ready_timeout:.0f}s "
                    f"({'; '.join(p.line() for p in tracker.progress())})"
                )
            if now >= next_report:
                lines = progress_lines(tracker.progress())
                if lines != last_lines or now - last_print >= REPEAT_EVERY * progress_interval:
                    for line in lines:
                        log.info(line)
                    last_lines, last_print = lines, now
                next_report = now + progress_interval
    finally:
        if not waiter.done():
            waiter.cancel()
    tracker.finish()
    if not first_done and on_first_shard is not None:
        await on_first_shard()


def _stall_text(tracker: StartupTracker, stall_timeout: float) -> str:
    shown = "; ".join(progress_lines(tracker.progress())) or "no shard connected"
    return (
        f"start-up stalled: no new guild, member chunk or ready shard for "
        f"{stall_timeout:.0f} s ({shown}). If Discord is only slow, raise "
        f"startup.stall_timeout in config.json."
    )
