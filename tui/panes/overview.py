"""Overview: the bot's health at a glance (who, where, how busy, how well).

Everything comes from the ``overview`` view, one read per refresh; the recent commands
come with a cursor, so each read carries only the commands recorded since the last one.
The pane may run beside a busy bot on the same event loop, so a refresh only touches what
changed: a card repaints only its lines whose text changed (a
:class:`~tui.widgets.LineCard`), and lays the screen out only when its height changed; the
recent-commands table only receives the commands that are
new since the last refresh (a :class:`~tui.widgets.LiveTable`, which renders just the
lines on screen).
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal

from tui.widgets import (
    FROZEN,
    LineCard,
    LiveTable,
    clock,
    human_bytes,
    human_duration,
    plain,
    sparkline,
)
from tui.widgets._idle import loop_quiet

from .base import Pane

TIER_STYLE = {"healthy": "bold green", "degraded": "bold yellow", "critical": "bold red"}
MAX_MINUTES = 60
RECENT_ROWS = 50
#: Rows of the recent-commands table built and added per step of the event loop.
RECENT_CHUNK = 10


class OverviewPane(Pane):
    """Bot identity, Discord connection, load, errors and the bot process's cost."""

    pane_id = "overview"
    title = "Overview"
    short_title = "Over"
    refresh_seconds = 2.0
    extra_help = [("(no keys)", "read-only; refreshes every 2 s")]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._recent_seq = 0  # cursor: the newest recorded command shown
        self._recent_lock = asyncio.Lock()  # one table update at a time (it spans steps)

    def compose(self) -> ComposeResult:
        with Horizontal(id="ov-top"):
            bot_card = LineCard(id="ov-bot", classes="card")
            bot_card.border_title = "Bot"
            yield bot_card
            health = LineCard(id="ov-health", classes="card")
            health.border_title = "Health"
            yield health
        activity = LineCard(id="ov-activity", classes="card")
        activity.border_title = "Activity per minute"
        yield activity
        recent = LiveTable(
            "Time", "Command", "User", "Guild", "Result", max_rows=RECENT_ROWS, id="ov-recent"
        )
        recent.border_title = "Recent commands"
        yield recent

    async def refresh_data(self) -> None:
        width = self._series_width()
        data = await self.source.read(
            "overview",
            recent_after=self._recent_seq,
            recent_limit=RECENT_ROWS,
            minutes=width,
            top=5,
            process=not self.frozen,
        )
        if not data.get("ready"):
            return
        # One card per step of the event loop, each painted before the next is worked out,
        # then the table a chunk of rows at a time: every step is short (well under a
        # millisecond) and starts when the loop has nothing queued (loop_quiet), rather
        # than one long stall in the middle of the bot's work.
        cards = (
            lambda: self._card("#ov-bot", self._bot_rows(data)),
            lambda: self._card("#ov-health", self._health_rows(data)),
            lambda: self._activity_card(data, width),
        )
        for update in cards:
            await loop_quiet()
            if update():
                await self.painted()
        await self._recent(data["recent"])

    def _card(self, card_id: str, rows: list[tuple[str, object]]) -> bool:
        return bool(self.query_one(card_id, LineCard).show_rows(rows))

    async def _recent(self, recent: dict[str, Any]) -> None:
        """Add the commands recorded since the last refresh on top of the table."""
        async with self._recent_lock:
            await self._add_recent(recent)

    async def _add_recent(self, recent: dict[str, Any]) -> None:
        fresh: list[dict[str, Any]] = recent["items"][-RECENT_ROWS:]
        if not fresh:
            return
        # Continuous: the table already shows what came right before these.
        seen = recent["continuous"] and self._recent_seq > 0
        self._recent_seq = fresh[-1]["seq"]
        table = self.query_one("#ov-recent", LiveTable)
        if not (seen or len(fresh) == RECENT_ROWS):  # the history started again
            table.replace(self._recent_row(record) for record in reversed(fresh))
            return
        # Oldest chunk first, each on top of the last: the newest ends up on top.
        for start in range(0, len(fresh), RECENT_CHUNK):
            await loop_quiet()
            chunk = fresh[start : start + RECENT_CHUNK]
            table.prepend([self._recent_row(record) for record in reversed(chunk)])

    def _recent_row(self, record: dict[str, Any]) -> list[object]:
        error = record["error"]
        if error is None:
            result = Text("✓ ok", style="green")
        elif record["user_error"]:
            result = Text(f"⚠ {error}", style="yellow")
        else:
            result = Text(f"✗ {error}", style="bold red")
        when = clock(record["at"], self.frozen)
        return plain(when, record["name"], record["user"], record["guild"] or "DM", result)

    # -- cards ---------------------------------------------------------------------------
    def _bot_rows(self, data: dict[str, Any]) -> list[tuple[str, object]]:
        sandbox_url = data["sandbox_url"]  # embedded, or attached to with ZORYX_SANDBOX_URL
        if sandbox_url is not None:
            where = Text.assemble((" SANDBOX ", "bold black on yellow"))
            address = sandbox_url.split("://", 1)[-1]
            where.append(" local" if self.frozen else f" {address}", "dim")
        else:
            where = Text.assemble((" LIVE ", "bold white on red"), " discord.com")
        latency = data["latency"]
        latency_text = (
            FROZEN if self.frozen else ("—" if latency is None else f"{latency * 1000:.0f} ms")
        )
        uptime = FROZEN if self.frozen else human_duration(data["uptime"])
        return [
            ("User", Text(data["user"], style="bold")),
            ("Discord", where),
            ("Guilds", str(data["guilds"])),
            ("Users", str(data["users"])),
            ("Shards", str(data["shards"])),
            ("Latency", latency_text),
            ("Uptime", uptime),
        ]

    def _health_rows(self, data: dict[str, Any]) -> list[tuple[str, object]]:
        tier, basis = data["tier"], data["basis"]  # the diagnostics feature's, when it runs
        lag = data["lag"]
        if self.frozen or data["cpu_percent"] is None:
            cpu = memory = FROZEN
        else:
            cpu = f"{data['cpu_percent']:.1f} %"
            memory = human_bytes(data["rss"])
        lag_text = (
            FROZEN
            if self.frozen
            else f"{lag['last']:.1f} ms (p99 {lag['p99']:.1f}, max {lag['max']:.0f})"
        )
        return [
            ("Tier", Text(f"● {tier.upper()} ({basis})", style=TIER_STYLE.get(tier, ""))),
            ("Errors", f"{data['error_rate'] * 100:.1f} % of {data['commands']} commands"),
            ("Failed", str(data["command_errors"])),
            ("User errors", f"{data['user_errors']} (not counted)"),
            ("CPU", cpu),
            ("Memory", memory),
            ("Loop lag", lag_text),
        ]

    def _series_width(self) -> int:
        return max(10, min(MAX_MINUTES, self.size.width - 40))

    def _activity_card(self, data: dict[str, Any], width: int) -> bool:
        card = self.query_one("#ov-activity", LineCard)
        title = f"Activity per minute (last {width} min) · loop lag per second"
        if card.border_title != title:
            card.border_title = title
        commands = data["commands_per_minute"][-width:]
        messages = data["messages_per_minute"][-width:]
        lag = data["lag"]
        rows = [
            ("Commands", _series(commands, width, data["commands"], "cyan")),
            ("Messages", _series(messages, width, data["messages"], "magenta")),
            (
                "Loop lag",
                Text(FROZEN)
                if self.frozen
                else Text(sparkline(lag["series"][-width:], width), style="yellow")
                + Text(f" now {lag['last']:.1f} ms"),
            ),
        ]
        top = " · ".join(f"{name} ×{count}" for name, count in data["top_commands"]) or "none yet"
        top_line = Text.assemble(("Top  ", "bold"), top)  # wraps when long
        return bool(card.show_rows(rows, [top_line]))


def _series(values: list[int], width: int, total: int, colour: str) -> Text:
    line = Text(sparkline(values, width), style=colour)
    line.append(f" now {values[-1] if values else 0}/min · total {total}")
    return line


PANE = OverviewPane
