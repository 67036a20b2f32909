"""General commands, in the shape popular discord.py bot templates give them.

Written for the Zoryx tests (not taken from a template): a lower-case cog name, hybrid
commands with ``name=`` and ``description=``, embeds, no Zoryx metadata, nothing
Zoryx-specific. It must load unmodified next to Zoryx's built-in commands.
"""

import math
import platform

import discord
from discord.ext import commands
from discord.ext.commands import Context


class General(commands.Cog, name="general"):
    def __init__(self, bot) -> None:
        self.bot = bot

    @commands.hybrid_command(name="help", description="Lists the commands of every cog.")
    async def help(self, context: Context) -> None:
        embed = discord.Embed(title="Template help", description="Commands by cog:")
        for cog_name in sorted(self.bot.cogs):
            cog = self.bot.get_cog(cog_name)
            names = [c.name for c in cog.get_commands()]
            if names:
                embed.add_field(name=cog_name, value=", ".join(sorted(names)), inline=False)
        await context.send(embed=embed)

    @commands.hybrid_command(name="ping", description="Checks that the bot answers.")
    async def ping(self, context: Context) -> None:
        latency = self.bot.latency
        shown = f"{round(latency * 1000)} ms" if math.isfinite(latency) else "not measured yet"
        embed = discord.Embed(title="🏓 Pong!", description=f"Latency: {shown}")
        await context.send(embed=embed)

    @commands.hybrid_command(name="botinfo", description="Shows facts about the bot.")
    async def botinfo(self, context: Context) -> None:
        embed = discord.Embed(title="Template bot", description="A bot made from a template.")
        embed.add_field(name="Python", value=platform.python_version())
        embed.add_field(name="discord.py", value=discord.__version__)
        await context.send(embed=embed)


async def setup(bot) -> None:
    await bot.add_cog(General(bot))
