"""The contract every console pane follows.

A pane is one module in ``tui/panes/`` holding one :class:`Pane` subclass, registered with
one line in ``tui/panes/__init__.py``. Panes read plain data — views, by name — from
``self.source`` (a :class:`zoryx.readmodel.Source`: the bot in this process, or a bot
attached to over its control socket) and act only through ``self.source.act`` (the
operator API, as the console's operator: role check and audit record). A pane never holds
a reference to the bot, a cog, a service or the runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any, ClassVar

from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, TextArea

if TYPE_CHECKING:
    from zoryx.readmodel import Source


class Pane(Vertical):
    """Base class for console panes.

    Class attributes:
        pane_id: Stable identifier (also the widget id), e.g. ``"overview"``.
        title: Tab title.
        short_title: Tab title where the full titles do not fit (80 columns); at most
            five letters (default: ``title`` itself).
        refresh_seconds: How often :meth:`refresh_data` runs while the pane is visible
            (0 = only when shown and when the app asks).
        sandbox_only: Only shown when the runtime runs on the sandbox Discord.
    """

    pane_id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    short_title: ClassVar[str] = ""
    refresh_seconds: ClassVar[float] = 2.0
    sandbox_only: ClassVar[bool] = False
    # Key help shown by "?" in addition to BINDINGS: (key, description) pairs.
    extra_help: ClassVar[list[tuple[str, str]]] = []

    @classmethod
    async def listed(cls, source: Source) -> bool:
        """Whether the console lists this pane for the bot behind ``source`` (asked once,
        when the panes are built): a feature's pane says no while the feature is switched
        off in the bot's configuration."""
        return True

    @property
    def source(self) -> Source:
        """Where the pane reads views and runs operator actions."""
        return self.app.source  # type: ignore[attr-defined, no-any-return]

    @property
    def frozen(self) -> bool:
        """Snapshot mode: render placeholders for volatile values (uptime, CPU, times…)."""
        return bool(getattr(self.app, "frozen_clock", False))

    async def refresh_data(self) -> None:
        """Read the pane's views again and update the widgets (on a timer while visible).

        The console shares the bot's event loop: update only the widgets whose content
        changed, and let the screen paint between widgets (:meth:`painted`).
        """

    async def painted(self, timeout: float = 0.25) -> None:
        """Wait until the screen has painted what this pane changed so far.

        A refresh that updates several widgets awaits this between them, so that each
        repaint is a short step of the event loop with the bot's work in between, rather
        than one long repaint of everything at once. Never waits more than ``timeout``.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def mark() -> None:
            if not done.done():
                done.set_result(None)

        if self.call_after_refresh(mark):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done, timeout)

    def home_widget(self) -> Widget | None:
        """Where focus goes when the operator leaves a text field with ``esc``.

        The first focusable widget of the pane that is not a text field; panes name
        their own (the Files tree, the Sandbox conversation).
        """
        for widget in self.query("*"):
            if widget.focusable and widget.display and not is_text_field(widget):
                return widget
        return None

    def leave_field(self) -> None:
        """Leave the text field being typed into (``esc``): focus :meth:`home_widget`."""
        home = self.home_widget()
        if home is not None:
            home.focus()
        else:
            self.screen.set_focus(None)

    def apply_filter(self, text: str) -> None:
        """Filter the pane's main table (``/``); panes without a table ignore it."""

    def command_help(self) -> list[tuple[str, str]]:
        """``:`` commands this pane adds: (usage, description)."""
        return []

    async def run_command(self, name: str, args: list[str]) -> Any:
        """Handle a ``:`` command registered by :meth:`command_help` (return a message)."""
        return None


def is_text_field(widget: Widget) -> bool:
    """Whether typing into ``widget`` inserts text (an input, an editable text area)."""
    return isinstance(widget, Input) or (isinstance(widget, TextArea) and not widget.read_only)
