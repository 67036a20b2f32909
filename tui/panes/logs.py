"""Logs/Events: the live log (level filter, search) and recent commands, errors, guild changes.

Log records reach the pane through the app's :class:`~tui.widgets.LogBuffer` (bounded to
2,000 lines, already redacted); the pane polls it every half second and appends only what
is new, so a chatty bot costs one batch per tick. The events table likewise only receives
the events that are new since the last tick (a :class:`~tui.widgets.LiveTable`, which
renders just the lines on screen): a busy bot runs commands all the time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import RichLog, Static

from tui.widgets import LiveStatic, LiveTable, LogEntry, clock, matches, plain, short_name

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
#: Cells of the log's logger column (longer names are shortened from the left by package).
LOGGER_WIDTH = 18
T = TypeVar("T")


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
        self._seq = 0
        self._floor = 0
        self._shown = 0
        self._events_stale = True  # rebuild the events table from scratch on the next tick
        self._last_record: Any = None  # the newest command record / guild event shown
        self._last_guild: Any = None

    def compose(self) -> ComposeResult:
        yield LiveStatic(id="logs-status", classes="pane-hint")
        yield RichLog(id="logs-view", max_lines=2000, wrap=True, markup=False, auto_scroll=True)
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
        buffer = self.app.log_buffer  # type: ignore[attr-defined]
        fresh = buffer.since(self._seq)
        if fresh:
            self._seq = fresh[-1].seq
            self._write([entry for entry in fresh if self._wanted(entry)])
        self._refresh_events()
        self._update_status()

    def _wanted(self, entry: LogEntry) -> bool:
        if entry.seq <= self._floor or entry.levelno < self.min_level:
            return False
        return matches(entry.haystack(), self._filter)

    def _write(self, entries: list[LogEntry]) -> None:
        view = self.view
        # A burst longer than the view keeps would only be rendered to be dropped again;
        # one write for the whole batch renders it in one go (half the cost per line).
        kept = entries[-view.max_lines :] if view.max_lines else entries
        if kept:
            batch = Text("\n").join(self._line(entry) for entry in kept)
            view.write(batch, scroll_end=self.follow)
        self._shown += len(entries)

    def _line(self, entry: LogEntry) -> Text:
        line = Text(clock(entry.created, self.frozen), style="dim")
        level = SHORT_LEVEL.get(entry.levelname, entry.levelname)
        line.append(f" {level:<5} ", style=LEVEL_STYLE.get(entry.levelname, ""))
        line.append(f"{short_name(entry.logger, LOGGER_WIDTH):<{LOGGER_WIDTH}} ", style="cyan")
        line.append(entry.message)
        return line

    def _rebuild(self) -> None:
        buffer = self.app.log_buffer  # type: ignore[attr-defined]
        entries = buffer.all()
        self.view.clear()
        self._shown = 0
        self._seq = entries[-1].seq if entries else buffer.last_seq
        self._write([entry for entry in entries if self._wanted(entry)])
        self._events_stale = True
        self._refresh_events()
        self._update_status()

    def _refresh_events(self) -> None:
        """Put the events that are new since the last tick on top of the events table."""
        runtime = self.runtime
        if runtime.services is None:
            return
        records = runtime.services.metrics.recent_commands()
        guild_events = list(self.app.guild_events)  # type: ignore[attr-defined]
        new_records = _after(records, self._last_record)
        new_guild = _after(guild_events, self._last_guild)
        full = self._events_stale
        if new_records is None or new_guild is None or full:
            # The filter changed, or what was shown last fell out of the histories.
            full = True
            new_records, new_guild = list(records[-MAX_EVENTS:]), guild_events[-MAX_EVENTS:]
        elif not new_records and not new_guild:
            return
        self._events_stale = False
        self._last_record = records[-1] if records else None
        self._last_guild = guild_events[-1] if guild_events else None
        events: list[tuple[float, str, str, str]] = []
        for record in new_records:
            kind = _kind(record)
            where = f"{record.user} in {record.guild or 'DMs'}"
            events.append((record.at, kind, record.name, record.error or where))
        for at, kind, what in new_guild:
            events.append((at, "+ joined" if kind == "joined" else "− left", what, "guild"))
        events.sort(key=lambda event: event[0], reverse=True)
        rows = []
        for at, kind, what, detail in events[:MAX_EVENTS]:
            if matches(f"{kind} {what} {detail}", self._filter):
                style = KIND_STYLE.get(kind, "")
                rows.append(plain(clock(at, self.frozen), Text(kind, style=style), what, detail))
        table = self.query_one("#logs-events", LiveTable)
        if full:
            table.replace(rows)
        else:
            table.prepend(rows)

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
        """Clear the view; older lines stay in the buffer but are not shown again."""
        self._floor = self.app.log_buffer.last_seq  # type: ignore[attr-defined]
        self._rebuild()


def _kind(record: Any) -> str:
    if record.error is None:
        return "✓ command"
    return "⚠ user error" if record.user_error else "✗ error"


def _after(items: Sequence[T], last: object) -> list[T] | None:
    """The items after ``last`` (by identity), oldest first; all of them when ``last`` is
    None; None when ``last`` is no longer among the newest ``MAX_EVENTS`` (start over)."""
    if last is None:
        return list(items[-MAX_EVENTS:])
    for back, item in enumerate(reversed(items)):
        if item is last:
            return list(items[len(items) - back :])
        if back >= MAX_EVENTS:
            break
    return None


PANE = LogsPane
