"""The ``shardmonitor`` dashboard: Overview / Health / Latency / Events tabs and Refresh.

Only the member who ran the command may press the buttons.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import discord

from cogs.core import embeds

from . import embeds as shard_embeds
from .snapshot import MonitorSnapshot

TAB_LABELS = {
    "overview": ("📊", "Overview"),
    "health": ("🏥", "Health"),
    "latency": ("📡", "Latency"),
    "events": ("📈", "Events"),
}
CUSTOM_ID = "zoryx:shardmonitor:{}"
REFRESH_ID = CUSTOM_ID.format("refresh")


class TabButton(discord.ui.Button["ShardMonitorView"]):
    def __init__(self, tab: str) -> None:
        emoji, label = TAB_LABELS[tab]
        super().__init__(label=label, emoji=emoji, custom_id=CUSTOM_ID.format(tab))
        self.tab = tab

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.show(interaction, self.tab)


class RefreshButton(discord.ui.Button["ShardMonitorView"]):
    def __init__(self) -> None:
        super().__init__(
            label="Refresh", emoji="🔄", style=discord.ButtonStyle.success, custom_id=REFRESH_ID
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.show(interaction, self.view.tab)


class ShardMonitorView(discord.ui.View):
    """The dashboard; ``snapshot`` reads the monitor afresh at every press."""

    def __init__(
        self,
        author_id: int,
        snapshot: Callable[[], MonitorSnapshot],
        tab: str = "overview",
        timeout: float = 300,
    ) -> None:
        super().__init__(timeout=timeout)
        self.author_id = author_id
        self.snapshot = snapshot
        self.tab = tab
        self.message: discord.Message | None = None
        self.tabs = [TabButton(name) for name in TAB_LABELS]
        for button in self.tabs:
            self.add_item(button)
        self.add_item(RefreshButton())
        self._style()

    def _style(self) -> None:
        for button in self.tabs:
            current = button.tab == self.tab
            button.style = discord.ButtonStyle.primary if current else discord.ButtonStyle.secondary
            button.disabled = current

    def embed(self) -> discord.Embed:
        return shard_embeds.TAB_BUILDERS[self.tab](self.snapshot())

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.author_id:
            return True
        await interaction.response.send_message(
            embed=embeds.error(
                "Not your dashboard",
                "Only the member who ran `shardmonitor` can use these buttons. "
                "Run the command yourself.",
            ),
            ephemeral=True,
        )
        return False

    async def show(self, interaction: discord.Interaction, tab: str) -> None:
        self.tab = tab
        self._style()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)
