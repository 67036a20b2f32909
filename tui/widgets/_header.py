"""The two top lines: a status line (bot, SANDBOX/LIVE badge) and the pane tab strip."""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["BotStatus", "PaneTabs", "StatusLine"]


@dataclass(frozen=True)
class BotStatus:
    """What the status line shows."""

    state: str = "starting"  # starting | ready | stopping | stopped | crashed | error
    user: str = ""
    sandbox: bool | None = None
    guilds: int = 0
    shards: int = 0
    detail: str = ""


_STATE_STYLE = {
    "starting": "bold yellow",
    "ready": "bold green",
    "stopping": "bold yellow",
    "stopped": "bold",
    "crashed": "bold red",
    "error": "bold red",
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
        line.append(f"● {status.state}", style=_STATE_STYLE.get(status.state, "bold"))
        if status.detail:
            line.append(f"  {status.detail}", style="dim")
        line.truncate(max(1, self.size.width), overflow="ellipsis")
        return line


class PaneTabs(Widget):
    """A one-line tab strip: ``1 Overview  2 Commands …``; labels shrink to fit the width.

    Each label is clickable (runs ``app.show_pane(n)``), but the number keys are the
    primary way to switch.
    """

    titles: reactive[tuple[str, ...]] = reactive(tuple)
    active: reactive[int] = reactive(0)

    def render(self) -> Text:
        width = max(1, self.size.width)
        for letters in (0, 4, 3, 2, -1):  # 0: full titles, -1: numbers only
            line = self._line(letters)
            if line.cell_len <= width:
                return line
        line = self._line(-1)
        line.truncate(width, overflow="ellipsis")
        return line

    def _line(self, letters: int) -> Text:
        line = Text()
        for index, title in enumerate(self.titles):
            number = str((index + 1) % 10)
            is_active = index == self.active
            if is_active or letters == 0:
                label = f" {number} {title} "
            elif letters > 0:
                label = f" {number} {title[:letters]} "
            else:
                label = f" {number} "
            style = Style(bold=True, reverse=True) if is_active else Style(dim=False)
            line.append(label, style=style + Style(meta={"@click": f"app.show_pane({index + 1})"}))
            line.append("│" if index < len(self.titles) - 1 else "", style="dim")
        return line
