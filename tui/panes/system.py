"""System: the process (CPU, memory, threads, files, sockets), versions and loop lag history.

psutil readings are taken by the app's :class:`~tui.widgets.ProcessSampler` in a thread
(the socket count at most every 10 s: counting them is the expensive part); loop lag comes
from the app's 1-second ticker (:class:`~tui.widgets.LoopLagMonitor`). A card is only
repainted line by line (:class:`~tui.widgets.LineCard`): only the lines whose text changed.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal

from tui.widgets import FROZEN, LineCard, human_bytes, sparkline

from .base import Pane

PACKAGES = ("discord.py", "textual", "rich", "psutil", "aiohttp", "zoryx")
LAG_GOAL_MS = 20.0


class SystemPane(Pane):
    """What the console's own process costs, and how responsive its event loop is."""

    pane_id = "system"
    title = "System"
    short_title = "Sys"
    refresh_seconds = 2.0
    extra_help = [("(no keys)", "read-only; refreshes every 2 s")]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._versions: dict[str, str] | None = None

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
        if self._versions is None:
            self._versions = await asyncio.to_thread(_versions)
        sampler = self.app.process  # type: ignore[attr-defined]
        sample = None if self.frozen else await sampler.sample(connections=True)
        cards = (
            ("#sys-process", self._process_rows(sample)),
            ("#sys-versions", self._versions_rows(self._versions)),
            ("#sys-lag", self._lag_rows()),
        )
        for card_id, rows in cards:
            self.query_one(card_id, LineCard).show_rows(rows)

    def _process_rows(self, sample: Any) -> list[tuple[str, object]]:
        if sample is None:
            values = [FROZEN] * 7
        else:
            values = [
                str(os.getpid()),
                f"{sample.cpu_percent:.1f} %",
                human_bytes(sample.rss),
                f"{sample.system_memory_percent:.0f} % used",
                str(sample.threads),
                str(sample.open_files),
                str(sample.connections),
            ]
        labels = ("PID", "CPU", "Memory", "System RAM", "Threads", "Open files", "Connections")
        return list(zip(labels, values, strict=True))

    def _versions_rows(self, versions: dict[str, str]) -> list[tuple[str, object]]:
        python = platform.python_version()
        rows: list[tuple[str, object]] = [("Python", FROZEN if self.frozen else python)]
        for name in PACKAGES:
            rows.append((name, FROZEN if self.frozen else versions.get(name, "?")))
        rows.append(("Platform", FROZEN if self.frozen else f"{sys.platform} {platform.machine()}"))
        return rows

    def _lag_rows(self) -> list[tuple[str, object]]:
        lag = self.app.lag  # type: ignore[attr-defined]
        if self.frozen:
            return [("History", FROZEN), ("p50/p99", FROZEN), ("Max", FROZEN)]
        width = max(10, self.size.width - 16)
        p50, p99, worst = lag.stats()
        verdict = (
            Text("within goal", style="green")
            if p99 < LAG_GOAL_MS
            else Text("above goal", style="bold red")
        )
        history = Text(sparkline(list(lag.samples), width), style="yellow")
        return [
            ("History", history),
            ("p50/p99", Text.assemble(f"{p50:.1f} / {p99:.1f} ms  ", verdict)),
            ("Max", f"{worst:.1f} ms over {len(lag.samples)} s (goal p99 < 20 ms)"),
        ]


def _versions() -> dict[str, str]:
    from importlib import metadata

    out: dict[str, str] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


PANE = SystemPane
