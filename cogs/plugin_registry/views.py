"""Prev/Next pagination for ``pr_list`` (only the member who ran the command may page)."""

from __future__ import annotations

import contextlib

import discord

from cogs.core import embeds

PREV_ID = "zoryx:pr_list:prev"
NEXT_ID = "zoryx:pr_list:next"


class PluginListView(discord.ui.View):
    """Pages of plugin embeds with Prev/Next buttons; buttons disable at either end."""

    def __init__(self, author_id: int, pages: list[discord.Embed], timeout: float = 180) -> None:
        super().__init__(timeout=timeout)
        self.author_id = author_id
        self.pages = pages
        self.index = 0
        self.message: discord.Message | None = None
        self._sync()

    def _sync(self) -> None:
        self.prev.disabled = self.index <= 0
        self.next.disabled = self.index >= len(self.pages) - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.author_id:
            return True
        await interaction.response.send_message(
            embed=embeds.error(
                "Not your list",
                "Only the member who ran `pr_list` can page through it. Run the command yourself.",
            ),
            ephemeral=True,
        )
        return False

    async def _show(self, interaction: discord.Interaction, step: int) -> None:
        self.index = max(0, min(self.index + step, len(self.pages) - 1))
        self._sync()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    @discord.ui.button(label="◀ Prev", style=discord.ButtonStyle.secondary, custom_id=PREV_ID)
    async def prev(
        self, interaction: discord.Interaction, button: discord.ui.Button[PluginListView]
    ) -> None:
        await self._show(interaction, -1)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary, custom_id=NEXT_ID)
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[PluginListView]
    ) -> None:
        await self._show(interaction, 1)

    async def on_timeout(self) -> None:
        self.prev.disabled = self.next.disabled = True
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)
