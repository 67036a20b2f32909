"""Event hooks end to end: the eh_* commands through the sandbox, extension hooks, priority,
timeout, circuit breaker (fake clock), worker restart, isolation of a hung hook,
no accumulation on reload/reconnect, persistence, and the disabled toggle."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from zoryx.operator import CONSOLE_OWNER
from zoryx.runtime import Runtime

from .conftest import FakeClock, eventually, mention, run, start_runtime, title, write_bot_dir

LOOP = pytest.mark.asyncio(loop_scope="module")
ALERTS = "#bot-commands"

HOOKY = '''
"""Test extension using the hook API the way extension authors do."""
from discord.ext import commands

__version__ = "1.0"
CALLS = []
READY = []


class Hooky(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    async def on_command_done(self, bot, command_name, **kwargs):
        CALLS.append(command_name)

    async def on_reconnect_evt(self, bot, **kwargs):
        CALLS.append("reconnect_evt")

    async def cog_load(self):
        self.bot.register_hook("command_executed", self.on_command_done, priority=5)

    @commands.Cog.listener()
    async def on_ready(self):
        # Registering on every (re)connect is a classic mistake: it must not accumulate.
        self.bot.register_hook("reconnect_evt", self.on_reconnect_evt)
        READY.append(1)

    @commands.command()
    async def hooky(self, ctx):
        await ctx.send("hooky here")


async def setup(bot):
    await bot.add_cog(Hooky(bot))
'''


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hooks_rt(tmp_path_factory: Any) -> AsyncIterator[Runtime]:
    bot_dir = write_bot_dir(tmp_path_factory.mktemp("hooks"), {"hooky": HOOKY})
    clock = FakeClock()
    options = {"timeout": 0.3, "clock": clock, "restart_delay": 0}
    rt = await start_runtime(bot_dir, {"event_hooks_options": options, "test_clock": clock})
    try:
        yield rt
    finally:
        await rt.shutdown()


def service(rt: Runtime) -> Any:
    return rt.services.extra["hooks"]


def hooky(rt: Runtime) -> Any:
    return sys.modules["extensions.hooky"]


async def set_alerts(rt: Runtime) -> None:
    msg = await run(rt, "owner", f"!eh_alert_channel {mention(rt, ALERTS)}")
    assert title(msg) == "✅ Hook alert channel set"
    rt.sandbox.skip_existing(ALERTS)


@LOOP
async def test_extension_hook_runs_and_eh_list_shows_metrics(hooks_rt: Runtime) -> None:
    assert (await run(hooks_rt, "owner", "!hooky")).content == "hooky here"
    await eventually(lambda: "hooky" in hooky(hooks_rt).CALLS)
    msg = await run(hooks_rt, "owner", "!eh_list")
    assert title(msg) == "🪝 Event hooks"
    text = msg.text()
    assert "🟢 `command_executed:Hooky.on_command_done` · priority 5 · 1 calls · 0 failures" in text
    assert "queue 0/1000" in text and "worker running" in text
    # The slash face answers too.
    res = await (await hooks_rt.sandbox.user("owner").slash("eh_list")).response()
    assert "command_executed:Hooky.on_command_done" in res.text()


@LOOP
async def test_members_cannot_use_hook_commands(hooks_rt: Runtime) -> None:
    for text in (
        "!eh_list",
        "!eh_history",
        "!eh_disable a:b",
        "!eh_enable a:b",
        "!eh_reset_circuit a:b",
        "!eh_alert_channel",
    ):
        msg = await run(hooks_rt, "carol", text)
        assert title(msg) == "❌ Owner only", text


@LOOP
async def test_higher_priority_runs_first(hooks_rt: Runtime) -> None:
    order: list[str] = []

    async def low(bot: Any, **_: Any) -> None:
        order.append("low")

    async def high(bot: Any, **_: Any) -> None:
        order.append("high")

    async def middle(bot: Any, **_: Any) -> None:
        order.append("middle")

    bot = hooks_rt.bot
    bot.register_hook("order_evt", low)
    bot.register_hook("order_evt", high, priority=15)
    bot.register_hook("order_evt", middle, priority=10)
    await bot.emit_hook("order_evt", n=1)
    await service(hooks_rt).drain()
    assert order == ["high", "middle", "low"]
    msg = await run(hooks_rt, "owner", "!eh_list")
    field = next(f["value"] for f in msg.embeds[0]["fields"] if f["name"] == "order_evt")
    assert (
        field.index("order_evt:high")
        < field.index("order_evt:middle")
        < field.index("order_evt:low")
    )


@LOOP
async def test_timeout_is_recorded_in_history(hooks_rt: Runtime) -> None:
    async def sleeper(bot: Any, **_: Any) -> None:
        await asyncio.sleep(30)

    hooks_rt.bot.register_hook("slow_evt", sleeper)
    await hooks_rt.bot.emit_hook("slow_evt")
    await service(hooks_rt).drain()
    msg = await run(hooks_rt, "owner", "!eh_history 3")
    assert title(msg) == "🪝 Hook history"
    assert "❌" in msg.text() and "`slow_evt:sleeper`" in msg.text()
    assert "timed out after 0.3s" in msg.text()
    filtered = await run(hooks_rt, "owner", "!eh_history 20 order_evt")
    assert title(filtered) == "🪝 Hook history for `order_evt`"
    assert "slow_evt" not in filtered.text() and filtered.text().count("✅") == 3


@LOOP
async def test_hung_hook_does_not_delay_other_events(hooks_rt: Runtime) -> None:
    svc = service(hooks_rt)
    svc.timeout = 10.0
    release = asyncio.Event()
    done = asyncio.Event()

    async def hung(bot: Any, **_: Any) -> None:
        await release.wait()

    async def quick(bot: Any, **_: Any) -> None:
        done.set()

    hooks_rt.bot.register_hook("hang_evt", hung, priority=100)
    hooks_rt.bot.register_hook("quick_evt", quick)
    try:
        for _ in range(3):
            await hooks_rt.bot.emit_hook("hang_evt")
        loop = asyncio.get_running_loop()
        started = loop.time()
        await hooks_rt.bot.emit_hook("quick_evt")
        await asyncio.wait_for(done.wait(), 1.0)
        assert loop.time() - started < 0.2
        # Commands and their hooks keep working while the hook is hung.
        assert (await run(hooks_rt, "owner", "!hooky")).content == "hooky here"
    finally:
        release.set()
        svc.timeout = 0.3
    await svc.drain()


@LOOP
async def test_circuit_breaker_opens_half_opens_and_closes(hooks_rt: Runtime) -> None:
    clock: FakeClock = hooks_rt.services.extra["test_clock"]
    sb = hooks_rt.sandbox
    await set_alerts(hooks_rt)
    state = {"fail": True, "calls": 0}

    async def flaky(bot: Any, **_: Any) -> None:
        state["calls"] += 1
        if state["fail"]:
            raise RuntimeError("flaky failure")

    hook_id = hooks_rt.bot.register_hook("flaky_evt", flaky)
    assert hook_id == "flaky_evt:flaky"

    async def fire(times: int = 1) -> None:
        for _ in range(times):
            await hooks_rt.bot.emit_hook("flaky_evt")
        await service(hooks_rt).drain()

    async def listing() -> str:
        msg = await run(hooks_rt, "owner", "!eh_list")
        return next(f["value"] for f in msg.embeds[0]["fields"] if f["name"] == "flaky_evt")

    await fire(5)
    alert = await sb.expect_message(ALERTS, contains="Circuit opened for `flaky_evt:flaky`")
    assert "5 failures within 300s" in alert.text() and "60s" in alert.text()
    assert (await listing()).startswith("⚠️ `flaky_evt:flaky`")
    await fire()
    assert state["calls"] == 5  # open: skipped
    clock.advance(60)
    assert "circuit half-open" in await listing()
    state["fail"] = False
    await fire()
    assert state["calls"] == 6
    line = await listing()
    assert line.startswith("🟢") and "circuit" not in line
    # Open it again: the alert is throttled (one per kind per 5 minutes); reset by hand.
    state["fail"] = True
    await fire(5)
    assert "circuit open" in await listing()
    await sb.expect_no_message(ALERTS, within=0.4)
    msg = await run(hooks_rt, "owner", f"!eh_reset_circuit {hook_id}")
    assert title(msg) == "✅ Circuit reset"
    assert (await listing()).startswith("🟢")
    state["fail"] = False
    await fire()
    assert state["calls"] == 12


@LOOP
async def test_worker_restarts_after_a_crash_with_alert(hooks_rt: Runtime) -> None:
    clock: FakeClock = hooks_rt.services.extra["test_clock"]
    clock.advance(301)  # let a fresh alert of each kind through
    await set_alerts(hooks_rt)
    svc = service(hooks_rt)
    seen: list[int] = []

    async def counter(bot: Any, n: int) -> None:
        seen.append(n)

    hooks_rt.bot.register_hook("count_evt", counter)
    real = svc._dispatch

    def crash_once(item: Any) -> None:
        if item.name != "count_evt":
            return real(item)
        svc._dispatch = real
        raise RuntimeError("simulated dispatcher bug")

    svc._dispatch = crash_once
    await hooks_rt.bot.emit_hook("count_evt", n=1)
    alert = await hooks_rt.sandbox.expect_message(ALERTS, contains="crashed")
    assert "simulated dispatcher bug" in alert.text() and "attempt 1/10" in alert.text()
    await hooks_rt.bot.emit_hook("count_evt", n=2)
    await svc.drain()
    assert seen == [2]
    assert svc.stats()["worker"] == "running" and svc.stats()["restarts"] == 1
    assert "worker running" in (await run(hooks_rt, "owner", "!eh_list")).text()


@LOOP
async def test_disable_enable_and_unknown_ids(hooks_rt: Runtime) -> None:
    hook_id = "command_executed:Hooky.on_command_done"
    calls = hooky(hooks_rt).CALLS
    msg = await run(hooks_rt, "owner", f"!eh_disable {hook_id}")
    assert title(msg) == "✅ Hook disabled"
    saved = json.loads((Path(hooks_rt.services.data_dir) / "event_hooks_config.json").read_text())
    assert saved["disabled"] == [hook_id]
    assert (
        "🔴 `command_executed:Hooky.on_command_done`"
        in (await run(hooks_rt, "owner", "!eh_list")).text()
    )
    before = calls.count("hooky")
    await run(hooks_rt, "owner", "!hooky")
    await asyncio.sleep(0.1)
    await service(hooks_rt).drain()
    assert calls.count("hooky") == before
    msg = await run(hooks_rt, "owner", f"!eh_enable {hook_id}")
    assert title(msg) == "✅ Hook enabled"
    await run(hooks_rt, "owner", "!hooky")
    await eventually(lambda: calls.count("hooky") == before + 1)
    for command in ("eh_disable", "eh_enable", "eh_reset_circuit"):
        msg = await run(hooks_rt, "owner", f"!{command} nope:nothing")
        assert title(msg) == "❌ Unknown hook", command
    msg = await run(hooks_rt, "owner", "!eh_disable")
    assert title(msg) == "❌ Missing argument"


@LOOP
async def test_enable_disable_go_through_the_operator_api_and_persist(hooks_rt: Runtime) -> None:
    """Discord commands and the console (operator API) both audit and persist the change."""
    hook_id = "command_executed:Hooky.on_command_done"
    config = Path(hooks_rt.services.data_dir) / "event_hooks_config.json"
    await hooks_rt.bot.operator.set_hook_enabled(CONSOLE_OWNER, hook_id, False)
    assert json.loads(config.read_text())["disabled"] == [hook_id]
    await hooks_rt.bot.operator.set_hook_enabled(CONSOLE_OWNER, hook_id, True)
    assert json.loads(config.read_text())["disabled"] == []
    await run(hooks_rt, "owner", f"!eh_disable {hook_id}")
    await run(hooks_rt, "owner", f"!eh_enable {hook_id}")
    records = await hooks_rt.bot.operator.audit.recent(10)
    toggles = [(r.source, r.target) for r in records if r.action == "set_hook_enabled" and r.ok]
    assert toggles[:4] == [
        ("discord", f"{hook_id}=True"),
        ("discord", f"{hook_id}=False"),
        ("console", f"{hook_id}=True"),
        ("console", f"{hook_id}=False"),
    ]


@LOOP
async def test_reload_and_reconnect_do_not_accumulate(hooks_rt: Runtime) -> None:
    svc = service(hooks_rt)
    loaded: list[str] = []

    async def on_loaded(bot: Any, extension_name: str, **_: Any) -> None:
        loaded.append(extension_name)

    hooks_rt.bot.register_hook("extension_loaded", on_loaded)
    ids = [h.hook_id for h in svc.hooks()]
    msg = await run(hooks_rt, "owner", "!reload hooky")
    assert title(msg) == "✅ Reloaded hooky"
    assert [h.hook_id for h in svc.hooks()] == ids  # the reloaded copy replaced the old one
    calls = hooky(hooks_rt).CALLS  # the new module's list
    await run(hooks_rt, "owner", "!hooky")
    # Each command reaches the (replaced) hook exactly once: no second copy runs.
    await eventually(lambda: calls == ["reload", "hooky"] and loaded == ["hooky"])
    await asyncio.sleep(0.1)
    assert calls == ["reload", "hooky"]
    # A fresh session (on_ready again) re-registers on_ready hooks: still one of each.
    ready = hooky(hooks_rt).READY
    await hooks_rt.sandbox.send_invalid_session(resumable=False)
    for _ in range(200):
        if ready:
            break
        await asyncio.sleep(0.05)
    assert ready, "the bot did not become ready again"
    assert [h.hook_id for h in svc.hooks()].count("reconnect_evt:Hooky.on_reconnect_evt") == 1
    await hooks_rt.bot.emit_hook("reconnect_evt")
    await svc.drain()
    assert calls.count("reconnect_evt") == 1


@LOOP
async def test_alert_channel_is_persisted_and_can_be_turned_off(hooks_rt: Runtime) -> None:
    path = Path(hooks_rt.services.data_dir) / "event_hooks_config.json"
    msg = await run(hooks_rt, "owner", "!eh_alert_channel")
    assert title(msg) == "✅ Hook alert channel set"
    general = hooks_rt.sandbox.channel_id("#general")
    assert json.loads(path.read_text())["alert_channel_id"] == general
    msg = await run(hooks_rt, "owner", "!eh_alert_channel #off-topic")
    assert json.loads(path.read_text())["alert_channel_id"] == hooks_rt.sandbox.channel_id(
        "#off-topic"
    )
    msg = await run(hooks_rt, "owner", "!eh_alert_channel off")
    assert title(msg) == "✅ Hook alerts off"
    assert json.loads(path.read_text())["alert_channel_id"] is None
    msg = await run(hooks_rt, "owner", "!eh_alert_channel #no-such-channel")
    assert title(msg) == "❌ Bad argument"


@LOOP
async def test_disabled_toggle_means_no_service_no_commands(tmp_path: Path) -> None:
    needy = "__dependencies__ = ['ghost']\n\n\nasync def setup(bot):\n    pass\n"
    toggles = {"enable_event_hooks": False, "enable_plugin_registry": False}
    bot_dir = write_bot_dir(tmp_path, {"needy": needy}, toggles)

    def dispatchers() -> set[asyncio.Task[Any]]:
        return {t for t in asyncio.all_tasks() if t.get_name() == "zoryx-hooks-dispatcher"}

    before = dispatchers()
    rt = await start_runtime(bot_dir)
    try:
        assert "hooks" not in rt.services.extra and "plugins" not in rt.services.extra
        assert rt.bot.get_command("eh_list") is None and rt.bot.get_command("pr_list") is None
        assert dispatchers() == before  # no background task was started
        await rt.sandbox.user("owner").say("#general", "!eh_list")
        await rt.sandbox.expect_no_message("#general", within=0.5)
        await rt.bot.emit_hook("anything", x=1)  # a no-op, not an error
        msg = await run(rt, "owner", "!stats")
        assert msg.embeds
        assert rt.bot.extension_manager.before_load == []
        assert rt.bot.extension_manager.get("needy").state == "loaded"  # nothing enforces
    finally:
        await rt.shutdown()
