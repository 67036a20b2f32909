"""Buffered command usage counting.

Counting a command must not cost a database round trip: :meth:`UsageRecorder.add` only
bumps an in-memory counter keyed by ``(command, guild_id)``. Every ``interval`` seconds
(and on demand) the recorder drains the buffer and writes the snapshot with
:func:`write_usage`, adding every count to ``main.db`` in a single transaction. The
buffer is bounded: past ``max_keys`` distinct keys an early flush is scheduled, and past
twice that (only reachable while flushes keep failing) increments for new keys are
dropped and counted in :attr:`UsageBuffer.dropped`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from zoryx.storage.sqlite_base import transaction

__all__ = [
    "USAGE_MIGRATION",
    "CommandUsage",
    "UsageBuffer",
    "UsageKey",
    "UsageRecorder",
    "read_command_totals",
    "read_command_usage",
    "write_usage",
]

log = logging.getLogger(__name__)

UsageKey = tuple[str, int | None]
"""``(command name, guild id or None for DMs / unknown)``."""

USAGE_MIGRATION: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS command_stats (
        command   TEXT PRIMARY KEY,
        count     INTEGER NOT NULL DEFAULT 0,
        errors    INTEGER NOT NULL DEFAULT 0,
        last_used REAL
    )""",
    """CREATE TABLE IF NOT EXISTS command_guild_stats (
        command   TEXT NOT NULL,
        guild_id  INTEGER NOT NULL,
        count     INTEGER NOT NULL DEFAULT 0,
        errors    INTEGER NOT NULL DEFAULT 0,
        last_used REAL,
        PRIMARY KEY (command, guild_id)
    ) WITHOUT ROWID""",
)
"""Statements creating the usage tables (part of main.db's first migration)."""

_UPSERT_TOTAL = """
INSERT INTO command_stats (command, count, errors, last_used) VALUES (?, ?, ?, ?)
ON CONFLICT (command) DO UPDATE SET
    count = count + excluded.count,
    errors = errors + excluded.errors,
    last_used = max(coalesce(last_used, 0), excluded.last_used)
"""
_UPSERT_GUILD = """
INSERT INTO command_guild_stats (command, guild_id, count, errors, last_used)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (command, guild_id) DO UPDATE SET
    count = count + excluded.count,
    errors = errors + excluded.errors,
    last_used = max(coalesce(last_used, 0), excluded.last_used)
"""
_IN_CHUNK = 500  # stay far below SQLite's bound-parameter limit


@dataclass(slots=True)
class CommandUsage:
    """Aggregated usage of one command: invocations, failed invocations, last use."""

    count: int = 0
    errors: int = 0
    last_used: float | None = None

    def merge(self, other: CommandUsage) -> None:
        """Add ``other``'s counts to this one."""
        self.count += other.count
        self.errors += other.errors
        if other.last_used is not None and (
            self.last_used is None or other.last_used > self.last_used
        ):
            self.last_used = other.last_used


class UsageBuffer:
    """In-memory, bounded aggregation of command invocations not yet written to disk."""

    def __init__(self, max_keys: int = 10_000) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.max_keys = max_keys
        self.dropped = 0
        self._pending: dict[UsageKey, CommandUsage] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, command: str, guild_id: int | None, *, error: bool, now: float) -> bool:
        """Count one invocation; return True when the buffer wants an early flush."""
        key = (command, guild_id)
        usage = self._pending.get(key)
        if usage is None:
            if len(self._pending) >= 2 * self.max_keys:
                self.dropped += 1
                return True
            usage = self._pending[key] = CommandUsage()
        usage.count += 1
        if error:
            usage.errors += 1
        usage.last_used = now
        return len(self._pending) >= self.max_keys

    def drain(self) -> dict[UsageKey, CommandUsage]:
        """Take every pending count, leaving the buffer empty."""
        snapshot, self._pending = self._pending, {}
        return snapshot

    def restore(self, snapshot: dict[UsageKey, CommandUsage]) -> None:
        """Put back a drained snapshot whose write failed, merging with newer counts."""
        for key, usage in snapshot.items():
            current = self._pending.get(key)
            if current is None:
                self._pending[key] = usage
            else:
                current.merge(usage)

    def totals(self, guild_id: int | None = None) -> dict[str, CommandUsage]:
        """Pending usage per command, over all guilds or for one guild."""
        out: dict[str, CommandUsage] = {}
        for (command, gid), usage in self._pending.items():
            if guild_id is not None and gid != guild_id:
                continue
            out.setdefault(command, CommandUsage()).merge(usage)
        return out


class UsageRecorder:
    """A :class:`UsageBuffer` plus its flush policy, writing through an async ``write``.

    ``lock`` is held for the whole of each flush; hold it while reading persisted counts
    to merge them with :attr:`buffer`, so no count is seen twice or missed.
    """

    def __init__(
        self,
        write: Callable[[dict[UsageKey, CommandUsage]], Awaitable[None]],
        *,
        interval: float = 10.0,
        max_keys: int = 10_000,
    ) -> None:
        self.buffer = UsageBuffer(max_keys)
        self.interval = interval
        self.flushes = 0
        self.lock = asyncio.Lock()
        self._write = write
        self._loop_task: asyncio.Task[None] | None = None
        self._early: asyncio.Task[None] | None = None

    def add(self, command: str, guild_id: int | None, *, error: bool = False) -> None:
        """Count one invocation; never waits. May schedule an early flush."""
        wants_flush = self.buffer.add(command, guild_id, error=error, now=time.time())
        if wants_flush and (self._early is None or self._early.done()):
            with contextlib.suppress(RuntimeError):  # no running loop: the timer will flush
                self._early = asyncio.get_running_loop().create_task(self._flush_logged())

    def start(self) -> None:
        """Start the periodic flush task (call from the event loop)."""
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop the periodic task, then flush what is pending (errors propagate)."""
        for task in (self._loop_task, self._early):
            if task is not None and not task.done():
                if task is self._loop_task:
                    task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._loop_task = self._early = None
        await self.flush()

    async def flush(self) -> int:
        """Write all pending counts in one transaction; return the number of keys."""
        async with self.lock:
            snapshot = self.buffer.drain()
            if not snapshot:
                return 0
            write = asyncio.ensure_future(self._write(snapshot))
            try:
                await asyncio.shield(write)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await write  # keep the lock until the write has settled
                if write.cancelled() or write.exception() is not None:
                    self.buffer.restore(snapshot)
                else:
                    self.flushes += 1
                raise
            except BaseException:
                self.buffer.restore(snapshot)
                raise
            self.flushes += 1
            return len(snapshot)

    async def top(
        self,
        limit: int,
        guild_id: int | None,
        read: Callable[[list[str]], Awaitable[dict[str, int]]],
    ) -> list[tuple[str, int]]:
        """Top ``limit`` commands by persisted + pending count.

        ``read(pending_commands)`` returns persisted counts (see
        :func:`read_command_totals`); it runs under :attr:`lock`, so no flush interleaves.
        """
        async with self.lock:
            pending = self.buffer.totals(guild_id)
            stored = await read(list(pending))
        for command, usage in pending.items():
            stored[command] = stored.get(command, 0) + usage.count
        return sorted(stored.items(), key=lambda kv: (-kv[1], kv[0]))[: max(0, limit)]

    async def usage_of(
        self, command: str, guild_id: int | None, read: Callable[[], Awaitable[CommandUsage]]
    ) -> CommandUsage:
        """Persisted usage of one command (from ``read()``) plus its pending counts."""
        async with self.lock:
            pending = self.buffer.totals(guild_id).get(command)
            usage = await read()
        if pending is not None:
            usage.merge(pending)
        return usage

    async def _flush_logged(self) -> None:
        try:
            await self.flush()
        except Exception:
            log.exception("flushing command usage failed; will retry")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self._flush_logged()


def write_usage(conn: sqlite3.Connection, snapshot: dict[UsageKey, CommandUsage]) -> None:
    """Add a drained snapshot to the usage tables in one transaction (blocking)."""
    totals: dict[str, CommandUsage] = {}
    per_guild: list[tuple[str, int, int, int, float | None]] = []
    for (command, guild_id), usage in snapshot.items():
        totals.setdefault(command, CommandUsage()).merge(usage)
        if guild_id is not None:
            per_guild.append((command, guild_id, usage.count, usage.errors, usage.last_used))
    with transaction(conn):
        conn.executemany(
            _UPSERT_TOTAL, [(c, u.count, u.errors, u.last_used) for c, u in totals.items()]
        )
        if per_guild:
            conn.executemany(_UPSERT_GUILD, per_guild)


def _table(guild_id: int | None) -> tuple[str, str, tuple[int, ...]]:
    if guild_id is None:
        return "command_stats", "", ()
    return "command_guild_stats", "guild_id = ? AND ", (guild_id,)


def read_command_totals(
    conn: sqlite3.Connection, limit: int, also: Iterable[str], guild_id: int | None = None
) -> dict[str, int]:
    """Persisted counts of the ``limit`` most used commands plus those named in ``also``.

    Merging these with pending counts gives the exact top ``limit``: a command absent
    from both sets is outranked by every persisted top-``limit`` entry.
    """
    table, where, params = _table(guild_id)
    rows = conn.execute(
        f"SELECT command, count FROM {table} WHERE {where}1 ORDER BY count DESC, command LIMIT ?",
        (*params, limit),
    ).fetchall()
    result = {str(r[0]): int(r[1]) for r in rows}
    wanted = [c for c in dict.fromkeys(also) if c not in result]
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        for command, count in conn.execute(
            f"SELECT command, count FROM {table} WHERE {where}command IN ({marks})",
            (*params, *chunk),
        ):
            result[str(command)] = int(count)
    return result


def read_command_usage(
    conn: sqlite3.Connection, command: str, guild_id: int | None = None
) -> CommandUsage:
    """Persisted usage of one command (zeros if never recorded)."""
    table, where, params = _table(guild_id)
    row = conn.execute(
        f"SELECT count, errors, last_used FROM {table} WHERE {where}command = ?",
        (*params, command),
    ).fetchone()
    if row is None:
        return CommandUsage()
    return CommandUsage(int(row[0]), int(row[1]), row[2])
