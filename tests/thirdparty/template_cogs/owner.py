"""Owner-only maintenance commands, in the shape popular discord.py bot templates give them.

Written for the Zoryx tests (not taken from a template): ``sync``, ``load``, ``unload``
and ``reload`` guarded by ``commands.is_owner()``, calling discord.py directly. No Zoryx
metadata. It must load unmodified although Zoryx has built-ins of the same names.
"""

import discord
from discord import app_commands
from discord.ext import commands
from discord.ext.commands import Context

PACKAGE = "extensions"


class Owner(commands.Cog, name="owner"):
    def __init__(self, bot) -> None:
        self.bot = bot

    @commands.command(name="sync", description="Pushes the slash commands to Discord.")
    @commands.is_owner()
    async def sync(self, context: Context, scope: str = "global") -> None:
        if scope == "guild" and context.guild is not None:
            self.bot.tree.copy_global_to(guild=context.guild)
            synced = await self.bot.tree.sync(guild=context.guild)
        else:
            synced = await self.bot.tree.sync()
        await context.send(embed=discord.Embed(description=f"Synced {len(synced)} commands."))

    @commands.hybrid_command(name="load", description="Loads a cog.")
    @app_commands.describe(cog="The cog to load")
    @commands.is_owner()
    async def load(self, context: Context, cog: str) -> None:
        await self._run(context, self.bot.load_extension, cog, "Loaded")

    @commands.hybrid_command(name="unload", description="Unloads a cog.")
    @app_commands.describe(cog="The cog to unload")
    @commands.is_owner()
    async def unload(self, context: Context, cog: str) -> None:
        await self._run(context, self.bot.unload_extension, cog, "Unloaded")

    @commands.hybrid_command(name="reload", description="Reloads a cog.")
    @app_commands.describe(cog="The cog to reload")
    @commands.is_owner()
    async def reload(self, context: Context, cog: str) -> None:
        await self._run(context, self.bot.reload_extension, cog, "Reloaded")

    async def _run(self, context: Context, action, cog: str, done: str) -> None:
        try:
            await action(f"{PACKAGE}.{cog}")
        except Exception as error:
            text = f"Could not do it for `{cog}`: {type(error).__name__}"
            await context.send(embed=discord.Embed(description=text))
            return
        await context.send(embed=discord.Embed(description=f"{done} `{cog}`."))


async def setup(bot) -> None:
    await bot.add_cog(Owner(bot))
