"""The runtime end to end on the sandbox: start-up, extensions, hot reload, shutdown."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from zoryx.config import ConfigError
from zoryx.runtime import Runtime
from zoryx.testing import eventually


async def test_missing_token_runs_on_the_sandbox_and_answers(runtime: Runtime) -> None:
    assert runtime.ready is not None and runtime.ready.sandbox
    assert "SANDBOX" in runtime.ready.line()
    sb = runtime.sandbox
    await sb.user("alice").say("#general", "!ping")
    assert (await sb.expect_message("#general")).content == "pong v1"
    log_file = runtime.bot_dir / "botlogs" / "current_run.log"
    # Log records reach the file through a queue listener thread: wait for the line.
    await eventually(lambda: "Zoryx ready" in log_file.read_text(), timeout=10)
    assert "SANDBOX" in log_file.read_text()


async def test_shutdown_flushes_usage_and_backs_up(bot_dir: Path) -> None:
    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="empty")
    await rt.start()
    for _ in range(3):
        await rt.sandbox.user("alice").say("#general", "!ping")
        await rt.sandbox.expect_message("#general")
    await rt.shutdown("test")
    with sqlite3.connect(bot_dir / "data" / "main.db") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert tables
        rows = conn.execute("SELECT * FROM command_stats").fetchall()
    assert any("ping" in map(str, row) and 3 in row for row in rows), rows
    backups = list((bot_dir / "data").rglob("main_*.db"))
    assert backups, "a backup of main.db is written at shutdown"
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_corrupt_config_stops_start_up_and_is_not_overwritten(bot_dir: Path) -> None:
    bad = '{"prefix": "!",\n  "owner_ids": [1,,2]}'
    (bot_dir / "config.json").write_text(bad)
    rt = Runtime(bot_dir, console_logging=False, environ={})
    with pytest.raises(ConfigError, match=r"config.json.*line 2"):
        await rt.start()
    assert (bot_dir / "config.json").read_text() == bad


async def test_invalid_config_value_names_the_key(bot_dir: Path) -> None:
    (bot_dir / "config.json").write_text(json.dumps({"slash_limiter": {"safe_limit": "x"}}))
    with pytest.raises(ConfigError, match=r"slash_limiter\.safe_limit"):
        await Runtime(bot_dir, console_logging=False, environ={}).start()


async def test_broken_extension_is_reported_and_others_load(bot_dir: Path) -> None:
    (bot_dir / "extensions" / "broken.py").write_text("def setup(bot)\n    pass\n")
    (bot_dir / "extensions" / "no_setup.py").write_text("X = 1\n")
    (bot_dir / "extensions" / "my tools.py").write_text(
        "from discord.ext import commands\n\n"
        "@commands.command()\nasync def tool(ctx):\n    await ctx.send('tool ok')\n\n"
        "async def setup(bot):\n    bot.add_command(tool)\n"
    )
    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="empty")
    await rt.start()
    try:
        exts = rt.bot.extension_manager.extensions
        assert exts["broken"].state == "failed" and "SyntaxError" in exts["broken"].error
        assert exts["no_setup"].state == "failed" and "setup" in exts["no_setup"].error
        assert exts["ping"].state == "loaded" and exts["ping"].load_ms is not None
        assert exts["my_tools"].state == "loaded", "spaces become underscores"
        await rt.sandbox.user("alice").say("#general", "!tool")
        assert (await rt.sandbox.expect_message("#general")).content == "tool ok"
        log = (bot_dir / "botlogs" / "current_run.log").read_text()
        assert "broken failed to load" in log
    finally:
        await rt.shutdown()


async def test_blacklisted_extension_is_not_loaded(bot_dir: Path) -> None:
    (bot_dir / "config.json").write_text(json.dumps({"extensions": {"blacklist": ["ping"]}}))
    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="empty")
    await rt.start()
    try:
        assert rt.bot.extension_manager.extensions["ping"].state == "blacklisted"
        assert rt.bot.get_command("ping") is None
    finally:
        await rt.shutdown()


async def test_hot_reload_on_save_and_broken_edit_keeps_old_version(runtime: Runtime) -> None:
    sb = runtime.sandbox
    manager = runtime.bot.extension_manager
    path = runtime.bot_dir / "extensions" / "ping.py"
    path.write_text(path.read_text().replace("pong v1", "pong v2"))
    await _wait(lambda: manager.extensions["ping"].reloads >= 1)
    await sb.user("alice").say("#general", "!ping")
    assert (await sb.expect_message("#general")).content == "pong v2"

    path.write_text(path.read_text().replace("async def ping(ctx):", "async def ping(ctx)"))
    await _wait(lambda: (manager.extensions["ping"].error or "").startswith("reload failed"))
    assert "SyntaxError" in (manager.extensions["ping"].error or "")
    await sb.user("alice").say("#general", "!ping")
    assert (await sb.expect_message("#general")).content == "pong v2", "old version kept"

    new = runtime.bot_dir / "extensions" / "fresh.py"
    new.write_text(
        "from discord.ext import commands\n\n@commands.command()\n"
        "async def fresh(ctx):\n    await ctx.send('fresh!')\n\n"
        "async def setup(bot):\n    bot.add_command(fresh)\n"
    )
    await _wait(
        lambda: (
            manager.extensions.get("fresh") is not None
            and manager.extensions["fresh"].state == "loaded"
        )
    )
    await sb.user("alice").say("#general", "!fresh")
    assert (await sb.expect_message("#general")).content == "fresh!"


async def test_unknown_command_is_silent_and_bad_argument_explained(runtime: Runtime) -> None:
    sb = runtime.sandbox
    await sb.user("alice").say("#general", "!definitely_not_a_command")
    await sb.expect_no_message("#general", within=0.5)
    from discord.ext import commands

    @commands.command()
    async def double(ctx: commands.Context, n: int) -> None:
        await ctx.send(str(n * 2))

    runtime.bot.add_command(double)
    await sb.user("alice").say("#general", "!double abc")
    reply = await sb.expect_message("#general")
    assert "Bad argument" in reply.text() and "!double <n>" in reply.text()
    await sb.user("alice").say("#general", "!double")
    assert "Missing argument" in (await sb.expect_message("#general")).text()


async def test_slash_commands_sync_only_when_the_tree_changes(runtime: Runtime) -> None:
    bot = runtime.bot
    assert await bot.sync_commands() == -1, "unchanged tree: no sync"
    from discord import app_commands

    @app_commands.command(description="New one")
    async def brandnew(interaction) -> None:  # type: ignore[no-untyped-def]
        await interaction.response.send_message("hi")

    bot.tree.add_command(brandnew)
    assert await bot.sync_commands() >= 1
    assert any(c["name"] == "brandnew" for c in runtime.sandbox.app_info.commands.values())
    assert await bot.sync_commands() == -1


async def _wait(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    await eventually(predicate, timeout)


async def test_a_broken_framework_cog_is_reported_and_the_bot_still_runs(
    bot_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zoryx.bot

    monkeypatch.setattr(
        zoryx.bot, "FRAMEWORK_COGS", {"enable_event_hooks": "runtime.broken_feature"}
    )
    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="empty")
    await rt.start()
    try:
        assert "broken on purpose" in rt.bot.framework_failures["runtime.broken_feature"]
        await rt.sandbox.user("alice").say("#general", "!ping")
        assert (await rt.sandbox.expect_message("#general")).content == "pong v1"
    finally:
        await rt.shutdown()


async def test_shard_connects_and_drops_are_recorded(runtime: Runtime) -> None:
    events = runtime.services.extra["shard_events"]
    assert events.last_connect(0) is not None and events.last_disconnect(0) is None
    await runtime.sandbox.drop_connections()
    await _wait(lambda: events.last_disconnect(0) is not None)
    await _wait(lambda: any(kind == "resume" for _, _, kind in events.log))
    assert events.last_connect(0) >= events.last_disconnect(0)


async def test_usage_is_counted_once_for_prefix_and_slash_invocations(runtime: Runtime) -> None:
    sb = runtime.sandbox
    for _ in range(2):
        await sb.user("alice").say("#general", "!ping")
        await sb.expect_message("#general")
    await sb.user("alice").say("#general", "!ping nonsense-arg-is-ignored")
    await sb.expect_message("#general")
    result = await (await sb.user("alice").slash("stats")).response()
    assert result.message is not None
    await sb.user("alice").say("#general", "!definitely_unknown")
    await asyncio.sleep(0.3)
    stats = dict(await runtime.services.db.command_stats(limit=50))
    assert stats.get("ping") == 3 and stats.get("stats") == 1, stats
    top = dict(runtime.services.metrics.top(10))
    assert top.get("ping") == 3 and top.get("stats") == 1, top
