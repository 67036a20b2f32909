"""Discord face of the slash command limiter: ``slashlimit``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from cogs.core import embeds
from cogs.core._common import Ctx, clip, guild_prefix, join_lines

from .counter import bar

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

    from .service import LimiterEntry, SlashLimiterService

STATUS_STYLE = {
    "ok": (embeds.SUCCESS, "🟢 Safe: new slash commands are registered"),
    "warning": (embeds.WARNING, "🟡 Warning threshold reached"),
    "over": (embeds.ERROR, "🔴 Safe limit reached: new slash commands become prefix commands"),
}


def _entry_line(entry: LimiterEntry, prefix: str, converted: bool) -> str:
    source = entry.cog or entry.module or "unknown"
    shown = f"🔹 `{prefix}{entry.name}`" if converted else f"⛔ `/{entry.name}`"
    return f"{shown} · {clip(source, 40)} · {clip(entry.reason, 120)}"


class SlashLimiter(commands.Cog, name="Slash Limiter"):
    """Keeps the bot under Discord's 100 slash command limit."""

    def __init__(self, bot: ZoryxBot, service: SlashLimiterService) -> None:
        self.bot = bot
        self.service = service

    @commands.hybrid_command(description="Slash command usage against Discord's limit")
    async def slashlimit(self, ctx: Ctx) -> None:
        """Global slash commands in use, the limits, and what was converted or blocked."""
        snap = self.service.snapshot()
        limits, counts = snap.limits, snap.counts
        colour, headline = STATUS_STYLE[snap.status]
        embed = discord.Embed(title="📊 Slash command limit", description=headline, color=colour)
        embed.add_field(
            name="Usage (hard limit)",
            value=f"`{bar(counts.total, limits.max_limit)}`",
            inline=False,
        )
        embed.add_field(
            name="Until the safe limit",
            value=f"`{bar(counts.total, limits.safe_limit)}` · "
            f"{max(0, limits.safe_limit - counts.total)} slot(s) left",
            inline=False,
        )
        embed.add_field(
            name="Breakdown",
            value=f"{counts.pure} slash · {counts.hybrid} hybrid · {counts.groups} group(s)",
            inline=True,
        )
        embed.add_field(
            name="Thresholds",
            value=f"warning {limits.warning_threshold} · safe {limits.safe_limit} · "
            f"hard {limits.max_limit}",
            inline=True,
        )
        prefix = await guild_prefix(self.bot, ctx.guild)
        embed.add_field(
            name=f"Converted to prefix commands ({len(snap.converted)})",
            value=join_lines((_entry_line(e, prefix, True) for e in snap.converted), empty="None"),
            inline=False,
        )
        embed.add_field(
            name=f"Blocked ({len(snap.blocked)})",
            value=join_lines((_entry_line(e, prefix, False) for e in snap.blocked), empty="None"),
            inline=False,
        )
        embed.set_footer(
            text="Limiter active · groups count once · hybrid commands and groups are never "
            "converted"
            if snap.installed
            else "Limiter not intercepting"
        )
        await ctx.send(embed=embed)
