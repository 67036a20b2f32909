"""Cogs written the way popular discord.py templates write them load next to the built-ins.

``template_cogs/general.py`` (hybrid ``help``, ``ping``, ``botinfo``) and
``template_cogs/owner.py`` (owner-only ``sync``, ``load``, ``unload``, ``reload``) use
names Zoryx's built-ins use too; they are copied into ``extensions/`` unmodified.
"""

from __future__ import annotations

import logging
from typing import Any

from .conftest import LogRecords, say, slash, text, title, wait_registered

# The built-ins each template cog replaces (botinfo may be a built-in command or alias).
REPLACED = {
    "general": ["'help' (prefix and slash)", "'botinfo'"],
    "owner": ["'sync' (prefix)", "'load' (prefix and slash)", "'unload'", "'reload'"],
}


async def test_template_cogs_load_and_the_warnings_name_the_replaced_builtins(
    start: Any, logs: LogRecords
) -> None:
    rt = await start()
    infos = rt.bot.extension_manager.extensions
    assert {n: (i.state, i.error) for n, i in infos.items()} == {
        "general": ("loaded", None),
        "owner": ("loaded", None),
    }
    replaced = [m for m in logs.messages(logger="zoryx.commands") if "replaces" in m]
    for extension, fragments in REPLACED.items():
        mine = [m for m in replaced if m.startswith(f"extension {extension!r}")]
        for fragment in fragments:
            assert any(fragment in m for m in mine), (fragment, mine)
    assert all(m.startswith(("extension 'general'", "extension 'owner'")) for m in replaced)


async def test_template_commands_answer_as_prefix_and_slash_commands(start: Any) -> None:
    rt = await start()
    assert title(await say(rt, "alice", "!help")) == "Template help"
    assert title(await slash(rt, "alice", "help")) == "Template help"
    assert title(await say(rt, "alice", "!ping")) == "🏓 Pong!"
    assert title(await slash(rt, "alice", "ping")) == "🏓 Pong!"
    assert title(await say(rt, "alice", "!botinfo")) == "Template bot"
    assert title(await slash(rt, "alice", "botinfo")) == "Template bot"
    assert "Synced" in text(await say(rt, "owner", "!sync"))
    # Built-ins the templates do not shadow still answer.
    assert title(await say(rt, "alice", "!stats"))
    assert title(await say(rt, "alice", "!shardinfo"))
    # The built-in /sync stays: the template's sync is a prefix command only.
    assert rt.bot.tree.get_command("sync").module == "cogs.core.admin"


async def test_the_template_owner_commands_unload_and_load_cogs(start: Any) -> None:
    rt = await start()
    assert "Unloaded `general`" in text(await say(rt, "owner", "!unload general"))
    builtin_help = title(await say(rt, "alice", "!help"))
    assert builtin_help and builtin_help != "Template help"
    assert "Loaded `general`" in text(await say(rt, "owner", "!load general"))
    assert title(await say(rt, "alice", "!help")) == "Template help"
    assert "Reloaded `general`" in text(await say(rt, "owner", "!reload general"))
    assert title(await say(rt, "alice", "!help")) == "Template help"


async def test_unloading_the_extension_brings_the_builtins_back(
    start: Any, logs: LogRecords
) -> None:
    rt = await start()
    bot = rt.bot
    await bot.extension_manager.unload("general")
    back = [m for m in logs.messages(logging.INFO, "zoryx.commands") if "is back" in m]
    assert any("'help'" in m for m in back) and all("'general'" in m for m in back)
    help_title = title(await say(rt, "alice", "!help"))
    assert help_title and help_title != "Template help"
    botinfo = title(await say(rt, "alice", "!botinfo"))
    assert botinfo and botinfo != "Template bot"
    assert bot.get_command("botinfo").module.startswith("cogs.")
    # /ping leaves Discord and /help is the built-in again, without a manual sync.
    await wait_registered(rt, "ping", present=False)
    assert bot.tree.get_command("help").module == "cogs.core.info"
    assert title(await slash(rt, "alice", "help")) == help_title

    await bot.extension_manager.unload("owner")
    for name in ("sync", "load", "unload", "reload"):
        assert bot.get_command(name).module == "cogs.core.admin"
        assert bot.tree.get_command(name).module == "cogs.core.admin"


PLAIN = """
from discord.ext import commands


class Plain(commands.Cog):
    @commands.command()
    async def plain(self, ctx):
        await ctx.send("plain")


async def setup(bot):
    await bot.add_cog(Plain(bot))
"""


async def test_extensions_without_zoryx_metadata_load_with_no_warning(
    start: Any, logs: LogRecords
) -> None:
    rt = await start(extensions={"plain": PLAIN})
    registry = rt.bot.services.extra["plugins"]
    for name in ("general", "owner", "plain"):
        assert rt.bot.extension_manager.extensions[name].state == "loaded"
        _, issues = registry.status(name)
        assert issues == [], (name, issues)
    warnings = [m for m in logs.messages() if any(n in m for n in ("general", "owner", "plain"))]
    assert all("replaces" in m for m in warnings), warnings
    assert text(await say(rt, "alice", "!plain")) == "plain"
