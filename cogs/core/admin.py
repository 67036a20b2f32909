"""Bot-owner maintenance commands: sync, load, unload, reload, cleanup.

Each goes through the operator API (``bot.operator``), so the role check and the audit
record are the same as in the console.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from zoryx.operator import OperatorError
from zoryx.storage import sqlite_base

from . import embeds
from ._common import Ctx, actor, code_block, join_lines, redact

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot
    from zoryx.extensions import ExtensionInfo

log = logging.getLogger("zoryx.admin")
OWNER_ONLY = {"owner_only": True}
_admin_only_slash = app_commands.default_permissions(administrator=True)


class ConfirmCleanup(discord.ui.View):
    """Delete / Cancel buttons for removing orphaned guild data; invoker only."""

    def __init__(self, author_id: int, cog: Admin, ctx: Ctx) -> None:
        super().__init__(timeout=60)
        self.author_id = author_id
        self.cog = cog
        self.ctx = ctx
        self.message: discord.Message | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.author_id:
            return True
        await interaction.response.send_message(
            embed=embeds.error("Not your command", "Only the owner who ran it can confirm."),
            ephemeral=True,
        )
        return False

    def _disable(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True

    @discord.ui.button(
        label="Delete", style=discord.ButtonStyle.danger, custom_id="zoryx:cleanup:confirm"
    )
    async def confirm(
        self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmCleanup]
    ) -> None:
        self._disable()
        self.stop()
        await interaction.response.defer()
        embed = await self.cog.remove_orphans(self.ctx)
        await interaction.edit_original_response(embed=embed, view=self)

    @discord.ui.button(
        label="Cancel", style=discord.ButtonStyle.secondary, custom_id="zoryx:cleanup:cancel"
    )
    async def cancel(
        self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmCleanup]
    ) -> None:
        self._disable()
        self.stop()
        await interaction.response.edit_message(
            embed=embeds.info("Cleanup cancelled", "No guild data was deleted."), view=self
        )

    async def on_timeout(self) -> None:
        self._disable()
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)


class Admin(commands.Cog):
    """Owner-only maintenance: slash sync, extension loading and cleanup."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot

    @property
    def operator(self) -> Any:
        return self.bot.operator

    # -- sync ----------------------------------------------------------------------------
    @commands.hybrid_command(
        description="Force a sync of the slash commands (owner)", extras=OWNER_ONLY
    )
    @_admin_only_slash
    async def sync(self, ctx: Ctx) -> None:
        """Push the current slash commands to Discord now, even if nothing changed."""
        await ctx.defer()
        try:
            count = await self.operator.sync_commands(actor(ctx))
        except OperatorError as exc:
            await ctx.send(embed=embeds.error("Sync failed", redact(self.bot, str(exc))))
            return
        await ctx.send(embed=embeds.success("Slash commands synced", f"{count} command(s) synced."))

    # -- extensions ----------------------------------------------------------------------
    @commands.hybrid_command(description="Load a user extension (owner)", extras=OWNER_ONLY)
    @app_commands.describe(extension="Name of the extension in extensions/")
    @_admin_only_slash
    async def load(self, ctx: Ctx, extension: str) -> None:
        """Load an extension from the extensions/ folder."""
        await self._extension_action(ctx, "load", extension)

    @commands.hybrid_command(description="Unload a user extension (owner)", extras=OWNER_ONLY)
    @app_commands.describe(extension="Name of a loaded extension")
    @_admin_only_slash
    async def unload(self, ctx: Ctx, extension: str) -> None:
        """Unload a loaded extension."""
        await self._extension_action(ctx, "unload", extension)

    @commands.hybrid_command(description="Reload a user extension (owner)", extras=OWNER_ONLY)
    @app_commands.describe(extension="Name of the extension in extensions/")
    @_admin_only_slash
    async def reload(self, ctx: Ctx, extension: str) -> None:
        """Reload an extension; if the new code fails, the old version keeps running."""
        await self._extension_action(ctx, "reload", extension)

    @load.autocomplete("extension")
    @unload.autocomplete("extension")
    @reload.autocomplete("extension")
    async def _extension_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = await self.bot.extension_manager.discover()
        names = sorted(n for n in found if current.lower() in n.lower())
        return [app_commands.Choice(name=n, value=n) for n in names[:25]]

    async def _extension_action(self, ctx: Ctx, action: str, name: str) -> None:
        calls = {
            "load": self.operator.load_extension,
            "unload": self.operator.unload_extension,
            "reload": self.operator.reload_extension,
        }
        past = {"load": "Loaded", "unload": "Unloaded", "reload": "Reloaded"}[action]
        async with ctx.typing():
            try:
                info: ExtensionInfo = await calls[action](actor(ctx), name)
            except OperatorError as exc:
                await ctx.send(embed=self._failure_embed(action, name, exc))
                return
        embed = embeds.success(f"{past} {info.name}")
        if action != "unload" and info.load_ms is not None:
            embed.add_field(name="Load time", value=f"{info.load_ms:.1f} ms")
        if info.metadata.get("version"):
            embed.add_field(name="Version", value=str(info.metadata["version"]))
        if action == "reload":
            embed.add_field(name="Reloads this run", value=str(info.reloads))
        await ctx.send(embed=embed)

    def _failure_embed(self, action: str, name: str, exc: OperatorError) -> discord.Embed:
        embed = embeds.error(f"Could not {action} {name}", redact(self.bot, str(exc))[:2000])
        info = self.bot.extension_manager.get(name)
        if info is not None and info.traceback:
            embed.add_field(
                name="Traceback (end)", value=code_block(redact(self.bot, info.traceback))
            )
        return embed

    # -- cleanup -------------------------------------------------------------------------
    @commands.hybrid_command(
        description="Clear caches and remove data of servers the bot left (owner)",
        extras=OWNER_ONLY,
    )
    @_admin_only_slash
    async def cleanup(self, ctx: Ctx) -> None:
        """Clear the file cache, then offer to delete databases of servers the bot left."""
        try:
            cleared = await self.operator.clear_caches(actor(ctx))
        except OperatorError as exc:
            await ctx.send(embed=embeds.error("Cleanup failed", str(exc)))
            return
        entries = int(cleared.get("atomic_cache_entries_cleared", 0))
        orphans = await self._orphans()
        if not orphans:
            embed = embeds.success("Cleanup done")
            embed.add_field(name="File cache", value=f"{entries} entr(y/ies) cleared")
            embed.add_field(name="Orphaned server data", value="None found")
            await ctx.send(embed=embed)
            return
        embed = embeds.warning(
            "Orphaned server data found",
            f"The file cache was cleared ({entries} entries). The bot is no longer in "
            f"{len(orphans)} server(s) that still have a database. Delete their data? "
            "This cannot be undone.",
        )
        embed.add_field(name="Server IDs", value=join_lines(f"`{g}`" for g in orphans))
        view = ConfirmCleanup(ctx.author.id, self, ctx)
        view.message = await ctx.send(embed=embed, view=view)

    def _active_guilds(self) -> set[int]:
        return {g.id for g in self.bot.guilds}

    async def _orphans(self) -> list[int]:
        data_dir = self.bot.services.data_dir
        on_disk = await asyncio.to_thread(sqlite_base.guild_dirs, data_dir, with_db=False)
        active = self._active_guilds()
        return [gid for gid in on_disk if gid not in active]

    async def remove_orphans(self, ctx: Ctx) -> discord.Embed:
        if not self.bot.is_ready():
            return embeds.error("Not ready", "The bot is still connecting; try again shortly.")
        try:
            removed = await self.operator.cleanup_orphans(actor(ctx))
        except OperatorError as exc:
            return embeds.error("Cleanup failed", str(exc))
        log.info("%s removed data of %d orphaned guild(s)", ctx.author, len(removed))
        embed = embeds.success("Orphaned server data deleted", f"{len(removed)} server(s).")
        if removed:
            embed.add_field(name="Server IDs", value=join_lines(f"`{g}`" for g in removed))
        return embed


async def setup(bot: ZoryxBot) -> None:
    await bot.add_cog(Admin(bot))
