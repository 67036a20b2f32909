"""The earlier framework's documented extension API, end to end through the sandbox.

Extensions in :mod:`.ref_extensions` use only that API; members drive them as users.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from zoryx.runtime import Runtime
from zoryx.testing import eventually

from . import ref_extensions as ref
from .helpers import reply, running_bot, say

LOOP = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def rt(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    extensions = {
        "hooked": ref.HOOKED,
        "declared": ref.PLUGIN,
        "needy": ref.NEEDY,
        "fileext": ref.FILES,
        "dbext": ref.DATABASE,
    }
    root = tmp_path_factory.mktemp("refbot")
    async with running_bot(root, extensions, {"reports_channel_id": 4242}) as runtime:
        yield runtime


def seen() -> list[tuple[Any, ...]]:
    return sys.modules["extensions.hooked"].SEEN  # type: ignore[no-any-return]


@LOOP
async def test_hooks_get_bot_first_and_the_documented_kwargs(rt: Runtime) -> None:
    await eventually(lambda: ("bot_ready", True) in seen())
    # hooked.py hears its own extension_loaded event, with bot first
    await eventually(lambda: ("extension_loaded", True, "hooked") in seen())
    assert await say(rt, "!shout") == "shouted"
    await eventually(lambda: ("custom_event", "loud") in seen())
    guild = rt.bot.get_channel(rt.sandbox.channel_id("#general")).guild  # type: ignore
    await eventually(lambda: ("command_executed", True, "shout", "alice", guild.name) in seen())
    await rt.sandbox.user("alice").say("#general", "!boom")  # type: ignore[union-attr]
    await eventually(lambda: ("command_error", "boom", "CommandInvokeError", "alice") in seen())
    hooks = rt.services.extra["hooks"]
    assert not [h for h in hooks.hooks() if h.failures], "a hook failed: signature mismatch?"


@LOOP
async def test_guild_joined_hook_gets_the_guild(rt: Runtime) -> None:
    guild = rt.bot.guilds[0]
    await rt.bot.on_guild_join(guild)  # what discord.py calls on GUILD_CREATE for a new guild
    await eventually(lambda: ("guild_joined", guild.name) in seen())


@LOOP
async def test_register_plugin_metadata_reaches_the_registry(rt: Runtime) -> None:
    record = rt.bot.plugin("declared")
    assert record is not None and record.state == "loaded"
    assert (record.version, record.author, record.description) == (
        "2.1.0",
        "Ada",
        "registered at load time",
    )
    assert record.conflicts == ["old_declared"]
    info = await reply(rt, "!pr_info declared", "owner")
    assert "2.1.0" in json.dumps(info.embeds) and "Ada" in json.dumps(info.embeds)
    saved = json.loads((rt.services.data_dir / "plugin_registry.json").read_text())
    assert "2.1.0" in json.dumps(saved)


@LOOP
async def test_register_plugin_with_unmet_dependency_refuses_the_load(rt: Runtime) -> None:
    info = rt.bot.extension_manager.get("needy")
    assert info is not None and info.state == "failed"
    assert "not_installed" in (info.error or "")
    assert "extensions.needy" not in rt.bot.extensions


@LOOP
async def test_global_file_handler_writes_into_the_bot_data_dir(rt: Runtime) -> None:
    assert await say(rt, "!saveconfig colour teal") == "saved colour"
    assert await say(rt, "!getconfig colour") == "colour = teal"
    path = rt.services.bot_dir / "data" / "my_extension_data.json"
    data = json.loads(path.read_text())
    assert data["colour"]["value"] == "teal"
    stats = await say(rt, "!cachestats2")
    assert stats.startswith("size ") and "/1000 " in stats and "failures 0" in stats


@LOOP
async def test_guild_connection_stores_rows_read_by_column_name(rt: Runtime) -> None:
    assert await say(rt, "!savedata colour blue") == "Saved: colour = blue"
    reply = await say(rt, "!getdata colour")
    alice = rt.sandbox.user("alice").id  # type: ignore[union-attr]
    assert reply == f"colour = blue (saved by <@{alice}>)"
    assert await say(rt, "!getdata nothing") == "No data found for key: nothing"
    guild_id = rt.bot.get_channel(rt.sandbox.channel_id("#general")).guild.id  # type: ignore
    db_file = rt.services.data_dir / str(guild_id) / "guild.db"
    with sqlite3.connect(db_file) as check:  # committed: visible to another connection
        assert check.execute("SELECT value FROM custom_data WHERE key='colour'").fetchone() == (
            "blue",
        )


@LOOP
async def test_main_conn_usage_stats_config_and_backup(rt: Runtime) -> None:
    assert (await say(rt, "!mainstat")).startswith("global_stats rows: ")
    await rt.services.db.flush_usage()
    stats = await rt.bot.db.get_command_stats()
    assert dict(stats)["savedata_custom"] == 1
    reply = await say(rt, "!channelcfg")
    assert reply.startswith("reports 4242 prefix ! processed>0 True errors ")
    assert await say(rt, "!dbbackup") == "backups: 1"


@LOOP
async def test_guild_prefix_calls(rt: Runtime) -> None:
    assert await say(rt, "!dbprefix ?") == "prefix now ?"
    assert await say(rt, "?dbprefix !") == "prefix now !"
