"""Discord face of backup & restore: 13 hybrid commands for a server's Administrators
(and bot owners). Privileged actions go through ``bot.operator.backup_*``; reads call the
:class:`~cogs.backup_restore.service.BackupService`."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs.core import embeds as styles
from cogs.core._common import Ctx, actor, bot_of, clip, size

from . import embeds as shown
from .access import (
    OWNER_ONLY,
    Reported,
    backup_access,
    backup_actor,
    backup_ids,
    diff_targets,
    owner_command,
)
from .model import (
    MESSAGES_MAX,
    NOTE_MAX,
    SCHEDULE_MAX_HOURS,
    SCHEDULE_MIN_HOURS,
    JobInfo,
    SnapshotInfo,
)
from .views import USER_ERRORS, ConfirmView, PagesView, said
from .views_dashboard import DashboardView
from .views_restore import Choice, Followers, RestoreView

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot
    from zoryx.operator import OperatorAPI

    from .service import BackupService

CURRENT_WORDS = {"current", "live", "now"}
UPLOAD_LIMIT = 25 * 1024 * 1024
"""Discord's default attachment size limit."""

ID_HELP = "Backup ID (see backuplist)"


class Backups(commands.Cog, name="Backups"):
    """Server backups: snapshots, selective restore, diff, verify and schedules."""

    def __init__(self, bot: ZoryxBot, service: BackupService) -> None:
        self.bot = bot
        self.service = service
        self.followers = Followers(service.job)

    async def cog_unload(self) -> None:
        await self.followers.close()

    @property
    def operator(self) -> OperatorAPI:
        operator = self.bot.operator
        assert operator is not None, "the runtime sets bot.operator before the bot starts"
        return operator

    def _guild(self, ctx: Ctx) -> discord.Guild:
        assert ctx.guild is not None, "backup commands are guild-only"
        return ctx.guild

    # -- the dashboard -----------------------------------------------------------------------
    @commands.hybrid_command(description="Backup dashboard of this server")
    @backup_access()
    async def backup(self, ctx: Ctx) -> None:
        """Overview, Backups, Compare (drift), Audit and Analytics tabs."""
        guild = self._guild(ctx)
        who = backup_actor(ctx)

        async def delete(snapshot_id: str) -> None:
            await self.operator.backup_delete(who, guild.id, snapshot_id)

        view = DashboardView(
            ctx.author.id,
            service=self.service,
            client=self.bot,
            guild=guild,
            delete=delete,
            limit=bot_of(ctx).services.env.backup_max_per_guild,
        )
        async with Reported(ctx, "Backups unavailable"):
            embed = await view.render()
            view.message = await ctx.send(embed=embed, view=view)

    # -- snapshots ---------------------------------------------------------------------------
    @commands.hybrid_command(description="Take a backup of this server")
    @app_commands.describe(
        label="A short label (up to 100 characters)",
        messages=f"Also keep the last N messages per text channel (0-{MESSAGES_MAX})",
    )
    @backup_access()
    async def backupcreate(
        self,
        ctx: Ctx,
        label: commands.Range[str, 0, 100] = "",
        messages: commands.Range[int, 0, MESSAGES_MAX] = 0,
    ) -> None:
        """Snapshot roles, channels, overwrites, emojis, stickers, settings, bans and member
        roles (a label with spaces goes in quotes: `backupcreate "before the raid" 50`)."""
        guild = self._guild(ctx)
        await ctx.defer()
        async with Reported(ctx, "Backup not created"):
            info = await self.operator.backup_create(
                backup_actor(ctx), guild.id, label=label, messages=messages
            )
            await ctx.send(embed=shown.created(info, bypassed=info.cooldown_bypassed))

    @commands.hybrid_command(description="Details of one backup")
    @app_commands.describe(backup_id=ID_HELP)
    @app_commands.autocomplete(backup_id=backup_ids)
    @backup_access()
    async def backupview(self, ctx: Ctx, backup_id: str) -> None:
        """When, by whom, size, contents, pin, note and checksum of a backup."""
        async with Reported(ctx, "No such backup"):
            info = await self.service.get(self._guild(ctx).id, backup_id)
            await ctx.send(embed=shown.details(info))

    @commands.hybrid_command(description="List this server's backups")
    @app_commands.describe(page="Page number")
    @backup_access()
    async def backuplist(self, ctx: Ctx, page: commands.Range[int, 1, 10_000] = 1) -> None:
        """Every backup of this server, newest first, 10 per page."""
        guild = self._guild(ctx)
        async with Reported(ctx, "Backups unavailable"):
            infos = await self.service.list(guild.id)
            limit = bot_of(ctx).services.env.backup_max_per_guild
            pages = shown.list_pages(infos, guild.name, limit)
            await self._send_pages(ctx, "backuplist", pages, page - 1)

    @commands.hybrid_command(description="Delete a backup (asks first)")
    @app_commands.describe(backup_id=ID_HELP)
    @app_commands.autocomplete(backup_id=backup_ids)
    @backup_access()
    async def backupdelete(self, ctx: Ctx, backup_id: str) -> None:
        """Delete a backup after a confirmation; pinned backups are refused."""
        guild = self._guild(ctx)
        who = backup_actor(ctx)
        async with Reported(ctx, "Backup not deleted"):
            info = await self.service.get(guild.id, backup_id)
            if info.pinned:
                await ctx.send(
                    embed=styles.error(
                        "Backup not deleted",
                        f"`{info.id}` is pinned. Unpin it first with `backuppin {info.id}`.",
                    ),
                    ephemeral=True,
                )
                return

            async def confirmed() -> discord.Embed:
                try:
                    await self.operator.backup_delete(who, guild.id, info.id)
                except USER_ERRORS as exc:
                    return styles.error("Backup not deleted", said(self.bot, exc))
                return styles.success("Backup deleted", f"`{info.id}` is gone.")

            view = ConfirmView(
                ctx.author.id,
                "backupdelete",
                confirmed,
                confirm_label="Delete",
                cancelled=f"`{info.id}` was kept.",
            )
            embed = styles.warning(
                "Delete this backup?", f"{shown.snapshot_line(info)}\n\nThis cannot be undone."
            )
            view.message = await ctx.send(embed=embed, view=view)

    @commands.hybrid_command(description="Pin or unpin a backup")
    @app_commands.describe(backup_id=ID_HELP)
    @app_commands.autocomplete(backup_id=backup_ids)
    @backup_access()
    async def backuppin(self, ctx: Ctx, backup_id: str) -> None:
        """Toggle the pin: pinned backups are never pruned or deleted."""
        guild = self._guild(ctx)
        async with Reported(ctx, "Pin not changed"):
            info = await self.service.get(guild.id, backup_id)
            info = await self.operator.backup_pin(
                backup_actor(ctx), guild.id, info.id, not info.pinned
            )
            if info.pinned:
                embed = styles.success(
                    "Backup pinned", f"📌 `{info.id}` is never pruned and cannot be deleted."
                )
            else:
                embed = styles.success(
                    "Backup unpinned", f"`{info.id}` can be deleted and pruned again."
                )
            await ctx.send(embed=embed)

    @commands.hybrid_command(description="Set the note of a backup")
    @app_commands.describe(backup_id=ID_HELP, text=f"The note (up to {NOTE_MAX} characters)")
    @app_commands.autocomplete(backup_id=backup_ids)
    @backup_access()
    async def backupnote(
        self, ctx: Ctx, backup_id: str, *, text: commands.Range[str, 1, NOTE_MAX]
    ) -> None:
        """Attach a note to a backup (replaces the previous one)."""
        guild = self._guild(ctx)
        async with Reported(ctx, "Note not saved"):
            info = await self.operator.backup_note(backup_actor(ctx), guild.id, backup_id, text)
            await ctx.send(
                embed=styles.success(f"Note saved on {info.id}", clip(info.note, 1000) or None)
            )

    @commands.hybrid_command(description="Recompute a backup's checksum")
    @app_commands.describe(backup_id=ID_HELP)
    @app_commands.autocomplete(backup_id=backup_ids)
    @backup_access()
    async def backupverify(self, ctx: Ctx, backup_id: str) -> None:
        """Whether the backup file is intact (a tampered or truncated file is reported)."""
        guild = self._guild(ctx)
        await ctx.defer()
        async with Reported(ctx, "Not verified"):
            info = await self.service.get(guild.id, backup_id)
            result = await self.service.verify(guild.id, info.id)
            await ctx.send(embed=shown.verified(info.id, result))

    @commands.hybrid_command(description="Compare two backups, or a backup with the server now")
    @app_commands.describe(
        first="The older backup", second="Another backup, or `current` for the server as it is"
    )
    @app_commands.autocomplete(first=backup_ids, second=diff_targets)
    @backup_access()
    async def backupdiff(self, ctx: Ctx, first: str, second: str) -> None:
        """Roles, channels, overwrites, settings and member roles added, removed or changed."""
        guild = self._guild(ctx)
        await ctx.defer()
        async with Reported(ctx, "Cannot compare"):
            if second.strip().lower() in CURRENT_WORDS:
                diff = await self.service.drift(guild, first)
            else:
                diff = await self.service.diff(guild.id, first, second)
            await self._send_pages(ctx, "backupdiff", shown.diff_pages(diff))

    # -- restore -----------------------------------------------------------------------------
    @commands.hybrid_command(description="Restore a backup (choose components, confirm)")
    @app_commands.describe(backup_id=ID_HELP)
    @app_commands.autocomplete(backup_id=backup_ids)
    @backup_access()
    async def backuprestore(self, ctx: Ctx, backup_id: str) -> None:
        """Pick components, update-existing and role sync; dry run or restore (confirmed);
        the message follows the restore until its summary."""
        guild = self._guild(ctx)
        who = backup_actor(ctx)
        async with Reported(ctx, "Cannot restore"):
            info = await self.service.get(guild.id, backup_id)

            async def start(choice: Choice, dry_run: bool) -> JobInfo:
                return await self.operator.backup_restore(
                    who,
                    guild.id,
                    info.id,
                    choice.ordered(),
                    update_existing=choice.update_existing,
                    role_sync=choice.role_sync,
                    dry_run=dry_run,
                )

            view = RestoreView(ctx.author.id, info, start=start, follow=self.followers.follow)
            view.message = await ctx.send(embed=view.embed(), view=view)

    # -- schedule ----------------------------------------------------------------------------
    @commands.hybrid_command(
        description="Automatic backups: enable <hours>, disable or status",
        usage="[enable <hours 1-168> | disable | status]",
    )
    @app_commands.describe(action="What to do", hours="Interval in hours (1-168), for enable")
    @backup_access()
    async def backupschedule(
        self,
        ctx: Ctx,
        action: Literal["enable", "disable", "status"] = "status",
        hours: commands.Range[int, SCHEDULE_MIN_HOURS, SCHEDULE_MAX_HOURS] = 0,
    ) -> None:
        """`backupschedule enable 6`, `backupschedule disable`, `backupschedule status`
        (enable without hours uses BACKUP_AUTO_INTERVAL when it is set)."""
        guild = self._guild(ctx)
        async with Reported(ctx, "Schedule not changed"):
            if action == "status":
                await ctx.send(embed=shown.schedule(await self.service.schedule(guild.id)))
                return
            if action == "disable":
                info = await self.operator.backup_schedule(backup_actor(ctx), guild.id, None)
                await ctx.send(embed=shown.schedule(info, changed="Automatic backups off"))
                return
            every = hours or bot_of(ctx).services.env.backup_auto_interval
            if not every:
                raise commands.BadArgument("say how often: `backupschedule enable <1-168 hours>`")
            info = await self.operator.backup_schedule(backup_actor(ctx), guild.id, every)
            await ctx.send(embed=shown.schedule(info, changed="Automatic backups on"))

    # -- bot owner ---------------------------------------------------------------------------
    @commands.hybrid_command(
        description="Download a backup as a JSON file (bot owner)", extras=OWNER_ONLY
    )
    @app_commands.describe(backup_id=ID_HELP)
    @app_commands.autocomplete(backup_id=backup_ids)
    @owner_command()
    async def backupexport(self, ctx: Ctx, backup_id: str) -> None:
        """The verified backup file; slash answers only you, prefix sends it to your DMs."""
        guild = self._guild(ctx)
        await ctx.defer(ephemeral=True)
        async with Reported(ctx, "Not exported"):
            info = await self.service.get(guild.id, backup_id)
            data = await self.operator.backup_export(actor(ctx), guild.id, info.id)
            await self._send_export(ctx, info, data)

    async def _send_export(self, ctx: Ctx, info: SnapshotInfo, data: bytes) -> None:
        if len(data) > UPLOAD_LIMIT:
            await ctx.send(
                embed=styles.error(
                    "Too large to send",
                    f"`{info.id}` is {size(len(data))}; Discord accepts {size(UPLOAD_LIMIT)}. "
                    "Copy it from the bot's data folder or the console instead.",
                ),
                ephemeral=True,
            )
            return
        name = f"backup-{info.guild_id}-{info.id}.json"
        embed = styles.success(
            "Backup exported", f"`{info.id}` · {size(len(data))} · SHA-256 `{info.checksum}`"
        )
        file = discord.File(io.BytesIO(data), filename=name)
        if ctx.interaction is not None:
            await ctx.send(embed=embed, file=file, ephemeral=True)
            return
        try:
            await ctx.author.send(embed=embed, file=file)
        except discord.Forbidden:
            await ctx.send(
                embed=styles.error(
                    "Not exported",
                    "I cannot send you a direct message. Allow DMs from this server, or use "
                    "`/backupexport` (only you see its answer).",
                )
            )
            return
        await ctx.send(embed=styles.success("Backup exported", "📬 Sent to your DMs."))

    @commands.hybrid_command(description="Backups on every server (bot owner)", extras=OWNER_ONLY)
    @owner_command()
    async def backupstats(self, ctx: Ctx) -> None:
        """How many backups each server has, their size and the latest."""
        async with Reported(ctx, "Statistics unavailable"):
            stats = await self.service.stats()
            names = {
                int(row.get("guild_id", 0)): getattr(
                    self.bot.get_guild(int(row.get("guild_id", 0))), "name", "unknown server"
                )
                for row in stats.get("per_guild") or []
            }
            await self._send_pages(ctx, "backupstats", shown.stats_pages(stats, names))

    # -- helpers -----------------------------------------------------------------------------
    async def _send_pages(
        self, ctx: Ctx, command: str, pages: list[discord.Embed], start: int = 0
    ) -> None:
        if len(pages) == 1:
            await ctx.send(embed=pages[0])
            return
        view = PagesView(ctx.author.id, command, pages, start)
        view.message = await ctx.send(embed=view.current, view=view)
