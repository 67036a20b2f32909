"""SVG snapshots of each pane at 80×24 and 120×40 on the deterministic demo world.

The console runs with ``frozen_clock=True``: uptime, latency, CPU, memory, versions, times
and load durations render as placeholders, so the pictures only change when the layout or
the data shown changes. Update them with ``pytest tests/tui --snapshot-update``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from tui.app import ZoryxConsole

from .conftest import SANDBOX, show, wait_for, wait_for_text

PANES = ("overview", "commands", "plugins", "logs", "system")
#: Text that is on screen once a pane has painted its data (tables measure on idle).
PAINTED = {
    "overview": "HEALTHY",
    "commands": "atomicstats",
    "plugins": "Storage",
    "logs": "bad dice",
    "system": "Connections",
}
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


async def prepare(pilot: Any, pane_id: str) -> None:
    app = pilot.app
    await asyncio.wait_for(app.ready_event.wait(), 30)
    pane = await show(pilot, pane_id)
    if pane_id == "commands":
        await wait_for(pilot, lambda: pane.usage, what="usage counts")
        await pane.refresh_data()
    elif pane_id == "logs":
        await pilot.press("c")  # start from an empty view: start-up lines carry timings
        demo = logging.getLogger("zoryx.demo")
        demo.info("extension greetings reloaded")
        demo.warning("slow gateway: heartbeat acknowledged late")
        demo.error("command 'roll' failed: ValueError: bad dice")
        await wait_for(pilot, lambda: pane._shown == 3, what="three log lines")
    await wait_for_text(pilot, PAINTED[pane_id])
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("pane_id", PANES)
def test_pane_snapshot(
    snap_compare: Any, bot_dir: Path, pane_id: str, size: tuple[int, int]
) -> None:
    app = ZoryxConsole(bot_dir, environ={}, frozen_clock=True, **SANDBOX)  # type: ignore[arg-type]

    async def run_before(pilot: Any) -> None:
        await prepare(pilot, pane_id)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
    assert app.runtime.bot.is_closed(), "the console shuts down the runtime it owns"
