"""The owner commands: the dashboard and its tabs, details, health, alert settings, reset."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from cogs.shard_monitor.views import CUSTOM_ID, REFRESH_ID
from zoryx.readmodel.registry import read_view
from zoryx.runtime import Runtime
from zoryx.sandbox.views import SandboxMessage

from .conftest import HOUR, ask, bot_dir, guild_on, say, service, start, text_of, title, wait_for

HEALTH, LATENCY, EVENTS = (CUSTOM_ID.format(t) for t in ("health", "latency", "events"))
SHARED = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    """One bot for the tests that change nothing the others look at."""
    root: Path = bot_dir(tmp_path_factory.mktemp("shared"))
    runtime = await start(root, options={"collect_interval": HOUR, "health_interval": HOUR})
    try:
        yield runtime
    finally:
        await runtime.shutdown()


def buttons(msg: SandboxMessage) -> dict[str, dict[str, Any]]:
    return {c["custom_id"]: c for row in msg.components for c in row.get("components", [])}


@SHARED
async def test_dashboard_tabs_answer_the_invoker_only(shared: Runtime) -> None:
    rt = shared
    sb = rt.sandbox
    page = await ask(rt, "!shardmonitor")
    assert title(page) == "📊 Shard monitor — 🟢 healthy"
    text = text_of(page)
    assert "2 shard(s) · 🟢 2 healthy · 🟡 0 warning · 🔴 0 critical" in text
    assert "🟢 **Shard 0** · connected ·" in text and "🟢 **Shard 1** · connected ·" in text
    assert "Channel off (log only)" in text
    assert buttons(page)[CUSTOM_ID.format("overview")]["disabled"] is True

    refused = await (await sb.user("alice").click(page, HEALTH)).response()
    assert refused.ephemeral and "Not your dashboard" in refused.text()

    health = (await (await sb.user("owner").click(page, HEALTH)).response()).message
    assert title(health) == "🏥 Shard health — 🟢 healthy"
    assert "Shard(s) 0, 1" in text_of(health)
    assert buttons(health)[HEALTH]["disabled"] is True

    latency = (await (await sb.user("owner").click(health, LATENCY)).response()).message
    assert title(latency) == "📡 Shard latency"
    assert "**Shard 0** now" in text_of(latency) and "**Shard 1** now" in text_of(latency)

    events = (await (await sb.user("owner").click(latency, EVENTS)).response()).message
    assert title(events) == "📈 Shard events"
    before = service(rt).shard(1).messages
    assert f"**Shard 1** · {before} msg" in text_of(events)
    await say(rt, 1, "hello", user="bob")
    await wait_for(lambda: service(rt).shard(1).messages == before + 1)
    refreshed = (await (await sb.user("owner").click(events, REFRESH_ID)).response()).message
    assert title(refreshed) == "📈 Shard events"  # the same tab, new figures
    assert f"**Shard 1** · {before + 1} msg" in text_of(refreshed)


@SHARED
async def test_members_cannot_use_the_shard_commands(shared: Runtime) -> None:
    rt = shared
    for text in ("!shardmonitor", "!shardhealth", "!sharddetails 0", "!shardalerts", "!shardreset"):
        msg = await ask(rt, text, user="alice")
        assert title(msg) == "❌ Owner only", text


@SHARED
async def test_details_and_health_of_each_shard(shared: Runtime) -> None:
    rt = shared
    details = await ask(rt, "!sharddetails 1")
    assert title(details) == "🟢 Shard 1 — healthy"
    text = text_of(details)
    for part in ("State connected", "Guilds 1 · members 5", "Connects 1 · resumes 0", "Total 0"):
        assert part in text, part
    unknown = await ask(rt, "!sharddetails 7")
    assert title(unknown) == "❌ Unknown shard"
    assert "This bot runs no shard 7. Its shards: 0, 1." in text_of(unknown)
    slash = await (await rt.sandbox.user("owner").slash("shardhealth")).response()
    assert "🏥 Shard health — 🟢 healthy" in slash.text()


@SHARED
async def test_the_console_view_reads_the_monitor(shared: Runtime) -> None:
    data = await read_view(shared, "shard_health")
    json.dumps(data)  # plain data only
    assert data["enabled"] is True
    assert [s["id"] for s in data["shards"]] == [0, 1]
    first = data["shards"][0]
    assert first["health"] == "healthy" and first["issues"] == []
    assert first["state"] == "connected" and first["guilds"] == 1
    assert data["counts"] == {"healthy": 2, "warning": 0, "critical": 0}
    assert data["thresholds"]["latency_warning_ms"] == 1000
    assert data["thresholds"]["failure_critical"] == 5


async def test_alert_settings_are_shown_set_saved_and_switched_off(rt: Runtime) -> None:
    shown = await ask(rt, "!shardalerts")
    assert "Channel off (log only)" in text_of(shown)
    assert "Failure threshold 3 (critical at 5)" in text_of(shown)  # SHARD_ALERT_THRESHOLD

    channel = rt.sandbox.channel_id("#off-topic", guild_on(rt, 0))
    done = await ask(rt, "!shardalerts #off-topic 1")
    assert title(done) == "✅ Shard alerts on"
    assert f"<#{channel}>" in text_of(done) and "Failure threshold 1" in text_of(done)
    saved = rt.services.data_dir / "shard_monitor" / "alert_config.json"
    assert json.loads(saved.read_text("utf-8")) == {
        "alert_channel_id": channel,
        "alert_threshold": 1,
    }
    # The threshold is used: one failure is now a warning.
    await rt.sandbox.drop_connections(1)
    await wait_for(lambda: service(rt).shard(1).resumes == 1 and service(rt).shard(1).connected)
    result = await service(rt).check()
    assert {i.condition for i in result.results[1].issues} == {"failures", "recently_disconnected"}

    bad = await ask(rt, "!shardalerts #off-topic 0")
    assert title(bad) == "❌ Bad argument"
    assert "value must be between 1 and 100 but received 0" in text_of(bad)
    off = await ask(rt, "!shardalerts off")
    assert title(off) == "✅ Shard alerts off"
    assert json.loads(saved.read_text("utf-8"))["alert_channel_id"] is None
    assert "Channel off (log only)" in text_of(await ask(rt, "!shardalerts"))


async def test_reset_one_shard_or_all(rt: Runtime) -> None:
    svc = service(rt)
    await ask(rt, "!shardhealth")  # in the guild on shard 0
    await say(rt, 1, "one", user="bob")
    await wait_for(lambda: svc.shard(1).messages >= 1)
    done = await ask(rt, "!shardreset 1")
    assert title(done) == "✅ Shard statistics reset"
    assert "of shard 1" in text_of(done)
    assert svc.shard(1).messages == 0 and svc.shard(1).connects == 0
    assert svc.shard(0).messages > 0
    unknown = await ask(rt, "!shardreset 5")
    assert title(unknown) == "❌ Unknown shard"
    everything = await ask(rt, "!shardreset -1")
    assert "of every shard start again from zero (2 shard(s))" in text_of(everything)
    details = await ask(rt, "!sharddetails 0")
    # Only what happened after the reset: the reset's own reply and this command.
    assert "Messages 2 · commands 1" in text_of(details), text_of(details)
