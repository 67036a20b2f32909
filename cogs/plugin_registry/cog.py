"""Discord face of the plugin registry: ``pr_list``, ``pr_info``, ``pr_validate``,
``pr_enforce`` and ``pr_alert_channel``, plus alert delivery."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs.core import embeds
from cogs.core._common import FAILED_FOR_MEMBERS, Ctx, clip, is_bot_owner, join_lines
from cogs.event_hooks.cog import resolve_channel

from .registry import MARKER_MEANING, Issue, PluginRecord, marker
from .views import PluginListView

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

    from .service import Group, PluginRegistryService

log = logging.getLogger("zoryx.plugins")
OWNER_ONLY = {"owner_only": True}
PAGE_SIZE = 10
LEGEND = " · ".join(f"{m} {text}" for m, text in MARKER_MEANING.items())
ON_WORDS, OFF_WORDS = {"on", "true", "yes", "1", "enable"}, {"off", "false", "no", "0", "disable"}
GROUPS: dict[str, Group] = {"deps": "deps", "dependencies": "deps", "conflicts": "conflicts"}


def plugin_line(record: PluginRecord, status: str) -> str:
    version = f" v{record.version}" if record.version else ""
    kind = " (framework)" if record.kind == "framework" else ""
    parts = [f"{status} **{record.name}**{version}{kind} · {record.state}"]
    if record.commands:
        parts.append(f"{len(record.commands)} cmd(s)")
    if record.load_ms is not None:
        parts.append(f"{record.load_ms:.0f} ms")
    return " · ".join(parts)


def issue_lines(issues: list[Issue]) -> list[str]:
    return [f"{marker([i])} {i.message}" for i in issues]


class PluginRegistryCog(commands.Cog, name="Plugin Registry"):
    """What is loaded, what it needs, and what would break."""

    def __init__(self, bot: ZoryxBot, service: PluginRegistryService) -> None:
        self.bot = bot
        self.service = service
        self._ready_refreshed = False

    async def cog_load(self) -> None:
        await self.service.load_config()
        self.service.alert_sink = self.send_alert
        self.service.install()
        hooks = self.bot.services.extra.get("hooks")
        if hooks is not None:
            for event in ("extension_loaded", "extension_unloaded"):
                hooks.register(event, self.on_extension_change, priority=50)

    async def cog_unload(self) -> None:
        self.service.uninstall()
        hooks = self.bot.services.extra.get("hooks")
        if hooks is not None:
            for event in ("extension_loaded", "extension_unloaded"):
                hooks.unregister(event, self.on_extension_change)
        await self.service.close()

    async def on_extension_change(self, bot: Any, **_: Any) -> None:
        """Hook: keep ``plugin_registry.json`` current after loads and unloads."""
        await self.service.refresh()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if not self._ready_refreshed:
            self._ready_refreshed = True
            await self.service.refresh()

    async def send_alert(self, kind: str, message: str) -> None:
        channel_id = self.service.alert_channel_id
        if channel_id is None:
            return
        await self.bot.wait_until_ready()
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("plugin alert channel %s is not available", channel_id)
            return
        title = {
            "refused": "Extension refused",
            "issues": "Extension loaded with issues",
            "scan": "Extension metadata problem",
        }.get(kind.split(":")[0], "Plugin alert")
        await channel.send(embed=embeds.warning(title, message))

    # -- commands ------------------------------------------------------------------------
    @commands.hybrid_command(description="Installed plugins with their status")
    async def pr_list(self, ctx: Ctx) -> None:
        """Every extension and framework cog, 10 per page, with ✅ ⚠️ ❌ 🔄 status."""
        await self.service.refresh()
        records = sorted(
            self.service.registry.records.values(), key=lambda r: (r.kind != "extension", r.name)
        )
        lines = [plugin_line(r, self.service.status(r.name)[0]) for r in records]
        chunks = [lines[i : i + PAGE_SIZE] for i in range(0, len(lines), PAGE_SIZE)] or [[]]
        enforce = self.service.enforcement()
        pages = []
        for number, chunk in enumerate(chunks, 1):
            embed = embeds.info(
                f"🔌 Plugins ({len(records)})", join_lines(chunk, 4096, empty="No plugins found.")
            )
            embed.set_footer(
                text=f"Page {number}/{len(chunks)} · enforcement: deps "
                f"{_onoff(enforce['deps'])}, conflicts "
                f"{_onoff(enforce['conflicts'])}\n{LEGEND}"
            )
            pages.append(embed)
        if len(pages) == 1:
            await ctx.send(embed=pages[0])
            return
        view = PluginListView(ctx.author.id, pages)
        view.message = await ctx.send(embed=pages[0], view=view)

    @commands.hybrid_command(description="Details about one plugin")
    @app_commands.describe(name="Extension or framework cog name")
    async def pr_info(self, ctx: Ctx, name: str) -> None:
        """Version, author, commands, cogs, dependencies, conflicts, hooks and issues."""
        await self.service.refresh()
        record = self.service.registry.get(name)
        if record is None:
            await ctx.send(
                embed=embeds.error(
                    "Unknown plugin", f"No plugin named `{clip(name, 100)}`. See `pr_list`."
                )
            )
            return
        status, issues = self.service.status(record.name)
        embed = embeds.info(f"{status} {record.name}", record.description or "No description.")
        embed.add_field(name="Version", value=record.version or "—")
        embed.add_field(name="Author", value=record.author or "—")
        embed.add_field(
            name="State",
            value=record.state + (" (framework)" if record.kind == "framework" else ""),
        )
        if record.load_ms is not None:
            embed.add_field(name="Load time", value=f"{record.load_ms:.1f} ms")
        embed.add_field(name="Commands", value=join_lines(record.commands), inline=False)
        embed.add_field(name="Cogs", value=join_lines(record.cogs), inline=False)
        present = self.service.registry.present()
        deps = [
            f"{'✅' if not self._dep_issue(issues, d) else '❌'} {d} "
            f"{spec or 'any version'}"
            + (f" (has {present[d].version})" if d in present and present[d].version else "")
            for d, spec in record.dependencies.items()
        ]
        embed.add_field(name="Dependencies", value=join_lines(deps), inline=False)
        embed.add_field(name="Conflicts", value=join_lines(record.conflicts), inline=True)
        embed.add_field(
            name="Needed by",
            value=join_lines(self.service.registry.dependents(record.name)),
            inline=True,
        )
        hooks = [f"provides: {', '.join(record.provides_hooks)}"] if record.provides_hooks else []
        if record.listens_to_hooks:
            hooks.append(f"listens to: {', '.join(record.listens_to_hooks)}")
        embed.add_field(name="Hooks", value=join_lines(hooks), inline=False)
        embed.add_field(
            name="Issues", value=join_lines(issue_lines(issues), empty="None ✅"), inline=False
        )
        refused = self.service.refusals.get(record.name)
        if refused:
            embed.add_field(name="Last refusal", value=clip(refused), inline=False)
        elif record.error:
            # The reason (exception text, already redacted) is for bot owners only.
            shown = clip(record.error) if is_bot_owner(ctx) else FAILED_FOR_MEMBERS
            embed.add_field(name="Last error", value=shown, inline=False)
        await ctx.send(embed=embed)

    @staticmethod
    def _dep_issue(issues: list[Issue], dep: str) -> bool:
        return any(
            i.other == dep and i.kind in ("missing", "not_loaded", "version") for i in issues
        )

    @commands.command(description="Check dependencies and conflicts (owner)", extras=OWNER_ONLY)
    async def pr_validate(self, ctx: Ctx, name: str | None = None) -> None:
        """Whether a plugin (or every plugin) can be loaded safely right now."""
        await self.service.refresh()
        if name is None:
            await self._validate_all(ctx)
            return
        record = self.service.registry.get(name)
        if record is None:
            await ctx.send(
                embed=embeds.error(
                    "Unknown plugin", f"No plugin named `{clip(name, 100)}`. See `pr_list`."
                )
            )
            return
        issues, blocking = self.service.validate(record.name)
        body = join_lines(issue_lines(issues), 4096)
        if blocking:
            embed = embeds.error(f"{record.name} would be refused", body)
        elif issues:
            embed = embeds.warning(f"{record.name} can load, with warnings", body)
        else:
            embed = embeds.success(
                f"{record.name} is valid", "Dependencies met, no conflicts, no cycles."
            )
        await ctx.send(embed=embed)

    async def _validate_all(self, ctx: Ctx) -> None:
        lines = []
        for plugin in sorted(self.service.registry.records):
            issues, _ = self.service.validate(plugin)
            if issues:
                lines.append(
                    f"{marker(issues)} **{plugin}**: " + "; ".join(i.message for i in issues)
                )
        count = len(self.service.registry.records)
        if lines:
            embed = embeds.warning(
                f"{len(lines)} of {count} plugin(s) have issues", join_lines(lines, 4096)
            )
        else:
            embed = embeds.success("All plugins valid", f"{count} plugin(s) checked.")
        await ctx.send(embed=embed)

    @commands.command(
        description="Toggle dependency/conflict enforcement (owner)", extras=OWNER_ONLY
    )
    async def pr_enforce(self, ctx: Ctx, mode: str | None = None, value: str | None = None) -> None:
        """``pr_enforce deps`` / ``pr_enforce conflicts`` toggles (or add on/off)."""
        if mode is None:
            state = self.service.enforcement()
            await ctx.send(
                embed=embeds.info(
                    "Plugin enforcement",
                    (
                        f"Dependencies: **{_onoff(state['deps'])}**\n"
                        f"Conflicts: **{_onoff(state['conflicts'])}**\n"
                        "Toggle with `pr_enforce deps` or `pr_enforce conflicts`."
                    ),
                )
            )
            return
        group = GROUPS.get(mode.lower())
        word = (value or "").lower()
        if group is None or (value is not None and word not in ON_WORDS | OFF_WORDS):
            raise commands.BadArgument(
                "the mode is `deps` or `conflicts`, optionally followed by `on` or `off`"
            )
        new = await self.service.set_enforce(group, None if value is None else word in ON_WORDS)
        what = "Dependency" if group == "deps" else "Conflict"
        effect = (
            "extensions that fail it are refused before their code runs"
            if new
            else "extensions load regardless, with a warning"
        )
        await ctx.send(
            embed=embeds.success(f"{what} enforcement {_onoff(new)}", f"Now {effect}. Saved.")
        )

    @commands.command(description="Set the channel for plugin alerts (owner)", extras=OWNER_ONLY)
    async def pr_alert_channel(self, ctx: Ctx, channel: str | None = None) -> None:
        """Alerts go to the given channel (default: this one); ``off`` stops them."""
        target = await resolve_channel(ctx, channel)
        if target is None:
            await self.service.set_alert_channel(None)
            await ctx.send(
                embed=embeds.success("Plugin alerts off", "Alerts are only written to the log.")
            )
            return
        channel_id = int(getattr(target, "id", 0))
        await self.service.set_alert_channel(channel_id)
        await ctx.send(
            embed=embeds.success(
                "Plugin alert channel set",
                f"Refusals, loads with issues and metadata problems go to <#{channel_id}>.",
            )
        )


def _onoff(value: bool) -> str:
    return "on" if value else "off"
