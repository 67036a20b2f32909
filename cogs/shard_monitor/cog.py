"""Discord face of the shard monitor: the gateway listeners that feed it, alert delivery, and
the owner commands ``shardmonitor``, ``sharddetails``, ``shardhealth``, ``shardalerts`` and
``shardreset``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.ext.commands.hybrid import HybridAppCommand

from cogs.core import embeds
from cogs.core._common import Ctx, clip
from zoryx.metrics import is_user_error

from . import embeds as shard_embeds
from .service import MAX_THRESHOLD
from .snapshot import MonitorSnapshot
from .views import ShardMonitorView

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

    from .alerts import ShardAlert
    from .service import ShardMonitorService

log = logging.getLogger("zoryx.shard_monitor")
OWNER_ONLY = {"owner_only": True}
_owner_slash = app_commands.default_permissions(administrator=True)
OFF_WORDS = frozenset({"off", "none", "clear", "disable"})
OFF = "off"
ALL_SHARDS = -1


class AlertTarget(commands.Converter[Any]):
    """A text channel (mention, ID or name), or ``off`` to stop alerts."""

    async def convert(self, ctx: Ctx, argument: str) -> discord.TextChannel | str:
        if argument.strip().lower() in OFF_WORDS:
            return OFF
        try:
            return await commands.TextChannelConverter().convert(ctx, argument.lstrip("#"))
        except commands.BadArgument:
            raise commands.BadArgument(
                f"`{clip(argument, 50)}` is not a text channel here. Mention one like "
                "#shard-alerts, or say `off` to stop shard alerts."
            ) from None


def _shard_of(guild: discord.Guild | None) -> int:
    """The shard a guild's events arrive on; direct messages arrive on shard 0."""
    return (guild.shard_id or 0) if guild is not None else 0


class ShardMonitor(commands.Cog, name="Shard Monitor"):
    """Per-shard health, latency and event statistics with alerts (bot owner)."""

    def __init__(self, bot: ZoryxBot, service: ShardMonitorService) -> None:
        self.bot = bot
        self.service = service

    async def cog_load(self) -> None:
        await self.service.load()
        self.service.alert_sink = self.send_alert
        self.service.start()

    async def cog_unload(self) -> None:
        await self.service.stop()

    def fresh(self) -> MonitorSnapshot:
        """The monitor with live readings."""
        self.service.refresh()
        return self.service.snapshot()

    async def send_alert(self, alert: ShardAlert) -> None:
        channel_id = self.service.alert_channel_id
        if channel_id is None:
            return
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("shard alert channel %s is not available", channel_id)
            return
        await channel.send(embed=shard_embeds.alert(alert))

    # -- listeners -------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_shard_connect(self, shard_id: int) -> None:
        self.service.shard_connected(shard_id, resumed=False)

    @commands.Cog.listener()
    async def on_shard_resumed(self, shard_id: int) -> None:
        self.service.shard_connected(shard_id, resumed=True)

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        self.service.activity(shard_id)

    @commands.Cog.listener()
    async def on_shard_disconnect(self, shard_id: int) -> None:
        if not self.bot.is_closed():  # a shutdown is not a failure
            self.service.shard_disconnected(shard_id)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        self.service.activity(_shard_of(message.guild), "messages")

    @commands.Cog.listener()
    async def on_command(self, ctx: Ctx) -> None:
        self.service.activity(_shard_of(ctx.guild), "commands")

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: Any
    ) -> None:
        if not isinstance(command, HybridAppCommand):  # hybrids counted by on_command
            self.service.activity(_shard_of(interaction.guild), "commands")

    @commands.Cog.listener()
    async def on_command_error(self, ctx: Ctx, error: commands.CommandError) -> None:
        if ctx.command is None or is_user_error(error):
            return
        original = getattr(error, "original", error)
        text = f"`{ctx.command.qualified_name}` failed: {type(original).__name__}: {original}"
        self.service.record_error(_shard_of(ctx.guild), "command", text.rstrip(": "))

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.service.activity(_shard_of(guild), "guild_joins")

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.service.activity(_shard_of(guild), "guild_leaves")

    # -- commands ----------------------------------------------------------------------------
    @commands.hybrid_command(
        description="Shard monitor dashboard: overview, health, latency, events (owner)",
        extras=OWNER_ONLY,
    )
    @_owner_slash
    async def shardmonitor(self, ctx: Ctx) -> None:
        """Every shard at a glance, with Overview / Health / Latency / Events tabs."""
        view = ShardMonitorView(ctx.author.id, self.fresh)
        view.message = await ctx.send(embed=view.embed(), view=view)

    @commands.hybrid_command(description="Everything about one shard (owner)", extras=OWNER_ONLY)
    @app_commands.describe(shard_id="The shard's number")
    @_owner_slash
    async def sharddetails(self, ctx: Ctx, shard_id: int) -> None:
        """Counters, latency, reliability, errors and connections of one shard."""
        snap = self.fresh()
        shard = next((s for s in snap.shards if s.id == shard_id), None)
        if shard is None:
            await ctx.send(embed=embeds.error("Unknown shard", _unknown(shard_id, snap)))
            return
        await ctx.send(embed=shard_embeds.details(shard, snap))

    @commands.hybrid_command(description="Health report for every shard (owner)", extras=OWNER_ONLY)
    @_owner_slash
    async def shardhealth(self, ctx: Ctx) -> None:
        """Critical, warning and healthy shards, with what is wrong with each."""
        await ctx.send(embed=shard_embeds.health(self.fresh()))

    @commands.hybrid_command(
        description="Set the shard alert channel and failure threshold (owner)", extras=OWNER_ONLY
    )
    @app_commands.describe(
        channel="A text channel, or off to stop alerts (empty: show the settings)",
        threshold=f"Consecutive failures that raise a warning (1-{MAX_THRESHOLD})",
    )
    @_owner_slash
    async def shardalerts(
        self,
        ctx: Ctx,
        channel: AlertTarget = None,  # type: ignore[assignment]
        threshold: commands.Range[int, 1, MAX_THRESHOLD] = None,  # type: ignore[assignment]
    ) -> None:
        """Alerts go to ``channel`` (``off`` stops them); ``threshold``: failures that warn."""
        service = self.service
        if channel is None:
            embed = embeds.info("🔔 Shard alerts", shard_embeds.alert_settings(self.fresh()))
            embed.set_footer(text="shardalerts #channel [threshold] · shardalerts off")
            await ctx.send(embed=embed)
            return
        if channel == OFF:
            await service.set_alerts(None, threshold)
            await ctx.send(
                embed=embeds.success("Shard alerts off", "Shard alerts only go to the log.")
            )
            return
        target: Any = channel
        await service.set_alerts(int(target.id), threshold)
        await ctx.send(
            embed=embeds.success(
                "Shard alerts on",
                f"Shard alerts go to <#{target.id}>: one per shard and condition until it "
                f"clears. {shard_embeds.alert_settings(self.fresh())}".replace("\n", ". "),
            )
        )

    @commands.hybrid_command(description="Reset shard statistics (owner)", extras=OWNER_ONLY)
    @app_commands.describe(shard_id="The shard's number, or -1 for every shard (default)")
    @_owner_slash
    async def shardreset(self, ctx: Ctx, shard_id: int = ALL_SHARDS) -> None:
        """Zero the counters and history of one shard, or of all with -1."""
        if shard_id < ALL_SHARDS or (
            shard_id != ALL_SHARDS and shard_id not in self.service.shard_ids()
        ):
            await ctx.send(embed=embeds.error("Unknown shard", _unknown(shard_id, self.fresh())))
            return
        done = await self.service.reset(None if shard_id == ALL_SHARDS else shard_id)
        which = "every shard" if shard_id == ALL_SHARDS else f"shard {shard_id}"
        await ctx.send(
            embed=embeds.success(
                "Shard statistics reset",
                f"Counters, latency history and failures of {which} start again from zero "
                f"({len(done)} shard(s)).",
            )
        )


def _unknown(shard_id: int, snap: MonitorSnapshot) -> str:
    known = ", ".join(str(s.id) for s in snap.shards) or "none yet"
    return f"This bot runs no shard {shard_id}. Its shards: {known}."
