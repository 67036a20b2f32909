"""Shards: per-shard state, heartbeat latency (with a short history), guilds and members.

Everything comes from the ``shards`` view (the bot's own shard objects; the pane adds no
listener to the bot). The last connect/disconnect times need a small service the bot does
not have yet: when ``services.extra["shard_events"]`` exists, the view fills those columns
from it; until then they show "—". The latency history is the pane's own (one sample per
refresh).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable

from tui.widgets import FROZEN, LiveStatic, clock, sparkline

from .base import Pane

HISTORY = 30


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
        data = await self.source.read("shards")
        if data is None:
            return
        shards = data["shards"]
        rows = []
        for shard in shards:
            ms = shard["latency_ms"]
            samples = self.history.setdefault(shard["id"], deque(maxlen=HISTORY))
            if ms is not None and not shard["closed"]:
                samples.append(ms)
            rows.append(self._row(shard))
        self._render_rows(rows)
        connected = sum(1 for shard in shards if not shard["closed"])
        values = [shard["latency_ms"] for shard in shards if shard["latency_ms"] is not None]
        mean = (
            "—" if not values else FROZEN if self.frozen else f"{sum(values) / len(values):.1f} ms"
        )
        self.query_one("#shd-status", LiveStatic).show_text(
            f"{connected}/{data['shard_count']} shards connected · mean latency {mean} · "
            f"{data['guilds']} guilds"
        )

    def _row(self, shard: dict[str, Any]) -> tuple[Any, ...]:
        if shard["closed"]:
            state = Text("○ closed", style="bold red")
        elif shard["rate_limited"]:
            state = Text("● rate-limited", style="bold yellow")
        else:
            state = Text("● connected", style="green")
        ms = shard["latency_ms"]
        if ms is None:
            latency, recent = "—", ""
        elif self.frozen:
            latency, recent = FROZEN, FROZEN
        else:
            latency, recent = f"{ms:.1f} ms", sparkline(self.history[shard["id"]], 8)
        return (
            str(shard["id"]),
            state,
            latency,
            recent,
            str(shard["guilds"]),
            str(shard["members"]),
            self._when(shard["last_connect"]),
            self._when(shard["last_disconnect"]),
        )

    def _when(self, at: float | None) -> str:
        return "—" if at is None else clock(at, frozen=self.frozen)

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
