"""System: the bot's process (CPU, memory, threads, files, sockets), versions and loop lag.

Everything comes from the ``system`` view: psutil readings taken beside the runtime in a
thread (the socket count at most every 10 s: counting them is the expensive part), and the
loop lag of the bot's 1-second ticker. A card is only repainted line by line
(:class:`~tui.widgets.LineCard`): only the lines whose text changed.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal

from tui.widgets import FROZEN, LineCard, human_bytes, sparkline

from .base import Pane

LAG_GOAL_MS = 20.0


class SystemPane(Pane):
    """What the bot's process costs, and how responsive its event loop is."""

    pane_id = "system"
    title = "System"
    short_title = "Sys"
    refresh_seconds = 2.0
    extra_help = [("(no keys)", "read-only; refreshes every 2 s")]

    def compose(self) -> ComposeResult:
        with Horizontal(id="sys-top"):
            process = LineCard(id="sys-process", classes="card")
            process.border_title = "Process"
            yield process
            versions = LineCard(id="sys-versions", classes="card")
            versions.border_title = "Runtime"
            yield versions
        lag = LineCard(id="sys-lag", classes="card")
        lag.border_title = "Event loop lag (one sample per second)"
        yield lag

    async def refresh_data(self) -> None:
        width = max(10, self.size.width - 16)
        data = await self.source.read("system", lag_samples=width)
        cards = (
            ("#sys-process", self._process_rows(data)),
            ("#sys-versions", self._versions_rows(data)),
            ("#sys-lag", self._lag_rows(data["lag"], width)),
        )
        for card_id, rows in cards:
            self.query_one(card_id, LineCard).show_rows(rows)

    def _process_rows(self, data: dict[str, Any]) -> list[tuple[str, object]]:
        sample = data["process"]
        if sample is None or self.frozen:
            values = [FROZEN] * 7
        else:
            values = [
                str(data["pid"]),
                f"{sample['cpu_percent']:.1f} %",
                human_bytes(sample["rss"]),
                f"{sample['system_memory_percent']:.0f} % used",
                str(sample["threads"]),
                str(sample["open_files"]),
                str(sample["connections"]),
            ]
        labels = ("PID", "CPU", "Memory", "System RAM", "Threads", "Open files", "Connections")
        return list(zip(labels, values, strict=True))

    def _versions_rows(self, data: dict[str, Any]) -> list[tuple[str, object]]:
        rows: list[tuple[str, object]] = [("Python", FROZEN if self.frozen else data["python"])]
        for name, version in data["versions"]:
            rows.append((name, FROZEN if self.frozen else version))
        rows.append(("Platform", FROZEN if self.frozen else data["platform"]))
        return rows

    def _lag_rows(self, lag: dict[str, Any], width: int) -> list[tuple[str, object]]:
        if self.frozen:
            return [("History", FROZEN), ("p50/p99", FROZEN), ("Max", FROZEN)]
        p50, p99, worst = lag["p50"], lag["p99"], lag["max"]
        verdict = (
            Text("within goal", style="green")
            if p99 < LAG_GOAL_MS
            else Text("above goal", style="bold red")
        )
        history = Text(sparkline(lag["samples"], width), style="yellow")
        return [
            ("History", history),
            ("p50/p99", Text.assemble(f"{p50:.1f} / {p99:.1f} ms  ", verdict)),
            ("Max", f"{worst:.1f} ms over {lag['count']} s (goal p99 < 20 ms)"),
        ]


PANE = SystemPane
