"""Example extension: a hybrid command and a slash command with options."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

__version__ = "1.0.0"
__author__ = "Zoryx"
__description__ = "Says hello (prefix and slash) and rolls dice."


class Greetings(commands.Cog):
    """Friendly commands."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.hybrid_command(description="Say hello")
    async def hello(self, ctx: commands.Context, *, name: str | None = None) -> None:
        """Say hello to you or to someone else."""
        # ``name`` is whatever the user typed: show it, never let it ping anyone.
        await ctx.send(
            f"👋 Hello, {name or ctx.author.display_name}!",
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(description="Roll dice, e.g. 2 dice with 6 sides")
    @app_commands.describe(dice="How many dice (1-10)", sides="Sides per die (2-100)")
    async def roll(
        self,
        interaction: discord.Interaction,
        dice: app_commands.Range[int, 1, 10] = 1,
        sides: app_commands.Range[int, 2, 100] = 6,
    ) -> None:
        import random

        rolls = [random.randint(1, sides) for _ in range(dice)]
        await interaction.response.send_message(
            f"🎲 {' + '.join(map(str, rolls))} = **{sum(rolls)}**"
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Greetings(bot))
