"""The cluster bus against a real redis-server: membership, stats, broadcasts, preset
queries, dead clusters, Redis outages, refusals and secrets."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from zoryx.cluster import BusUnavailable, ClusterBus, ClusterRefused

from .conftest import RedisServer
from .helpers import SECRET, SHARDS, Fleet, cluster_settings, fleet_of, until

BUS_PROC = Path(__file__).with_name("bus_proc.py")


@pytest.fixture
async def fleet(redis_server: RedisServer, namespace: str) -> AsyncIterator[Fleet]:
    async for fleet in fleet_of(redis_server.url, namespace):
        yield fleet


def stats_of(guilds: int, users: int, shard_ids: tuple[int, ...]) -> dict[str, Any]:
    rows = [
        {"id": i, "state": "ready", "latency_ms": 40.0, "guilds": guilds // 2, "ready": True}
        for i in shard_ids
    ]
    return {
        "guilds": guilds,
        "users": users,
        "latency_ms": 40.0,
        "health": "healthy",
        "shards": rows,
    }


async def three(fleet: Fleet, guilds: dict[str, int] | None = None) -> list[ClusterBus]:
    counts = guilds if guilds is not None else {"c0": 10, "c1": 20, "c2": 30}
    buses = []
    for n in range(3):
        name, ids = f"c{n}", (2 * n, 2 * n + 1)
        buses.append(
            await fleet.start(
                name, ids, lambda name=name, ids=ids: stats_of(counts[name], 100, ids)
            )
        )
    return buses


def live_names(bus: ClusterBus) -> list[str]:
    return [m.name for m in bus.members() if m.alive]


async def test_three_clusters_see_each_other_with_global_stats(fleet: Fleet) -> None:
    guilds = {"c0": 10, "c1": 20, "c2": 30}
    buses = await three(fleet, guilds)
    expected = {"clusters": 3, "shards": SHARDS, "guilds": 60, "users": 300}
    for bus in buses:
        assert bus.state == "connected"
        await until(lambda bus=bus: bus.global_stats() == expected, f"{bus.name} to see the fleet")
        members = {m.name: m for m in bus.members()}
        assert sorted(members) == ["c0", "c1", "c2"]
        assert members["c1"].shard_ids == (2, 3) and members["c1"].shard_count == SHARDS
        assert members["c2"].guilds == 30 and members["c2"].health == "healthy"
        assert [row["id"] for row in members["c2"].shards] == [4, 5]
        assert members["c0"].pid == os.getpid() and members["c0"].host
    guilds["c1"] = 25  # stats are refreshed and spread every stats_every seconds
    for bus in buses:
        await until(
            lambda bus=bus: bus.global_stats()["guilds"] == 65, f"{bus.name} to see new stats"
        )
    assert all(bus.counters["received"] > 0 and bus.counters["sent"] > 0 for bus in buses)
    assert all(bus.counters["bad_signature"] == 0 for bus in buses)


async def test_broadcast_reaches_every_cluster(fleet: Fleet) -> None:
    buses = await three(fleet)
    for bus in buses:
        await until(lambda bus=bus: len(live_names(bus)) == 3, "the fleet")
    got: list[tuple[str, str, str, str]] = []

    async def later(bus: ClusterBus, sender: str, by: str, text: str) -> None:
        await asyncio.sleep(0)
        got.append((bus.name, sender, by, text))

    buses[0].on_broadcast(lambda s, b, t: got.append(("c0", s, b, t)))
    buses[1].on_broadcast(lambda s, b, t: later(buses[1], s, b, t))
    buses[2].on_broadcast(lambda s, b, t: got.append(("c2", s, b, t)))
    reached = await buses[1].broadcast("maintenance at noon", by="owner#0001")
    assert reached == 3
    await until(lambda: len(got) == 3, "every cluster to get the broadcast")
    assert sorted(got) == [
        (n, "c1", "owner#0001", "maintenance at noon") for n in ("c0", "c1", "c2")
    ]
    with pytest.raises(ValueError):
        await buses[0].broadcast("", by="owner")


async def test_preset_queries_are_answered_by_every_cluster(fleet: Fleet) -> None:
    buses = await three(fleet)
    for bus in buses:
        await until(lambda bus=bus: len(live_names(bus)) == 3, "the fleet")
    stats = await buses[0].query("stats")
    assert {name: answer["guilds"] for name, answer in stats.items()} == {
        "c0": 10,
        "c1": 20,
        "c2": 30,
    }
    assert stats["c2"]["shard_ids"] == [4, 5]
    health = await buses[2].query("health")
    assert sorted(health) == ["c0", "c1", "c2"] and health["c1"]["health"] == "healthy"
    guild_id = (123456789 << 22) + 7  # (123456789 % 6) == 3: shard 3, held by c1
    found = await buses[0].query("guild", guild_id)
    assert {name: answer["holds"] for name, answer in found.items()} == {
        "c0": False,
        "c1": True,
        "c2": False,
    }
    assert found["c1"]["shard_id"] == 3
    buses[1].on_query("guild", lambda gid: {"holds": gid == guild_id, "name": "Test Guild"})
    found = await buses[2].query("guild", guild_id)
    assert found["c1"] == {"holds": True, "name": "Test Guild"}
    for kind, arg in (("eval", "1+1"), ("exec", None), ("guild", "x"), ("guild", -5), ("stats", 1)):
        with pytest.raises(ValueError):
            await buses[0].query(kind, arg)


async def test_a_killed_cluster_turns_dead_and_rejoins(
    fleet: Fleet, redis_server: RedisServer
) -> None:
    events: list[tuple[str, str]] = []
    watcher = await fleet.start("c0", (0, 1))
    watcher.on_membership(lambda event, name: events.append((event, name)))
    await fleet.start("c1", (2, 3))

    def spawn() -> subprocess.Popen[str]:
        return spawn_bus(redis_server, fleet.namespace, "c2", "4,5")

    proc = spawn()
    try:
        assert await asyncio.to_thread(proc.stdout.readline) == "ready\n"  # type: ignore[union-attr]
        await until(
            lambda: ("join", "c2") in events and watcher.global_stats()["guilds"] == 30,
            "c2 joining",
        )
        proc.send_signal(signal.SIGKILL)  # no leave message: it just goes silent
        await asyncio.to_thread(proc.wait)
        await until(lambda: ("dead", "c2") in events, "c2 to be declared dead")
        dead = {m.name: m for m in watcher.members()}["c2"]
        assert not dead.alive and dead.shard_ids == (4, 5)
        assert watcher.global_stats() == {"clusters": 2, "shards": 4, "guilds": 0, "users": 0}
        events.clear()
        proc = spawn()
        assert await asyncio.to_thread(proc.stdout.readline) == "ready\n"  # type: ignore[union-attr]
        await until(lambda: ("join", "c2") in events, "c2 to rejoin")
        await until(lambda: watcher.global_stats()["clusters"] == 3, "c2 alive again")
    finally:
        proc.kill()
        proc.wait()


def spawn_bus(
    server: RedisServer, namespace: str, name: str, ids: str, timeout: float = 3.0
) -> subprocess.Popen[str]:
    """A bus in its own process (see bus_proc.py); its first line is "ready" once in."""
    env = {**os.environ, "ZORYX_TEST_SECRET": SECRET, "ZORYX_TEST_TIMEOUT": str(timeout)}
    args = [server.url, namespace, name, ids, str(SHARDS), "30"]
    return subprocess.Popen(
        [sys.executable, str(BUS_PROC), *args], stdout=subprocess.PIPE, text=True, env=env
    )


async def test_a_restarted_cluster_takes_its_name_back_at_once(
    redis_server: RedisServer, namespace: str
) -> None:
    # A long timeout: the killed process's registration is still there when it restarts.
    proc = spawn_bus(redis_server, namespace, "c2", "4,5", timeout=300)
    try:
        assert await asyncio.to_thread(proc.stdout.readline) == "ready\n"  # type: ignore[union-attr]
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait)
        # this machine's process holding the name is gone: the restart takes it over
        proc = spawn_bus(redis_server, namespace, "c2", "4,5", timeout=300)
        assert await asyncio.to_thread(proc.stdout.readline) == "ready\n"  # type: ignore[union-attr]
        # while that one runs, the name is taken
        second = spawn_bus(redis_server, namespace, "c2", "4,5", timeout=300)
        try:
            assert await asyncio.to_thread(second.stdout.readline) == "refused name\n"  # type: ignore[union-attr]
        finally:
            second.kill()
            second.wait()
    finally:
        proc.kill()
        proc.wait()


async def test_redis_killed_and_restarted(fleet: Fleet, redis_server: RedisServer) -> None:
    buses = await three(fleet)
    for bus in buses:
        await until(lambda bus=bus: len(live_names(bus)) == 3, "the fleet")
    with redis_server.restarted():
        redis_server.kill()
        await until(
            lambda: all(b.state == "unavailable" for b in buses), "the bus to turn unavailable"
        )
        with pytest.raises(BusUnavailable):
            await buses[0].broadcast("anyone?", by="owner")
        with pytest.raises(BusUnavailable):
            await buses[0].query("stats")
        assert buses[0].members()[0].name == "c0"  # the views keep answering
        await asyncio.wait_for(buses[0].identify_turn(0, 1), 30)  # paced locally
        redis_server.restart()  # empty: every registration is gone
        await until(lambda: all(b.state == "connected" for b in buses), "the bus to come back")
    for bus in buses:
        await until(
            lambda bus=bus: bus.global_stats()["clusters"] == 3,
            f"{bus.name} to see the fleet again",
        )
    client = Redis.from_url(redis_server.url)
    try:
        assert await client.zcard(f"{fleet.namespace}:members") == 3  # registry rebuilt
    finally:
        await client.aclose()
    late = await fleet.start("c3", (), shard_count=SHARDS)
    await until(
        lambda: live_names(late) == ["c0", "c1", "c2", "c3"], "a newcomer to see the rebuilt fleet"
    )
    assert await buses[1].broadcast("back", by="owner") == 4


async def test_name_clash_shard_overlap_and_count_mismatch_are_refused(fleet: Fleet) -> None:
    first = await fleet.start("c0", (0, 1))
    cases = [
        ("c0", (4,), SHARDS, "name", ["'c0'", "SHARD_CLUSTER_NAME"]),
        ("c9", (1, 2), SHARDS, "overlap", ["shard 1", "'c0'", "SHARD_IDS"]),
        ("c8", (5,), 8, "shard_count", ["SHARD_COUNT 8", "'c0'"]),
    ]
    for name, ids, count, reason, words in cases:
        bus = ClusterBus(
            cluster_settings(fleet.url, fleet.namespace, name, ids, shard_count=count), stats=dict
        )
        with pytest.raises(ClusterRefused) as info:
            await bus.start()
        assert info.value.reason == reason
        assert all(word in str(info.value) for word in words), str(info.value)
        assert bus.state == "refused"
        await bus.stop()
    await asyncio.sleep(0)
    assert live_names(first) == ["c0"] and first.global_stats()["clusters"] == 1


async def test_racing_clusters_with_one_name_admit_exactly_one(fleet: Fleet) -> None:
    await fleet.start("c0", (0, 1))
    racers = [
        ClusterBus(cluster_settings(fleet.url, fleet.namespace, "racer", (i,)), stats=dict)
        for i in range(2, SHARDS)
    ]
    fleet.buses.extend(racers)
    results = await asyncio.gather(*(bus.start() for bus in racers), return_exceptions=True)
    refused = [r for r in results if isinstance(r, ClusterRefused)]
    assert results.count(None) == 1 and len(refused) == len(racers) - 1, results
    assert all(r.reason == "name" for r in refused)
    assert sum(bus.state == "connected" for bus in racers) == 1


async def test_a_cluster_with_another_secret_is_never_admitted(
    fleet: Fleet, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="zoryx")
    wrong = "an-entirely-different-secret"
    member = await fleet.start("c0", (0, 1))
    intruder = ClusterBus(
        cluster_settings(fleet.url, fleet.namespace, "c1", (2, 3), secret=wrong), stats=dict
    )
    with pytest.raises(ClusterRefused) as info:
        await intruder.start()
    assert info.value.reason == "secret" and "SHARD_IPC_SECRET" in str(info.value)
    assert intruder.state == "refused"
    # Nor does anything it signs get in: its messages fail the signature check.
    from zoryx.cluster import Signer

    forged = Signer(wrong).seal(
        "join",
        "c1",
        {
            "instance": "x",
            "shard_ids": [2],
            "shard_count": SHARDS,
            "pid": 1,
            "host": "h",
            "stats": {},
        },
    )
    client = Redis.from_url(fleet.url)
    try:
        await client.publish(f"{fleet.namespace}:bus", forged)
        await until(lambda: member.counters["bad_signature"] >= 1, "the forged join to be refused")
    finally:
        await client.aclose()
    assert live_names(member) == ["c0"]
    text = caplog.text + str(info.value) + repr(intruder) + repr(intruder.settings)
    assert wrong not in text and SECRET not in text
    # Once no cluster of the old secret is alive, a fleet with a new secret can start.
    await member.stop()
    rotated = await fleet.start("c0", (0, 1), secret=wrong)
    assert rotated.state == "connected"


async def test_password_protected_redis_and_no_leaks(
    redis_server_auth: RedisServer, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="zoryx")
    password = redis_server_auth.password
    assert password
    async for fleet in fleet_of(redis_server_auth.url, namespace):
        good = await fleet.start("c0", (0, 1))
        assert good.state == "connected"
        wrong_url = redis_server_auth.url.replace(password, "not-the-password-123")
        fleet.url = wrong_url
        denied = await fleet.start("c1", (2, 3))  # does not raise: the bot keeps running
        assert denied.state == "unavailable"
        await until(lambda: "authentication failed" in caplog.text, "the reason in the log")
        shown = " ".join(
            [
                caplog.text,
                repr(good),
                repr(good.settings),
                good.settings.display_url,
                repr(denied.settings),
            ]
        )
        for secret in (password, "not-the-password-123", SECRET):
            assert secret not in shown
        assert "redis://:***@127.0.0.1" in good.settings.display_url


async def test_stop_returns_even_when_it_lands_mid_command(
    redis_server: RedisServer, namespace: str
) -> None:
    # Heartbeats so frequent that stop() nearly always cancels the loops inside a Redis
    # command: a cancellation lost there would leave the bus running and stop() hanging.
    for _ in range(20):
        settings = cluster_settings(
            redis_server.url, namespace, "c0", (0,), heartbeat=0.001, stats_every=0.001
        )
        bus = ClusterBus(settings, stats=dict)
        await bus.start()
        await until(lambda bus=bus: bus.counters["sent"] >= 5, "a few heartbeats")
        await asyncio.wait_for(bus.stop(), 30)
        assert bus.state == "stopped"
