"""Tests for the SQLite databases layer (zoryx.storage.databases and friends)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest

from zoryx.storage.databases import Databases


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Databases]:
    databases = Databases(tmp_path / "data", pool_size=4, flush_interval=3600)
    await databases.open()
    try:
        yield databases
    finally:
        await databases.close()


def raw_rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Read a database file with a plain connection, bypassing the layer under test."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)  # never creates a file
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# -- settings ------------------------------------------------------------------------------


async def test_settings_round_trip_and_survive_reopen(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with Databases(data) as db:
        await db.set_prefix(10, "?")
        await db.set_mention_prefix(10, False)
        await db.set_command_roles(10, "ban", [30, 20, 20])
        await db.set_command_roles(10, "kick", [5])
        await db.set_guild_setting(10, "welcome", {"channel": 7, "text": "hé"})
        await db.set_global_stat("started", [1, 2])
        assert await db.get_prefix(10) == "?"
        assert await db.get_mention_prefix(10) is False
        assert await db.get_command_roles(10, "ban") == [20, 30]

    async with Databases(data) as db:
        assert await db.get_prefix(10) == "?"
        assert await db.get_mention_prefix(10) is False
        assert await db.get_command_roles(10, "ban") == [20, 30]
        assert await db.list_command_permissions(10) == {"ban": [20, 30], "kick": [5]}
        assert await db.get_guild_setting(10, "welcome") == {"channel": 7, "text": "hé"}
        assert await db.get_guild_setting(10, "missing", default=3) == 3
        assert await db.get_global_stat("started") == [1, 2]
        # None / empty resets
        await db.set_prefix(10, None)
        await db.set_mention_prefix(10, None)
        await db.set_command_roles(10, "ban", [])
        await db.set_guild_setting(10, "welcome", None)
        await db.set_global_stat("started", None)

    async with Databases(data) as db:
        assert await db.get_prefix(10) is None
        assert await db.get_mention_prefix(10) is None
        assert await db.list_command_permissions(10) == {"kick": [5]}
        assert await db.get_guild_setting(10, "welcome", "d") == "d"
        assert await db.get_global_stat("started") is None


async def test_files_use_wal_pragmas_and_schema_version(db: Databases) -> None:
    await db.set_prefix(1, "!")
    async with db.guild_connection(1) as conn:
        pragmas = {
            name: (await conn.fetchone(f"PRAGMA {name}"))[0]  # type: ignore[index]
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 5000,
        "foreign_keys": 1,
    }
    for path in (db.data_dir / "main.db", db.data_dir / "1" / "guild.db"):
        assert raw_rows(path, "PRAGMA journal_mode") == [("wal",)]
        assert raw_rows(path, "PRAGMA user_version") == [(1,)]


async def test_reopen_is_idempotent_and_keeps_schema_version(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for _ in range(3):
        async with Databases(data) as db:
            await db.set_prefix(1, "!")
    assert raw_rows(data / "1" / "guild.db", "PRAGMA user_version") == [(1,)]
    assert raw_rows(data / "1" / "guild.db", "SELECT prefix FROM guild_config") == [("!",)]


async def test_invalid_input_is_rejected(db: Databases) -> None:
    for bad in ("", " x", "x" * 33):
        with pytest.raises(ValueError):
            await db.set_prefix(1, bad)
    for bad_id in (0, -5, True):
        with pytest.raises(ValueError):
            await db.set_prefix(bad_id, "!")
    with pytest.raises(TypeError):
        await db.set_guild_setting(1, "k", object())


async def test_guilds_are_isolated(db: Databases) -> None:
    await db.set_command_roles(1, "ban", [111])
    await db.set_prefix(1, "a!")
    await db.set_guild_setting(1, "k", 1)
    assert await db.get_command_roles(2, "ban") == []
    assert await db.list_command_permissions(2) == {}
    assert await db.get_prefix(2) is None
    assert await db.get_guild_setting(2, "k") is None
    await db.set_command_roles(2, "ban", [222])
    assert await db.get_command_roles(1, "ban") == [111]
    assert await db.get_command_roles(2, "ban") == [222]


async def test_reading_an_unknown_guild_creates_nothing(db: Databases) -> None:
    assert await db.get_prefix(42) is None
    assert await db.get_command_roles(42, "x") == []
    assert await db.get_guild_setting(42, "x", 0) == 0
    assert not (db.data_dir / "42").exists()


async def test_prefix_lookups_are_served_from_cache(db: Databases) -> None:
    await db.set_prefix(7, "$")
    assert await db.get_prefix(7) == "$"
    before = db.stats().queries_executed
    for _ in range(1000):
        assert await db.get_prefix(7) == "$"
        assert await db.get_mention_prefix(7) is None
    assert db.stats().queries_executed == before
    await db.set_prefix(7, "%")  # updates the cache, no stale value
    after_set = db.stats().queries_executed
    assert await db.get_prefix(7) == "%"
    assert db.stats().queries_executed == after_set


async def test_settings_cache_is_bounded(tmp_path: Path) -> None:
    async with Databases(tmp_path / "d", settings_cache_size=5) as db:
        for gid in range(1, 21):
            await db.get_prefix(gid)
        assert db.stats().settings_cache_entries == 5


# -- pool ----------------------------------------------------------------------------------


def _open_files() -> int:
    return len(psutil.Process().open_files())


async def test_pool_bounds_connections_threads_and_files(tmp_path: Path) -> None:
    async with Databases(tmp_path / "data", pool_size=8) as db:
        for gid in range(1, 21):
            await db.set_guild_setting(gid, "n", gid)
        threads, files = threading.active_count(), _open_files()
        guild_files = [f.path for f in psutil.Process().open_files() if "guild.db" in f.path]
        assert 8 <= len(guild_files) <= 3 * 8
        for gid in range(21, 201):
            await db.set_guild_setting(gid, "n", gid)
            assert db.stats().open_guild_connections <= 8
        stats = db.stats()
        assert stats.pool_evictions >= 192
        assert threading.active_count() == threads
        assert _open_files() <= files
        # data written to evicted guilds is still there
        assert await db.get_guild_setting(3, "n") == 3
        assert await db.get_guild_setting(150, "n") == 150


async def test_leased_connection_is_not_evicted(tmp_path: Path) -> None:
    async with Databases(tmp_path / "data", pool_size=2) as db:
        async with db.guild_connection(1) as conn:
            await conn.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
            await conn.execute("INSERT INTO t VALUES (1)")
            for gid in range(2, 12):
                await db.set_prefix(gid, "!")
            # still usable: a closed sqlite3 connection would raise ProgrammingError
            row = await conn.fetchone("SELECT count(*) FROM t")
            assert row is not None and row[0] == 1
            assert db.stats().open_guild_connections <= 3
        assert db.stats().open_guild_connections <= 2
        with pytest.raises(RuntimeError):
            await conn.fetchone("SELECT 1")  # lease ended


async def test_lease_is_exclusive_and_reentrant(db: Databases) -> None:
    await db.set_prefix(1, "before")  # guild db already open: no timing on first open
    events: list[str] = []

    async def holder() -> None:
        async with db.guild_connection(1) as conn:
            events.append("a-start")
            await conn.execute("BEGIN")
            await conn.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
            await db.set_prefix(1, "in-tx")  # same task: nested, must not deadlock
            await asyncio.sleep(0.05)
            events.append("a-end")

    async def other() -> None:
        await asyncio.sleep(0.01)
        await db.set_guild_setting(1, "k", 1)
        events.append("b")

    await asyncio.wait_for(asyncio.gather(holder(), other()), 5)
    assert events == ["a-start", "a-end", "b"]
    assert await db.get_prefix(1) == "in-tx"


async def test_lease_commits_on_success_and_rolls_back_on_error(db: Databases) -> None:
    async with db.guild_connection(1) as conn:
        await conn.execute("CREATE TABLE t (x INTEGER)")
        await conn.execute("BEGIN")
        await conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(KeyError):
        async with db.guild_connection(1) as conn:
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO t VALUES (2)")
            raise KeyError
    async with db.guild_connection(1) as conn:
        rows = await conn.fetchall("SELECT x FROM t")
    assert [r["x"] for r in rows] == [1]


# -- usage ---------------------------------------------------------------------------------


async def test_usage_is_buffered_until_flush(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with Databases(data, flush_interval=3600) as db:
        await db.flush_usage()
        before = db.stats()
        for i in range(3000):
            db.increment_usage(f"cmd{i % 3}", i % 5 or None, error=i % 10 == 0)
        after = db.stats()
        assert after.queries_executed == before.queries_executed  # no SQL at all
        assert after.pending_usage_entries == 15
        assert raw_rows(data / "main.db", "SELECT count(*) FROM command_stats") == [(0,)]
        stats = await db.command_stats(limit=10)
        assert stats == [("cmd0", 1000), ("cmd1", 1000), ("cmd2", 1000)]
        assert db.stats().writes_executed == before.writes_executed
        assert await db.flush_usage() == 15
        flushed = db.stats()
        assert flushed.usage_flushes == before.usage_flushes + 1
        assert flushed.pending_usage_entries == 0
        assert raw_rows(
            data / "main.db", "SELECT command, count FROM command_stats ORDER BY 1"
        ) == [
            ("cmd0", 1000),
            ("cmd1", 1000),
            ("cmd2", 1000),
        ]
        usage = await db.command_usage("cmd0")
        assert (usage.count, usage.errors) == (1000, 100)
        assert usage.last_used is not None and abs(usage.last_used - time.time()) < 60
        db.increment_usage("cmd2", 1)
        db.increment_usage("late", 1)
        assert await db.command_stats(limit=2) == [("cmd2", 1001), ("cmd0", 1000)]
    # close() flushed the pending increments
    async with Databases(data) as db:
        assert await db.command_stats(limit=5) == [
            ("cmd2", 1001),
            ("cmd0", 1000),
            ("cmd1", 1000),
            ("late", 1),
        ]
        assert await db.command_stats(limit=5, guild_id=1) == [
            ("cmd2", 201),
            ("cmd0", 200),
            ("cmd1", 200),
            ("late", 1),
        ]


async def test_usage_flushes_periodically(tmp_path: Path) -> None:
    async with Databases(tmp_path / "data", flush_interval=0.05) as db:
        db.increment_usage("ping", 1)
        for _ in range(100):
            if db.stats().usage_flushes:
                break
            await asyncio.sleep(0.02)
        assert db.stats().usage_flushes >= 1
        assert db.stats().pending_usage_entries == 0
        rows = raw_rows(db.data_dir / "main.db", "SELECT command, count FROM command_stats")
        assert rows == [("ping", 1)]


async def test_full_buffer_flushes_early(tmp_path: Path) -> None:
    async with Databases(tmp_path / "data", flush_interval=3600, usage_max_keys=10) as db:
        for i in range(12):
            db.increment_usage(f"c{i}", None)
        for _ in range(100):
            if db.stats().usage_flushes:
                break
            await asyncio.sleep(0.01)
        assert db.stats().usage_flushes == 1
        assert db.stats().pending_usage_entries < 10


async def test_top_commands_merge_pending_with_persisted(db: Databases) -> None:
    for _ in range(5):
        db.increment_usage("a", None)
    for _ in range(3):
        db.increment_usage("b", None)
    await db.flush_usage()
    for _ in range(10):
        db.increment_usage("c", None)
    db.increment_usage("b", None)
    assert await db.command_stats(limit=2) == [("c", 10), ("a", 5)]
    assert await db.command_stats(limit=3) == [("c", 10), ("a", 5), ("b", 4)]


# -- maintenance ---------------------------------------------------------------------------


async def test_cleanup_guild_closes_and_deletes(db: Databases) -> None:
    await db.set_prefix(1, "!")
    await db.set_prefix(2, "?")
    assert (db.data_dir / "1" / "guild.db").exists()
    open_before = db.stats().open_guild_connections
    await db.cleanup_guild(1)
    assert not (db.data_dir / "1").exists()
    assert db.stats().open_guild_connections == open_before - 1
    assert await db.get_prefix(1) is None  # cache dropped too
    assert await db.get_prefix(2) == "?"
    await db.cleanup_guild(99)  # unknown guild: no error


async def test_cleanup_waits_for_active_lease(db: Databases) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with db.guild_connection(1) as conn:
            await conn.execute("CREATE TABLE t (x)")
            entered.set()
            await release.wait()
            await conn.execute("INSERT INTO t VALUES (1)")  # still open

    task = asyncio.create_task(holder())
    await entered.wait()
    cleanup = asyncio.create_task(db.cleanup_guild(1))
    await asyncio.sleep(0.05)
    assert not cleanup.done()
    assert (db.data_dir / "1" / "guild.db").exists()
    release.set()
    await asyncio.wait_for(asyncio.gather(task, cleanup), 5)
    assert not (db.data_dir / "1").exists()


async def test_cleanup_orphans(db: Databases) -> None:
    for gid in (1, 2, 3):
        await db.set_prefix(gid, "!")
    (db.data_dir / "4").mkdir()  # leftover folder without a database
    removed = await db.cleanup_orphans({2})
    assert removed == [1, 3, 4]
    assert sorted(p.name for p in db.data_dir.iterdir() if p.name.isdigit()) == ["2"]
    assert (db.data_dir / "main.db").exists()
    assert await db.get_prefix(2) == "!"
    assert await db.cleanup_orphans({2}) == []


async def test_backup_during_writes_is_consistent_and_rotated(db: Databases) -> None:
    for gid in (1, 2):
        await db.set_prefix(gid, f"{gid}!")
    await db.set_global_stat("marker", "present")
    db.increment_usage("ping", 1)
    stop = threading.Event()

    def thread_writer() -> None:  # a second, independent writer on main.db
        conn = sqlite3.connect(db.data_dir / "main.db", timeout=5)
        conn.execute("CREATE TABLE IF NOT EXISTS noise (x BLOB)")
        while not stop.is_set():
            with conn:
                conn.execute("INSERT INTO noise VALUES (randomblob(2000))")
            time.sleep(0.001)
        conn.close()

    async def loop_writer() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            await db.set_guild_setting(1 + i % 2, "i", i)
            await db.set_global_stat("i", i)

    writer = threading.Thread(target=thread_writer)
    writer.start()
    task = asyncio.create_task(loop_writer())
    try:
        await asyncio.sleep(0.05)
        made = await db.backup()
        assert len(made) == 3
        for path in made:
            assert raw_rows(path, "PRAGMA integrity_check") == [("ok",)]
            assert raw_rows(path, "PRAGMA journal_mode") == [("delete",)]
            assert not path.with_name(path.name + "-wal").exists()
        main_copy = next(p for p in made if p.name.startswith("main_"))
        assert main_copy.parent == db.data_dir / "backups" / "db"
        assert ('"present"',) in raw_rows(main_copy, "SELECT value FROM global_stats")
        assert raw_rows(main_copy, "SELECT command, count FROM command_stats") == [("ping", 1)]
        assert raw_rows(main_copy, "SELECT count(*) FROM noise")[0][0] > 0  # type: ignore[operator]
        assert raw_rows(made[2], "SELECT prefix FROM guild_config") == [("2!",)]
        assert made[2].parent == db.data_dir / "2"
        for _ in range(6):
            await db.backup()
    finally:
        stop.set()
        await task
        await asyncio.to_thread(writer.join)

    # rotation: newest five per database
    assert len(list((db.data_dir / "backups" / "db").glob("main_*.db"))) == 5
    for folder in ("1", "2"):
        kept = sorted((db.data_dir / folder).glob("guild_backup_*.db"))
        assert len(kept) == 5
        assert made[0].name not in {p.name for p in kept}  # the oldest went first


async def test_backup_to_custom_directory(db: Databases, tmp_path: Path) -> None:
    await db.set_prefix(5, "!")
    out = tmp_path / "out"
    made = await db.backup(out)
    names = sorted(p.name for p in made)
    assert {p.parent for p in made} == {out}
    assert names[0].startswith("guild_5_") and names[1].startswith("main_")
    assert names[0].removeprefix("guild_5_") == names[1].removeprefix("main_")  # same stamp
    assert raw_rows(out / names[0], "SELECT prefix FROM guild_config") == [("!",)]
    for _ in range(5):
        await db.backup(out)
    assert len(list(out.iterdir())) == 12  # nothing pruned in a caller's directory
    assert not list((db.data_dir / "5").glob("guild_backup_*"))


async def test_integrity_check_reports_ok_and_detects_damage(db: Databases) -> None:
    for gid in (1, 2):
        async with db.guild_connection(gid) as conn:
            await conn.execute("CREATE TABLE big (x BLOB)")
            await conn.executemany("INSERT INTO big VALUES (randomblob(3000))", [()] * 50)
    assert await db.integrity_check() == {"main.db": "ok", "1/guild.db": "ok", "2/guild.db": "ok"}
    await db.cleanup_guild(2)  # make sure nothing holds the file, then recreate and damage
    async with db.guild_connection(2) as conn:
        await conn.execute("CREATE TABLE big (x BLOB)")
        await conn.executemany("INSERT INTO big VALUES (randomblob(3000))", [()] * 50)
    await db.close()
    path = db.data_dir / "2" / "guild.db"
    with path.open("r+b") as fh:
        fh.seek(4096 * 3)
        fh.write(b"\x00garbage" * 512)
    reopened = Databases(db.data_dir)
    await reopened.open()
    try:
        result = await reopened.integrity_check()
    finally:
        await reopened.close()
    assert result["main.db"] == "ok" and result["1/guild.db"] == "ok"
    assert result["2/guild.db"] != "ok"


# -- lifecycle and stats --------------------------------------------------------------------


def _zoryx_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("zoryx-")]


async def test_close_is_idempotent_and_stops_threads(tmp_path: Path) -> None:
    db = Databases(tmp_path / "data")
    await db.open()
    await db.set_prefix(1, "!")
    assert len(_zoryx_threads()) == 2  # one for main.db, one shared by all guild dbs
    await db.close()
    await db.close()
    db.increment_usage("ignored", None)  # no error, no effect
    with pytest.raises(RuntimeError):
        await db.set_prefix(1, "?")
    for _ in range(200):
        if not _zoryx_threads():
            break
        await asyncio.sleep(0.01)
    assert _zoryx_threads() == []


async def test_stats_report_disk_usage(db: Databases) -> None:
    await db.set_prefix(1, "!")
    assert db.stats().disk_bytes is None or db.stats().disk_bytes >= 0  # type: ignore[operator]
    size = await db.refresh_disk_usage()
    stats = db.stats()
    assert size > 0 and stats.disk_bytes == size
    assert stats.pool_cap == 4 and stats.open_guild_connections == 1
    assert stats.pool_misses == 1
