"""Discord face of the shard manager: ``clusters``, ``ipcstatus``, ``broadcastmsg`` and
``clusteralerts`` (bot owner), the shard listeners that feed the stats, and the delivery of
fleet announcements to a channel."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs.core import embeds
from cogs.core._common import Ctx, clip
from zoryx.cluster import BusBusy, BusUnavailable, ClusterRefused

from . import render

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

    from .service import Notice, ShardManagerService

log = logging.getLogger("zoryx.cluster")
CONFIG_FILE = "shard_manager.json"
OWNER_ONLY = {"owner_only": True}
_owner_slash = app_commands.default_permissions(administrator=True)
OFF_WORDS = frozenset({"off", "none", "clear", "disable"})


class ShardManager(commands.Cog, name="Shard Manager"):
    """This bot's clusters: the fleet view, the bus status and broadcasts (bot owner)."""

    def __init__(self, bot: ZoryxBot, service: ShardManagerService) -> None:
        self.bot = bot
        self.service = service
        self.channel_id: int | None = None

    # -- lifecycle & persistence ---------------------------------------------------------------
    @property
    def config_path(self) -> Any:
        return self.bot.services.data_dir / CONFIG_FILE

    async def cog_load(self) -> None:
        data = await self.bot.services.store.read_json(self.config_path, default={})
        channel = data.get("channel_id") if isinstance(data, dict) else None
        self.channel_id = channel if isinstance(channel, int) and channel > 0 else None
        self.service.announcer = self.announce
        for shard_id, info in (self.bot.shards or {}).items():  # a reload: shards already up
            if not info.is_closed() and self.bot.is_ready():
                self.service.ready_shards.add(shard_id)
        await self.service.start()

    async def cog_unload(self) -> None:
        self.service.announcer = None
        await self.service.stop()

    async def save(self) -> None:
        await self.bot.services.store.write_json(self.config_path, {"channel_id": self.channel_id})

    async def announce(self, notice: Notice) -> None:
        """Post a fleet notice to the announcement channel, when one is set."""
        if self.channel_id is None:
            return
        await self.bot.wait_until_ready()
        # The channel may be in a guild another cluster runs: REST reaches it all the same.
        channel = self.bot.get_channel(self.channel_id) or self.bot.get_partial_messageable(
            self.channel_id
        )
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("cluster announcement channel %s is not a text channel", self.channel_id)
            return
        await channel.send(embed=render.notice(notice, self.service.name))

    # -- the shards' state (for the stats the fleet sees) --------------------------------------
    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        self.service.ready_shards.add(shard_id)

    @commands.Cog.listener()
    async def on_shard_resumed(self, shard_id: int) -> None:
        self.service.ready_shards.add(shard_id)

    @commands.Cog.listener()
    async def on_shard_disconnect(self, shard_id: int) -> None:
        self.service.ready_shards.discard(shard_id)

    # -- commands ------------------------------------------------------------------------------
    @commands.hybrid_command(
        description="Every cluster of the bot: shards, guilds, health (owner)", extras=OWNER_ONLY
    )
    @_owner_slash
    async def clusters(self, ctx: Ctx) -> None:
        """Every cluster of the fleet with its shards, guilds, users, latency, health and last
        heartbeat, the fleet's totals and the bus state."""
        service = self.service
        await ctx.send(
            embed=render.clusters(
                service.name,
                service.state,
                service.refusal,
                service.bus.members(),
                service.bus.global_stats(),
            )
        )

    @commands.hybrid_command(
        description="Cluster bus state and dropped messages (owner)", extras=OWNER_ONLY
    )
    @_owner_slash
    async def ipcstatus(self, ctx: Ctx) -> None:
        """The cluster bus: state, Redis, messages sent and received, messages dropped by
        reason (forged, replayed, oversized…)."""
        service = self.service
        reachable = await service.redis_reachable()
        await ctx.send(
            embed=render.ipc_status(
                service.name,
                service.state,
                service.refusal,
                service.settings.display_url,
                reachable,
                dict(service.bus.counters),
            )
        )

    @commands.hybrid_command(
        description="Send a message to every cluster of the bot (owner)", extras=OWNER_ONLY
    )
    @app_commands.describe(text="What every cluster logs and announces")
    @_owner_slash
    async def broadcastmsg(self, ctx: Ctx, *, text: str) -> None:
        """Send ``text`` to every cluster: each one logs it and posts it to its announcement
        channel (``clusteralerts``). Replies with how many clusters received it."""
        try:
            received = await self.service.broadcast(text, f"{ctx.author} ({ctx.author.id})")
        except ClusterRefused as exc:
            reason = f"This cluster is not in the fleet: {exc}"
            await ctx.send(embed=embeds.error("Not sent", reason))
            return
        except BusUnavailable:
            await ctx.send(
                embed=embeds.error(
                    "Not sent",
                    "The cluster bus is unavailable (Redis cannot be reached). This cluster "
                    "keeps serving its shards and rejoins by itself; try again then.",
                )
            )
            return
        except (BusBusy, ValueError) as exc:
            await ctx.send(embed=embeds.error("Not sent", str(exc)))
            return
        live = self.service.bus.global_stats().get("clusters", received)
        await ctx.send(
            embed=embeds.success(
                "Broadcast sent", f"Received by **{received}** of {live} live cluster(s)."
            )
        )

    @commands.command(
        description="Channel for cluster join/leave and broadcasts (owner)", extras=OWNER_ONLY
    )
    async def clusteralerts(self, ctx: Ctx, channel: str | None = None) -> None:
        """This cluster announces clusters joining, leaving or going silent, and the
        broadcasts it receives, in ``channel`` (default: here); ``off`` stops it."""
        if channel is not None and channel.strip().lower() in OFF_WORDS:
            self.channel_id = None
            await self.save()
            await ctx.send(
                embed=embeds.success(
                    "Cluster announcements off", "Fleet events are only written to the log."
                )
            )
            return
        if channel is None:
            target: Any = ctx.channel
        else:
            try:
                target = await commands.TextChannelConverter().convert(ctx, channel.lstrip("#"))
            except commands.BadArgument:
                await ctx.send(
                    embed=embeds.error(
                        "Unknown channel",
                        f"`{clip(channel, 50)}` is not a text channel here; mention one or "
                        "say `off`.",
                    )
                )
                return
        self.channel_id = int(target.id)
        await self.save()
        await ctx.send(
            embed=embeds.success(
                "Cluster announcements set",
                f"Cluster {self.service.name} announces clusters joining, leaving or going "
                f"silent, and the broadcasts it receives, in <#{self.channel_id}>.",
            )
        )
