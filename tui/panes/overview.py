"""Overview: the bot's health at a glance (who, where, how busy, how well).

The pane runs beside a busy bot on the same event loop, so a refresh only touches what
changed: a card repaints only its lines whose text changed (a
:class:`~tui.widgets.LineCard`), and lays the screen out only when its height changed; the
recent-commands table only receives the commands that are
new since the last refresh (a :class:`~tui.widgets.LiveTable`, which renders just the
lines on screen).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal

from tui.widgets import (
    FROZEN,
    LineCard,
    LiveTable,
    clock,
    health_tier,
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
    """Bot identity, Discord connection, load, errors and the console process's cost."""

    pane_id = "overview"
    title = "Overview"
    short_title = "Over"
    refresh_seconds = 2.0
    extra_help = [("(no keys)", "read-only; refreshes every 2 s")]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._recent_last: Any = None  # the newest command record shown
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
        runtime = self.runtime
        bot = runtime.bot
        if bot is None or runtime.services is None:
            return
        sample = None if self.frozen else await self.app.process.sample()  # type: ignore[attr-defined]
        metrics = runtime.services.metrics
        snap = metrics.snapshot(top_n=5)
        # One card per step of the event loop, each painted before the next is worked out,
        # then the table a chunk of rows at a time: every step is short (well under a
        # millisecond) and starts when the bot has nothing queued (loop_quiet), rather
        # than one long stall in the middle of the bot's work.
        cards = (
            lambda: self._card("#ov-bot", self._bot_rows(bot)),
            lambda: self._card("#ov-health", self._health_rows(snap, sample)),
            lambda: self._activity_card(snap),
        )
        for update in cards:
            await loop_quiet()
            if update():
                await self.painted()
        await self._recent(snap.recent_commands)

    def _card(self, card_id: str, rows: list[tuple[str, object]]) -> bool:
        return bool(self.query_one(card_id, LineCard).show_rows(rows))

    async def _recent(self, records: tuple[Any, ...]) -> None:
        """Add the commands recorded since the last refresh on top of the table."""
        async with self._recent_lock:
            await self._add_recent(records)

    async def _add_recent(self, records: tuple[Any, ...]) -> None:
        fresh: list[Any] = []
        seen = False
        for record in reversed(records):
            if record is self._recent_last:
                seen = True
                break
            fresh.append(record)
            if len(fresh) == RECENT_ROWS:
                break
        if not fresh:
            return
        self._recent_last = records[-1]
        table = self.query_one("#ov-recent", LiveTable)
        if not (seen or len(fresh) == RECENT_ROWS):  # the history started again
            table.replace(self._recent_row(record) for record in fresh)
            return
        # Oldest chunk first, each on top of the last: the newest ends up on top.
        for end in range(len(fresh), 0, -RECENT_CHUNK):
            await loop_quiet()
            chunk = fresh[max(0, end - RECENT_CHUNK) : end]
            table.prepend([self._recent_row(record) for record in chunk])

    def _recent_row(self, record: Any) -> list[object]:
        if record.error is None:
            result = Text("✓ ok", style="green")
        elif record.user_error:
            result = Text(f"⚠ {record.error}", style="yellow")
        else:
            result = Text(f"✗ {record.error}", style="bold red")
        when = clock(record.at, self.frozen)
        return plain(when, record.name, record.user, record.guild or "DM", result)

    # -- cards ---------------------------------------------------------------------------
    def _bot_rows(self, bot: Any) -> list[tuple[str, object]]:
        runtime = self.runtime
        sandbox_url = runtime.sandbox_url  # embedded, or attached to with ZORYX_SANDBOX_URL
        if sandbox_url is not None:
            where = Text.assemble((" SANDBOX ", "bold black on yellow"))
            address = sandbox_url.split("://", 1)[-1]
            where.append(" local" if self.frozen else f" {address}", "dim")
        else:
            where = Text.assemble((" LIVE ", "bold white on red"), " discord.com")
        latency = bot.latency
        latency_text = (
            FROZEN
            if self.frozen
            else ("—" if not math.isfinite(latency) else f"{latency * 1000:.0f} ms")
        )
        uptime = FROZEN if self.frozen else human_duration(runtime.services.metrics.uptime)
        return [
            ("User", Text(str(bot.user), style="bold")),
            ("Discord", where),
            ("Guilds", str(len(bot.guilds))),
            ("Users", str(runtime.services.metrics.users(bot.guilds))),
            ("Shards", str(bot.shard_count or 1)),
            ("Latency", latency_text),
            ("Uptime", uptime),
        ]

    def _health_rows(self, snap: Any, sample: Any) -> list[tuple[str, object]]:
        tier = health_tier(snap.error_rate)
        basis = "lifetime"
        diagnostics = self.runtime.services.extra.get("diagnostics")
        if diagnostics is not None:
            # The diagnostics feature owns the health tier (rolling hour once it has data).
            diag = diagnostics.snapshot()
            tier, basis = str(diag.tier), str(diag.basis)
        lag = self.app.lag  # type: ignore[attr-defined]
        _p50, p99, worst = lag.stats()
        if self.frozen or sample is None:
            cpu = memory = FROZEN
        else:
            cpu = f"{sample.cpu_percent:.1f} %"
            memory = human_bytes(sample.rss)
        lag_text = FROZEN if self.frozen else f"{lag.last:.1f} ms (p99 {p99:.1f}, max {worst:.0f})"
        return [
            ("Tier", Text(f"● {tier.upper()} ({basis})", style=TIER_STYLE.get(tier, ""))),
            ("Errors", f"{snap.error_rate * 100:.1f} % of {snap.commands} commands"),
            ("Failed", str(snap.command_errors)),
            ("User errors", f"{snap.user_errors} (not counted)"),
            ("CPU", cpu),
            ("Memory", memory),
            ("Loop lag", lag_text),
        ]

    def _activity_card(self, snap: Any) -> bool:
        width = max(10, min(MAX_MINUTES, self.size.width - 40))
        card = self.query_one("#ov-activity", LineCard)
        title = f"Activity per minute (last {width} min) · loop lag per second"
        if card.border_title != title:
            card.border_title = title
        commands = snap.commands_per_minute[-width:]
        messages = snap.messages_per_minute[-width:]
        lag_series = list(self.app.lag.samples)[-width:]  # type: ignore[attr-defined]
        rows = [
            ("Commands", _series(commands, width, snap.commands, "cyan")),
            ("Messages", _series(messages, width, snap.messages, "magenta")),
            (
                "Loop lag",
                Text(FROZEN)
                if self.frozen
                else Text(sparkline(lag_series, width), style="yellow")
                + Text(f" now {self.app.lag.last:.1f} ms"),  # type: ignore[attr-defined]
            ),
        ]
        top = " · ".join(f"{name} ×{count}" for name, count in snap.top_commands) or "none yet"
        top_line = Text.assemble(("Top  ", "bold"), top)  # wraps when long
        return bool(card.show_rows(rows, [top_line]))


def _series(values: tuple[int, ...], width: int, total: int, colour: str) -> Text:
    line = Text(sparkline(values, width), style=colour)
    line.append(f" now {values[-1] if values else 0}/min · total {total}")
    return line


PANE = OverviewPane
