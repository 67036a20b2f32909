"""The public extension API (``zoryx.__all__``), used the way docs/extensions.md shows."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

import zoryx
from zoryx.runtime import Runtime
from zoryx.testing import eventually

from .helpers import running_bot, say

LOOP = pytest.mark.asyncio(loop_scope="module")

PUBLIC = """
from discord.ext import commands

from zoryx import AtomicReadError, HookService, ZoryxBot

__version__ = "3.0.0"
__author__ = "Grace"
__description__ = "uses only zoryx's public names"

EVENTS = []


class Public(commands.Cog):
    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot
        self.path = bot.data_dir / "public_counter.json"
        bot.register_hook("score_changed", self.on_score, priority=3)

    async def on_score(self, bot: ZoryxBot, user_id: int, score: int, **kwargs) -> None:
        EVENTS.append((bot is self.bot, user_id, score))

    @commands.hybrid_command()
    async def bump(self, ctx: commands.Context[ZoryxBot]) -> None:
        data = await self.bot.store.read_json(self.path, default={"n": 0})
        data["n"] += 1
        await self.bot.store.write_json(self.path, data)
        await self.bot.emit_hook("score_changed", user_id=ctx.author.id, score=data["n"])
        await ctx.send(f"n={data['n']}")

    @commands.hybrid_command()
    async def memo(self, ctx: commands.Context[ZoryxBot], key: str, value: str) -> None:
        async with self.bot.databases.guild_connection(ctx.guild.id) as db:
            await db.execute("CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, value TEXT)")
            await db.execute("INSERT OR REPLACE INTO memo VALUES (?, ?)", (key, value))
            row = await db.fetchone("SELECT count(*) AS n FROM memo")
        await self.bot.databases.set_guild_setting(ctx.guild.id, "last_memo", key)
        await ctx.send(f"memos={row['n']}")

    @commands.command()
    async def whoami(self, ctx: commands.Context[ZoryxBot]) -> None:
        record = self.bot.plugin("public")
        hooks: HookService | None = self.bot.hooks
        listening = [h.hook_id for h in hooks.hooks()] if hooks else []
        await ctx.send(f"{record.version} by {record.author}; "
                       f"prefix {self.bot.settings.prefix}; greeting "
                       f"{self.bot.config.get('greeting')}; "
                       f"hooked {'score_changed:Public.on_score' in listening}")

    @commands.command()
    async def readbad(self, ctx: commands.Context[ZoryxBot]) -> None:
        bad = self.bot.data_dir / "damaged.json"
        bad.write_text("{not json")
        try:
            await self.bot.store.read_json(bad)
        except AtomicReadError:
            await ctx.send("damaged file detected")


async def setup(bot: ZoryxBot) -> None:
    await bot.add_cog(Public(bot))
"""


def test_every_public_name_resolves_and_is_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "extensions.md").read_text()
    for name in zoryx.__all__:
        assert getattr(zoryx, name) is not None
    for name in (
        "ZoryxBot",
        "AtomicStore",
        "Databases",
        "HookService",
        "ExtensionRefused",
        "AtomicReadError",
        "PluginRecord",
        "Config",
    ):
        assert name in zoryx.__all__ and f"`{name}`" in docs
    with pytest.raises(AttributeError):
        zoryx.not_a_public_name  # noqa: B018


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def rt(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    root = tmp_path_factory.mktemp("publicbot")
    async with running_bot(root, {"public": PUBLIC}, {"greeting": "ahoy"}) as runtime:
        yield runtime


def events() -> list[Any]:
    return sys.modules["extensions.public"].EVENTS  # type: ignore[no-any-return]


@LOOP
async def test_store_and_custom_hook(rt: Runtime) -> None:
    assert await say(rt, "!bump") == "n=1"
    assert await say(rt, "!bump") == "n=2"
    saved = json.loads((rt.services.data_dir / "public_counter.json").read_text())
    assert saved == {"n": 2}
    alice = rt.sandbox.user("alice").id  # type: ignore[union-attr]
    await eventually(lambda: events() == [(True, alice, 1), (True, alice, 2)])


@LOOP
async def test_guild_database_and_settings(rt: Runtime) -> None:
    assert await say(rt, "!memo a 1") == "memos=1"
    assert await say(rt, "!memo b 2") == "memos=2"
    assert rt.sandbox is not None
    channel = rt.bot.get_channel(rt.sandbox.channel_id("#general"))
    guild_id = channel.guild.id  # type: ignore[union-attr]
    assert await rt.bot.databases.get_guild_setting(guild_id, "last_memo") == "b"
    async with rt.bot.databases.guild_connection(guild_id) as db:
        rows = await db.fetchall("SELECT key, value FROM memo ORDER BY key")
    assert [(r["key"], r["value"]) for r in rows] == [("a", "1"), ("b", "2")]


@LOOP
async def test_metadata_settings_config_and_hooks_seen_from_the_extension(rt: Runtime) -> None:
    assert await say(rt, "!whoami") == ("3.0.0 by Grace; prefix !; greeting ahoy; hooked True")


@LOOP
async def test_damaged_json_is_reported_not_read_as_empty(rt: Runtime) -> None:
    assert await say(rt, "!readbad") == "damaged file detected"
