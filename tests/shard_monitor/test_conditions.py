"""Every health condition, triggered through the sandbox, alerts once and again only after it
clears. Health checks are run by hand (the loops are an hour apart) on a hand-moved clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cogs.shard_monitor.stats import LATENCY_WINDOW
from zoryx.runtime import Runtime

from .conftest import (
    HOUR,
    Clock,
    alert_messages,
    ask,
    bot_dir,
    guild_on,
    say,
    service,
    start,
    text_of,
    title,
    wait_for,
)

HEARTBEAT_MS = 3000  # longer than every ACK delay used below


async def alerts_on(rt: Runtime) -> None:
    msg = await ask(rt, "!shardalerts #off-topic")
    assert title(msg) == "✅ Shard alerts on", text_of(msg)


def issues(result: Any) -> dict[int, dict[str, str]]:
    """{shard: {condition: level}} of a health check."""
    return {h.shard_id: {i.condition: i.level for i in h.issues} for h in result.results}


def latencies(rt: Runtime) -> list[float]:
    return [info.latency for info in rt.bot.shards.values()]


async def latency_settles(rt: Runtime, ack_delay: float, low: float, high: float) -> None:
    """Delay the heartbeat ACKs, wait until every shard reports it, sample a full window."""
    await rt.sandbox.set_heartbeat_faults(ack_delay=ack_delay)
    await wait_for(lambda: all(low <= value <= high for value in latencies(rt)))
    for _ in range(LATENCY_WINDOW):
        service(rt).collect()


async def test_latency_warning_and_critical_alert_once_each(tmp_path: Path, clock: Clock) -> None:
    options = {"clock": clock, "collect_interval": HOUR, "health_interval": HOUR}
    rt = await start(bot_dir(tmp_path), options=options, heartbeat_ms=HEARTBEAT_MS)
    try:
        svc = service(rt)
        await alerts_on(rt)
        await latency_settles(rt, 1.3, 1.25, 1.9)
        first = await svc.check()
        assert issues(first) == {0: {"latency": "warning"}, 1: {"latency": "warning"}}
        sent = alert_messages(rt)
        assert len(sent) == 1
        assert title(sent[0]) == "⚠️ Shard alert: warning"
        for shard_id in (0, 1):
            line = f"**Shard {shard_id}** — High latency: Average latency "
            assert line in text_of(sent[0]) and "ms (over 1000 ms)" in text_of(sent[0])
        await svc.check()
        assert len(alert_messages(rt)) == 1  # still high: no second alert

        await latency_settles(rt, 2.4, 2.3, 2.9)
        assert issues(await svc.check())[0] == {"latency": "critical"}
        sent = alert_messages(rt)
        assert len(sent) == 2 and title(sent[1]) == "🚨 Shard alert: critical"
        await svc.check()
        assert len(alert_messages(rt)) == 2

        await latency_settles(rt, 0.0, 0.0, 0.5)
        assert issues(await svc.check()) == {0: {}, 1: {}}  # cleared
        report = await ask(rt, "!shardhealth")
        assert title(report) == "🏥 Shard health — 🟢 healthy"

        await latency_settles(rt, 1.3, 1.25, 1.9)
        await svc.check()
        sent = alert_messages(rt)
        assert len(sent) == 3 and "High latency" in text_of(sent[2])  # again, after clearing
    finally:
        await rt.sandbox.set_heartbeat_faults()
        await rt.shutdown()


async def test_silence_for_five_minutes_is_inactive(rt: Runtime, clock: Clock) -> None:
    svc = service(rt)
    await alerts_on(rt)  # in the guild on shard 0
    # The command and the echo of the bot's reply have both arrived: nothing is in flight.
    await wait_for(lambda: svc.shard(0).messages == 2)
    svc.collect()  # the gateway sequence numbers as they are now
    clock.advance(301)
    result = await svc.check()
    assert issues(result) == {0: {"inactive": "warning"}, 1: {"inactive": "warning"}}
    sent = alert_messages(rt)
    assert len(sent) == 1 and "Inactive: No events for 5m 1s" in text_of(sent[0])

    # Shard 0 hears the alert it sent; shard 1 stays silent and is not alerted twice.
    await wait_for(lambda: svc.shard(0).idle_for(clock()) == 0)
    assert issues(await svc.check()) == {0: {}, 1: {"inactive": "warning"}}
    assert len(alert_messages(rt)) == 1
    # Any gateway event counts, not only those the monitor listens to: a member update.
    guild = rt.bot.get_guild(guild_on(rt, 1))
    await rt.sandbox.set_roles("alice", ["Helper"], guild=guild.id)
    await wait_for(
        lambda: [r.name for r in guild.get_member_named("alice").roles][1:] == ["Helper"]
    )
    assert issues(await svc.check()) == {0: {}, 1: {}}
    assert svc.shard(1).messages == 0

    clock.advance(300)
    assert issues(await svc.check()) == {0: {"inactive": "warning"}, 1: {"inactive": "warning"}}
    assert len(alert_messages(rt)) == 2  # cleared in between: alerted again


async def drop(rt: Runtime, shard_id: int) -> None:
    """Cut the shard's connection and wait until discord.py has resumed it."""
    stats = service(rt).shard(shard_id)
    resumes = stats.resumes
    assert await rt.sandbox.drop_connections(shard_id) == 1
    await wait_for(lambda: stats.resumes == resumes + 1 and stats.connected)


async def test_dropped_connections_count_as_consecutive_failures(rt: Runtime, clock: Clock) -> None:
    svc = service(rt)
    await alerts_on(rt)
    await drop(rt, 1)
    assert issues(await svc.check()) == {0: {}, 1: {"recently_disconnected": "warning"}}
    assert len(alert_messages(rt)) == 1
    assert "Recently disconnected" in text_of(alert_messages(rt)[0])

    await drop(rt, 1)
    await drop(rt, 1)
    assert svc.shard(1).consecutive_failures == 3
    found = issues(await svc.check())[1]
    assert found == {"failures": "warning", "recently_disconnected": "warning"}
    sent = alert_messages(rt)
    assert len(sent) == 2  # only the new condition
    assert "Consecutive failures: 3 consecutive failures" in text_of(sent[1])
    assert "Recently disconnected" not in text_of(sent[1])

    await drop(rt, 1)
    await drop(rt, 1)
    assert issues(await svc.check())[1]["failures"] == "critical"
    assert len(alert_messages(rt)) == 3 and "🚨" in title(alert_messages(rt)[2])
    await svc.check()
    assert len(alert_messages(rt)) == 3

    details = await ask(rt, "!sharddetails 1")
    assert title(details) == "🔴 Shard 1 — critical"
    assert "Connects 1 · resumes 5 · disconnects 5" in text_of(details)
    assert "Consecutive failures 5" in text_of(details)

    clock.advance(61)  # a minute connected without a new failure ends the run
    assert issues(await svc.check()) == {0: {}, 1: {}}
    assert svc.shard(1).consecutive_failures == 0
    await drop(rt, 1)
    assert issues(await svc.check())[1] == {"recently_disconnected": "warning"}
    assert len(alert_messages(rt)) == 4  # it had cleared: alerted again


async def test_a_shard_that_stays_disconnected_is_critical(rt: Runtime) -> None:
    svc = service(rt)
    await alerts_on(rt)
    shard = rt.bot.get_shard(1)
    await shard.disconnect()
    await wait_for(lambda: not svc.shard(1).connected)
    assert issues(await svc.check()) == {0: {}, 1: {"disconnected": "critical"}}
    sent = alert_messages(rt)
    assert len(sent) == 1 and "**Shard 1** — Disconnected" in text_of(sent[0])
    report = await ask(rt, "!shardhealth")
    assert title(report) == "🏥 Shard health — 🔴 critical"
    assert "**Shard 1**: Disconnected for 0s" in text_of(report)
    await svc.check()
    assert len(alert_messages(rt)) == 1

    await shard.connect()
    await wait_for(lambda: svc.shard(1).connected)
    assert issues(await svc.check())[1] == {"recently_disconnected": "warning"}
    assert len(alert_messages(rt)) == 2


async def test_lost_sessions_and_failed_commands_are_recorded_errors(tmp_path: Path) -> None:
    boom = (
        "from discord.ext import commands\n\n"
        "@commands.command()\nasync def boom(ctx):\n    raise RuntimeError('kaboom')\n\n"
        "async def setup(bot):\n    bot.add_command(boom)\n"
    )
    root = bot_dir(tmp_path)
    (root / "extensions" / "boom.py").write_text(boom, encoding="utf-8")
    rt = await start(root, options={"collect_interval": HOUR, "health_interval": HOUR})
    try:
        svc = service(rt)
        # A session the gateway will not resume: discord.py identifies again (after 5 s).
        assert await rt.sandbox.send_invalid_session(False, shard_id=0) == 1
        await wait_for(lambda: svc.shard(0).connects == 2 and svc.shard(0).connected)
        details = await ask(rt, "!sharddetails 0")
        text = text_of(details)
        assert "Total 1" in text and "(session_lost) A new gateway session" in text
        assert "Connects 2 · resumes 0 · disconnects 1" in text

        await say(rt, 1, "!boom")
        await rt.sandbox.expect_message("#general", guild=guild_on(rt, 1), timeout=30)
        await wait_for(lambda: svc.shard(1).errors == 1)
        details = await ask(rt, "!sharddetails 1")
        assert "(command) `boom` failed: RuntimeError: kaboom" in text_of(details)
        assert svc.shard(0).errors == 1  # the error stayed with its shard
    finally:
        await rt.shutdown()
