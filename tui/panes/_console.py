"""What these panes ask of the console app: a yes/no answer, and the ``esc`` "back" step."""

from __future__ import annotations

from textwrap import fill
from typing import Any

from rich.text import Text
from textual.app import App
from textual.widgets import Static

from tui.widgets import ConfirmScreen

__all__ = ["confirm", "go_back"]

# The confirm dialog is 64 columns wide and its question label does not wrap by itself.
QUESTION_WIDTH = 58


async def confirm(app: Any, question: str, confirm_label: str) -> bool:
    """Show the console's yes/no dialog and wait for the answer (call from a worker)."""
    return bool(
        await app.push_screen_wait(ConfirmScreen(fill(question, QUESTION_WIDTH), confirm_label))
    )


def go_back(app: Any) -> None:
    """Hand ``esc`` on to the console (close the command line, clear the filter…)."""
    app.action_back()


def show_result_box(box: Static, text: str, *, error: bool = False) -> None:
    """Show a one-line action result in a pane's result box (styled by the -error class)."""
    box.update(Text(text))
    box.set_class(True, "-shown")
    box.set_class(error, "-error")


def hide_result_box(app: App[Any], box: Static) -> None:
    """``esc``: close the result box if it is open, otherwise go back."""
    if box.has_class("-shown"):
        box.set_class(False, "-shown")
    else:
        go_back(app)
