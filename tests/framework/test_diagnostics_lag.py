"""Loop-lag alerts that an average hides: one long block, frequent short stalls, and the
name of what blocked (stack sample by default, the callback's repr in asyncio debug mode).

Each test runs a bot on the sandbox with fast lag sampling (every 0.1 s) and reads the
diagnostics service's alerts. The bot's loop is the test's loop, so blocking it from a
command or a task blocks the bot.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from cogs.framework_diagnostics.lag import LagMonitor, percentile
from cogs.framework_diagnostics.lag_alerts import lag_reasons
from cogs.framework_diagnostics.service import Alert
from cogs.framework_diagnostics.slow_callbacks import SlowCallback, SlowCallbackLog, describe_stack
from zoryx.runtime import Runtime

from .conftest import FakeClock, eventually
from .fw_helpers import bot_dir, service, start

BLOCKER = """
import time

from discord.ext import commands


@commands.command()
async def block(ctx: commands.Context, seconds: float = 3.0) -> None:
    time.sleep(seconds)  # blocks the whole event loop, on purpose
    await ctx.send("unblocked")


async def setup(bot: commands.Bot) -> None:
    bot.add_command(block)
"""
ALERT_WAIT = 20.0


async def launch(root: Path, threshold_ms: int, **options: Any) -> Runtime:
    options = {"clock": FakeClock(), "check_interval": 3600.0, "lag_interval": 0.1, **options}
    return await start(
        bot_dir(root, extensions={"blocker": BLOCKER}),
        {"FW_LOOP_LAG_THRESHOLD_MS": str(threshold_ms)},
        options,
    )


@pytest.fixture
async def runtimes(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    started: list[Runtime] = []

    async def make(threshold_ms: int, **options: Any) -> Runtime:
        rt = await launch(tmp_path / f"bot{len(started)}", threshold_ms, **options)
        started.append(rt)
        return rt

    try:
        yield make
    finally:
        for rt in started:
            await rt.shutdown()


async def fresh_start(rt: Runtime) -> Callable[[], list[Alert]]:
    """Forget start-up lag and wait for a full averaging window of fresh samples (as on a
    bot that has been up a while); returns a reader of the lag alerts raised from now on."""
    svc = service(rt)
    svc.lag.reset()
    await eventually(lambda: len(svc.lag.history()) >= 12, ALERT_WAIT)
    before = {id(a) for a in svc.alerts()}
    return lambda: [a for a in svc.alerts() if a.kind == "lag" and id(a) not in before]


async def first_alert(new_alerts: Callable[[], list[Alert]]) -> str:
    await eventually(new_alerts, ALERT_WAIT)
    return new_alerts()[-1].message


def figure(message: str, label: str) -> float:
    match = re.search(rf"{label} of (\d+) ms", message)
    assert match, message
    return float(match.group(1))


async def test_one_long_block_raises_an_alert_naming_the_max(runtimes: Any) -> None:
    rt = await runtimes(1000)  # an average of 10 samples dilutes 3 s to ~300 ms
    new_alerts = await fresh_start(rt)
    await rt.sandbox.user("owner").say("#general", "!block 3")
    await rt.sandbox.expect_message("#general", contains="unblocked", timeout=ALERT_WAIT)
    message = await first_alert(new_alerts)
    assert "reached a max of" in message and figure(message, "max") >= 2000
    assert "averages" not in message  # the average alone stayed under 1000 ms
    assert "Blocked in block (" in message and "blocker.py:" in message  # the command
    snap = service(rt).snapshot()
    assert snap.lag_max_ms >= 2000 and snap.lag_avg_ms < 1000


async def test_a_loop_stalled_45_percent_of_the_time_raises_an_alert(runtimes: Any) -> None:
    rt = await runtimes(100, lag_block_ms=5000)  # only the p95 rule can fire here
    new_alerts = await fresh_start(rt)

    async def stall() -> None:
        while True:
            time.sleep(0.2)  # noqa: ASYNC251 - 200 ms blocked, 245 ms free: stalled 45 % of the time
            await asyncio.sleep(0.245)

    task = asyncio.get_running_loop().create_task(stall())
    try:
        message = await first_alert(new_alerts)
    finally:
        task.cancel()
    assert "p95 of" in message and figure(message, "p95") > 100
    assert "Blocked in stall (" in message  # the watchdog caught the blocking coroutine


async def test_asyncio_debug_mode_names_the_blocking_task(runtimes: Any) -> None:
    rt = await runtimes(1000, lag_block_ms=1000, stall_watchdog=False)
    loop = asyncio.get_running_loop()

    async def hog() -> None:
        time.sleep(1.5)  # noqa: ASYNC251

    loop.set_debug(True)
    try:
        new_alerts = await fresh_start(rt)
        await loop.create_task(hog(), name="lag-hog")
        message = await first_alert(new_alerts)
    finally:
        loop.set_debug(False)
    assert "reached a max of" in message
    assert "(asyncio debug)" in message and "name='lag-hog'" in message and "hog()" in message
    report = await service(rt).report()
    assert any("lag-hog" in c["what"] for c in report["lag"]["slow_callbacks"])


# -- the rules, without a bot ---------------------------------------------------------------
def test_alert_rules_average_p95_and_max() -> None:
    lag = LagMonitor(stats_window=60)
    lag.record(3000)  # one block: an average over one sample is not an average yet
    assert lag_reasons(lag.stats(), 500, 1000) == ["reached a max of 3000 ms (one long block)"]
    for _ in range(59):
        lag.record(10)
    stats = lag.stats()
    assert stats.average_ms == 10 and stats.max_ms == 3000 and stats.p95_ms == 10
    assert [r.split(" of ")[0] for r in lag_reasons(stats, 500, 1000)] == ["reached a max"]
    frequent = LagMonitor(stats_window=60)
    for i in range(60):  # stalled in every third sample, short of the block threshold
        frequent.record(600 if i % 3 == 0 else 0)
    stats = frequent.stats()
    assert stats.average_ms < 500 < stats.p95_ms
    assert [r.split(" of ")[0] for r in lag_reasons(stats, 500, 1000)] == ["has a p95"]
    assert percentile([], 0.95) == 0.0 and percentile([1, 2, 3, 4], 0.5) == 2


def test_slow_callback_log_is_bounded_and_names_own_code() -> None:
    log = SlowCallbackLog(size=3)
    for seconds in (1.0, 5.0, 2.0, 3.0):
        log.add(SlowCallback(time.monotonic(), seconds, f"cb{seconds}", "asyncio debug"))
    assert [i.seconds for i in log.recent(0)] == [5.0, 3.0, 2.0]  # slowest first, 3 kept

    def blocking_function() -> str:
        return describe_stack(sys._getframe())

    where = blocking_function()
    assert where.startswith("blocking_function (tests/framework/test_diagnostics_lag.py:")
