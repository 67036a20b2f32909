"""SVG snapshots of the Shards pane with a fleet of clusters, at 80×24 and 120×40.

The console runs on the deterministic demo world with ``frozen_clock=True`` (latencies,
times and heartbeat ages render as placeholders). The fleet's data is fixed: the
``clusters`` and ``shard_health`` views are answered by a stub in front of the console's
real source (everything else is the real bot), so the picture shows three clusters — this
one, one with a warning and a dead one — without Redis or timing in the way. The
behaviour on a real Redis is tested in ``test_shards_clusters.py``. Update them with
``pytest tests/tui/test_snapshots_shards.py --snapshot-update``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tui.app import ZoryxConsole
from zoryx.readmodel import BotInfo, Source

from .conftest import SANDBOX, show, wait_for_text

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
NOW = 1_700_000_000.0


def _shard(shard_id: int, guilds: int, state: str = "ready") -> dict[str, Any]:
    return {
        "id": shard_id,
        "state": state,
        "latency_ms": 40.0 + shard_id,
        "guilds": guilds,
        "ready": state == "ready",
    }


def _cluster(
    name: str, ids: list[int], guilds: int, users: int, health: str, alive: bool = True
) -> dict[str, Any]:
    shards = [_shard(i, guilds // len(ids), "ready" if alive else "disconnected") for i in ids]
    return {
        "name": name,
        "shard_ids": ids,
        "shard_count": 6,
        "guilds": guilds,
        "users": users,
        "latency_ms": 42.0,
        "health": health,
        "last_heartbeat": NOW - (150 if not alive else 3),
        "alive": alive,
        "pid": 4242,
        "host": "node-1",
        "shards": shards,
        "shards_total": len(shards),
    }


CLUSTERS = {
    "enabled": True,
    "bus": "connected",
    "self": "cluster-0",
    "refusal": None,
    "clusters": [
        _cluster("cluster-0", [0, 1], 3, 91, "healthy"),
        _cluster("cluster-1", [2, 3], 8, 240, "warning"),
        _cluster("cluster-2", [4, 5], 6, 150, "critical", alive=False),
    ],
    "total": 3,
    "global": {"clusters": 2, "shards": 4, "guilds": 11, "users": 331},
    "counters": {"sent": 120, "received": 240},
}
SHARD_HEALTH = {"enabled": True, "shards": [{"id": 0, "health": "healthy"}]}


class FleetSource(Source):
    """The console's real source, with the fleet's views answered from fixed data."""

    def __init__(self, inner: Source, fixed: dict[str, Any]) -> None:
        self.inner = inner
        self.fixed = fixed

    @property
    def info(self) -> BotInfo:
        return self.inner.info

    @property
    def connected(self) -> bool:
        return self.inner.connected

    async def read(self, view: str, **params: Any) -> Any:
        if view in self.fixed:
            return self.fixed[view]
        return await self.inner.read(view, **params)

    async def act(self, action: str, **params: Any) -> Any:
        return await self.inner.act(action, **params)

    def subscribe(
        self, topic: str, callback: Callable[[dict[str, Any]], None]
    ) -> Callable[[], None]:
        return self.inner.subscribe(topic, callback)

    async def close(self) -> None:
        await self.inner.close()


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_shards_pane_with_clusters_snapshot(
    snap_compare: Any, bot_dir: Path, size: tuple[int, int]
) -> None:
    app = ZoryxConsole(bot_dir, environ={}, frozen_clock=True, **SANDBOX)  # type: ignore[arg-type]
    app.source = FleetSource(app.source, {"clusters": CLUSTERS, "shard_health": SHARD_HEALTH})

    async def run_before(pilot: Any) -> None:
        await asyncio.wait_for(pilot.app.ready_event.wait(), 30)
        pane = await show(pilot, "shards")
        await wait_for_text(pilot, "cluster-2")
        await pane.refresh_data()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
    assert app.runtime.bot.is_closed(), "the console shuts down the runtime it owns"
