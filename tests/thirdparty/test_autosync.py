"""Slash commands of hot (re)loaded extensions work without a manual sync; one sync per
burst of changes, none when the tree did not change, errors logged."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

from zoryx.autosync import AutoSync
from zoryx.testing import eventually

from .conftest import TEMPLATE_COGS, LogRecords, slash, text, title, wait_registered


def slash_extension(name: str) -> str:
    return f'''
from discord import app_commands
from discord.ext import commands


class Ext_{name}(commands.Cog):
    @app_commands.command(description="Answers {name}")
    async def {name}(self, interaction):
        await interaction.response.send_message("{name} here")


async def setup(bot):
    await bot.add_cog(Ext_{name}(bot))
'''


async def test_a_hot_loaded_templates_slash_commands_answer_without_sync(start: Any) -> None:
    rt = await start(templates=(), config={"auto_reload": True})
    ext_dir = rt.bot_dir / "extensions"
    await asyncio.to_thread(shutil.copyfile, TEMPLATE_COGS / "general.py", ext_dir / "general.py")
    await wait_registered(rt, "ping")
    assert title(await slash(rt, "alice", "ping")) == "🏓 Pong!"
    assert title(await slash(rt, "alice", "help")) == "Template help"


async def test_a_burst_of_loads_makes_one_sync_and_an_unchanged_tree_none(start: Any) -> None:
    names = ["one", "two", "three", "four"]
    rt = await start(
        templates=(),
        extensions={n: slash_extension(n) for n in names},
        config={"extensions": {"auto_load": False}},
    )
    bot, autosync = rt.bot, rt.bot.autosync
    manager = bot.extension_manager
    infos = await asyncio.gather(*(manager.load(n) for n in names))
    assert [i.state for i in infos] == ["loaded"] * 4
    for name in names:
        await wait_registered(rt, name)
    assert text(await slash(rt, "alice", "three")) == "three here"
    await eventually(lambda: not autosync.pending, timeout=10)
    assert autosync.syncs == 1

    await manager.reload("two")  # same code: same tree, no sync
    await eventually(lambda: not autosync.pending, timeout=10)
    assert autosync.syncs == 1

    await manager.unload("four")
    await wait_registered(rt, "four", present=False)
    assert autosync.syncs == 2


async def test_a_failed_sync_is_logged_and_the_next_change_syncs(
    start: Any, logs: LogRecords
) -> None:
    rt = await start(
        templates=(),
        extensions={"one": slash_extension("one"), "two": slash_extension("two")},
        config={"extensions": {"auto_load": False}},
    )
    autosync, manager = rt.bot.autosync, rt.bot.extension_manager
    await rt.sandbox.fail_requests(400, 1, "/commands")  # type: ignore[union-attr]
    assert (await manager.load("one")).state == "loaded"  # the load itself is fine
    await eventually(lambda: autosync.last_error is not None, timeout=10)
    assert any("automatic slash command sync failed" in m for m in logs.messages())
    assert autosync.syncs == 0
    await manager.load("two")
    await wait_registered(rt, "two")
    await wait_registered(rt, "one")
    assert autosync.last_error is None and autosync.syncs == 1


class _Bot:
    def __init__(self, ready: bool) -> None:
        self.ready = ready

    def is_ready(self) -> bool:
        return self.ready

    def is_closed(self) -> bool:
        return False


async def test_nothing_is_scheduled_before_ready_or_when_turned_off() -> None:
    not_ready = AutoSync(_Bot(ready=False), debounce=0.01)  # type: ignore[arg-type]
    not_ready.touch()
    assert not not_ready.pending
    off = AutoSync(_Bot(ready=True), enabled=False, debounce=0.01)  # type: ignore[arg-type]
    off.touch()
    assert not off.pending
    on = AutoSync(_Bot(ready=True), debounce=60)  # type: ignore[arg-type]
    on.touch()
    assert on.pending
    on.stop()
    assert not on.pending
