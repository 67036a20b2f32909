"""Owner-only storage diagnostics: cachestats, dbstats, atomicstats, atomictest, integritycheck."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from .conftest import run, title

LOOP = pytest.mark.asyncio(loop_scope="module")
COMMANDS = ("cachestats", "dbstats", "atomicstats", "atomictest", "integritycheck")


def field(msg: Any, name: str) -> str:
    for f in msg.embeds[0].get("fields", []):
        if f["name"] == name:
            return str(f["value"])
    raise AssertionError(f"no field {name!r}")


@LOOP
async def test_storage_commands_are_owner_only(runtime: Any) -> None:
    sb = runtime.sandbox
    for name in COMMANDS:
        msg = await run(runtime, "carol", f"!{name}")
        assert title(msg) == "❌ Owner only", name
    res = await (await sb.user("dave").slash("atomicstats")).response()
    assert res.ephemeral and "Owner only" in res.text()


@LOOP
async def test_cachestats(runtime: Any) -> None:
    msg = await run(runtime, "owner", "!cachestats")
    assert title(msg) == "🗃️ Cache statistics"
    assert "entries" in field(msg, "File cache (atomic store)")
    assert "/32 open" in field(msg, "Database pool")
    res = await (await runtime.sandbox.user("owner").slash("cachestats")).response()
    assert "Hit rate" in field(res.message, "Prefix & settings cache")


@LOOP
async def test_dbstats(runtime: Any) -> None:
    await run(runtime, "owner", "!stats")
    msg = await run(runtime, "owner", "!dbstats")
    assert title(msg) == "🗄️ Database statistics"
    assert field(msg, "Size on disk").endswith("KiB")
    assert "`stats` × 1" in field(msg, "Most used commands")
    res = await (await runtime.sandbox.user("owner").slash("dbstats")).response()
    assert "main.db" in field(res.message, "Connections")


@LOOP
async def test_atomicstats(runtime: Any) -> None:
    msg = await run(runtime, "owner", "!atomicstats")
    assert title(msg) == "💾 Atomic file store"
    assert "healthy" in msg.embeds[0]["description"]
    writes = int(field(msg, "Writes"))
    assert writes >= 1  # the slash-command fingerprint written at start-up
    res = await (await runtime.sandbox.user("owner").slash("atomicstats")).response()
    assert "0 read · 0 write" in field(res.message, "Failures")


@LOOP
async def test_atomictest_shows_every_step_passed(runtime: Any) -> None:
    before = runtime.services.store.metrics()
    msg = await run(runtime, "owner", "!atomictest", timeout=15)
    assert title(msg) == "✅ Atomic self-test: all 6 checks passed"
    lines = msg.embeds[0]["description"].splitlines()
    steps = ["write", "read", "cached_read", "concurrent_writes", "integrity", "invalidation"]
    assert [line.split("**")[1] for line in lines] == steps
    assert all(line.startswith("✅") and " ms — " in line for line in lines)
    tmp = runtime.services.data_dir / "tmp"
    assert list(tmp.iterdir()) == []  # the test folder is removed afterwards
    assert runtime.services.store.metrics().writes == before.writes  # separate store
    res = await (await runtime.sandbox.user("owner").slash("atomictest")).response(timeout=15)
    assert title(res.message) == "✅ Atomic self-test: all 6 checks passed"


@LOOP
async def test_integritycheck_reports_problems_then_passes(runtime: Any) -> None:
    data: Path = runtime.services.data_dir
    bad = data / "777"
    bad.mkdir()
    (bad / "guild.db").write_bytes(b"this is not a database" * 100)
    try:
        msg = await run(runtime, "owner", "!integritycheck", timeout=15)
        assert title(msg) == "⚠️ Integrity check: problems found"
        dbs = field(msg, "Databases")
        assert "❌ 777/guild.db" in dbs
        assert "broken on purpose" in field(msg, "Extensions")  # broken.py failed at start
        assert "healthy" in field(msg, "File store")
    finally:
        shutil.rmtree(bad)
    (Path(runtime.bot_dir) / "extensions" / "broken.py").unlink()
    await runtime.bot.extension_manager.discover()
    res = await (await runtime.sandbox.user("owner").slash("integritycheck")).response(timeout=15)
    assert title(res.message) == "✅ Integrity check passed"
    assert "database(s) ok" in field(res.message, "Databases")
    assert "1 connected" in field(res.message, "Shards")
