"""Benchmarks for the SQLite databases layer (zoryx.storage.databases).

Run: ``python benchmarks/bench_databases.py [--json results.json] [--quick]``

1. Command usage counting: buffered ``Databases.increment_usage`` (plus the one flush
   that persists it) versus one aiosqlite upsert + commit per command.
2. Threads and open files after touching 1, 200 and 5,000 guild databases with the
   bounded pool (cap 32), and the same for the "one aiosqlite connection per guild,
   never closed" model of the earlier framework (1 and 200 guilds only).
3. Prefix lookups per second served from the settings cache.
4. Guild query throughput, shared worker thread versus an aiosqlite connection per guild,
   at the same concurrency (the design choice in zoryx/storage/guild_pool.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiosqlite
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zoryx.storage.databases import Databases

UPSERT = (
    "INSERT INTO command_stats (command, count, errors, last_used) VALUES (?, 1, 0, ?)"
    " ON CONFLICT (command) DO UPDATE SET count = count + 1, last_used = excluded.last_used"
)


def resources() -> dict[str, int]:
    proc = psutil.Process()
    return {"threads": threading.active_count(), "open_files": len(proc.open_files())}


async def open_aiosqlite(path: Path) -> aiosqlite.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "busy_timeout = 5000"):
        await conn.execute(f"PRAGMA {pragma}")
    return conn


async def bench_usage(root: Path, commands: int) -> dict[str, Any]:
    names = [f"cmd{i % 40}" for i in range(commands)]
    async with Databases(root / "buffered", flush_interval=3600) as db:
        start = time.perf_counter()
        for i, name in enumerate(names):
            db.increment_usage(name, 1000 + i % 50)
        counted = time.perf_counter()
        await db.flush_usage()
        flushed = time.perf_counter()
        assert sum(n for _, n in await db.command_stats(limit=100)) == commands

    conn = await open_aiosqlite(root / "direct" / "main.db")
    await conn.execute(
        "CREATE TABLE command_stats (command TEXT PRIMARY KEY, count INTEGER,"
        " errors INTEGER, last_used REAL)"
    )
    start_direct = time.perf_counter()
    for name in names:
        await conn.execute(UPSERT, (name, time.time()))
        await conn.commit()
    direct = time.perf_counter() - start_direct
    await conn.close()

    increment_us = (counted - start) / commands * 1e6
    with_flush_us = (flushed - start) / commands * 1e6
    direct_us = direct / commands * 1e6
    return {
        "commands": commands,
        "buffered_increment_us_per_command": round(increment_us, 3),
        "buffered_including_flush_us_per_command": round(with_flush_us, 3),
        "flush_ms": round((flushed - counted) * 1e3, 2),
        "aiosqlite_upsert_commit_us_per_command": round(direct_us, 1),
        "speedup_including_flush": round(direct_us / with_flush_us, 1),
    }


async def bench_resources(root: Path, steps: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"baseline": resources(), "bounded_pool_cap_32": {}}
    async with Databases(root / "pool", pool_size=32) as db:
        touched = 0
        for target in steps:
            start, first = time.perf_counter(), touched
            while touched < target:
                touched += 1
                await db.set_guild_setting(touched, "seen", True)
            elapsed = time.perf_counter() - start
            stats = db.stats()
            out["bounded_pool_cap_32"][str(target)] = {
                **resources(),
                "open_guild_connections": stats.open_guild_connections,
                "evictions": stats.pool_evictions,
                "ms_per_new_guild_db": round(elapsed / (target - first) * 1e3, 2),
            }
    legacy: dict[str, Any] = {}
    conns: list[aiosqlite.Connection] = []
    for target in [s for s in steps if s <= 200]:
        while len(conns) < target:
            gid = len(conns) + 1
            conn = await open_aiosqlite(root / "legacy" / str(gid) / "guild.db")
            await conn.execute("CREATE TABLE IF NOT EXISTS settings (k TEXT PRIMARY KEY, v)")
            await conn.execute("INSERT OR REPLACE INTO settings VALUES ('seen', 1)")
            await conn.commit()
            conns.append(conn)
        legacy[str(target)] = resources()
    for conn in conns:
        await conn.close()
    out["aiosqlite_connection_per_guild_never_closed"] = legacy
    return out


async def bench_prefix(root: Path, lookups: int) -> dict[str, Any]:
    async with Databases(root / "prefix") as db:
        for gid in range(1, 1001):
            await db.set_prefix(gid, f"{gid % 7}!")
        queries = db.stats().queries_executed
        start = time.perf_counter()
        for i in range(lookups):
            await db.get_prefix(1 + i % 1000)
        elapsed = time.perf_counter() - start
        assert db.stats().queries_executed == queries
    return {
        "lookups": lookups,
        "lookups_per_second": round(lookups / elapsed),
        "us_per_lookup": round(elapsed / lookups * 1e6, 3),
        "sql_queries_during_lookups": 0,
    }


async def bench_design(root: Path, guilds: int, ops: int, concurrency: int) -> dict[str, Any]:
    async def drive(op: Any) -> float:
        queue = iter(range(ops))

        async def worker() -> None:
            for i in queue:
                await op(1 + i % guilds)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start

    async with Databases(root / "shared", pool_size=guilds) as db:
        for gid in range(1, guilds + 1):
            await db.set_command_roles(gid, "ban", [gid, gid + 1])

        async def shared(gid: int) -> None:
            await db.get_command_roles(gid, "ban")

        shared_s = await drive(shared)
        shared_threads = resources()["threads"]

    conns: dict[int, aiosqlite.Connection] = {}
    for gid in range(1, guilds + 1):
        conn = await open_aiosqlite(root / "aio" / str(gid) / "guild.db")
        await conn.execute("CREATE TABLE command_roles (command TEXT, role_id INTEGER)")
        await conn.executemany("INSERT INTO command_roles VALUES ('ban', ?)", [(gid,), (gid + 1,)])
        await conn.commit()
        conns[gid] = conn
    locks = {gid: asyncio.Lock() for gid in conns}

    async def per_connection(gid: int) -> None:
        async with locks[gid]:  # one user per connection, like the pool's lease
            cursor = await conns[gid].execute(
                "SELECT role_id FROM command_roles WHERE command = 'ban' ORDER BY role_id"
            )
            await cursor.fetchall()
            await cursor.close()

    aio_s = await drive(per_connection)
    aio_threads = resources()["threads"]
    for conn in conns.values():
        await conn.close()
    return {
        "guilds": guilds,
        "ops": ops,
        "concurrency": concurrency,
        "shared_worker_ops_per_second": round(ops / shared_s),
        "shared_worker_threads": shared_threads,
        "aiosqlite_per_guild_ops_per_second": round(ops / aio_s),
        "aiosqlite_per_guild_threads": aio_threads,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    steps = [1, 200, 500] if args.quick else [1, 200, 5000]
    results: dict[str, Any] = {
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "cpus": psutil.cpu_count(),
    }
    with tempfile.TemporaryDirectory(prefix="zoryx-bench-db-") as tmp:
        root = Path(tmp)
        results["usage_counting"] = await bench_usage(root, 10_000)
        print("usage counting:", json.dumps(results["usage_counting"], indent=2))
        results["resources"] = await bench_resources(root, steps)
        print("resources:", json.dumps(results["resources"], indent=2))
        results["prefix_cache"] = await bench_prefix(root, 50_000 if args.quick else 500_000)
        print("prefix cache:", json.dumps(results["prefix_cache"], indent=2))
        results["guild_query_design"] = await bench_design(root, 32, 20_000, 32)
        print("guild query design:", json.dumps(results["guild_query_design"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    asyncio.run(main())
