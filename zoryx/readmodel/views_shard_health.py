"""The ``shard_health`` view: the shard monitor's per-shard health and figures.

Registered by importing this module (listed in :mod:`zoryx.readmodel.registry`). Reads
the ``shard_monitor`` service the shard monitor cog registers; without it (feature off
or not loaded) the view says ``{"enabled": False, "shards": []}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .registry import plain, view

if TYPE_CHECKING:
    from zoryx.runtime import Runtime

__all__: list[str] = []

SERVICE_KEY = "shard_monitor"


@view("shard_health")
async def shard_health(runtime: Runtime) -> dict[str, Any]:
    """Per shard: ``health`` (healthy / warning / critical), its ``issues`` (condition,
    level, detail), state, latency (ms: now, average, min, max), uptime, guilds, members,
    counters, consecutive failures and the last event / connect / disconnect / error
    (UNIX times); plus the thresholds, alert settings and when the last check ran."""
    services = runtime.services
    monitor = services.extra.get(SERVICE_KEY) if services is not None else None
    if monitor is None:
        return {"enabled": False, "shards": []}
    monitor.refresh()
    snap = monitor.snapshot()
    data: dict[str, Any] = plain(snap)
    data["thresholds"] = snap.thresholds.as_dict()
    data["enabled"] = True
    data["counts"] = {tier: snap.count(tier) for tier in ("healthy", "warning", "critical")}
    return data
