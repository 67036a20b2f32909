"""The aiosqlite-style ``bot.db`` objects over Zoryx's databases (no bot needed)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from zoryx.compat.config import ConfigAccess
from zoryx.compat.database import DatabaseCompat
from zoryx.config import default_config
from zoryx.storage.databases import Databases
from zoryx.testing import eventually

GUILD = 123456789012345678


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[DatabaseCompat]:
    async with Databases(tmp_path / "data", pool_size=2) as databases:
        yield DatabaseCompat(databases)


async def test_execute_await_and_async_with_and_rows_by_name(db: DatabaseCompat) -> None:
    conn = await db._get_guild_connection(GUILD)
    assert conn is await db._get_guild_connection(GUILD)
    await conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    cur = await conn.executemany("INSERT INTO t VALUES (?, ?)", [("a", 1), ("b", 2), ("c", 3)])
    assert cur.rowcount == 3
    async with conn.execute("SELECT k, v FROM t ORDER BY k") as cursor:
        first = await cursor.fetchone()
        rest = [row["k"] async for row in cursor]
    assert (first["k"], first["v"], first[1]) == ("a", 1, 1) and rest == ["b", "c"]
    rows = await conn.execute_fetchall("SELECT v FROM t WHERE v > ?", (1,))
    assert [r["v"] for r in rows] == [2, 3]
    await conn.commit()  # nothing open: a no-op, as in aiosqlite after autocommit


async def test_statement_without_commit_is_not_lost(db: DatabaseCompat, tmp_path: Path) -> None:
    conn = await db._get_guild_connection(GUILD)
    await conn.execute("CREATE TABLE t (v INTEGER)")
    await conn.execute("INSERT INTO t VALUES (7)")  # the author forgot commit()
    path = tmp_path / "data" / str(GUILD) / "guild.db"
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT v FROM t").fetchall() == [(7,)]


async def test_explicit_transaction_holds_the_guild_until_commit(db: DatabaseCompat) -> None:
    conn = await db._get_guild_connection(GUILD)
    await conn.execute("CREATE TABLE t (v INTEGER)")
    await conn.execute("BEGIN")
    await conn.execute("INSERT INTO t VALUES (1)")
    assert conn.in_transaction
    # Framework work on the same guild waits for the transaction instead of joining it.
    other = asyncio.create_task(db._db.set_guild_setting(GUILD, "k", "v"))
    await asyncio.sleep(0)
    for _ in range(20):
        await asyncio.sleep(0)
    assert not other.done()
    await conn.execute("INSERT INTO t VALUES (2)")
    await conn.commit()
    await other
    assert not conn.in_transaction
    rows = await conn.execute_fetchall("SELECT v FROM t ORDER BY v")
    assert [r["v"] for r in rows] == [1, 2]
    assert await db._db.get_guild_setting(GUILD, "k") == "v"


async def test_rollback_discards_and_a_failing_statement_keeps_the_transaction(
    db: DatabaseCompat,
) -> None:
    conn = await db._get_guild_connection(GUILD)
    await conn.execute("CREATE TABLE t (v INTEGER UNIQUE)")
    await conn.execute("BEGIN")
    await conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError):
        await conn.execute("INSERT INTO t VALUES (1)")
    assert conn.in_transaction
    await conn.rollback()
    assert not conn.in_transaction
    assert await conn.execute_fetchall("SELECT v FROM t") == []


async def test_a_forgotten_commit_is_committed_after_the_idle_limit(db: DatabaseCompat) -> None:
    conn = await db._get_guild_connection(GUILD)
    conn._backend.idle_commit = 0.05  # type: ignore[attr-defined]
    await conn.execute("CREATE TABLE t (v INTEGER)")
    await conn.execute("BEGIN")
    await conn.execute("INSERT INTO t VALUES (5)")
    # the guild is released (the framework can use it again) and the row is kept
    await asyncio.wait_for(db._db.set_guild_setting(GUILD, "x", 1), timeout=10)
    await eventually(lambda: not conn.in_transaction)
    assert [r["v"] for r in await conn.execute_fetchall("SELECT v FROM t")] == [5]


async def test_main_conn_is_its_own_connection(db: DatabaseCompat) -> None:
    await db.conn.execute("CREATE TABLE IF NOT EXISTS ext_main (v INTEGER)")
    await db.conn.execute("BEGIN")
    await db.conn.execute("INSERT INTO ext_main VALUES (1)")
    # The framework's own main.db writes wait for the extension's transaction instead of
    # joining it (the extension's connection runs on a thread of its own, so no deadlock).
    write = asyncio.create_task(db._db.set_global_stat("counter", 3))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not write.done()
    await db.conn.rollback()
    await write
    async with db.conn.execute("SELECT COUNT(*) AS n FROM ext_main") as cur:
        assert (await cur.fetchone())["n"] == 0
    assert await db._db.get_global_stat("counter") == 3


async def test_prefix_usage_cleanup_and_guild_backup(db: DatabaseCompat, tmp_path: Path) -> None:
    await db.set_guild_prefix(GUILD, "?")
    assert await db.get_guild_prefix(GUILD) == "?"
    other = GUILD + 1
    await db.set_guild_prefix(other, "$")
    for _ in range(3):
        await db.increment_command_usage("ban")
    await db.increment_command_usage("kick")
    assert await db.get_command_stats() == [("ban", 3), ("kick", 1)]
    made = await db.backup(GUILD)
    assert len(made) == 1 and str(GUILD) in str(made[0])
    assert len(await db.backup()) == 3  # main.db and both guilds
    await db.cleanup_guild(other)
    assert not (tmp_path / "data" / str(other)).exists()
    assert await db.get_guild_prefix(other) is None


async def test_config_get_plain_and_awaited() -> None:
    config = default_config()
    config.extra["reports_channel_id"] = 42
    access = ConfigAccess(lambda: config)
    assert access.get("prefix") == "!"
    assert await access.get("prefix") == "!"
    assert access.get("reports_channel_id") == 42
    assert await access.get("reports_channel_id") == 42
    assert access.get("missing") is None and await access.get("missing", 5) == 5
    assert access.get("logging.level") == "INFO"
    assert access["prefix"] == "!" and "prefix" in access and "nope" not in access
    with pytest.raises(KeyError):
        access["nope"]
