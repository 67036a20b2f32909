"""Whole-body panels: the start-up progress and the error panel (crash, bad config)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TextArea

__all__ = ["ErrorPanel", "StartupView", "TracebackView"]


class StartupView(Vertical):
    """Start-up progress: one line per step, the current one marked as running."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._done: list[str] = []
        self._current = ""

    def compose(self) -> ComposeResult:
        yield Static(Text("Starting Zoryx…", style="bold"), id="startup-title")
        yield Static(id="startup-steps")

    def step(self, text: str) -> None:
        """Mark the current step done and show ``text`` as running."""
        if self._current:
            self._done.append(self._current)
        self._current = text
        lines = Text()
        for done in self._done:
            lines.append("  ✓ ", style="bold green")
            lines.append(f"{done}\n")
        lines.append("  … ", style="bold yellow")
        lines.append(text)
        self.query_one("#startup-steps", Static).update(lines)


class TracebackView(TextArea):
    """A read-only, scrollable, selectable block of text (tracebacks, command output)."""

    def __init__(self, text: str = "", **kwargs: object) -> None:
        super().__init__(text, read_only=True, show_line_numbers=False, soft_wrap=False, **kwargs)  # type: ignore[arg-type]


class ErrorPanel(Vertical):
    """Shown instead of the panes when the bot cannot run: what happened and what to do.

    Args:
        title: One line, e.g. ``"The bot crashed"``.
        message: The reason in a sentence.
        details: A traceback or longer text (scrollable), or empty.
    """

    def __init__(self, title: str, message: str, details: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.title_text = title
        self.message = message
        self.details = details

    def compose(self) -> ComposeResult:
        yield Static(Text(f"✗ {self.title_text}", style="bold red"), id="error-title")
        yield Static(Text(self.message), id="error-message")
        if self.details:
            yield TracebackView(self.details, id="error-details")
        yield Static(
            Text(
                "The console stays open so you can read this. ctrl+q quits; the full log is "
                "in botlogs/current_run.log.",
                style="dim",
            ),
            id="error-hint",
        )
