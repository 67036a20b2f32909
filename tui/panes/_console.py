"""What these panes ask of the console app: a yes/no answer, and the ``esc`` "back" step."""

from __future__ import annotations

from textwrap import fill
from typing import Any

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
