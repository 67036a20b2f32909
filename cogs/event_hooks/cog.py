"""Discord face of the event hooks: ``eh_list``, ``eh_history``, ``eh_disable``, ``eh_enable``,
``eh_reset_circuit`` and ``eh_alert_channel`` (all bot-owner only), plus alert delivery."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs.core import embeds
from cogs.core._common import Ctx, actor, clip, join_lines
from zoryx.operator import OperatorError

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot
    from zoryx.hooks import HookInfo

    from .service import EventHookService

log = logging.getLogger("zoryx.hooks")
CONFIG_FILE = "event_hooks_config.json"
OWNER_ONLY = {"owner_only": True}
_owner_slash = app_commands.default_permissions(administrator=True)
CLEAR_WORDS = {"off", "none", "clear", "disable"}


def status_icon(hook: HookInfo) -> str:
    """🔴 disabled, ⚠️ circuit open, 🟡 half-open (trial), 🟢 working."""
    if not hook.enabled:
        return "🔴"
    return {"open": "⚠️", "half-open": "🟡"}.get(hook.circuit, "🟢")


def hook_line(hook: HookInfo) -> str:
    line = (
        f"{status_icon(hook)} `{hook.hook_id}` · priority {hook.priority} · {hook.calls} calls · "
        f"{hook.failures} failures · {hook.mean_ms:.1f} ms avg · queue {hook.mean_queue_ms:.1f} ms"
    )
    if hook.circuit != "closed":
        line += f" · circuit {hook.circuit}"
    return line


async def resolve_channel(ctx: Ctx, arg: str | None) -> discord.abc.Messageable | None:
    """The channel an ``*_alert_channel`` argument names: current channel when omitted,
    ``None`` for off/none/clear. Raises BadArgument for an unknown channel."""
    if arg is None:
        return ctx.channel
    if arg.lower() in CLEAR_WORDS:
        return None
    if arg.startswith("#") and len(arg) > 1:
        arg = arg[1:]
    return await commands.TextChannelConverter().convert(ctx, arg)


class EventHooks(commands.Cog, name="Event Hooks"):
    """Inspect and manage the internal event hooks (bot owner)."""

    def __init__(self, bot: ZoryxBot, service: EventHookService) -> None:
        self.bot = bot
        self.service = service
        self.alert_channel_id: int | None = None

    # -- lifecycle & persistence ---------------------------------------------------------
    @property
    def config_path(self) -> Any:
        return self.bot.services.data_dir / CONFIG_FILE

    async def cog_load(self) -> None:
        data = await self.bot.services.store.read_json(self.config_path, default={})
        data = data if isinstance(data, dict) else {}
        channel = data.get("alert_channel_id")
        self.alert_channel_id = (
            int(channel)
            if isinstance(channel, int | str) and str(channel).isascii() and str(channel).isdigit()
            else None
        )
        from .service import disabled_ids

        for hook_id in disabled_ids(data.get("disabled") or []):
            self.service.set_enabled(hook_id, False, strict=False)
        self.service.alert_sink = self.send_alert
        self.service.persist = self.save
        self.service.start()

    async def cog_unload(self) -> None:
        await self.service.stop()

    async def save(self) -> None:
        await self.bot.services.store.write_json(
            self.config_path,
            {
                "alert_channel_id": self.alert_channel_id,
                "disabled": sorted(self.service.disabled),
            },
        )

    async def send_alert(self, kind: str, message: str) -> None:
        """Deliver a (throttled) alert from the service to the alert channel, if set."""
        log.warning("hook alert [%s]: %s", kind, message)
        if self.alert_channel_id is None:
            return
        await self.bot.wait_until_ready()
        channel = self.bot.get_channel(self.alert_channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("hook alert channel %s is not available", self.alert_channel_id)
            return
        embed = embeds.warning(f"Event hooks: {kind.split(':')[0].replace('_', ' ')}", message)
        await channel.send(embed=embed)

    # -- commands ------------------------------------------------------------------------
    @commands.hybrid_command(
        description="Registered event hooks with metrics (owner)", extras=OWNER_ONLY
    )
    @_owner_slash
    async def eh_list(self, ctx: Ctx) -> None:
        """Every hook by event: priority, calls, failures, mean time, queue delay, status."""
        hooks = self.service.hooks()
        stats = self.service.stats()
        summary = (
            f"{stats['hooks']} hook(s) on {stats['events']} event(s) · queue "
            f"{stats['queue']}/{stats['queue_size']} · worker {stats['worker']} · "
            f"dropped {stats['dropped']} · timeout {stats['timeout_s']:g}s"
        )
        embed = embeds.info("🪝 Event hooks", summary)
        by_event: dict[str, list[HookInfo]] = {}
        for hook in hooks:
            by_event.setdefault(hook.event, []).append(hook)
        events = list(by_event)
        for event in events[:24]:
            embed.add_field(
                name=event, value=join_lines(hook_line(h) for h in by_event[event]), inline=False
            )
        if len(events) > 24:
            embed.add_field(name="…", value=f"and {len(events) - 24} more event(s)", inline=False)
        if not hooks:
            embed.add_field(name="No hooks", value="No extension has registered a hook yet.")
        embed.set_footer(text="🟢 working · 🟡 half-open · ⚠️ circuit open · 🔴 disabled")
        await ctx.send(embed=embed)

    @commands.hybrid_command(description="Recent hook executions (owner)", extras=OWNER_ONLY)
    @app_commands.describe(limit="How many executions (1-100, default 10)", event="Only this event")
    @_owner_slash
    async def eh_history(self, ctx: Ctx, limit: int = 10, event: str | None = None) -> None:
        """The latest hook executions, newest first."""
        limit = max(1, min(limit, 100))
        entries = self.service.history(limit, event)
        lines = [
            f"{'✅' if e.ok else '❌'} <t:{int(e.at)}:T> `{e.hook_id}` {e.duration_ms:.1f} ms"
            + (f" — {clip(e.error, 200)}" if e.error else "")
            for e in entries
        ]
        scope = f" for `{event}`" if event else ""
        embed = embeds.info(
            f"🪝 Hook history{scope}", join_lines(lines, 4096, empty="No hook has run yet.")
        )
        embed.set_footer(
            text=f"Showing {len(entries)} (newest first; kept: 100 total, 20 per event)"
        )
        await ctx.send(embed=embed)

    @commands.command(description="Disable a hook by ID (owner)", extras=OWNER_ONLY)
    async def eh_disable(self, ctx: Ctx, hook_id: str) -> None:
        """Stop running a hook (e.g. ``command_executed:log_command``) until re-enabled."""
        if await self._known(ctx, hook_id) and await self._set_enabled(ctx, hook_id, False):
            await ctx.send(
                embed=embeds.success(
                    "Hook disabled",
                    f"`{hook_id}` will not run until `eh_enable` (kept across restarts).",
                )
            )

    @commands.command(description="Re-enable a disabled hook (owner)", extras=OWNER_ONLY)
    async def eh_enable(self, ctx: Ctx, hook_id: str) -> None:
        """Run a disabled hook again."""
        if await self._known(ctx, hook_id) and await self._set_enabled(ctx, hook_id, True):
            await ctx.send(embed=embeds.success("Hook enabled", f"`{hook_id}` runs again."))

    async def _set_enabled(self, ctx: Ctx, hook_id: str, enabled: bool) -> bool:
        """Through the operator API (role check, audit, persistence); reports a refusal."""
        operator = self.bot.operator
        assert operator is not None, "the runtime sets bot.operator before the bot starts"
        try:
            await operator.set_hook_enabled(actor(ctx), hook_id, enabled)
        except OperatorError as exc:
            await ctx.send(embed=embeds.error("Not changed", str(exc)))
            return False
        return True

    @commands.command(description="Close a hook's circuit breaker (owner)", extras=OWNER_ONLY)
    async def eh_reset_circuit(self, ctx: Ctx, hook_id: str) -> None:
        """Close the circuit breaker of a hook and forget its recent failures."""
        if await self._known(ctx, hook_id):
            self.service.reset_circuit(hook_id)
            await ctx.send(
                embed=embeds.success(
                    "Circuit reset", f"`{hook_id}` is closed and runs on the next event."
                )
            )

    @commands.command(description="Set the channel for hook alerts (owner)", extras=OWNER_ONLY)
    async def eh_alert_channel(self, ctx: Ctx, channel: str | None = None) -> None:
        """Alerts go to the given channel (default: this one); ``off`` stops them."""
        target = await resolve_channel(ctx, channel)
        if target is None:
            self.alert_channel_id = None
            await self.save()
            await ctx.send(
                embed=embeds.success("Hook alerts off", "Alerts are only written to the log.")
            )
            return
        self.alert_channel_id = int(getattr(target, "id", 0))
        await self.save()
        await ctx.send(
            embed=embeds.success(
                "Hook alert channel set",
                "Alerts (queue full, circuit opened, worker crashes) go to "
                f"<#{self.alert_channel_id}>, at most one per kind every 5 minutes.",
            )
        )

    async def _known(self, ctx: Ctx, hook_id: str) -> bool:
        if any(h.hook_id == hook_id for h in self.service.hooks()):
            return True
        await ctx.send(
            embed=embeds.error(
                "Unknown hook",
                f"No hook `{clip(hook_id, 100)}`. "
                "Hook IDs look like `event:callback`; see `eh_list`.",
            )
        )
        return False
