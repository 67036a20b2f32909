"""Shared pieces of the cluster bus tests: fast settings, a fleet of buses, waiting."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from zoryx.cluster import ClusterBus, ClusterSettings
from zoryx.testing import eventually

SECRET = "test-fleet-secret-0123456789"
SHARDS = 6
#: Short intervals for tests; the timeout leaves room for a busy machine (15 heartbeats).
FAST: dict[str, Any] = {
    "heartbeat": 0.2,
    "timeout": 3.0,
    "stats_every": 0.4,
    "backoff": (0.1, 0.5),
}


def cluster_settings(
    url: str,
    namespace: str,
    name: str,
    shard_ids: tuple[int, ...],
    *,
    shard_count: int = SHARDS,
    secret: str = SECRET,
    **overrides: Any,
) -> ClusterSettings:
    return ClusterSettings(
        redis_url=url,
        name=name,
        shard_count=shard_count,
        shard_ids=shard_ids,
        secret=secret,
        namespace=namespace,
        **{**FAST, **overrides},
    )


async def until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """:func:`zoryx.testing.eventually` with a generous timeout and saying what failed."""
    try:
        await eventually(check, timeout)
    except AssertionError:
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}") from None


class Fleet:
    """Buses started by one test (all stopped at its end)."""

    def __init__(self, url: str, namespace: str) -> None:
        self.url = url
        self.namespace = namespace
        self.buses: list[ClusterBus] = []

    async def start(
        self,
        name: str,
        shard_ids: tuple[int, ...],
        stats: Callable[[], dict[str, Any]] | None = None,
        **overrides: Any,
    ) -> ClusterBus:
        settings = cluster_settings(self.url, self.namespace, name, shard_ids, **overrides)
        bus = ClusterBus(settings, stats=stats or dict)
        self.buses.append(bus)
        await bus.start()
        return bus

    async def stop(self) -> None:
        for bus in self.buses:
            await bus.stop()


async def fleet_of(url: str, namespace: str) -> AsyncIterator[Fleet]:
    fleet = Fleet(url, namespace)
    try:
        yield fleet
    finally:
        await fleet.stop()
