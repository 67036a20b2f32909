"""The two top lines: a status line (bot, SANDBOX/LIVE badge) and the pane tab strip."""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["PANE_KEYS", "BotStatus", "PaneTabs", "StatusLine", "pane_key"]

#: The keys that show panes 1, 2, … in tab order: the digits, then the keys right of 0.
PANE_KEYS = "1234567890-="
#: Textual's names for the keys in :data:`PANE_KEYS` that are not their own character.
PANE_KEY_NAMES = {"-": "minus", "=": "equals_sign"}


def pane_key(number: int) -> str:
    """The key that shows pane ``number`` (1-based); "" past :data:`PANE_KEYS`."""
    return PANE_KEYS[number - 1] if 1 <= number <= len(PANE_KEYS) else ""


@dataclass(frozen=True)
class BotStatus:
    """What the status line shows."""

    state: str = "starting"  # starting | ready | stopping | stopped | crashed | error | lost
    user: str = ""
    sandbox: bool | None = None
    guilds: int = 0
    shards: int = 0
    detail: str = ""
    #: Attached to a bot in another process: how, its pid and uptime (empty in-process).
    attached: str = ""


_STATE_STYLE = {
    "starting": "bold yellow",
    "ready": "bold green",
    "stopping": "bold yellow",
    "stopped": "bold",
    "crashed": "bold red",
    "error": "bold red",
    "lost": "bold red",
}


class StatusLine(Widget):
    """One line: product name, bot user, a SANDBOX or LIVE badge, counts and state."""

    status: reactive[BotStatus] = reactive(BotStatus, layout=False)

    def render(self) -> Text:
        status = self.status
        line = Text(" ZORYX ", style="bold reverse")
        line.append("  ")
        if status.user:
            line.append(status.user, style="bold")
            line.append("  ")
        if status.sandbox is True:
            line.append(" SANDBOX ", style="bold black on yellow")
            line.append("  ")
        elif status.sandbox is False:
            line.append(" LIVE ", style="bold white on red")
            line.append("  ")
        if status.state == "ready":
            shard_word = "shard" if status.shards == 1 else "shards"
            line.append(f"{status.guilds} guilds · {status.shards} {shard_word}  ", style="dim")
        if status.attached:
            line.append(f"{status.attached}  ", style="dim")
        line.append(f"● {status.state}", style=_STATE_STYLE.get(status.state, "bold"))
        if status.detail:
            line.append(f"  {status.detail}", style="dim")
        line.truncate(max(1, self.size.width), overflow="ellipsis")
        return line


class PaneTabs(Widget):
    """A one-line tab strip: ``1 Overview │ 2 Commands …``, laid out for the width it has.

    ``titles`` holds ``(title, short title)`` pairs. The widest layout that fits is used:
    full titles; short titles (the current pane keeps its full title); short titles
    without padding (80 columns); numbers only. The number prefix, which is also the key
    that shows the pane, is always there. Each label is clickable (runs
    ``app.show_pane(n)``), but the number keys are the primary way to switch.
    """

    titles: reactive[tuple[tuple[str, str], ...]] = reactive(tuple)
    active: reactive[int] = reactive(0)

    #: (which title, padded) from the widest layout to the narrowest.
    LAYOUTS: tuple[tuple[str, bool], ...] = (
        ("full", True),
        ("short", True),
        ("short", False),
        ("none", False),
    )

    def render(self) -> Text:
        width = max(1, self.size.width)
        for names, padded in self.LAYOUTS:
            line = self._line(names, padded)
            if line.cell_len <= width:
                return line
        line.truncate(width, overflow="ellipsis")
        return line

    def _line(self, names: str, padded: bool) -> Text:
        line = Text()
        last = len(self.titles) - 1
        for index, (title, short) in enumerate(self.titles):
            number = pane_key(index + 1) or str(index + 1)
            click = Style(dim=False, meta={"@click": f"app.show_pane({index + 1})"})
            if index == self.active:
                line.append(f" {number} {title} ", style=Style(bold=True, reverse=True) + click)
            else:
                name = {"full": title, "short": short}.get(names, "")
                if padded or not name:
                    line.append(f" {number} {name} " if name else f" {number} ", style=click)
                else:  # no padding: a bold number tells where a label starts
                    line.append(number, style=Style(bold=True) + click)
                    line.append(f" {name}", style=click)
            if index < last:
                line.append("│", style="dim")
        return line
