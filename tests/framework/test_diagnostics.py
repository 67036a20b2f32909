"""Framework diagnostics end to end: fw_* commands, tiers, alerts, lag, restarts."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import psutil
import pytest
import pytest_asyncio

from zoryx.runtime import Runtime

from .conftest import FakeClock, run, title
from .fw_helpers import bot_dir, description, field, fresh_counters, service, start

pytestmark = pytest.mark.asyncio(loop_scope="module")
ALERTS = "#off-topic"


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rt(tmp_path_factory: Any, clock: FakeClock) -> AsyncIterator[Runtime]:
    options = {"clock": clock, "check_interval": 3600.0, "lag_interval": 0.1}
    runtime = await start(
        bot_dir(tmp_path_factory.mktemp("diag")), {"FW_LOOP_LAG_THRESHOLD_MS": "40"}, options
    )
    try:
        yield runtime
    finally:
        await runtime.shutdown()


# -- commands --------------------------------------------------------------------------------
async def test_fw_diagnostics_shows_health_process_and_lag(rt: Runtime) -> None:
    msg = await run(rt, "owner", "!fw_diagnostics")
    assert title(msg) == "✅ Framework health: healthy"
    assert "(lifetime)" in description(msg)
    process = field(msg, "Process")
    for label in ("CPU", "Memory", "Threads", "Open files", "Connections"):
        assert label in process
    assert "(avg 10s)" in field(msg, "Event loop")
    assert "Threshold 40 ms" in field(msg, "Event loop")  # FW_LOOP_LAG_THRESHOLD_MS was read
    assert "Guilds 3" in field(msg, "Bot")
    snap = service(rt).snapshot()
    assert snap.threads > 0 and snap.memory_mb > 0 and snap.running

    denied = await run(rt, "alice", "!fw_diagnostics")
    assert title(denied) == "❌ Owner only"

    handle = await rt.sandbox.user("owner").slash("fw_diagnostics")
    result = await handle.response()  # deferred while metrics are read, then the embed
    assert result.message is not None and "Framework health" in title(result.message)


async def test_process_metrics_are_read_off_the_event_loop(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[int] = []
    names = ("num_threads", "cpu_percent", "memory_percent", "num_fds", "net_connections")
    for name in (n for n in names if hasattr(psutil.Process, n)):  # not the memoized ones
        original = getattr(psutil.Process, name)

        def spy(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            threads.append(threading.get_ident())
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(psutil.Process, name, spy)
    msg = await run(rt, "owner", "!fw_diagnostics")
    assert "CPU" in field(msg, "Process")
    assert threads, "psutil was not called"
    assert threading.get_ident() not in threads  # never on the loop thread
    assert service(rt).collector.last_thread != threading.current_thread().name


async def test_tiers_follow_the_rolling_hour_after_twelve_snapshots(rt: Runtime) -> None:
    counters = await fresh_counters(rt)
    svc = service(rt)
    for _ in range(11):
        counters.add(100, 12)  # 12 % errors
        await svc.run_check()
    msg = await run(rt, "owner", "!fw_diagnostics")
    assert title(msg) == "🚨 Framework health: critical"
    assert "(lifetime)" in description(msg) and "11/12" in description(msg)

    counters.add(100, 12)
    await svc.run_check()
    msg = await run(rt, "owner", "!fw_diagnostics")
    assert "(rolling hour)" in description(msg) and "12.0%" in description(msg)

    for _ in range(12):  # a clean hour: lifetime is still 6 % (degraded), the hour is 0 %
        counters.add(100, 0)
        await svc.run_check()
    msg = await run(rt, "owner", "!fw_diagnostics")
    assert title(msg) == "✅ Framework health: healthy"
    assert "0.0%" in description(msg) and "(rolling hour)" in description(msg)

    for _ in range(12):
        counters.add(100, 7)
        await svc.run_check()
    msg = await run(rt, "owner", "!fw_diagnostics")
    assert title(msg) == "⚠️ Framework health: degraded"

    history = await run(rt, "owner", "!fw_history 3")
    lines = description(history).splitlines()
    assert len(lines) == 3 and all("**degraded**" in x for x in lines)
    assert "7.0% (rolling hour)" in lines[0] and "6.4%" in lines[1]  # newest first, sliding
    assert "Showing 3 of" in history.embeds[0]["footer"]["text"]


async def test_health_alerts_are_throttled(rt: Runtime, clock: FakeClock) -> None:
    sb = rt.sandbox
    msg = await run(rt, "owner", f"!fw_alert_channel <#{sb.channel_id(ALERTS)}>")
    assert title(msg) == "✅ Diagnostics alert channel set"
    clock.advance(600)
    counters = await fresh_counters(rt)
    svc = service(rt)
    counters.add(100, 50)
    await svc.run_check()
    alert = await sb.expect_message(ALERTS, contains="Framework health: critical")
    assert "50.0%" in description(alert)
    counters.add(100, 50)
    await svc.run_check()  # still critical, within 5 minutes: no second alert
    with pytest.raises(TimeoutError):
        await sb.expect_message(ALERTS, contains="Framework health: critical", timeout=0.5)
    clock.advance(301)
    counters.add(100, 50)
    await svc.run_check()
    await sb.expect_message(ALERTS, contains="Framework health: critical")


async def test_loop_lag_alert_when_the_loop_is_blocked(rt: Runtime, clock: FakeClock) -> None:
    sb = rt.sandbox
    svc = service(rt)
    await run(rt, "owner", f"!fw_alert_channel <#{sb.channel_id(ALERTS)}>")
    clock.advance(600)
    assert svc.snapshot().lag_threshold_ms == 40
    time.sleep(0.7)  # block the event loop the bot runs on  # noqa: ASYNC251
    # The sampler's task records the blocked sample a loop turn after the block ends; on a
    # busy machine an earlier lag alert may already be in the channel, so wait for the sample
    # itself before looking at the alert (seen once in CI: the history checked too early).
    for _ in range(1000):  # polled on the bot's loop (up to 10 s)
        if max(svc.snapshot().lag_history, default=0) >= 500:
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the blocked sample was never recorded")
    alert = await sb.expect_message(ALERTS, contains="Event loop lag", timeout=5)
    assert "threshold 40 ms" in description(alert)
    assert svc.alerts()[0].kind == "lag"


async def test_repeated_write_failures_alert(rt: Runtime, clock: FakeClock) -> None:
    sb = rt.sandbox
    await run(rt, "owner", f"!fw_alert_channel <#{sb.channel_id(ALERTS)}>")
    clock.advance(600)
    await fresh_counters(rt)
    store = rt.services.store
    for _ in range(3):
        with pytest.raises(Exception, match="serialize"):
            await store.write_json(rt.services.data_dir / "broken.json", {"x": object()})
    await service(rt).run_check()
    alert = await sb.expect_message(ALERTS, contains="Storage write failures")
    assert "3 atomic-store write failures" in description(alert)


async def test_alert_channel_argument_errors_and_off(rt: Runtime) -> None:
    bad = await run(rt, "owner", "!fw_alert_channel nowhere")
    assert title(bad) == "❌ Bad argument" and "not a text channel" in description(bad)
    off = await run(rt, "owner", "!fw_alert_channel off")
    assert title(off) == "✅ Diagnostics alerts off"
    assert service(rt).alert_channel_id is None
    stored = json.loads(
        (rt.services.data_dir / "framework_diagnostics_config.json").read_text(encoding="utf-8")
    )
    assert stored == {"alert_channel_id": None}
    denied = await run(rt, "alice", "!fw_alert_channel")
    assert title(denied) == "❌ Owner only"


async def test_fw_errors_lists_recent_command_errors(rt: Runtime) -> None:
    await run(rt, "owner", "!fw_history many")
    await run(rt, "alice", "!fw_errors")
    msg = await run(rt, "owner", "!fw_errors")
    assert title(msg) == "🧯 Recent command errors"
    lines = description(msg).splitlines()
    assert "`fw_errors`" in lines[0] and "alice" in lines[0] and "NotOwner" in lines[0]
    assert "`fw_history`" in lines[1] and "BadArgument" in lines[1]
    slash = await (await rt.sandbox.user("owner").slash("fw_errors")).response()
    assert slash.data["embeds"][0]["title"] == "🧯 Recent command errors"
