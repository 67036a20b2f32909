"""The ``backup`` dashboard: five tabs, refresh, ◀ ▶ pages and a quick-delete menu that
never offers a pinned backup (a delete is confirmed before it happens)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import discord

from cogs.core import embeds as styles
from cogs.core._common import DESCRIPTION_LIMIT, clip, size

from . import embeds_dashboard as tabs
from .embeds import chunks
from .model import SnapshotInfo
from .views import USER_ERRORS, Callback, OwnedView, cid, said

if TYPE_CHECKING:
    from .service import BackupService

QUICK_DELETE = cid("quickdelete")


def tab_id(tab: str) -> str:
    return cid(f"tab:{tab}")


class DashboardView(OwnedView):
    """Overview / Backups / Compare / Audit / Analytics of one server's backups."""

    def __init__(
        self,
        author_id: int,
        *,
        service: BackupService,
        client: discord.Client,
        guild: discord.Guild,
        delete: Callable[[str], Awaitable[None]],
        limit: int,
    ) -> None:
        super().__init__(author_id, "backup")
        self.service = service
        self.client = client
        self.guild = guild
        self.delete = delete
        self.limit = limit
        self.tab = "overview"
        self.page = 0
        self.pending: str | None = None  # a backup chosen in the quick-delete menu
        self.notice: str | None = None
        self.infos: list[SnapshotInfo] = []
        self.entries: list[dict[str, Any]] = []

    # -- rendering ---------------------------------------------------------------------------
    async def render(self) -> discord.Embed:
        """Load the current tab's data, rebuild the components, return the embed."""
        try:
            embed = await self._tab_embed()
        except USER_ERRORS as exc:
            embed = styles.error(f"Backups · {tabs.TABS[self.tab]}", said(self.client, exc))
        self._build()
        if self.notice:
            embed.description = clip(
                f"{self.notice}\n\n{embed.description or ''}".strip(), DESCRIPTION_LIMIT
            )
        return embed

    async def _tab_embed(self) -> discord.Embed:
        gid, name = self.guild.id, self.guild.name
        if self.tab == "audit":
            self.entries = await self.service.audit(gid)
            self.page = min(self.page, tabs.pages_of("audit", len(self.entries)) - 1)
            return tabs.audit(name, self.entries, self.page)
        self.infos = await self.service.list(gid)
        if self.tab == "overview":
            sched = await self.service.schedule(gid)
            left = self.service.cooldown_left(gid)
            return tabs.overview(name, self.infos, sched, left, self.limit)
        if self.tab == "backups":
            self.page = min(self.page, tabs.pages_of("backups", len(self.infos)) - 1)
            return tabs.backups(name, self.infos, self.page)
        if self.tab == "compare":
            latest = self.infos[0] if self.infos else None
            diff, error = None, None
            if latest is not None:
                try:
                    diff = await self.service.drift(self.guild, latest.id)
                except USER_ERRORS as exc:
                    error = said(self.client, exc)
            return tabs.compare(name, latest, diff, error)
        self.entries = await self.service.audit(gid)
        return tabs.analytics(name, self.infos, self.entries)

    def _build(self) -> None:
        self.clear_items()
        for tab, title in tabs.TABS.items():
            current = tab == self.tab
            style = discord.ButtonStyle.primary if current else discord.ButtonStyle.secondary
            self.button(
                f"tab:{tab}", title, self._tab_callback(tab), style=style, disabled=current, row=0
            )
        items = len(self.entries) if self.tab == "audit" else len(self.infos)
        pages = tabs.pages_of(self.tab, items)
        self.button("prev", "◀", self._prev, disabled=self.page <= 0, row=1)
        self.button("next", "▶", self._next, disabled=self.page >= pages - 1, row=1)
        self.button("refresh", "🔄 Refresh", self._on_refresh, row=1)
        if self.pending is not None:
            self.button(
                "confirm",
                f"Delete {self.pending}",
                self._confirm_delete,
                style=discord.ButtonStyle.danger,
                row=2,
            )
            self.button("cancel", "Keep it", self._cancel_delete, row=2)
        elif self.tab == "backups":
            self._add_quick_delete()

    def _add_quick_delete(self) -> None:
        shown = chunks(self.infos, tabs.BACKUPS_PAGE)[self.page]
        candidates = [i for i in shown if not i.pinned]
        if not candidates:
            return
        select: discord.ui.Select[DashboardView] = discord.ui.Select(
            custom_id=QUICK_DELETE,
            placeholder="🗑️ Quick delete a backup on this page…",
            options=[
                discord.SelectOption(
                    label=info.id,
                    value=info.id,
                    description=clip(info.label or f"{size(info.size)}, not pinned", 100),
                )
                for info in candidates
            ],
            row=2,
        )
        select.callback = self._quick_delete  # type: ignore[method-assign]
        self.add_item(select)

    # -- callbacks ---------------------------------------------------------------------------
    def _tab_callback(self, tab: str) -> Callback:
        async def callback(interaction: discord.Interaction) -> None:
            self.tab, self.page, self.pending, self.notice = tab, 0, None, None
            await self.show(interaction, self.render())

        return callback

    async def _prev(self, interaction: discord.Interaction) -> None:
        self.page = max(0, self.page - 1)
        await self.show(interaction, self.render())

    async def _next(self, interaction: discord.Interaction) -> None:
        self.page += 1
        await self.show(interaction, self.render())

    async def _on_refresh(self, interaction: discord.Interaction) -> None:
        self.notice = None
        await self.show(interaction, self.render())

    async def _quick_delete(self, interaction: discord.Interaction) -> None:
        data = cast("dict[str, Any]", interaction.data or {})
        values = data.get("values") or []
        chosen = str(values[0]) if values else ""
        if any(i.id == chosen and i.pinned for i in self.infos):
            self.notice = f"📌 `{chosen}` is pinned; unpin it first (`backuppin {chosen}`)."
        elif chosen:
            self.pending = chosen
            self.notice = f"⚠️ Delete backup `{chosen}`? This cannot be undone."
        await self.show(interaction, self.render())

    async def _confirm_delete(self, interaction: discord.Interaction) -> None:
        target, self.pending = self.pending, None
        if target is not None:
            try:
                await self.delete(target)
            except USER_ERRORS as exc:
                self.notice = f"❌ `{target}` was not deleted: {said(self.client, exc)}"
            else:
                self.notice = f"🗑️ Deleted backup `{target}`."
        await self.show(interaction, self.render())

    async def _cancel_delete(self, interaction: discord.Interaction) -> None:
        self.pending, self.notice = None, "Nothing was deleted."
        await self.show(interaction, self.render())
