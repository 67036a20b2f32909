"""Discord face of the diagnostics: ``fw_diagnostics``, ``fw_alert_channel``, ``fw_history``
and ``fw_errors`` (bot owner only), plus alert delivery and command-error recording."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs.core import embeds
from cogs.core._common import Ctx, clip, duration, join_lines, member_count, millis
from zoryx.metrics import is_user_error

from .health import TIER_ICONS

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

    from .service import Alert, DiagnosticsService

log = logging.getLogger("zoryx.diagnostics")
OWNER_ONLY = {"owner_only": True}
_owner_slash = app_commands.default_permissions(administrator=True)
CLEAR_WORDS = frozenset({"off", "none", "clear", "disable"})
TIER_COLOURS = {"healthy": embeds.SUCCESS, "degraded": embeds.WARNING, "critical": embeds.ERROR}
ALERT_TITLES = {
    "critical": "🚨 Framework health: critical",
    "degraded": "⚠️ Framework health: degraded",
    "lag": "🐢 Event loop lag",
    "write_failures": "💾 Storage write failures",
}
OFF = "off"


class AlertTarget(commands.Converter[Any]):
    """A text channel (mention, ID or name), or ``off`` to stop alerts."""

    async def convert(self, ctx: Ctx, argument: str) -> discord.TextChannel | str:
        if argument.strip().lower() in CLEAR_WORDS:
            return OFF
        try:
            return await commands.TextChannelConverter().convert(ctx, argument.lstrip("#"))
        except commands.BadArgument:
            raise commands.BadArgument(
                f"`{clip(argument, 50)}` is not a text channel here. Mention one like #alerts, "
                "or say `off` to stop alerts."
            ) from None


def bot_info(bot: ZoryxBot) -> dict[str, Any]:
    """Facts about the running bot for the full report."""
    manager = getattr(bot, "extension_manager", None)
    extensions = [
        {"name": i.name, "state": i.state, "load_ms": round(i.load_ms or 0.0, 1)}
        for i in (manager.extensions.values() if manager is not None else ())
    ]
    latency = bot.latency
    return {
        "user": str(bot.user),
        "uptime_s": round(time.time() - bot.started_at, 1),
        "latency_ms": round(latency * 1000, 1) if latency == latency else None,
        "guilds": len(bot.guilds),
        "users": member_count(bot),
        "channels": sum(len(g.channels) for g in bot.guilds),
        "shards": bot.shard_count or 1,
        "cogs": sorted(bot.cogs),
        "extensions": extensions,
        "slowest_extensions": sorted(extensions, key=lambda e: -e["load_ms"])[:5],
    }


class FrameworkDiagnostics(commands.Cog, name="Framework Diagnostics"):
    """Framework health, loop lag, process metrics and alerts (bot owner)."""

    def __init__(self, bot: ZoryxBot, service: DiagnosticsService) -> None:
        self.bot = bot
        self.service = service

    async def cog_load(self) -> None:
        await self.service.load()
        self.service.alert_sink = self.send_alert
        self.service.start()

    async def cog_unload(self) -> None:
        await self.service.stop()

    async def send_alert(self, alert: Alert) -> None:
        channel_id = self.service.alert_channel_id
        if channel_id is None:
            return
        await self.bot.wait_until_ready()
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("diagnostics alert channel %s is not available", channel_id)
            return
        title = ALERT_TITLES.get(alert.kind, f"Framework alert: {alert.kind}")
        colour = embeds.ERROR if alert.kind == "critical" else embeds.WARNING
        embed = discord.Embed(title=title, description=alert.message, color=colour)
        embed.set_footer(text="At most one alert of each kind every 5 minutes")
        await channel.send(embed=embed)

    @commands.Cog.listener()
    async def on_command_error(self, ctx: Ctx, error: commands.CommandError) -> None:
        if isinstance(error, commands.CommandNotFound) or ctx.command is None:
            return
        original = getattr(error, "original", error)
        text = f"{type(original).__name__}: {original}".rstrip(": ")
        self.service.record_error(
            ctx.command.qualified_name,
            str(ctx.author),
            text,  # the service redacts what it keeps
            user_error=is_user_error(error),
        )

    # -- commands ------------------------------------------------------------------------
    @commands.hybrid_command(
        description="Framework health and diagnostics (owner)", extras=OWNER_ONLY
    )
    @_owner_slash
    async def fw_diagnostics(self, ctx: Ctx) -> None:
        """Health tier, error rate, loop lag, process metrics and bot statistics."""
        async with ctx.typing():
            report = await self.service.report()
        snap = self.service.snapshot()
        health, system, bot = report["health"], report["system"], report["bot"]
        tier = snap.tier
        embed = discord.Embed(
            title=f"{TIER_ICONS[tier]} Framework health: {tier}",
            description=(
                f"Error rate **{snap.error_rate:.1%}** ({snap.basis}) — {snap.errors} error(s) "
                f"in {snap.commands} command(s).\n{_user_errors_line(snap.user_errors)}\n"
                f"Rolling data: {health['window']} five-minute snapshots (the rolling hour "
                "needs 12)."
            ),
            color=TIER_COLOURS[tier],
        )
        lag_flag = " ⚠️" if snap.lag_avg_ms > snap.lag_threshold_ms else ""
        embed.add_field(
            name="Event loop",
            value=f"Lag {snap.lag_avg_ms:.1f} ms (avg 10s){lag_flag}\n"
            f"p95 {snap.lag_p95_ms:.0f} ms · max {snap.lag_max_ms:.0f} ms (recent)\n"
            f"Threshold {snap.lag_threshold_ms} ms",
        )
        embed.add_field(
            name="Process",
            value=f"CPU {system['cpu_percent']:.1f}%\nMemory {system['memory_mb']:.1f} MB\n"
            f"Threads {system['threads']}\nOpen files {_na(system['open_files'])}\n"
            f"Connections {_na(system['connections'])}",
        )
        embed.add_field(
            name="Bot",
            value=f"Uptime {duration(bot['uptime_s'])}\nLatency {millis(self.bot.latency)}\n"
            f"Guilds {bot['guilds']} · users {bot['users']}\n"
            f"Extensions {sum(e['state'] == 'loaded' for e in bot['extensions'])} loaded",
        )
        last = f"<t:{int(snap.last_check)}:R>" if snap.last_check else "not yet"
        channel = f"<#{snap.alert_channel_id}>" if snap.alert_channel_id else "not set"
        embed.add_field(
            name="Monitoring",
            value=f"Last check {last} (every 5 min) · {snap.checks} kept\nAlert channel {channel}",
            inline=False,
        )
        embed.set_footer(text="✅ < 5% · ⚠️ 5–10% · 🚨 ≥ 10% errors")
        await ctx.send(embed=embed)

    @commands.hybrid_command(
        description="Set the channel for diagnostics alerts (owner)", extras=OWNER_ONLY
    )
    @app_commands.describe(channel="A text channel, or off (default: this channel)")
    @_owner_slash
    async def fw_alert_channel(
        self,
        ctx: Ctx,
        channel: AlertTarget = None,  # type: ignore[assignment]
    ) -> None:
        """Alerts go to the given channel (default: this one); ``off`` stops them."""
        target: Any = channel if channel is not None else ctx.channel
        if target == OFF:
            await self.service.set_alert_channel(None)
            await ctx.send(
                embed=embeds.success("Diagnostics alerts off", "Alerts only go to the log.")
            )
            return
        await self.service.set_alert_channel(int(target.id))
        await ctx.send(
            embed=embeds.success(
                "Diagnostics alert channel set",
                f"Alerts (degraded/critical health, loop lag, write failures) go to "
                f"<#{target.id}>, at most one of each kind every 5 minutes. Kept across restarts.",
            )
        )

    @commands.hybrid_command(
        description="Recent framework health checks (owner)", extras=OWNER_ONLY
    )
    @app_commands.describe(entries="How many checks (1-20, default 10)")
    @_owner_slash
    async def fw_history(self, ctx: Ctx, entries: int = 10) -> None:
        """The latest health checks (newest first): time, status, error rate, loop lag."""
        entries = max(1, min(entries, 20))
        checks = self.service.history(entries)
        lines = [
            f"{TIER_ICONS[c.tier]} <t:{int(c.at)}:f> **{c.tier}** · {c.error_rate:.1%} "
            f"({c.basis}) · lag {c.lag_avg_ms:.0f} ms"
            for c in checks
        ]
        embed = embeds.info(
            "📈 Framework health history",
            join_lines(lines, 4096, empty="No health check has run yet."),
        )
        total = self.service.snapshot().checks
        embed.set_footer(text=f"Showing {len(checks)} of {total} kept (48 max, every 5 minutes)")
        await ctx.send(embed=embed)

    @commands.hybrid_command(description="The last 20 command errors (owner)", extras=OWNER_ONLY)
    @_owner_slash
    async def fw_errors(self, ctx: Ctx) -> None:
        """Command errors recorded since the bot started, newest first."""
        errors = self.service.errors()
        lines = [
            f"<t:{int(e.at)}:T> `{e.command}` · {clip(e.user, 40)} — {clip(e.error, 160)}"
            + (" · *user error*" if e.user_error else "")
            for e in errors
        ]
        embed = embeds.info(
            "🧯 Recent command errors", join_lines(lines, 4096, empty="No command has failed.")
        )
        users = sum(e.user_error for e in errors)
        embed.set_footer(
            text=f"{len(errors)} error(s) kept (the last 20 of this session), {users} of them "
            "user errors (not counted in the health tier)"
        )
        await ctx.send(embed=embed)


def _user_errors_line(count: int) -> str:
    return (
        f"User errors: {count} (missing permissions, bad arguments, cooldowns, unknown "
        "commands — not counted in the error rate)."
    )


def _na(value: object) -> str:
    return "n/a" if value is None else str(value)
