"""The ``clusters`` view on a real, password-protected ``redis-server``.

Three clusters of one fleet are real :class:`~zoryx.cluster.ClusterBus` instances; the
view runs against a runtime whose services hold the first one (as the shard manager
registers it), through :func:`~zoryx.readmodel.read_view`, the call both console sources
make. A fourth cluster runs in a process of its own and is SIGKILLed, as in a crash.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from tests.cluster import conftest as redis_fixtures
from tests.cluster.conftest import RedisServer
from tests.helpers.cluster_peer_proc import peer_process
from tui.panes._shards_rows import bus_line, cluster_rows
from zoryx.cluster import ClusterBus, ClusterRefused, ClusterSettings
from zoryx.readmodel import read_view
from zoryx.readmodel.views_cluster import SHARDS_MAX

# The cluster tests' real redis-servers (session-wide) and a key namespace per test.
redis_session_server_auth = redis_fixtures.redis_session_server_auth
redis_server_auth = redis_fixtures.redis_server_auth
namespace = redis_fixtures.namespace

SECRET = "view-test-ipc-secret-0123456789abc"
SHARD_COUNT = 6
HEARTBEAT, TIMEOUT = 0.5, 2.0
WAIT = 20.0


def settings(
    redis: RedisServer, ns: str, name: str, ids: tuple[int, ...], count: int = SHARD_COUNT
) -> ClusterSettings:
    return ClusterSettings(
        redis_url=redis.url,
        name=name,
        shard_count=count,
        shard_ids=ids,
        secret=SECRET,
        namespace=ns,
        heartbeat=HEARTBEAT,
        timeout=TIMEOUT,
        stats_every=HEARTBEAT,
        backoff=(0.2, 1.0),
    )


def stats(ids: tuple[int, ...], guilds: int, users: int, health: str) -> dict[str, Any]:
    rows = [
        {"id": i, "state": "ready", "latency_ms": 20.0 + i, "guilds": guilds, "ready": True}
        for i in reversed(ids)  # reported in any order: the view sorts them
    ]
    return {
        "guilds": guilds * len(ids),
        "users": users,
        "latency_ms": 20.0,
        "health": health,
        "shards": rows,
    }


def runtime_with(extra: dict[str, Any]) -> Any:
    """What the view reads of a runtime: its services' ``extra`` registry."""
    return SimpleNamespace(services=SimpleNamespace(extra=extra))


@asynccontextmanager
async def fleet(redis: RedisServer, ns: str) -> AsyncIterator[dict[str, ClusterBus]]:
    """``alpha`` (shards 0, 1), ``beta`` (2) and ``gamma`` (4, 5), joined in that order."""
    spec = {
        "alpha": ((0, 1), 3, 100, "healthy"),
        "beta": ((2,), 4, 50, "warning"),
        "gamma": ((4, 5), 2, 25, "critical"),
    }
    buses: dict[str, ClusterBus] = {}
    try:
        for name, (ids, guilds, users, health) in spec.items():
            buses[name] = ClusterBus(
                settings(redis, ns, name, ids),
                stats=lambda ids=ids, g=guilds, u=users, h=health: stats(ids, g, u, h),
            )
            await buses[name].start()
        yield buses
    finally:
        for bus in buses.values():
            await bus.stop()


async def read_until(runtime: Any, check: Any, what: str) -> dict[str, Any]:
    """The view, read until ``check(view)`` holds (fails after :data:`WAIT` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        data: dict[str, Any] = await read_view(runtime, "clusters")
        if check(data):
            return data
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {data}")
        await asyncio.sleep(0.1)


def names(data: dict[str, Any]) -> list[str]:
    return [info["name"] for info in data["clusters"]]


async def test_without_a_cluster_bus_the_view_says_disabled() -> None:
    data = await read_view(runtime_with({}), "clusters")
    assert data["enabled"] is False and data["clusters"] == [] and data["bus"] is None
    assert data["global"] == {"clusters": 0, "shards": 0, "guilds": 0, "users": 0}


async def test_every_cluster_as_plain_data_without_secrets(
    redis_server_auth: RedisServer, namespace: str
) -> None:
    async with fleet(redis_server_auth, namespace) as buses:
        runtime = runtime_with({"cluster": buses["alpha"]})
        data = await read_until(runtime, lambda d: len(d["clusters"]) == 3, "three clusters")
        text = json.dumps(data)
        assert json.loads(text) == data, "plain JSON data (it crosses the control socket)"
        assert SECRET not in text and str(redis_server_auth.password) not in text
        assert data["enabled"] is True and data["bus"] == "connected" and data["self"] == "alpha"
        assert names(data) == ["alpha", "beta", "gamma"]
        assert data["global"] == {"clusters": 3, "shards": 5, "guilds": 6 + 4 + 4, "users": 175}
        gamma = data["clusters"][2]
        assert gamma["alive"] is True and gamma["health"] == "critical"
        assert gamma["shard_ids"] == [4, 5] and gamma["guilds"] == 4 and gamma["users"] == 25
        assert [s["id"] for s in gamma["shards"]] == [4, 5], "shards in ID order"
        assert gamma["shards"][1] == {
            "id": 5,
            "state": "ready",
            "latency_ms": 25.0,
            "guilds": 2,
            "ready": True,
        }
        assert data["counters"]["received"] > 0

        # A cluster that takes a name already in the fleet is refused; its view says so.
        clash = ClusterBus(settings(redis_server_auth, namespace, "beta", (3,)), stats=dict)
        with pytest.raises(ClusterRefused) as refused:
            await clash.start()
        manager = SimpleNamespace(refusal=str(refused.value))
        view = await read_view(
            runtime_with({"cluster": clash, "shard_manager": manager}), "clusters"
        )
        assert view["bus"] == "refused" and view["refusal"] == str(refused.value)
        assert bus_line(view).plain.startswith(f"bus refused: {refused.value}")
        assert dict(cluster_rows(view))["c:beta"][1].plain == "✕ refused", "not dead"
        await clash.stop()


async def test_a_killed_cluster_stays_listed_as_dead_and_leaves_the_totals(
    redis_server_auth: RedisServer, namespace: str
) -> None:
    async with fleet(redis_server_auth, namespace) as buses:
        runtime = runtime_with({"cluster": buses["alpha"]})
        async with peer_process(
            redis_url=redis_server_auth.url,
            namespace=namespace,
            name="delta",
            shard_count=SHARD_COUNT,
            shard_ids=(3,),
            secret=SECRET,
            heartbeat=HEARTBEAT,
            timeout=TIMEOUT,
            guilds=9,
            users=90,
        ) as process:
            data = await read_until(runtime, lambda d: "delta" in names(d), "delta to join")
            assert data["global"]["clusters"] == 4 and data["global"]["guilds"] == 23
            process.kill()
            await process.wait()
            data = await read_until(
                runtime,
                lambda d: any(c["name"] == "delta" and not c["alive"] for c in d["clusters"]),
                "delta to be dead",
            )
        assert names(data) == ["alpha", "beta", "delta", "gamma"], "by first shard"
        assert data["global"] == {"clusters": 3, "shards": 5, "guilds": 14, "users": 175}
        assert "1 dead" in bus_line(data).plain
        delta = dict(cluster_rows(data, frozen=True))["c:delta"]
        assert delta[1].plain == "✕ dead" and "dim" in str(delta[0].spans[-1].style)


async def test_a_cluster_with_many_shards_is_cut_to_a_bounded_list(
    redis_server_auth: RedisServer, namespace: str
) -> None:
    ids = tuple(range(100))
    many = settings(redis_server_auth, namespace, "wide", ids, count=100)
    bus = ClusterBus(many, stats=lambda: stats(ids, 1, 1, "healthy"))
    await bus.start()
    try:
        data = await read_view(runtime_with({"cluster": bus}), "clusters")
    finally:
        await bus.stop()
    (wide,) = data["clusters"]
    assert len(wide["shards"]) == SHARDS_MAX and wide["shards_total"] == 100
    assert [s["id"] for s in wide["shards"]] == list(range(SHARDS_MAX))
    keys = [key for key, _ in cluster_rows(data)]
    assert keys[-1] == "c:wide:more" and len(keys) == 1 + SHARDS_MAX + 1
    assert cluster_rows(data)[-1][1][0] == f"  └ {100 - SHARDS_MAX} more shards"
