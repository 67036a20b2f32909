"""The fleet's shared IDENTIFY budget: one IDENTIFY per bucket per window across every
cluster (through Redis), paced locally while Redis is down."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import pytest

from zoryx.cluster import ClusterBus

from .conftest import RedisServer, free_port
from .helpers import SHARDS, Fleet, fleet_of

# A short window for the many-shard checks. The margin absorbs a stall between Redis
# granting a turn and the test noting the time, on a busy machine.
SHORT = {"identify_window": 1.0, "identify_margin": 0.5}


@pytest.fixture
async def fleet(redis_server: RedisServer, namespace: str) -> AsyncIterator[Fleet]:
    async for fleet in fleet_of(redis_server.url, namespace):
        yield fleet


async def identify_all(
    plan: list[tuple[ClusterBus, int]], max_concurrency: int
) -> dict[int, float]:
    """Every shard takes its turn at once; when each one got it (monotonic)."""
    times: dict[int, float] = {}

    async def one(bus: ClusterBus, shard: int) -> None:
        await bus.identify_turn(shard, max_concurrency)
        times[shard] = time.monotonic()

    await asyncio.wait_for(asyncio.gather(*(one(bus, shard) for bus, shard in plan)), 120)
    return times


def gaps(times: list[float]) -> list[float]:
    ordered = sorted(times)
    return [b - a for a, b in itertools.pairwise(ordered)]


async def three_buses(fleet: Fleet, **overrides: float) -> list[tuple[ClusterBus, int]]:
    plan = []
    for n in range(3):
        ids = (2 * n, 2 * n + 1)
        bus = await fleet.start(f"c{n}", ids, **overrides)
        plan += [(bus, shard) for shard in ids]
    return plan


async def test_one_bucket_is_shared_by_the_whole_fleet(fleet: Fleet) -> None:
    plan = await three_buses(fleet, **SHORT)
    times = await identify_all(plan, max_concurrency=1)
    assert sorted(times) == list(range(SHARDS))
    assert min(gaps(list(times.values()))) >= 1.0, gaps(list(times.values()))


async def test_each_bucket_is_paced_on_its_own(fleet: Fleet) -> None:
    plan = await three_buses(fleet, **SHORT)
    times = await identify_all(plan, max_concurrency=2)
    for bucket in (0, 1):
        in_bucket = [t for shard, t in times.items() if shard % 2 == bucket]
        assert len(in_bucket) == 3
        assert min(gaps(in_bucket)) >= 1.0, (bucket, gaps(in_bucket))


async def test_real_five_second_window(fleet: Fleet) -> None:
    first = await fleet.start("c0", (0,), shard_count=2)
    second = await fleet.start("c1", (1,), shard_count=2)
    times = await identify_all([(first, 0), (second, 1)], max_concurrency=1)
    assert times[1] - times[0] >= 5.0 or times[0] - times[1] >= 5.0, times


async def test_local_pacing_while_redis_is_down(namespace: str) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    async for fleet in fleet_of(url, namespace):
        bus = await fleet.start("c0", tuple(range(SHARDS)), **SHORT)
        assert bus.state == "unavailable"
        times = await identify_all([(bus, shard) for shard in (0, 2, 4)], max_concurrency=2)
        assert min(gaps(list(times.values()))) >= 1.0
        with pytest.raises(ValueError):
            await bus.identify_turn(0, 0)
