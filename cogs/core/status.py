"""The status rotator and the owner's `status` command group that edits it at run time.

Statuses come from ``config.status`` (the main one, then ``rotation``) and rotate every
``config.status.interval`` seconds with ``{guilds}``, ``{users}`` and ``{commands}``
filled in. Changes made with the commands are saved to config.json (off the event loop).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands, tasks

from zoryx.config import ConfigError, StatusEntry, parse_config, save_config

from . import embeds
from ._common import Ctx, join_lines, member_count
from .help_view import collect_entries

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot
    from zoryx.config import Config

log = logging.getLogger("zoryx.status")

ActivityName = Literal["playing", "watching", "listening", "competing"]
OWNER_ONLY = {"owner_only": True}
ICONS = {"playing": "🎮", "watching": "👀", "listening": "🎧", "competing": "🏆"}


def activity_for(entry: StatusEntry, text: str) -> discord.Activity:
    kind = getattr(discord.ActivityType, entry.type, discord.ActivityType.watching)
    return discord.Activity(type=kind, name=text[:128])


class StatusRotator(commands.Cog, name="Status"):
    """Rotating bot status (presence) and the commands that change it."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot
        self.index = 0
        self.current: str | None = None
        self._lock = asyncio.Lock()

    @property
    def config(self) -> Config:
        return self.bot.services.config

    async def cog_load(self) -> None:
        self.rotate.change_interval(seconds=self.config.status.interval)
        self.rotate.start()

    async def cog_unload(self) -> None:
        self.rotate.cancel()

    # -- the rotator ---------------------------------------------------------------------
    def variables(self) -> dict[str, int]:
        entries, _ = collect_entries(self.bot)
        return {
            "guilds": len(self.bot.guilds),
            "users": member_count(self.bot),
            "commands": len(entries),
        }

    @tasks.loop(seconds=60)
    async def rotate(self) -> None:
        entries = self.config.status.entries()
        entry = entries[self.index % len(entries)]
        self.index = (self.index + 1) % len(entries)
        try:
            text = entry.render(**self.variables())
            await self.bot.change_presence(activity=activity_for(entry, text))
        except Exception:  # one bad tick must not stop the rotation
            log.exception("could not update the bot status")
            return
        self.current = f"{entry.type} {text}"

    @rotate.before_loop
    async def _before_rotate(self) -> None:
        await self.bot.wait_until_ready()

    # -- persistence ---------------------------------------------------------------------
    async def _update(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Apply ``change`` to the status section, validate, save config.json, go live."""
        async with self._lock:
            data = self.config.to_dict()
            change(data["status"])
            try:
                updated = parse_config(data)
            except ConfigError as exc:
                raise commands.BadArgument(str(exc)) from None
            try:
                await asyncio.to_thread(save_config, self.bot.services.bot_dir, updated)
            except ConfigError as exc:
                log.error("could not save config.json: %s", exc)
                raise commands.CommandError(f"could not save config.json: {exc}") from exc
            self.config.status = updated.status
            self.index %= len(self.config.status.entries())

    # -- commands ------------------------------------------------------------------------
    @commands.hybrid_group(
        name="status",
        invoke_without_command=True,
        description="Show or change the rotating bot status (owner)",
        extras=OWNER_ONLY,
    )
    @app_commands.default_permissions(administrator=True)
    async def status(self, ctx: Ctx) -> None:
        """List the rotating statuses (subcommands: list, add, remove, interval)."""
        await self._send_list(ctx)

    @status.command(name="list", description="List the rotating statuses")
    async def status_list(self, ctx: Ctx) -> None:
        """List every status in rotation order with a preview."""
        await self._send_list(ctx)

    @status.command(name="add", description="Add a status to the rotation")
    @app_commands.describe(
        activity="playing, watching, listening or competing",
        text="Status text; may use {guilds} {users} {commands}",
    )
    async def status_add(self, ctx: Ctx, activity: ActivityName, *, text: str) -> None:
        """Add a status, e.g. `status add playing with {users} users`."""

        def change(section: dict[str, Any]) -> None:
            section["rotation"].append({"type": activity, "text": text})

        await self._update(change)
        count = len(self.config.status.entries())
        await ctx.send(
            embed=embeds.success(
                "Status added",
                f"{ICONS[activity]} {activity} {text}\n{count} status(es) in rotation.",
            )
        )

    @status.command(name="remove", description="Remove a status by its number")
    @app_commands.describe(number="The status number shown by `status list`")
    async def status_remove(self, ctx: Ctx, number: int) -> None:
        """Remove status number N (see `status list`); the last one cannot be removed."""
        entries = self.config.status.entries()
        if not 1 <= number <= len(entries):
            raise commands.BadArgument(f"Pick a number from 1 to {len(entries)}.")
        if len(entries) == 1:
            raise commands.BadArgument("The bot needs at least one status; add another first.")
        removed = entries[number - 1]

        def change(section: dict[str, Any]) -> None:
            if number == 1:  # the main status: the first rotation entry takes its place
                first = section["rotation"].pop(0)
                section["type"], section["text"] = first["type"], first["text"]
            else:
                section["rotation"].pop(number - 2)

        await self._update(change)
        await ctx.send(
            embed=embeds.success(
                "Status removed", f"{ICONS.get(removed.type, '')} {removed.type} {removed.text}"
            )
        )

    @status.command(name="interval", description="Seconds between status changes")
    @app_commands.describe(seconds="15 to 86400")
    async def status_interval(self, ctx: Ctx, seconds: commands.Range[int, 15, 86400]) -> None:
        """Set how many seconds each status stays (15-86400)."""

        def change(section: dict[str, Any]) -> None:
            section["interval"] = seconds

        await self._update(change)
        self.rotate.change_interval(seconds=seconds)
        await ctx.send(embed=embeds.success("Interval changed", f"Every {seconds} s."))

    async def _send_list(self, ctx: Ctx) -> None:
        values = self.variables()
        lines = []
        for number, entry in enumerate(self.config.status.entries(), start=1):
            try:
                preview = entry.render(**values)
            except (KeyError, ValueError, IndexError):
                preview = "(cannot be rendered)"
            lines.append(
                f"**{number}.** {ICONS.get(entry.type, '')} {entry.type} `{entry.text}` → {preview}"
            )
        embed = embeds.info("🔄 Status rotation", join_lines(lines, limit=4000))
        embed.add_field(name="Interval", value=f"{self.config.status.interval} s")
        embed.add_field(name="Showing now", value=self.current or "—")
        embed.add_field(name="Running", value="yes" if self.rotate.is_running() else "no")
        await ctx.send(embed=embed)


async def setup(bot: ZoryxBot) -> None:
    await bot.add_cog(StatusRotator(bot))
