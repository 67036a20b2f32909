"""The Zoryx databases facade: ``data/main.db`` plus one ``data/<guild_id>/guild.db`` each.

``main.db`` holds global stats (JSON values by key) and command usage counts; each
guild database holds that guild's prefix, mention-prefix flag, per-command role
permissions and a JSON key/value table for extensions. All files run in WAL mode.

Threads: ``main.db`` has one dedicated thread and all guild databases share another
(see :mod:`zoryx.storage.guild_pool` for why), so threads stay at two and open files
stay bounded by the pool cap however many guilds the bot is in. Directory walks,
backups and integrity checks run in :func:`asyncio.to_thread`.

Hot paths never wait on SQLite: prefix and mention-prefix settings come from an LRU
cache updated on every set, and :meth:`Databases.increment_usage` only touches memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import sqlite3
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from zoryx.storage import guild_pool as gdb
from zoryx.storage import sqlite_base as sql
from zoryx.storage import usage_buffer as usage
from zoryx.storage.guild_pool import GuildConnection, GuildPool, GuildSettings
from zoryx.storage.private_files import tighten_tree
from zoryx.storage.sqlite_base import SqliteWorker
from zoryx.storage.usage_buffer import CommandUsage, UsageRecorder

__all__ = ["DatabaseStats", "Databases", "GuildSettings"]

log = logging.getLogger(__name__)
T = TypeVar("T")

MAIN_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE IF NOT EXISTS global_stats (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
        " updated_at REAL NOT NULL)",
        *usage.USAGE_MIGRATION,
    ),
)
"""main.db schema; ``MAIN_MIGRATIONS[i]`` upgrades ``user_version`` i to i + 1."""
BACKUPS_KEPT = 5
MAX_PREFIX_LENGTH = 32
_DISK_USAGE_TTL = 30.0


@dataclass(frozen=True, slots=True)
class DatabaseStats:
    """A snapshot of the database layer's counters, for dashboards."""

    open_guild_connections: int
    pool_cap: int
    pool_hits: int
    pool_misses: int
    pool_evictions: int
    settings_cache_entries: int
    settings_cache_hits: int
    settings_cache_misses: int
    pending_usage_entries: int
    usage_flushes: int
    usage_dropped: int
    queries_executed: int
    writes_executed: int
    disk_bytes: int | None
    """Size of main.db and every guild.db (with WAL files); None until first measured."""
    disk_bytes_measured_at: float | None


class _SettingsCache:
    """LRU map guild id → :class:`GuildSettings`, bounded to ``size`` guilds."""

    def __init__(self, size: int) -> None:
        self.size, self.hits, self.misses = size, 0, 0
        self._data: OrderedDict[int, GuildSettings] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, guild_id: int) -> GuildSettings | None:
        value = self._data.get(guild_id)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
            self._data.move_to_end(guild_id)
        return value

    def put(self, guild_id: int, value: GuildSettings, *, overwrite: bool) -> GuildSettings:
        """Store ``value`` (unless ``overwrite`` is false and an entry exists); return it."""
        if not overwrite and guild_id in self._data:
            return self._data[guild_id]
        self._data[guild_id] = value
        self._data.move_to_end(guild_id)
        while len(self._data) > self.size:
            self._data.popitem(last=False)
        return value

    def discard(self, guild_id: int) -> None:
        self._data.pop(guild_id, None)

    def clear(self) -> None:
        self._data.clear()


def _check_guild(guild_id: int) -> int:
    if isinstance(guild_id, bool) or not isinstance(guild_id, int) or guild_id <= 0:
        raise ValueError(f"invalid guild id: {guild_id!r}")
    return guild_id


class Databases:
    """Async access to main.db and the per-guild databases under ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        pool_size: int = 32,
        flush_interval: float = 10.0,
        settings_cache_size: int = 10_000,
        usage_max_keys: int = 10_000,
    ) -> None:
        """Configure; nothing touches the disk until :meth:`open`."""
        if pool_size < 1 or settings_cache_size < 1 or flush_interval <= 0:
            raise ValueError("pool_size, settings_cache_size and flush_interval must be > 0")
        self.data_dir = Path(data_dir)
        self.pool_size = pool_size
        self._cache = _SettingsCache(settings_cache_size)
        self._role_rules: OrderedDict[int, dict[str, list[int]]] = OrderedDict()
        self._role_rules_cap = settings_cache_size
        self._usage = UsageRecorder(
            self._write_usage, interval=flush_interval, max_keys=usage_max_keys
        )
        self._state = "new"
        self._main: sqlite3.Connection | None = None
        self._main_worker: SqliteWorker | None = None
        self._guild_worker: SqliteWorker | None = None
        self._pool: GuildPool | None = None
        self._disk: tuple[int, float] | None = None
        self._disk_refresh: asyncio.Task[int] | None = None
        # Awaited first thing in close(), while both threads still run (e.g. the
        # compatibility layer closes the extra main.db connection it opened).
        self.before_close: list[Callable[[], Any]] = []

    # -- lifecycle ------------------------------------------------------------------------

    async def open(self) -> None:
        """Create ``data_dir``, open and migrate main.db, start the usage flush timer."""
        if self._state == "open":
            return
        await asyncio.to_thread(self.data_dir.mkdir, parents=True, exist_ok=True)
        # Files of older versions (databases, backups, JSON state) were readable by all.
        await asyncio.to_thread(tighten_tree, [self.data_dir])
        main_worker, guild_worker = SqliteWorker("zoryx-maindb"), SqliteWorker("zoryx-guilddb")

        try:
            self._main = await main_worker.run(
                sql.open_database,
                self.data_dir / "main.db",
                MAIN_MIGRATIONS,
                trace=main_worker.counter,
            )
        except BaseException:
            main_worker.shutdown()
            guild_worker.shutdown()
            raise
        self._main_worker, self._guild_worker = main_worker, guild_worker
        self._pool = GuildPool(
            guild_worker,
            lambda gid: sql.open_database(
                self._guild_path(gid), gdb.GUILD_MIGRATIONS, trace=guild_worker.counter
            ),
            cap=self.pool_size,
        )
        self._state = "open"
        self._usage.start()

    async def close(self) -> None:
        """Flush pending usage, close every connection and stop the threads (idempotent)."""
        if self._state != "open":
            return
        self._state = "closing"
        assert self._pool and self._main_worker and self._guild_worker and self._main
        for hook in list(self.before_close):
            try:
                await hook()
            except Exception:
                log.exception("a before-close hook of the databases failed")
        try:
            await self._usage.stop()
        except Exception:
            log.exception("final usage flush failed; %d entries lost", len(self._usage.buffer))
        if self._disk_refresh is not None:
            await asyncio.gather(self._disk_refresh, return_exceptions=True)
        await self._pool.close_all()
        await self._main_worker.run(self._main.close)
        self._main_worker.shutdown()
        self._guild_worker.shutdown()
        self._state = "closed"

    async def __aenter__(self) -> Databases:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- plumbing --------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self._state != "open":
            raise RuntimeError(f"databases are not open (state: {self._state})")

    def _guild_path(self, guild_id: int) -> Path:
        return self.data_dir / str(guild_id) / "guild.db"

    async def _guild_call(self, guild_id: int, fn: Callable[..., T], *args: Any) -> T:
        self._require_open()
        assert self._pool is not None and self._guild_worker is not None
        async with self._pool.lease(_check_guild(guild_id)) as conn:
            return await self._guild_worker.run(fn, conn, *args)

    async def _guild_read(self, guild_id: int, default: T, fn: Callable[..., T], *args: Any) -> T:
        """Like :meth:`_guild_call`, but never creates a database just to read it."""
        self._require_open()
        assert self._pool is not None and self._guild_worker is not None
        if _check_guild(guild_id) not in self._pool:
            if not await self._guild_worker.run(self._guild_path(guild_id).is_file):
                return default
        return await self._guild_call(guild_id, fn, *args)

    async def run_main(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` on the main.db thread (for framework tables)."""
        return await self._main_call(fn, *args)

    async def _main_call(self, fn: Callable[..., T], *args: Any) -> T:
        if self._state not in ("open", "closing"):
            raise RuntimeError(f"databases are not open (state: {self._state})")
        assert self._main_worker is not None
        return await self._main_worker.run(fn, self._main, *args)

    async def _write_usage(self, snapshot: dict[Any, CommandUsage]) -> None:
        await self._main_call(usage.write_usage, snapshot)

    # -- guild settings --------------------------------------------------------------------

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """Prefix and mention-prefix settings, from the in-memory cache when possible."""
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        loaded = await self._guild_read(guild_id, GuildSettings(), gdb.read_config)
        return self._cache.put(guild_id, loaded, overwrite=False)

    def clear_caches(self) -> int:
        """Drop the in-memory guild settings and role rules (re-read from SQLite on use).

        Returns how many guild entries were dropped.
        """
        dropped = len(self._cache) + len(self._role_rules)
        self._cache.clear()
        self._role_rules.clear()
        return dropped

    def cached_guild_settings(self, guild_id: int) -> GuildSettings | None:
        """The guild's settings if they are in memory, else None (never touches SQLite)."""
        return self._cache.get(guild_id)

    async def get_prefix(self, guild_id: int) -> str | None:
        """The guild's custom prefix, or None to use the global one."""
        return (await self.guild_settings(guild_id)).prefix

    async def set_prefix(self, guild_id: int, prefix: str | None) -> None:
        """Set the guild's prefix (1-32 characters, no outer spaces); None resets it."""
        if prefix is not None and (
            not prefix or len(prefix) > MAX_PREFIX_LENGTH or prefix != prefix.strip()
        ):
            raise ValueError(f"a prefix must be 1-{MAX_PREFIX_LENGTH} non-blank characters")
        settings = await self._guild_call(guild_id, gdb.write_config, "prefix", prefix)
        self._cache.put(guild_id, settings, overwrite=True)

    async def get_mention_prefix(self, guild_id: int) -> bool | None:
        """Whether mentioning the bot works as a prefix here; None = global default."""
        return (await self.guild_settings(guild_id)).mention_prefix

    async def set_mention_prefix(self, guild_id: int, enabled: bool | None) -> None:
        """Enable or disable the mention prefix in the guild; None resets to the default."""
        value = None if enabled is None else int(bool(enabled))
        settings = await self._guild_call(guild_id, gdb.write_config, "mention_prefix", value)
        self._cache.put(guild_id, settings, overwrite=True)

    async def get_command_roles(self, guild_id: int, command: str) -> list[int]:
        """Role IDs allowed to run ``command`` in the guild (ascending; empty = no rule).

        Runs before every command, so the guild's rules are cached in memory (bounded LRU,
        refreshed on every write) and SQLite is read once per guild.
        """
        cached = self._role_rules.get(guild_id)
        if cached is None:
            rules: dict[str, list[int]] = await self._guild_read(guild_id, {}, gdb.read_all_roles)
            self._role_rules[guild_id] = rules
            while len(self._role_rules) > self._role_rules_cap:
                self._role_rules.popitem(last=False)
        else:
            rules = cached
            self._role_rules.move_to_end(guild_id)
        return list(rules.get(command, ()))

    def cached_command_roles(self, guild_id: int, command: str) -> tuple[int, ...] | None:
        """The roles allowed to run ``command`` if the guild's rules are in memory, else None.

        The synchronous twin of :meth:`get_command_roles` for the per-command fast path.
        """
        rules = self._role_rules.get(guild_id)
        if rules is None:
            return None
        self._role_rules.move_to_end(guild_id)
        roles = rules.get(command)
        return tuple(roles) if roles else ()

    async def set_command_roles(self, guild_id: int, command: str, role_ids: list[int]) -> None:
        """Replace the roles allowed to run ``command``; an empty list removes the rule."""
        if not command:
            raise ValueError("command name must not be empty")
        roles = sorted({int(r) for r in role_ids})
        try:
            await self._guild_call(guild_id, gdb.write_roles, command, roles)
        finally:
            self._role_rules.pop(guild_id, None)

    async def list_command_permissions(self, guild_id: int) -> dict[str, list[int]]:
        """Every command with a role rule in the guild, mapped to its role IDs."""
        return await self._guild_read(guild_id, {}, gdb.read_all_roles)

    async def get_guild_setting(self, guild_id: int, key: str, default: Any = None) -> Any:
        """An extension setting (JSON-decoded), or ``default`` if unset."""
        raw = await self._guild_read(guild_id, None, sql.read_kv, "settings", key)
        return default if raw is None else json.loads(raw)

    async def set_guild_setting(self, guild_id: int, key: str, value: Any) -> None:
        """Store a JSON-serialisable extension setting; None deletes the key."""
        encoded = None if value is None else json.dumps(value)
        await self._guild_call(guild_id, sql.write_kv, "settings", key, encoded)

    @asynccontextmanager
    async def guild_connection(self, guild_id: int) -> AsyncIterator[GuildConnection]:
        """Lease the guild's database for custom SQL; see :class:`GuildConnection`."""
        self._require_open()
        assert self._pool is not None and self._guild_worker is not None
        async with self._pool.lease(_check_guild(guild_id)) as conn:
            handle = GuildConnection(guild_id, conn, self._guild_worker)
            ok = False
            try:
                yield handle
                ok = True
            finally:
                await handle._end(ok=ok)

    # -- global stats and command usage ----------------------------------------------------

    async def get_global_stat(self, key: str, default: Any = None) -> Any:
        """A global stat from main.db (JSON-decoded), or ``default`` if unset."""
        self._require_open()
        raw = await self._main_call(sql.read_kv, "global_stats", key)
        return default if raw is None else json.loads(raw)

    async def set_global_stat(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable global stat; None deletes it."""
        self._require_open()
        encoded = None if value is None else json.dumps(value)
        await self._main_call(sql.write_kv, "global_stats", key, encoded)

    def increment_usage(self, command: str, guild_id: int | None, *, error: bool = False) -> None:
        """Count one command invocation in memory (no I/O); the next flush persists it."""
        if self._state == "open":
            self._usage.add(command, guild_id, error=error)

    async def flush_usage(self) -> int:
        """Write pending usage counts now, in one transaction; return the keys written."""
        self._require_open()
        return await self._usage.flush()

    async def command_stats(
        self, limit: int = 10, *, guild_id: int | None = None
    ) -> list[tuple[str, int]]:
        """Most used commands with counts (persisted + pending), optionally in one guild."""
        self._require_open()

        async def read(pending: list[str]) -> dict[str, int]:
            return await self._main_call(usage.read_command_totals, limit, pending, guild_id)

        return await self._usage.top(limit, guild_id, read)

    async def command_usage(self, command: str, guild_id: int | None = None) -> CommandUsage:
        """Count, error count and last use (UNIX time) of one command, pending included."""
        self._require_open()

        async def read() -> CommandUsage:
            return await self._main_call(usage.read_command_usage, command, guild_id)

        return await self._usage.usage_of(command, guild_id, read)

    # -- maintenance -----------------------------------------------------------------------

    async def cleanup_guild(self, guild_id: int) -> None:
        """Close the guild's connection and delete ``data/<guild_id>/`` and its backups."""
        self._require_open()
        assert self._pool is not None
        directory = self._guild_path(_check_guild(guild_id)).parent

        async def remove() -> None:
            await asyncio.to_thread(shutil.rmtree, directory, ignore_errors=True)

        self._cache.discard(guild_id)
        self._role_rules.pop(guild_id, None)
        await self._pool.discard(guild_id, after_close=remove)
        self._cache.discard(guild_id)
        self._role_rules.pop(guild_id, None)

    async def cleanup_orphans(self, active_guild_ids: set[int]) -> list[int]:
        """Delete the data of every guild on disk not in ``active_guild_ids``; return them."""
        self._require_open()
        on_disk = await asyncio.to_thread(sql.guild_dirs, self.data_dir, with_db=False)
        orphans = [gid for gid in on_disk if gid not in active_guild_ids]
        for gid in orphans:
            await self.cleanup_guild(gid)
        return orphans

    async def backup(
        self,
        dest_dir: Path | None = None,
        *,
        guild_id: int | None = None,
        time_limit: float | None = None,
    ) -> list[Path]:
        """Snapshot main.db and every guild.db with SQLite's online backup API.

        With ``guild_id`` only that guild's database is copied. Pending usage is flushed
        first. See :func:`~zoryx.storage.sqlite_base.backup_databases`
        for where copies go; by default the newest five per database are kept.
        With ``time_limit`` (seconds) copies not finished in time are skipped (logged).
        """
        self._require_open()
        await self._usage.flush()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S_%fZ")
        only = None if guild_id is None else str(_check_guild(guild_id))
        deadline = None if time_limit is None else time.monotonic() + time_limit
        return await asyncio.to_thread(
            sql.backup_databases, self.data_dir, stamp, dest_dir, BACKUPS_KEPT, only, deadline
        )

    async def integrity_check(self) -> dict[str, str]:
        """``PRAGMA integrity_check`` of main.db and each guild.db ("ok" when sound)."""

        def check_all() -> dict[str, str]:
            return {name: sql.integrity_check(path) for name, path in sql.db_files(self.data_dir)}

        return await asyncio.to_thread(check_all)

    # -- stats -----------------------------------------------------------------------------

    async def refresh_disk_usage(self) -> int:
        """Measure the databases' size on disk now (off the event loop)."""
        size = await asyncio.to_thread(sql.disk_bytes, self.data_dir)
        self._disk = (size, time.time())
        return size

    def stats(self) -> DatabaseStats:
        """Current counters. The disk size is cached; a stale one is re-measured in the
        background and shows up in a later call."""
        stale = self._disk is None or time.time() - self._disk[1] > _DISK_USAGE_TTL
        refreshing = self._disk_refresh is not None and not self._disk_refresh.done()
        if self._state == "open" and stale and not refreshing:
            with contextlib.suppress(RuntimeError):  # no running loop: keep the old value
                loop = asyncio.get_running_loop()
                self._disk_refresh = loop.create_task(self.refresh_disk_usage())
        pool = self._pool
        counters = [w.counter for w in (self._main_worker, self._guild_worker) if w]
        return DatabaseStats(
            open_guild_connections=pool.open_count if pool else 0,
            pool_cap=self.pool_size,
            pool_hits=pool.hits if pool else 0,
            pool_misses=pool.misses if pool else 0,
            pool_evictions=pool.evictions if pool else 0,
            settings_cache_entries=len(self._cache),
            settings_cache_hits=self._cache.hits,
            settings_cache_misses=self._cache.misses,
            pending_usage_entries=len(self._usage.buffer),
            usage_flushes=self._usage.flushes,
            usage_dropped=self._usage.buffer.dropped,
            queries_executed=sum(c.statements for c in counters),
            writes_executed=sum(c.writes for c in counters),
            disk_bytes=self._disk[0] if self._disk else None,
            disk_bytes_measured_at=self._disk[1] if self._disk else None,
        )
