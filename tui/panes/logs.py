"""Logs/Events: the live log (level filter, search) and recent commands, errors, guild changes.

Log lines come from the ``logs`` view: the bot's log tail (bounded to 2,000 lines, already
redacted), read every half second with a cursor, so each read carries only the lines that
are new and a chatty bot costs one batch per tick. The same read brings the commands and
guild joins and leaves recorded since the last one, and the events table only receives
those (a :class:`~tui.widgets.LiveTable`, which renders just the lines on screen): a busy
bot runs commands all the time. The pane keeps what it read (bounded like the bot's
histories), so a new level or filter redraws at once, without asking the bot again.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import RichLog, Static

from tui.widgets import LiveStatic, LiveTable, clock, matches, plain, short_name

from .base import Pane

LEVELS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)
LEVEL_STYLE = {
    "DEBUG": "dim",
    "INFO": "green",
    "WARNING": "bold yellow",
    "ERROR": "bold red",
    "CRITICAL": "bold white on red",
}
SHORT_LEVEL = {"WARNING": "WARN", "CRITICAL": "CRIT"}
KIND_STYLE = {"✗ error": "bold red", "⚠ user error": "yellow"}
MAX_EVENTS = 100
#: Log lines kept (and shown at most): as many as the bot's log tail keeps.
MAX_LINES = 2000
#: Cells of the log's logger column (longer names are shortened from the left by package).
LOGGER_WIDTH = 18
#: A log line as the ``logs`` view sends it: seq, created, levelno, levelname, logger, message.
Entry = dict[str, Any]


class LogsPane(Pane):
    """Live log plus an event table (command runs, failures, guild joins and leaves)."""

    pane_id = "logs"
    title = "Logs"
    refresh_seconds = 0.5
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "cycle_level", "Level"),
        Binding("f", "toggle_follow", "Follow"),
        Binding("c", "clear", "Clear"),
    ]
    extra_help = [
        ("tab", "switch between the log and the events table"),
        ("↑/↓ pgup/pgdn", "scroll (scrolling up pauses following)"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min_level = logging.INFO
        self.follow = True
        self._filter = ""
        self._lines: deque[Entry] = deque(maxlen=MAX_LINES)
        self._commands: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS)
        self._guilds: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS)
        # Cursors: the newest log line, command and guild change read.
        self._seq = 0
        self._command_seq = 0
        self._guild_seq = 0
        # Cleared up to: this line, and on the bot's own host, lines logged before then.
        self._floor = 0
        self._floor_time = 0.0
        self._shown = 0

    def compose(self) -> ComposeResult:
        yield LiveStatic(id="logs-status", classes="pane-hint")
        yield RichLog(
            id="logs-view", max_lines=MAX_LINES, wrap=True, markup=False, auto_scroll=True
        )
        yield Static("Events — commands, errors, guild joins/leaves", classes="pane-hint")
        yield LiveTable(
            "Time", "Kind", "What", "Detail", max_rows=MAX_EVENTS, cursor=True, id="logs-events"
        )

    def on_mount(self) -> None:
        self._update_status()

    @property
    def view(self) -> RichLog:
        return self.query_one("#logs-view", RichLog)

    # -- data ------------------------------------------------------------------------------
    async def refresh_data(self) -> None:
        data = await self.source.read(
            "logs",
            after=self._seq,
            commands_after=self._command_seq,
            guilds_after=self._guild_seq,
            limit=MAX_EVENTS,
        )
        fresh: list[Entry] = data["entries"]
        if fresh:
            self._seq = fresh[-1]["seq"]
            self._lines.extend(fresh)
            self._write([entry for entry in fresh if self._wanted(entry)])
        commands, guilds = data.get("commands"), data.get("guilds")
        if commands is not None and guilds is not None:
            self._add_events(commands, guilds)
        self._update_status()

    def _wanted(self, entry: Entry) -> bool:
        seq = entry["seq"]
        if seq <= self._floor or entry["levelno"] < self.min_level:
            return False
        if self._floor_time and entry["created"] < self._floor_time:
            return False
        haystack = f"{entry['levelname']} {entry['logger']} {entry['message']}"
        return matches(haystack, self._filter)

    def _write(self, entries: list[Entry]) -> None:
        view = self.view
        # A burst longer than the view keeps would only be rendered to be dropped again;
        # one write for the whole batch renders it in one go (half the cost per line).
        kept = entries[-view.max_lines :] if view.max_lines else entries
        if kept:
            batch = Text("\n").join(self._line(entry) for entry in kept)
            view.write(batch, scroll_end=self.follow)
        self._shown += len(entries)

    def _line(self, entry: Entry) -> Text:
        line = Text(clock(entry["created"], self.frozen), style="dim")
        levelname = entry["levelname"]
        level = SHORT_LEVEL.get(levelname, levelname)
        line.append(f" {level:<5} ", style=LEVEL_STYLE.get(levelname, ""))
        line.append(f"{short_name(entry['logger'], LOGGER_WIDTH):<{LOGGER_WIDTH}} ", style="cyan")
        line.append(entry["message"])
        return line

    def _rebuild(self) -> None:
        """Draw the log and the events again from what the pane has read."""
        self.view.clear()
        self._shown = 0
        self._write([entry for entry in self._lines if self._wanted(entry)])
        self.query_one("#logs-events", LiveTable).replace(
            self._event_rows(list(self._commands), list(self._guilds))
        )
        self._update_status()

    def _add_events(self, commands: dict[str, Any], guilds: dict[str, Any]) -> None:
        """Put the events that are new since the last read on top of the events table."""
        new_records, new_guild = commands["items"], guilds["items"]
        full = not commands["continuous"] or not guilds["continuous"]
        if not full and not new_records and not new_guild:
            return
        self._command_seq = commands["last_seq"]
        self._guild_seq = guilds["last_seq"]
        if full:  # what was read last fell out of the bot's histories (or it restarted)
            self._commands.clear()
            self._guilds.clear()
        self._commands.extend(new_records)
        self._guilds.extend(new_guild)
        table = self.query_one("#logs-events", LiveTable)
        if full:
            table.replace(self._event_rows(list(self._commands), list(self._guilds)))
        else:
            table.prepend(self._event_rows(new_records, new_guild))

    def _event_rows(
        self, records: list[dict[str, Any]], changes: list[dict[str, Any]]
    ) -> list[list[object]]:
        """Table rows for commands and guild changes, newest first, filtered."""
        events: list[tuple[float, str, str, str]] = []
        for record in records:
            where = f"{record['user']} in {record['guild'] or 'DMs'}"
            events.append((record["at"], _kind(record), record["name"], record["error"] or where))
        for change in changes:
            kind = "+ joined" if change["kind"] == "joined" else "− left"
            what = f"{change['name']} ({change['guild_id']})"
            events.append((change["at"], kind, what, "guild"))
        events.sort(key=lambda event: event[0], reverse=True)
        rows = []
        for at, kind, what, detail in events[:MAX_EVENTS]:
            if matches(f"{kind} {what} {detail}", self._filter):
                style = KIND_STYLE.get(kind, "")
                rows.append(plain(clock(at, self.frozen), Text(kind, style=style), what, detail))
        return rows

    def _update_status(self) -> None:
        level = logging.getLevelName(self.min_level)
        parts = [f"level ≥ {level} (v)", f"{self._shown} lines shown"]
        parts.append("following (f)" if self.follow else "paused — f follows again")
        if self._filter:
            parts.append(f"filter: {self._filter!r} (esc clears)")
        self.query_one("#logs-status", LiveStatic).show_text(" · ".join(parts))

    # -- contract --------------------------------------------------------------------------
    def apply_filter(self, text: str) -> None:
        self._filter = text.strip()
        self._rebuild()

    # -- actions ---------------------------------------------------------------------------
    def action_cycle_level(self) -> None:
        index = LEVELS.index(self.min_level) if self.min_level in LEVELS else 0
        self.min_level = LEVELS[(index + 1) % len(LEVELS)]
        self._rebuild()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self.view.auto_scroll = self.follow
        if self.follow:
            self.view.scroll_end(animate=False)
        self._update_status()

    def action_clear(self) -> None:
        """Clear the view: the lines logged so far are not shown again (they stay in the
        bot's log tail)."""
        self._floor = self._seq
        # Lines logged since the last read but before now are hidden too, where the bot's
        # clock is this one's (not for a bot on another host).
        if self.source.info.via in ("in-process", "socket"):
            self._floor_time = time.time()
        self._rebuild()


def _kind(record: dict[str, Any]) -> str:
    if record["error"] is None:
        return "✓ command"
    return "⚠ user error" if record["user_error"] else "✗ error"


PANE = LogsPane
