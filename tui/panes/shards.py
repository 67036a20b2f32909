"""Shards: per-shard state, heartbeat latency (with a short history), guilds and members.

Everything comes from the bot's own shard objects (``bot.shards``); the pane adds no
listener to the bot. The last connect/disconnect times need a small service the bot does
not have yet: when ``services.extra["shard_events"]`` exists, its ``last_connect(id)`` and
``last_disconnect(id)`` (UNIX times or None) fill those columns; until then they show "—".
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable

from tui.widgets import FROZEN, LiveStatic, clock, sparkline

from .base import Pane

SHARD_EVENTS_KEY = "shard_events"
HISTORY = 30


def latency_ms(latency: float) -> float | None:
    """Seconds → milliseconds; None while no heartbeat was acknowledged (inf/nan)."""
    return latency * 1000 if math.isfinite(latency) else None


class ShardsPane(Pane):
    """One row per shard: state, latency and its recent history, guilds, connect times."""

    pane_id = "shards"
    title = "Shards"
    short_title = "Shard"
    refresh_seconds = 2.0
    extra_help = [
        ("(no keys)", "read-only; refreshes every 2 s"),
        ("Recent", "latency of the last samples, one bar per refresh"),
        ("Up since / Last drop", "time of the shard's last connect / disconnect"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.history: dict[int, deque[float]] = {}
        self._shown: dict[str, tuple[Any, ...]] = {}  # shard id -> cells shown

    def compose(self) -> ComposeResult:
        yield LiveStatic(id="shd-status", classes="pane-hint")
        table: DataTable[Any] = DataTable(id="shd-table", cursor_type="row", zebra_stripes=True)
        for label, key in (
            ("Shard", "id"),
            ("State", "state"),
            ("Latency", "latency"),
            ("Recent", "recent"),
            ("Guilds", "guilds"),
            ("Members", "members"),
            ("Up since", "connect"),
            ("Last drop", "disconnect"),
        ):
            table.add_column(label, key=key)
        yield table

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#shd-table", DataTable)

    async def refresh_data(self) -> None:
        bot = self.runtime.bot
        if bot is None:
            return
        shards = dict(sorted(bot.shards.items()))
        guilds: dict[int, list[Any]] = {shard_id: [] for shard_id in shards}
        for guild in bot.guilds:
            guilds.setdefault(guild.shard_id or 0, []).append(guild)
        events = self.runtime.services.extra.get(SHARD_EVENTS_KEY)
        rows = []
        for shard_id, shard in shards.items():
            ms = latency_ms(shard.latency)
            samples = self.history.setdefault(shard_id, deque(maxlen=HISTORY))
            if ms is not None and not shard.is_closed():
                samples.append(ms)
            rows.append(self._row(shard_id, shard, ms, guilds.get(shard_id, []), events))
        self._render_rows(rows)
        connected = sum(1 for shard in shards.values() if not shard.is_closed())
        values = [ms for ms in (latency_ms(s.latency) for s in shards.values()) if ms is not None]
        mean = (
            "—" if not values else FROZEN if self.frozen else f"{sum(values) / len(values):.1f} ms"
        )
        total = bot.shard_count or len(shards) or 1
        self.query_one("#shd-status", LiveStatic).show_text(
            f"{connected}/{total} shards connected · mean latency {mean} · {len(bot.guilds)} guilds"
        )

    def _row(
        self, shard_id: int, shard: Any, ms: float | None, guilds: list[Any], events: Any
    ) -> tuple[Any, ...]:
        if shard.is_closed():
            state = Text("○ closed", style="bold red")
        elif shard.is_ws_ratelimited():
            state = Text("● rate-limited", style="bold yellow")
        else:
            state = Text("● connected", style="green")
        if ms is None:
            latency, recent = "—", ""
        elif self.frozen:
            latency, recent = FROZEN, FROZEN
        else:
            latency, recent = f"{ms:.1f} ms", sparkline(self.history[shard_id], 8)
        members = sum(g.member_count or len(g.members) for g in guilds)
        connect = self._when(events, "last_connect", shard_id)
        disconnect = self._when(events, "last_disconnect", shard_id)
        return (
            str(shard_id),
            state,
            latency,
            recent,
            str(len(guilds)),
            str(members),
            connect,
            disconnect,
        )

    def _when(self, events: Any, method: str, shard_id: int) -> str:
        reader = getattr(events, method, None)
        at = reader(shard_id) if callable(reader) else None
        if at is None:
            return "—"
        return clock(at, frozen=self.frozen)

    def _render_rows(self, rows: list[tuple[Any, ...]]) -> None:
        """Add, or update in place only the cells that changed (any update to a DataTable
        repaints all of it)."""
        table = self.table
        keys = [row[0] for row in rows]
        if [key.value for key in table.rows] != keys:
            table.clear()
            for row in rows:
                table.add_row(*row, key=row[0])
            self._shown = {row[0]: row for row in rows}
            return
        columns = [column.key for column in table.columns.values()]
        for row in rows:
            shown = self._shown.get(row[0])
            for index, (column, value) in enumerate(zip(columns, row, strict=True)):
                if shown is None or shown[index] != value:
                    table.update_cell(row[0], column, value, update_width=True)
            self._shown[row[0]] = row


PANE = ShardsPane
