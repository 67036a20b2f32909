"""Clashes between user extensions are refused with every name listed; bare commands and
cogs named like built-in cogs replace the built-ins too."""

from __future__ import annotations

from typing import Any

from .conftest import LogRecords, say, slash, text, title

ALPHA = """
from discord import app_commands
from discord.ext import commands


class Alpha(commands.Cog):
    @commands.hybrid_command(aliases=["p"], description="Alpha's ping")
    async def ping(self, ctx):
        await ctx.send("alpha pong")

    @app_commands.command(description="Alpha's roll")
    async def roll(self, interaction):
        await interaction.response.send_message("alpha roll")


async def setup(bot):
    await bot.add_cog(Alpha(bot))
"""

BETA = """
from discord import app_commands
from discord.ext import commands


class Beta(commands.Cog):
    @commands.hybrid_command(description="Beta's ping")
    async def ping(self, ctx):
        await ctx.send("beta pong")

    @commands.command(aliases=["p"])
    async def pong(self, ctx):
        await ctx.send("beta pong")

    @app_commands.command(description="Beta's roll")
    async def roll(self, interaction):
        await interaction.response.send_message("beta roll")

    @commands.hybrid_command(description="Beta's own")
    async def beta(self, ctx):
        await ctx.send("beta")


async def setup(bot):
    await bot.add_cog(Beta(bot))
"""

BARE = """
from discord.ext import commands


@commands.command()
async def stats(ctx):
    await ctx.send("my own stats")


async def setup(bot):
    bot.add_command(stats)
"""

NAMED_LIKE_A_BUILTIN_COG = '''
from discord.ext import commands


class Info(commands.Cog):
    """A user cog called Info, like Zoryx's own."""

    @commands.command()
    async def about(self, ctx):
        await ctx.send("about this bot")


async def setup(bot):
    await bot.add_cog(Info(bot))
'''


async def test_a_clash_between_user_extensions_lists_every_name(start: Any) -> None:
    rt = await start(templates=(), extensions={"alpha": ALPHA, "beta": BETA})
    infos = rt.bot.extension_manager.extensions
    assert infos["alpha"].state == "loaded"
    beta = infos["beta"]
    assert beta.state == "failed"
    assert beta.error is not None
    for name in ("'ping' (command", "'p' (alias of 'ping'", "'/ping'", "'/roll'"):
        assert name in beta.error, beta.error
    assert "extension 'alpha'" in beta.error and "4 name(s)" in beta.error
    # Nothing of beta stayed, alpha is untouched.
    assert rt.bot.get_command("beta") is None and rt.bot.get_command("pong") is None
    assert text(await say(rt, "alice", "!p")) == "alpha pong"
    assert text(await slash(rt, "alice", "roll")) == "alpha roll"


async def test_a_bare_command_replaces_a_builtin_until_unloaded(
    start: Any, logs: LogRecords
) -> None:
    rt = await start(templates=(), extensions={"mystats": BARE})
    assert rt.bot.extension_manager.extensions["mystats"].state == "loaded"
    assert text(await say(rt, "alice", "!stats")) == "my own stats"
    # Only the prefix form was taken: /stats is still the built-in.
    assert title(await slash(rt, "alice", "stats"))
    assert any(
        "extension 'mystats' replaces the built-in command 'stats' (prefix)" in m
        for m in logs.messages()
    )
    await rt.bot.extension_manager.unload("mystats")
    assert title(await say(rt, "alice", "!stats"))  # the built-in embed again


async def test_a_cog_named_like_a_builtin_cog_loads(start: Any, logs: LogRecords) -> None:
    rt = await start(templates=(), extensions={"info": NAMED_LIKE_A_BUILTIN_COG})
    bot = rt.bot
    assert bot.extension_manager.extensions["info"].state == "loaded"
    assert type(bot.get_cog("Info")).__module__ == "extensions.info"
    assert type(bot.get_cog("Zoryx Info")).__module__ == "cogs.core.info"
    assert any("now called 'Zoryx Info'" in m for m in logs.messages())
    assert text(await say(rt, "alice", "!about")) == "about this bot"
    assert title(await say(rt, "alice", "!stats"))  # the built-in cog works on
    await bot.extension_manager.unload("info")
    assert type(bot.get_cog("Info")).__module__ == "cogs.core.info"
