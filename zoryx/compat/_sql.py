"""aiosqlite-style connection and cursor objects over Zoryx's SQLite threads.

Extensions written for the earlier framework (and for aiosqlite in general) do::

    conn = await bot.db._get_guild_connection(guild_id)
    await conn.execute("INSERT INTO notes (text) VALUES (?)", (text,))
    await conn.commit()
    async with conn.execute("SELECT text FROM notes") as cursor:
        row = await cursor.fetchone()
        print(row["text"])

:class:`CompatConnection` gives that shape. It never owns a thread of its own: each
statement runs on the database thread Zoryx already has, through a *backend* that says
how to reach the connection (:class:`GuildBackend` leases the guild's pooled connection,
:class:`MainBackend` uses a dedicated connection to ``main.db``).

Transactions. Connections are in autocommit mode: a statement outside ``BEGIN`` … ``COMMIT``
is committed when it returns (so an extension that forgets ``commit()`` loses nothing).
After an explicit ``BEGIN`` the backend keeps the guild's connection leased until
``commit()``/``rollback()`` so no other work interleaves with the transaction; a
transaction left idle for ``idle_commit`` seconds is committed with a warning, so a
forgotten ``COMMIT`` cannot hold a guild's database forever.

Results are read in full when a statement runs (``cursor.fetchone()`` then costs no
thread hop); use ``LIMIT`` for large queries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from zoryx.storage.databases import Databases
    from zoryx.storage.guild_pool import GuildConnection
    from zoryx.storage.sqlite_base import SqliteWorker

__all__ = ["CompatConnection", "CompatCursor", "GuildBackend", "MainBackend"]

log = logging.getLogger("zoryx.compat")

T = TypeVar("T")
Params = Sequence[Any] | dict[str, Any]
IDLE_COMMIT_S = 10.0


class _Outcome:
    """What one statement left behind, copied off the database thread."""

    __slots__ = ("description", "lastrowid", "rowcount", "rows")

    def __init__(self, cur: sqlite3.Cursor, rows: list[Any]) -> None:
        self.rows = rows
        self.rowcount = cur.rowcount
        self.lastrowid = cur.lastrowid
        self.description = cur.description


def _statement(sql: str, params: Params) -> Callable[[sqlite3.Connection], _Outcome]:
    def run(conn: sqlite3.Connection) -> _Outcome:
        cur = conn.execute(sql, params)
        rows = cur.fetchall() if cur.description is not None else []
        return _Outcome(cur, rows)

    return run


def _many(sql: str, rows: list[Params]) -> Callable[[sqlite3.Connection], _Outcome]:
    def run(conn: sqlite3.Connection) -> _Outcome:
        cur = conn.executemany(sql, rows)
        return _Outcome(cur, [])

    return run


class Backend(Protocol):
    """How a :class:`CompatConnection` reaches its SQLite connection."""

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

    async def close(self) -> None: ...


class CompatCursor:
    """An aiosqlite-style cursor over rows already read (``sqlite3.Row``: by index or name)."""

    def __init__(self, outcome: _Outcome, arraysize: int = 1) -> None:
        self._rows = outcome.rows
        self._pos = 0
        self.rowcount: int = outcome.rowcount
        self.lastrowid: int | None = outcome.lastrowid
        self.description: Any = outcome.description
        self.arraysize = arraysize

    async def fetchone(self) -> Any:
        """The next row, or None."""
        if self._pos >= len(self._rows):
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return row

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` (default ``arraysize``) further rows."""
        n = self.arraysize if size is None else size
        rows = self._rows[self._pos : self._pos + n]
        self._pos += len(rows)
        return rows

    async def fetchall(self) -> list[Any]:
        """Every remaining row."""
        rows = self._rows[self._pos :]
        self._pos = len(self._rows)
        return rows

    async def close(self) -> None:
        """Drop the rows (nothing else to release)."""
        self._rows = []

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        while (row := await self.fetchone()) is not None:
            yield row

    async def __aenter__(self) -> CompatCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _Pending:
    """``conn.execute(...)``: await it, or use it as ``async with … as cursor``."""

    def __init__(self, coro: Any) -> None:
        self._coro = coro
        self._cursor: CompatCursor | None = None

    def __await__(self) -> Generator[Any, None, CompatCursor]:
        return self._coro.__await__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> CompatCursor:
        self._cursor = await self._coro
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        if self._cursor is not None:
            await self._cursor.close()


class CompatConnection:
    """An aiosqlite-style connection (``execute``, ``commit``…) for extension code.

    Closing it is a no-op: Zoryx owns the underlying connection and its lifetime.
    """

    def __init__(self, backend: Backend, label: str) -> None:
        self._backend = backend
        self.label = label
        self.row_factory: Any = sqlite3.Row  # accepted for compatibility; rows are Rows
        self.total_changes = 0

    def execute(self, sql: str, parameters: Params = ()) -> _Pending:
        """Run one statement; await the result or ``async with`` it for a cursor."""
        return _Pending(self._run(_statement(sql, parameters)))

    def executemany(self, sql: str, parameters: Iterable[Params]) -> _Pending:
        """Run one statement per parameter row."""
        return _Pending(self._run(_many(sql, list(parameters))))

    async def execute_fetchall(self, sql: str, parameters: Params = ()) -> list[Any]:
        """Run a query and return all its rows."""
        cursor = await self._run(_statement(sql, parameters))
        return await cursor.fetchall()

    async def executescript(self, script: str) -> CompatCursor:
        """Run several ``;``-separated statements."""

        def run(conn: sqlite3.Connection) -> _Outcome:
            return _Outcome(conn.executescript(script), [])

        return await self._run(run)

    async def _run(self, fn: Callable[[sqlite3.Connection], _Outcome]) -> CompatCursor:
        outcome = await self._backend.run(fn)
        if outcome.rowcount > 0:
            self.total_changes += outcome.rowcount
        return CompatCursor(outcome)

    async def commit(self) -> None:
        """Commit the open transaction (a no-op when none is open)."""
        await self._backend.run(_finish("COMMIT"))

    async def rollback(self) -> None:
        """Roll back the open transaction (a no-op when none is open)."""
        await self._backend.run(_finish("ROLLBACK"))

    @property
    def in_transaction(self) -> bool:
        return bool(getattr(self._backend, "in_transaction", False))

    async def close(self) -> None:
        """Commits an open transaction; the connection itself stays Zoryx's."""
        await self.commit()

    async def __aenter__(self) -> CompatConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if exc and exc[0] is not None:
            await self.rollback()
        else:
            await self.commit()

    def __repr__(self) -> str:
        return f"<CompatConnection {self.label}>"


def _finish(word: str) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute(word)

    return run


class GuildBackend:
    """Statements on one guild's pooled connection, leased per statement or transaction."""

    def __init__(self, db: Databases, guild_id: int, *, idle_commit: float = IDLE_COMMIT_S):
        self._db = db
        self.guild_id = guild_id
        self.idle_commit = idle_commit
        self._lock = asyncio.Lock()
        self._held: GuildConnection | None = None
        self._release: asyncio.Event | None = None
        self._holder: asyncio.Task[None] | None = None
        self._last_use = 0.0
        self.in_transaction = False

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        async with self._lock:
            handle = self._held or await self._acquire()
            self._last_use = time.monotonic()
            try:
                result, busy = await handle.run(lambda conn: (fn(conn), conn.in_transaction))
            except BaseException:
                busy = await handle.run(lambda conn: conn.in_transaction)
                await self._settle(busy)
                raise
            await self._settle(busy)
            return result

    async def _settle(self, in_transaction: bool) -> None:
        self.in_transaction = in_transaction
        if not in_transaction:
            await self._drop()

    async def _acquire(self) -> GuildConnection:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[GuildConnection] = loop.create_future()
        release = asyncio.Event()
        self._holder = loop.create_task(self._hold(ready, release), name="zoryx-compat-lease")
        self._release = release
        try:
            self._held = await asyncio.shield(ready)
        except BaseException:
            release.set()
            raise
        return self._held

    async def _hold(self, ready: asyncio.Future[GuildConnection], release: asyncio.Event) -> None:
        try:
            async with self._db.guild_connection(self.guild_id) as handle:
                ready.set_result(handle)
                while not release.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(release.wait(), self.idle_commit)
                    idle = time.monotonic() - self._last_use
                    if not release.is_set() and idle >= self.idle_commit:
                        log.warning(
                            "a transaction on guild %s's database was left open %.0f s "
                            "without COMMIT; committing it",
                            self.guild_id,
                            idle,
                        )
                        self._held = None
                        self.in_transaction = False
                        break
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            if not isinstance(exc, Exception):
                raise

    async def _drop(self) -> None:
        holder, release = self._holder, self._release
        self._held = self._holder = self._release = None
        if release is not None:
            release.set()
        if holder is not None:
            await asyncio.shield(holder)

    async def close(self) -> None:
        async with self._lock:
            await self._drop()


class MainBackend:
    """Statements on a connection to ``main.db`` of the compatibility layer's own.

    A separate connection, on a thread of its own (started on first use), keeps an
    extension's transactions apart from the framework's writes to ``main.db``: while an
    extension holds a write transaction, the framework's writes wait for it (SQLite's busy
    timeout) instead of joining it, and an idle transaction is committed after
    ``idle_commit`` seconds so those writes never time out.
    """

    def __init__(self, db: Databases, *, idle_commit: float = IDLE_COMMIT_S / 4) -> None:
        self._db = db
        self.idle_commit = idle_commit
        self._conn: sqlite3.Connection | None = None
        self._worker: SqliteWorker | None = None
        self._open_lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._last_use = 0.0
        self.in_transaction = False
        db.before_close.append(self.close)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn, worker = await self._open()
        self._last_use = time.monotonic()

        def call() -> T:
            try:
                return fn(conn)
            finally:
                self.in_transaction = conn.in_transaction

        try:
            return await worker.run(call)
        finally:
            self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.in_transaction:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.idle_commit, self._expire)

    def _expire(self) -> None:
        self._timer = None
        if self.in_transaction and self._conn is not None and self._worker is not None:
            log.warning(
                "a transaction on main.db was left open %.0f s without COMMIT; committing it",
                time.monotonic() - self._last_use,
            )
            conn = self._conn
            self._worker.submit(_finish("COMMIT"), conn)
            self.in_transaction = False

    async def _open(self) -> tuple[sqlite3.Connection, SqliteWorker]:
        from zoryx.storage.sqlite_base import SqliteWorker, open_connection

        async with self._open_lock:
            if self._conn is None or self._worker is None:
                worker = SqliteWorker("zoryx-compat-maindb")
                path = self._db.data_dir / "main.db"
                try:
                    self._conn = await worker.run(open_connection, path)
                except BaseException:
                    worker.shutdown()
                    raise
                self._worker = worker
            return self._conn, self._worker

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        conn, worker = self._conn, self._worker
        self._conn = self._worker = None
        if conn is not None and worker is not None:

            def finish() -> None:
                if conn.in_transaction:
                    conn.execute("COMMIT")
                conn.close()

            try:
                await worker.run(finish)
            finally:
                worker.shutdown()
