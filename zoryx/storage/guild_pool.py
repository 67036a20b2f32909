"""Guild databases: their schema and SQL, and a bounded LRU pool of connections.

Design choice. aiosqlite starts one thread per connection, so a pool of ``cap``
aiosqlite connections costs ``cap`` threads (the earlier framework, which never closed
anything, grew one thread and three file handles per guild seen). Here every guild
connection is a plain :mod:`sqlite3` connection owned by a single
:class:`~zoryx.storage.sqlite_base.SqliteWorker` thread:

* threads stay at exactly one for guild data, whatever the cap or the guild count;
* open files are bounded by the cap (a WAL connection holds ``guild.db``, ``-wal`` and
  ``-shm``, so about ``3 * cap``);
* guild statements are tiny (settings rows, a few role IDs), and SQLite serialises
  writers per file anyway, so one thread is not the bottleneck. Measured in
  ``benchmarks/bench_databases.py``, a shared worker served about 3x more guild queries
  per second than an aiosqlite connection per guild at the same concurrency (fewer
  thread hand-offs). The price: a slow query issued by an extension delays other
  guilds' queries; keep extension SQL short.

Leases. :meth:`GuildPool.lease` pins a connection (reference count) and gives the
holder exclusive use of it, so an extension's multi-statement transaction never
interleaves with other work on that guild. A task that already holds a guild's lease
may lease it again (or call :class:`~zoryx.storage.databases.Databases` methods for that
guild) without deadlocking: nested leases share the outer one. Eviction only ever closes
idle connections, least recently used first. If more than ``cap`` guilds are leased at
the same moment the pool grows past the cap temporarily and shrinks back as leases end.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Future
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, TypeVar

from zoryx.storage.sqlite_base import SqliteWorker, transaction

__all__ = [
    "GUILD_MIGRATIONS",
    "GuildConnection",
    "GuildPool",
    "GuildSettings",
    "read_all_roles",
    "read_config",
    "read_roles",
    "write_config",
    "write_roles",
]

log = logging.getLogger(__name__)

T = TypeVar("T")


GUILD_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE IF NOT EXISTS guild_config (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " prefix TEXT, mention_prefix INTEGER CHECK (mention_prefix IN (0, 1)))",
        "CREATE TABLE IF NOT EXISTS command_roles (command TEXT NOT NULL,"
        " role_id INTEGER NOT NULL, PRIMARY KEY (command, role_id)) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
        " updated_at REAL NOT NULL)",
    ),
)
"""guild.db schema; ``GUILD_MIGRATIONS[i]`` upgrades ``user_version`` i to i + 1."""


class GuildSettings(NamedTuple):
    """The per-guild settings read on every message (None = use the global default)."""

    prefix: str | None = None
    mention_prefix: bool | None = None


# Blocking helpers below run on the guild worker thread with a leased connection.


def read_config(conn: sqlite3.Connection) -> GuildSettings:
    """The guild's prefix and mention-prefix settings."""
    row = conn.execute("SELECT prefix, mention_prefix FROM guild_config WHERE id = 1").fetchone()
    if row is None:
        return GuildSettings()
    return GuildSettings(row[0], None if row[1] is None else bool(row[1]))


def write_config(
    conn: sqlite3.Connection, column: Literal["prefix", "mention_prefix"], value: object
) -> GuildSettings:
    """Set one ``guild_config`` column and return the settings as now stored."""
    if column not in ("prefix", "mention_prefix"):
        raise ValueError(f"unknown guild config column {column!r}")
    conn.execute(
        f"INSERT INTO guild_config (id, {column}) VALUES (1, ?)"
        f" ON CONFLICT (id) DO UPDATE SET {column} = excluded.{column}",
        (value,),
    )
    return read_config(conn)


def read_roles(conn: sqlite3.Connection, command: str) -> list[int]:
    """Role IDs allowed to run ``command``, ascending."""
    sql = "SELECT role_id FROM command_roles WHERE command = ? ORDER BY role_id"
    return [int(r[0]) for r in conn.execute(sql, (command,))]


def write_roles(conn: sqlite3.Connection, command: str, role_ids: list[int]) -> None:
    """Replace ``command``'s role rule atomically (an empty list removes it)."""
    with transaction(conn):
        conn.execute("DELETE FROM command_roles WHERE command = ?", (command,))
        conn.executemany(
            "INSERT INTO command_roles (command, role_id) VALUES (?, ?)",
            [(command, r) for r in role_ids],
        )


def read_all_roles(conn: sqlite3.Connection) -> dict[str, list[int]]:
    """Every command with a role rule, mapped to its role IDs ascending."""
    out: dict[str, list[int]] = {}
    for command, role_id in conn.execute(
        "SELECT command, role_id FROM command_roles ORDER BY command, role_id"
    ):
        out.setdefault(str(command), []).append(int(role_id))
    return out


@dataclass(eq=False)
class _Entry:
    conn: sqlite3.Connection | None  # None only for discard()'s placeholder
    refs: int = 0
    closing: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.idle.set()


def _close_all(conns: Iterable[sqlite3.Connection | None]) -> None:
    for conn in conns:
        if conn is None:
            continue
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
        except sqlite3.Error:
            log.exception("closing a guild database failed")


def _log_close_error(fut: Future[None]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.error("closing an evicted guild database failed", exc_info=fut.exception())


def _consume_result(task: asyncio.Task[None]) -> None:
    # An open that failed after its requester was cancelled must not warn as unretrieved.
    if not task.cancelled():
        task.exception()


class GuildPool:
    """At most ``cap`` idle guild connections, opened on demand and closed LRU-first."""

    def __init__(
        self,
        worker: SqliteWorker,
        opener: Callable[[int], sqlite3.Connection],
        *,
        cap: int = 32,
    ) -> None:
        """``opener(guild_id)`` runs on ``worker`` and returns a ready connection."""
        if cap < 1:
            raise ValueError("pool cap must be at least 1")
        self.cap = cap
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self._worker = worker
        self._opener = opener
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._opening: dict[int, asyncio.Task[None]] = {}
        self._closed = False
        self._held: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
            f"zoryx_guild_leases_{id(self)}", default=frozenset()
        )

    def __contains__(self, guild_id: object) -> bool:
        """True if the guild's connection is open or being opened."""
        return guild_id in self._entries or guild_id in self._opening

    @property
    def open_count(self) -> int:
        """Number of guild connections currently open."""
        return len(self._entries)

    @asynccontextmanager
    async def lease(self, guild_id: int) -> AsyncIterator[sqlite3.Connection]:
        """Hold the guild's connection (opening it if needed) for the ``async with`` block.

        The lease is exclusive per guild and reentrant within one task.
        """
        entry = await self._acquire(guild_id)
        held = self._held.get()
        nested = guild_id in held
        locked = False
        try:
            if not nested:
                await entry.lock.acquire()
                locked = True
            assert entry.conn is not None
            token = self._held.set(held | {guild_id})
            try:
                yield entry.conn
            finally:
                self._held.reset(token)
        finally:
            if locked:
                entry.lock.release()
            entry.refs -= 1
            if entry.refs == 0:
                entry.idle.set()
                self._evict_excess()

    async def _acquire(self, guild_id: int) -> _Entry:
        opened_here = False
        while True:
            if self._closed:
                raise RuntimeError("the guild connection pool is closed")
            entry = self._entries.get(guild_id)
            if entry is not None and not entry.closing:
                entry.refs += 1
                entry.idle.clear()
                self._entries.move_to_end(guild_id)
                if not opened_here:
                    self.hits += 1
                self._evict_excess()
                return entry
            if entry is not None:
                await entry.closed.wait()
                continue
            task = self._opening.get(guild_id)
            if task is None:
                self.misses += 1
                opened_here = True
                task = asyncio.get_running_loop().create_task(self._open(guild_id))
                task.add_done_callback(_consume_result)
                self._opening[guild_id] = task
            await asyncio.shield(task)

    async def _open(self, guild_id: int) -> None:
        try:
            conn = await self._worker.run(self._opener, guild_id)
        finally:
            del self._opening[guild_id]
        if self._closed:
            self._worker.submit(_close_all, [conn]).add_done_callback(_log_close_error)
            return
        self._entries[guild_id] = _Entry(conn)

    def _evict_excess(self) -> None:
        excess = len(self._entries) - self.cap
        if excess <= 0:
            return
        for guild_id, entry in list(self._entries.items()):
            if excess <= 0:
                break
            if entry.refs or entry.closing:
                continue
            del self._entries[guild_id]
            entry.closing = True
            self._worker.submit(_close_all, [entry.conn]).add_done_callback(_log_close_error)
            entry.closed.set()
            self.evictions += 1
            excess -= 1

    async def discard(
        self, guild_id: int, *, after_close: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Close the guild's connection once its leases end, then run ``after_close``.

        Leases requested meanwhile wait until ``after_close`` has finished, so a guild
        directory can be deleted without a connection reopening underneath.
        """
        if guild_id in self._held.get():
            raise RuntimeError("cannot close a guild database while holding its lease")
        while True:
            if (task := self._opening.get(guild_id)) is not None:
                await asyncio.gather(asyncio.shield(task), return_exceptions=True)
            elif (entry := self._entries.get(guild_id)) is not None and entry.closing:
                await entry.closed.wait()
            else:
                break
        if entry is None:  # nothing open: a placeholder still blocks new leases meanwhile
            entry = self._entries[guild_id] = _Entry(conn=None)
        entry.closing = True
        try:
            await entry.idle.wait()
            await self._worker.run(_close_all, [entry.conn])
            if after_close is not None:
                await after_close()
        finally:
            if self._entries.get(guild_id) is entry:
                del self._entries[guild_id]
            entry.closed.set()

    async def close_all(self, *, lease_timeout: float = 5.0) -> None:
        """Refuse new leases, wait up to ``lease_timeout`` s for current ones, close all."""
        self._closed = True
        if self._opening:
            await asyncio.gather(*self._opening.values(), return_exceptions=True)
        busy = [e.idle.wait() for e in self._entries.values() if e.refs]
        if busy:
            try:
                await asyncio.wait_for(asyncio.gather(*busy), lease_timeout)
            except TimeoutError:
                log.warning("closing guild databases that are still leased")
        entries = list(self._entries.values())
        self._entries.clear()
        await self._worker.run(_close_all, [e.conn for e in entries])
        for entry in entries:
            entry.closing = True
            entry.closed.set()


class GuildConnection:
    """A leased guild database handle for extensions, valid inside ``guild_connection()``.

    Every method runs on the shared database thread. While the lease is held no other
    task touches this guild's database. The connection is in autocommit
    mode: each statement commits on its own unless you ``BEGIN`` explicitly. A
    transaction left open when the lease ends is committed, or rolled back if the block
    raised. Rows are :class:`sqlite3.Row` (index by position or column name).
    """

    def __init__(self, guild_id: int, conn: sqlite3.Connection, worker: SqliteWorker) -> None:
        self.guild_id = guild_id
        self._conn: sqlite3.Connection | None = conn
        self._worker = worker

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("this guild connection lease has ended")
        return self._conn

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        conn = self._live()
        return await self._worker.run(lambda: conn.execute(sql, params).rowcount)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run one statement per parameter row; return the rows changed."""
        conn, batch = self._live(), list(rows)
        return await self._worker.run(lambda: conn.executemany(sql, batch).rowcount)

    async def executescript(self, script: str) -> None:
        """Run several ``;``-separated statements (commits any open transaction first)."""
        conn = self._live()
        await self._worker.run(conn.executescript, script)

    async def fetchone(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> sqlite3.Row | None:
        """Run a query and return its first row, or None."""
        conn = self._live()
        return await self._worker.run(lambda: conn.execute(sql, params).fetchone())

    async def fetchall(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[sqlite3.Row]:
        """Run a query and return all its rows."""
        conn = self._live()
        return await self._worker.run(lambda: conn.execute(sql, params).fetchall())

    async def commit(self) -> None:
        """Commit the open transaction, if any."""
        conn = self._live()
        await self._worker.run(conn.commit)

    async def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        conn = self._live()
        await self._worker.run(conn.rollback)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Call ``fn(connection)`` on the database thread, for multi-statement work.

        ``fn`` must not keep the connection after returning.
        """
        conn = self._live()
        return await self._worker.run(fn, conn)

    async def _end(self, *, ok: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return

        def finish() -> None:
            if conn.in_transaction:
                conn.execute("COMMIT" if ok else "ROLLBACK")

        # Submitted now, so it runs before any job of the next lease holder, and
        # shielded, so a cancelled caller cannot leave the transaction open.
        await asyncio.shield(asyncio.wrap_future(self._worker.submit(finish)))
