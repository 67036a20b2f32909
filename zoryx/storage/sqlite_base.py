"""SQLite building blocks shared by Zoryx's databases.

* :func:`open_connection` opens a plain :mod:`sqlite3` connection with the pragmas every
  Zoryx database uses (WAL journal, ``synchronous=NORMAL``, 5 s busy timeout, foreign
  keys on) and autocommit mode, so transactions are always explicit.
* :func:`migrate` brings a schema up to date, keyed on ``PRAGMA user_version``.
* :class:`SqliteWorker` is a single dedicated thread that owns a set of connections.
  Every call on those connections is submitted to it, so the event loop never blocks and
  the number of threads does not depend on the number of databases.
* :func:`read_kv` / :func:`write_kv` serve the ``key``/``value``/``updated_at`` tables
  both kinds of database have.
* The rest are blocking helpers meant for :func:`asyncio.to_thread`: the on-disk layout
  (:func:`guild_dirs`, :func:`db_files`, :func:`disk_bytes`), :func:`online_backup`,
  :func:`backup_databases`, :func:`integrity_check` and :func:`prune_backups`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import ParamSpec, TypeVar

from .leftovers import remove_leftovers
from .private_files import create_private

__all__ = [
    "BUSY_TIMEOUT_MS",
    "BackupTimedOut",
    "QueryCounter",
    "SqliteWorker",
    "backup_databases",
    "db_files",
    "disk_bytes",
    "guild_dirs",
    "integrity_check",
    "migrate",
    "online_backup",
    "open_connection",
    "open_database",
    "prune_backups",
    "read_kv",
    "transaction",
    "write_kv",
]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
"""How long a connection waits for a competing writer before failing with SQLITE_BUSY."""

_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")

P = ParamSpec("P")
T = TypeVar("T")


class QueryCounter:
    """SQLite trace callback counting the statements a worker's connections execute.

    Installed with :meth:`sqlite3.Connection.set_trace_callback`, it sees every statement
    SQLite runs, including the ones extensions issue through a leased connection. It is
    only ever called from one worker thread, so plain integer increments are safe.
    """

    __slots__ = ("statements", "writes")

    def __init__(self) -> None:
        self.statements = 0
        self.writes = 0

    def __call__(self, sql: str) -> None:
        self.statements += 1
        if sql.lstrip()[:7].upper().startswith(_WRITE_VERBS):
            self.writes += 1


def open_connection(
    path: Path, *, trace: Callable[[str], None] | None = None
) -> sqlite3.Connection:
    """Open ``path`` (created if missing) with Zoryx's pragmas, in autocommit mode.

    Blocking: call it from a worker thread. The returned connection belongs to the
    calling thread (``check_same_thread`` stays on) and yields :class:`sqlite3.Row` rows.
    The file gets mode 0600, and so do its ``-wal``/``-shm`` files (SQLite gives them the
    database's mode): databases can hold error texts.
    """
    if str(path) != ":memory:":
        create_private(Path(path))
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"{path}: could not enable WAL (journal_mode={mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    conn.row_factory = sqlite3.Row
    if trace is not None:
        conn.set_trace_callback(trace)
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block atomically: ``BEGIN IMMEDIATE`` … ``COMMIT``.

    If the connection is already inside a transaction (an extension began one on a
    leased connection), the block becomes a savepoint of that transaction instead.
    """
    if conn.in_transaction:
        conn.execute("SAVEPOINT zoryx_tx")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK TO zoryx_tx")
            conn.execute("RELEASE zoryx_tx")
            raise
        conn.execute("RELEASE zoryx_tx")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection, migrations: Sequence[Sequence[str]]) -> int:
    """Apply the migrations the database has not seen yet and return its schema version.

    ``migrations[i]`` holds the statements that take the schema from version ``i`` to
    ``i + 1``; the version is stored in ``PRAGMA user_version``. The check and the
    upgrade happen in one write transaction, so concurrent openers cannot both migrate.
    A database written by a newer Zoryx (higher version) is left untouched.
    """
    target = len(migrations)
    if conn.execute("PRAGMA user_version").fetchone()[0] >= target:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    with transaction(conn):
        current = int(conn.execute("PRAGMA user_version").fetchone()[0])
        for version in range(current, target):
            for statement in migrations[version]:
                conn.execute(statement)
        if current < target:
            conn.execute(f"PRAGMA user_version = {target}")
    return max(current, target)


def open_database(
    path: Path, migrations: Sequence[Sequence[str]], *, trace: Callable[[str], None] | None = None
) -> sqlite3.Connection:
    """Create ``path``'s folder, open it with :func:`open_connection` and :func:`migrate` it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = open_connection(path, trace=trace)
    try:
        migrate(conn, migrations)
    except BaseException:
        conn.close()
        raise
    return conn


class SqliteWorker:
    """One dedicated thread serving every call made on the connections it owns.

    Calls run strictly in submission order, which the pool relies on: a connection
    close queued after a query always runs after that query.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.counter = QueryCounter()
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=name)

    def submit(
        self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> concurrent.futures.Future[T]:
        """Queue ``fn`` without waiting; the job runs even if nobody awaits it."""
        return self._executor.submit(fn, *args, **kwargs)

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the worker thread and return its result.

        Cancelling the caller cancels the job only if it has not started yet.
        """
        return await asyncio.wrap_future(self._executor.submit(fn, *args, **kwargs))

    def shutdown(self) -> None:
        """Stop accepting jobs; the thread exits once queued jobs are done."""
        self._executor.shutdown(wait=False)


def read_kv(conn: sqlite3.Connection, table: str, key: str) -> str | None:
    """The raw value stored under ``key`` in a key/value ``table``, or None."""
    row = conn.execute(f"SELECT value FROM {table} WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def write_kv(conn: sqlite3.Connection, table: str, key: str, value: str | None) -> None:
    """Upsert ``key`` in a key/value ``table``; a None value deletes the row.

    ``table`` is always a literal from Zoryx's own code, never user input.
    """
    if value is None:
        conn.execute(f"DELETE FROM {table} WHERE key = ?", (key,))
        return
    conn.execute(
        f"INSERT INTO {table} (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key)"
        " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, value, time.time()),
    )


def guild_dirs(data_dir: Path, *, with_db: bool) -> list[int]:
    """Guild IDs that have a ``data_dir/<id>/`` folder (holding a guild.db if ``with_db``)."""
    if not data_dir.is_dir():
        return []
    return sorted(
        int(p.name)
        for p in data_dir.iterdir()
        if p.name.isascii()
        and p.name.isdigit()  # not '²': isdigit() but no int()
        and p.is_dir()
        and (not with_db or (p / "guild.db").is_file())
    )


def db_files(data_dir: Path) -> list[tuple[str, Path]]:
    """``(display name, path)`` of main.db and every guild.db present under ``data_dir``."""
    files = [("main.db", data_dir / "main.db")]
    for gid in guild_dirs(data_dir, with_db=True):
        files.append((f"{gid}/guild.db", data_dir / str(gid) / "guild.db"))
    return [(name, path) for name, path in files if path.is_file()]


def disk_bytes(data_dir: Path) -> int:
    """Bytes used by main.db and the guild databases, WAL and shared-memory files included."""
    total = 0
    for _, path in db_files(data_dir):
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                total += path.with_name(path.name + suffix).stat().st_size
    return total


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class BackupTimedOut(Exception):
    """A backup with a deadline did not finish in time (its partial copy was removed)."""


_BACKUP_STEP_PAGES = 1024


def online_backup(source: Path, dest: Path, deadline: float | None = None) -> Path:
    """Copy the live database ``source`` to ``dest`` with SQLite's online backup API.

    The copy is one consistent snapshot even while other connections write (WAL readers
    do not block writers). It is written to ``<dest>.part`` (so a copy interrupted by a
    kill is recognisable and removed at the next start), switched to a self-contained
    rollback journal, then renamed into place, so ``dest`` is never half written. The copy
    has mode 0600.
    With ``deadline`` (a :func:`time.monotonic` value) the copy goes in steps and is
    abandoned with :class:`BackupTimedOut` once the deadline passes.
    Blocking: run it in a thread.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    partial.unlink(missing_ok=True)
    create_private(partial)  # the copy holds what the database holds: mode 0600
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(partial)
        try:
            if deadline is None:
                src.backup(dst)
            else:

                def progress(_status: int, _remaining: int, _total: int) -> None:
                    if time.monotonic() > deadline:
                        raise BackupTimedOut(f"{source.name}: out of time")

                src.backup(dst, pages=_BACKUP_STEP_PAGES, progress=progress)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    os.replace(partial, dest)
    _fsync_dir(dest.parent)
    return dest


def integrity_check(path: Path) -> str:
    """Return SQLite's ``PRAGMA integrity_check`` verdict for ``path`` (``"ok"`` if sound).

    Blocking: run it in a thread. Errors opening or reading the file are returned as text.
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=5)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"error: {exc}"
    return "; ".join(str(row[0]) for row in rows)


def prune_backups(directory: Path, pattern: str, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest files matching ``pattern`` in ``directory``.

    Backup names embed a sortable UTC timestamp, so name order is age order.
    Blocking: run it in a thread. Returns the removed paths.
    """
    if not directory.is_dir():
        return []
    remove_leftovers([directory], recursive=False)  # copies a killed backup left behind
    files = sorted(p for p in directory.glob(pattern) if p.is_file())
    doomed = files[: max(0, len(files) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def backup_databases(
    data_dir: Path,
    stamp: str,
    dest_dir: Path | None,
    keep: int,
    only_guild: str | None = None,
    deadline: float | None = None,
) -> list[Path]:
    """Back up main.db and every guild.db under ``data_dir``; return the copies made.

    With ``only_guild`` (a guild ID folder name) only that guild's database is copied.

    Default targets are ``data/backups/db/main_<stamp>.db`` and
    ``data/<id>/guild_backup_<stamp>.db``, pruned to the ``keep`` newest per database.
    With ``dest_dir`` all copies go there as ``main_<stamp>.db`` / ``guild_<id>_<stamp>.db``
    and nothing is pruned. A database that fails is logged and skipped; with ``deadline``
    (a :func:`time.monotonic` value) the ones not finished by then are skipped (logged).
    """
    made: list[Path] = []
    for name, source in db_files(data_dir):
        if only_guild is not None and (name == "main.db" or source.parent.name != only_guild):
            continue
        if name == "main.db":
            folder, pattern = dest_dir or data_dir / "backups" / "db", "main_*.db"
            target = folder / f"main_{stamp}.db"
        elif dest_dir is not None:
            folder, pattern = dest_dir, ""
            target = folder / f"guild_{source.parent.name}_{stamp}.db"
        else:
            folder, pattern = source.parent, "guild_backup_*.db"
            target = folder / f"guild_backup_{stamp}.db"
        if deadline is not None and time.monotonic() > deadline:
            log.warning("backup of %s skipped: out of time", name)
            continue
        try:
            made.append(online_backup(source, target, deadline))
        except BackupTimedOut:
            log.warning("backup of %s skipped: it did not finish in time", name)
            continue
        except (OSError, sqlite3.Error):
            log.exception("backing up %s failed", name)
            continue
        if dest_dir is None:
            prune_backups(folder, pattern, keep)
    return made
