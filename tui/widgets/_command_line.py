"""The bottom command line: ``:`` runs a console command, ``/`` filters the current pane."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Label

__all__ = ["CommandBar", "CommandSuggester"]

Mode = Literal["command", "filter"]


class CommandSuggester(Suggester):
    """Completes the first word from the known commands, then a name for the argument.

    Args:
        candidates: Called at each keystroke; returns every full line worth suggesting,
            e.g. ``"reload greetings"``.
    """

    def __init__(self, candidates: Callable[[], Iterable[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self._candidates = candidates

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        lowered = value.lower()
        for candidate in self._candidates():
            if candidate.lower().startswith(lowered) and len(candidate) > len(value):
                return candidate
        return None


class _CommandInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
        Binding("escape", "dismiss", "Close", show=False),
    ]

    def action_history(self, step: int) -> None:
        bar = self.parent
        if isinstance(bar, CommandBar):
            bar.step_history(step)

    def action_dismiss(self) -> None:
        bar = self.parent
        if isinstance(bar, CommandBar):
            bar.dismiss()


class CommandBar(Horizontal):
    """A one-line prompt shown on demand above the key bar.

    Posts :class:`CommandBar.CommandEntered` on enter in command mode, and
    :class:`CommandBar.FilterChanged` at every keystroke in filter mode.
    """

    HISTORY = 50

    class CommandEntered(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class FilterChanged(Message):
        def __init__(self, text: str, final: bool) -> None:
            super().__init__()
            self.text = text
            self.final = final

    class Dismissed(Message):
        def __init__(self, mode: Mode) -> None:
            super().__init__()
            self.mode = mode

    def __init__(self, candidates: Callable[[], Iterable[str]], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.mode: Mode = "command"
        self.command_history: deque[str] = deque(maxlen=self.HISTORY)
        self._history_pos = 0
        self._suggester = CommandSuggester(candidates)

    def compose(self) -> ComposeResult:
        yield Label(":", id="command-prompt")
        yield _CommandInput(id="command-input", suggester=self._suggester, compact=True)

    @property
    def input(self) -> Input:
        return self.query_one(_CommandInput)

    def open(self, mode: Mode, value: str = "") -> None:
        """Show the bar in ``mode`` with ``value`` typed in, and focus it."""
        self.mode = mode
        self.query_one("#command-prompt", Label).update(":" if mode == "command" else "/")
        field = self.input
        field.suggester = self._suggester if mode == "command" else None
        field.placeholder = (
            "command — try: reload <extension>, say #channel text, help"
            if mode == "command"
            else "filter the current table (esc clears)"
        )
        with field.prevent(Input.Changed):
            field.value = value
        field.cursor_position = len(value)
        self._history_pos = len(self.command_history)
        self.display = True
        # Focus now, not on the next idle: keys typed right after ":" must land here.
        self.screen.set_focus(field)

    def dismiss(self) -> None:
        """Hide the bar (the app decides whether a filter is cleared)."""
        self.display = False
        self.post_message(self.Dismissed(self.mode))

    def step_history(self, step: int) -> None:
        if self.mode != "command" or not self.command_history:
            return
        self._history_pos = max(0, min(len(self.command_history), self._history_pos + step))
        value = (
            self.command_history[self._history_pos]
            if self._history_pos < len(self.command_history)
            else ""
        )
        self.input.value = value
        self.input.cursor_position = len(value)

    @on(Input.Changed, "#command-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.mode == "filter":
            self.post_message(self.FilterChanged(event.value, final=False))

    @on(Input.Submitted, "#command-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.display = False
        if self.mode == "filter":
            self.post_message(self.FilterChanged(event.value, final=True))
            return
        if text and (not self.command_history or self.command_history[-1] != text):
            self.command_history.append(text)
        self.input.value = ""
        if text:
            self.post_message(self.CommandEntered(text))
        else:
            self.post_message(self.Dismissed("command"))
