"""What this cluster tells the fleet about itself: guilds, users and each shard's state.

:func:`cluster_stats` is the cluster bus's stats provider. It reads discord.py objects
once and returns plain data; it is called on the event loop, so it only walks the guild
cache (no I/O). Health uses the shard monitor's thresholds: a shard over 1 s of latency
is a warning, over 2 s or disconnected is critical.
"""

from __future__ import annotations

import math
from typing import Any

WARNING_LATENCY_MS = 1000.0
CRITICAL_LATENCY_MS = 2000.0


def shard_state(closed: bool, ready: bool) -> str:
    """``disconnected`` (socket closed), ``ready`` or ``starting`` (connected, not ready)."""
    if closed:
        return "disconnected"
    return "ready" if ready else "starting"


def health_of(shards: list[dict[str, Any]]) -> str:
    """``healthy``, ``warning`` or ``critical`` for a cluster, from its shard rows."""
    if not shards:
        return "starting"
    worst = "healthy"
    for row in shards:
        latency = row.get("latency_ms")
        if row["state"] == "disconnected" or (
            latency is not None and latency > CRITICAL_LATENCY_MS
        ):
            return "critical"
        if row["state"] != "ready" or (latency is not None and latency > WARNING_LATENCY_MS):
            worst = "warning"
    return worst


def _latency_ms(value: float) -> float | None:
    return round(value * 1000, 1) if math.isfinite(value) and value >= 0 else None


def cluster_stats(bot: Any, ready: set[int]) -> dict[str, Any]:
    """This cluster's stats as the bus reports them (``ready``: shards that became ready)."""
    shards: dict[int, Any] = dict(getattr(bot, "shards", {}) or {})
    per_shard: dict[int, int] = {}
    for guild in bot.guilds:
        shard_id = guild.shard_id or 0
        per_shard[shard_id] = per_shard.get(shard_id, 0) + 1
    rows: list[dict[str, Any]] = []
    latencies: list[float] = []
    for shard_id in sorted(shards):
        info = shards[shard_id]
        latency = _latency_ms(float(info.latency))
        if latency is not None:
            latencies.append(latency)
        rows.append(
            {
                "id": shard_id,
                "state": shard_state(bool(info.is_closed()), shard_id in ready),
                "latency_ms": latency,
                "guilds": per_shard.get(shard_id, 0),
                "ready": shard_id in ready,
            }
        )
    metrics = getattr(getattr(bot, "services", None), "metrics", None)
    users = int(metrics.users(bot.guilds)) if metrics is not None else 0
    return {
        "guilds": len(bot.guilds),
        "users": users,
        "latency_ms": round(sum(latencies) / len(latencies), 1) if latencies else None,
        "health": health_of(rows),
        "shards": rows,
    }
