"""Shards: this process's shards and, with the cluster manager on, every cluster of the bot.

The top table is this process's shards from the ``shards`` view (state, heartbeat latency
with a short history, guilds, members, start-up progress, last connect/disconnect), with
each shard's health from the shard monitor's ``shard_health`` view when the monitor runs.
Below it, while the cluster manager runs, the ``clusters`` view: the bus state (``bus
unavailable`` while Redis is unreachable), the global totals, and every cluster of the
fleet with the shards it reported (state, latency, guilds, health, last heartbeat); a
dead cluster is dimmed and says "dead". The latency history is the pane's own (one sample
per refresh). The pane only reads views: it adds no listener to the bot.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from textual.app import ComposeResult
from textual.css.scalar import Scalar
from textual.widgets import DataTable

from tui.widgets import FROZEN, LiveStatic
from zoryx.readmodel import UnknownView

from ._shards_rows import (
    CLUSTER_COLUMNS,
    SHARD_COLUMNS,
    Row,
    bus_line,
    cell_key,
    cluster_rows,
    health_by_shard,
    shard_row,
    shards_line,
)
from .base import Pane

HISTORY = 30
#: Most shards with a latency history (the oldest shard's history goes first).
HISTORY_SHARDS = 1024


class ShardsPane(Pane):
    """This process's shards on top; the fleet's clusters and their shards below."""

    pane_id = "shards"
    title = "Shards"
    short_title = "Shard"
    refresh_seconds = 2.0
    extra_help = [
        ("(no keys)", "read-only; refreshes every 2 s"),
        ("Ready", "start-up: guilds ready of the shard's guilds, then ✓"),
        ("Health", "the shard monitor's tier, when ENABLE_SHARD_MONITOR is on"),
        ("Recent", "latency of the last samples, one bar per refresh"),
        ("Up since / Last drop", "time of the shard's last connect / disconnect"),
        ("Clusters", "with ENABLE_SHARD_MANAGER: every cluster, dead ones dimmed"),
    ]

    DEFAULT_CSS = """
    ShardsPane #shd-table { height: 3; max-height: 50%; }
    ShardsPane #shd-bus { height: auto; padding: 0 1; }
    ShardsPane #shd-clusters { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.history: dict[int, deque[float]] = {}
        # table id -> row key -> what each cell shows (see cell_key)
        self._shown: dict[str, dict[str, tuple[Any, ...]]] = {"shd-table": {}, "shd-clusters": {}}
        self._monitor_view = True  # False once the bot says it has no shard monitor view
        self.clusters_on = False

    def compose(self) -> ComposeResult:
        yield LiveStatic(id="shd-status", classes="pane-hint")
        table: DataTable[Any] = DataTable(id="shd-table", cursor_type="row", zebra_stripes=True)
        for label, key in SHARD_COLUMNS:
            table.add_column(label, key=key)
        yield table
        bus = LiveStatic(id="shd-bus")
        bus.display = False
        yield bus
        clusters: DataTable[Any] = DataTable(
            id="shd-clusters", cursor_type="row", zebra_stripes=True
        )
        for label, key in CLUSTER_COLUMNS:
            clusters.add_column(label, key=key)
        clusters.display = False
        yield clusters

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#shd-table", DataTable)

    @property
    def cluster_table(self) -> DataTable[Any]:
        return self.query_one("#shd-clusters", DataTable)

    async def refresh_data(self) -> None:
        data = await self.source.read("shards")
        if data is not None:
            self._show_shards(data, await self._read_monitor())
        await self.painted()
        try:
            clusters = await self.source.read("clusters")
        except UnknownView:  # attached to a bot from before clusters
            clusters = {"enabled": False}
        self._show_clusters(clusters)

    async def _read_monitor(self) -> dict[int, dict[str, Any]]:
        """The shard monitor's record of each shard (empty while it does not run)."""
        if not self._monitor_view:
            return {}
        try:
            data = await self.source.read("shard_health")
        except UnknownView:
            self._monitor_view = False  # a bot from before the shard monitor
            return {}
        return health_by_shard(data)

    def _show_shards(self, data: dict[str, Any], monitor: dict[int, dict[str, Any]]) -> None:
        shards = data["shards"]
        rows = []
        for shard in shards:
            samples = self.history.get(shard["id"])
            if samples is None:
                if len(self.history) >= HISTORY_SHARDS:
                    del self.history[next(iter(self.history))]
                samples = self.history[shard["id"]] = deque(maxlen=HISTORY)
            if shard["latency_ms"] is not None and not shard["closed"]:
                samples.append(shard["latency_ms"])
            rows.append(shard_row(shard, samples, monitor.get(shard["id"]), self.frozen))
        self._render_rows(self.table, rows)
        # The header, the rows and a line for the horizontal scroll bar (the columns are
        # wider than 80 cells): with "height: auto" a DataTable that scrolls sideways
        # takes all the height it may have.
        if self.table.styles.height != Scalar.parse(str(len(rows) + 2)):
            self.table.styles.height = len(rows) + 2
        values = [shard["latency_ms"] for shard in shards if shard["latency_ms"] is not None]
        mean = (
            "—" if not values else FROZEN if self.frozen else f"{sum(values) / len(values):.1f} ms"
        )
        self.query_one("#shd-status", LiveStatic).show_text(shards_line(data, mean, monitor))

    def _show_clusters(self, data: dict[str, Any]) -> None:
        on = bool(data.get("enabled"))
        if on != self.clusters_on:
            self.clusters_on = on
            self.query_one("#shd-bus", LiveStatic).display = on
            self.cluster_table.display = on
        if not on:
            return
        line = bus_line(data)
        self.query_one("#shd-bus", LiveStatic).show(
            (line.plain, tuple(line.spans)), lambda: line, None
        )
        self._render_rows(self.cluster_table, cluster_rows(data, self.frozen))

    def _render_rows(self, table: DataTable[Any], rows: list[Row]) -> None:
        """Add, or update in place only the cells that changed (any update to a DataTable
        repaints all of it)."""
        shown = self._shown[str(table.id)]
        keys = [key for key, _ in rows]
        if [key.value for key in table.rows] != keys:
            table.clear()
            for key, cells in rows:
                table.add_row(*cells, key=key)
            shown.clear()
            shown.update((key, tuple(map(cell_key, cells))) for key, cells in rows)
            return
        columns = [column.key for column in table.columns.values()]
        for key, cells in rows:
            before = shown.get(key)
            now = tuple(map(cell_key, cells))
            for index, (column, value) in enumerate(zip(columns, cells, strict=True)):
                if before is None or before[index] != now[index]:
                    table.update_cell(key, column, value, update_width=True)
            shown[key] = now


PANE = ShardsPane
