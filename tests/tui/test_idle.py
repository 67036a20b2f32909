"""Console work waits for a quiet moment of the shared event loop, but never for long.

The loop is kept busy by a callback that queues itself again until a deadline (the bot
with events waiting): the console's refresh steps and paints start only once it stops,
or once they have waited ``MAX_DEFER`` when it does not stop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tui.widgets import LineCard
from tui.widgets._idle import MAX_DEFER, loop_busy, loop_quiet

from .conftest import Console, show, wait_for


def keep_busy(seconds: float) -> float:
    """Keep a callback queued on the loop for ``seconds``; returns when it stops."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds

    def spin() -> None:
        if loop.time() < end:
            loop.call_soon(spin)

    loop.call_soon(spin)
    return end


async def test_loop_quiet_waits_for_queued_work() -> None:
    loop = asyncio.get_running_loop()
    end = keep_busy(MAX_DEFER / 2)
    assert loop_busy(loop)
    await loop_quiet()
    assert loop.time() >= end, "returned while the loop still had work queued"


async def test_loop_quiet_never_waits_longer_than_its_bound() -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = keep_busy(10 * MAX_DEFER)
    await loop_quiet()
    assert loop.time() < end, "waited for the busy loop to end instead of giving up"
    assert loop.time() - start >= MAX_DEFER
    await asyncio.sleep(end - loop.time())  # let the spinning stop before the next test


def paint_times(app: Any) -> list[float]:
    """The loop times at which the main screen paints from now on."""
    screen = app.screen
    times: list[float] = []
    original = screen._compositor_refresh

    def compositor_refresh() -> None:
        times.append(asyncio.get_running_loop().time())
        original()

    screen._compositor_refresh = compositor_refresh
    return times


@pytest.mark.parametrize(
    ("busy_for", "waits"),
    [(MAX_DEFER / 2, True), (10 * MAX_DEFER, False)],
    ids=["loop-goes-quiet", "loop-stays-busy"],
)
async def test_a_paint_waits_for_a_quiet_loop_but_not_for_ever(
    console: Console, busy_for: float, waits: bool
) -> None:
    async with console(frozen_clock=True) as pilot:
        pane = await show(pilot, "overview")
        card = pane.query_one("#ov-health", LineCard)
        card.show_rows([("Tier", "ok"), ("Errors", "0")])
        await pilot.pause(0.1)
        times = paint_times(pilot.app)
        end = keep_busy(busy_for)
        card.show_rows([("Tier", "ok"), ("Errors", "7")])
        await wait_for(pilot, lambda: bool(times), what="a paint")
        if waits:
            assert times[0] >= end, "painted while the loop had work queued"
        else:
            assert times[0] < end, "waited for the busy loop to end instead of painting"
        assert "Errors 7" in card.lines[1]
