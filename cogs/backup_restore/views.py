"""Views shared by the backup commands: an invoker-only base that disables itself on
timeout, a paginated list and a yes/no confirmation.

Components are built at run time (the dashboard and the restore screen change which
buttons they show), each with a stable ``custom_id`` under ``zoryx:backup:``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import discord

from cogs.core import embeds as styles
from zoryx.operator import OperatorError
from zoryx.redaction import redactor_of

from .model import BackupError

log = logging.getLogger("zoryx.backups")

Callback = Callable[[discord.Interaction], Coroutine[Any, Any, None]]
PREFIX = "zoryx:backup:"
SLOW_SECONDS = 2.0
"""Work taking longer than this answers the interaction with a deferral first."""


#: Errors written for the user: shown as they are.
USER_ERRORS = (OperatorError, BackupError)


def said(client: discord.Client, exc: BaseException) -> str:
    """An OperatorError/BackupError message as the user reads it (secrets removed)."""
    return redactor_of(client).redact(str(exc))


def cid(name: str) -> str:
    return PREFIX + name


IDS = {
    "prev": cid("prev"),
    "next": cid("next"),
    "confirm": cid("confirm"),
    "cancel": cid("cancel"),
}


class OwnedView(discord.ui.View):
    """A view only the member who ran the command may use.

    Others get an ephemeral refusal. On timeout every component is disabled.
    """

    TIMEOUT = 300.0

    def __init__(self, author_id: int, command: str, *, timeout: float | None = None) -> None:
        super().__init__(timeout=self.TIMEOUT if timeout is None else timeout)
        self.author_id = author_id
        self.command = command
        self.message: discord.Message | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.author_id:
            return True
        await interaction.response.send_message(
            embed=styles.error(
                "Not yours",
                f"Only the member who ran `{self.command}` can use these controls. "
                "Run the command yourself.",
            ),
            ephemeral=True,
        )
        return False

    def button(
        self,
        name: str,
        label: str,
        callback: Callback,
        *,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        disabled: bool = False,
        row: int | None = None,
    ) -> discord.ui.Button[OwnedView]:
        item: discord.ui.Button[OwnedView] = discord.ui.Button(
            label=label, custom_id=cid(name), style=style, disabled=disabled, row=row
        )
        item.callback = callback  # type: ignore[method-assign,assignment]
        self.add_item(item)
        return item

    def disable_all(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True

    async def on_timeout(self) -> None:
        self.disable_all()
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        log.error("backup view interaction failed", exc_info=error)
        with contextlib.suppress(discord.HTTPException):
            embed = styles.error("Something went wrong", "The details are in the bot's log.")
            if interaction.response.is_done():
                await interaction.followup.send(embed=embed, ephemeral=True)
            else:
                await interaction.response.send_message(embed=embed, ephemeral=True)

    async def show(self, interaction: discord.Interaction, work: Awaitable[discord.Embed]) -> None:
        """Edit the view's message with the embed ``work`` builds (and this view).

        Quick work answers the interaction with the edit; slow work (say, comparing a
        large server with its backup) defers first so the interaction does not expire.
        """
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=SLOW_SECONDS)
        if done:
            await interaction.response.edit_message(embed=task.result(), view=self)
            return
        await interaction.response.defer()
        embed = await task
        await interaction.edit_original_response(embed=embed, view=self)


class PagesView(OwnedView):
    """◀ ▶ through prepared embeds (the buttons disable at either end)."""

    def __init__(
        self, author_id: int, command: str, pages: Sequence[discord.Embed], start: int = 0
    ) -> None:
        super().__init__(author_id, command)
        self.pages = list(pages)
        self.index = max(0, min(start, len(self.pages) - 1))
        self.prev = self.button("prev", "◀", self._prev)
        self.next = self.button("next", "▶", self._next)
        self._sync()

    @property
    def current(self) -> discord.Embed:
        return self.pages[self.index]

    def _sync(self) -> None:
        self.prev.disabled = self.index <= 0
        self.next.disabled = self.index >= len(self.pages) - 1

    async def _step(self, interaction: discord.Interaction, step: int) -> None:
        self.index = max(0, min(self.index + step, len(self.pages) - 1))
        self._sync()
        await interaction.response.edit_message(embed=self.current, view=self)

    async def _prev(self, interaction: discord.Interaction) -> None:
        await self._step(interaction, -1)

    async def _next(self, interaction: discord.Interaction) -> None:
        await self._step(interaction, 1)


class ConfirmView(OwnedView):
    """Confirm / Cancel. ``on_confirm`` returns the embed the message then shows."""

    def __init__(
        self,
        author_id: int,
        command: str,
        on_confirm: Callable[[], Awaitable[discord.Embed]],
        *,
        confirm_label: str = "Confirm",
        cancelled: str = "Nothing was changed.",
    ) -> None:
        super().__init__(author_id, command, timeout=120.0)
        self.on_confirm = on_confirm
        self.cancelled = cancelled
        self.button("confirm", confirm_label, self._confirm, style=discord.ButtonStyle.danger)
        self.button("cancel", "Cancel", self._cancel)

    async def _confirm(self, interaction: discord.Interaction) -> None:
        self.stop()
        self.clear_items()
        await self.show(interaction, self.on_confirm())

    async def _cancel(self, interaction: discord.Interaction) -> None:
        self.stop()
        self.clear_items()
        await interaction.response.edit_message(
            embed=styles.info("Cancelled", self.cancelled), view=self
        )
