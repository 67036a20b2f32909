"""What the faces read: one shard's figures and health, and the whole monitor at a glance.

Plain frozen dataclasses (the console gets them as dicts through the ``shard_health``
read view); building them does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from .health import Issue, ShardHealth, Thresholds
from .stats import ErrorRecord, ShardStats


@dataclass(frozen=True, slots=True)
class ShardView:
    """One shard: live state, counters, latency statistics and health."""

    id: int
    state: str  # "connected" | "disconnected" | "starting"
    health: str  # "healthy" | "warning" | "critical"
    issues: tuple[Issue, ...]
    latency_ms: float | None
    latency_avg_ms: float | None
    latency_min_ms: float | None
    latency_max_ms: float | None
    latency_samples_ms: tuple[float, ...]
    uptime_s: float
    availability: float
    guilds: int
    members: int
    messages: int
    commands: int
    connects: int
    disconnects: int
    resumes: int
    errors: int
    guild_joins: int
    guild_leaves: int
    consecutive_failures: int
    last_event: float | None
    last_connect: float | None
    last_disconnect: float | None
    last_error: ErrorRecord | None
    monitored_since: float


@dataclass(frozen=True, slots=True)
class MonitorSnapshot:
    """The monitor: every shard it runs, its thresholds, alert settings and activity."""

    at: float
    running: bool
    shards: tuple[ShardView, ...]
    thresholds: Thresholds
    alert_channel_id: int | None
    last_check: float | None
    checks: int
    collections: int
    last_saved: float | None
    alerts_raised: int
    alerts_suppressed: int
    intervals: tuple[float, float, float]  # collection, health, persistence (seconds)

    def count(self, tier: str) -> int:
        return sum(1 for s in self.shards if s.health == tier)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def shard_view(stats: ShardStats, health: ShardHealth, now: float) -> ShardView:
    samples = tuple(stats.samples)
    return ShardView(
        id=stats.shard_id,
        state=stats.state,
        health=health.tier,
        issues=health.issues,
        latency_ms=_ms(stats.latency),
        latency_avg_ms=_ms(stats.average_latency()),
        latency_min_ms=_ms(min(samples)) if samples else None,
        latency_max_ms=_ms(max(samples)) if samples else None,
        latency_samples_ms=tuple(round(v * 1000, 1) for v in samples),
        uptime_s=round(stats.uptime(now), 1),
        availability=round(stats.availability(now), 4),
        guilds=stats.guilds,
        members=stats.members,
        messages=stats.messages,
        commands=stats.commands,
        connects=stats.connects,
        disconnects=stats.disconnects,
        resumes=stats.resumes,
        errors=stats.errors,
        guild_joins=stats.guild_joins,
        guild_leaves=stats.guild_leaves,
        consecutive_failures=stats.consecutive_failures,
        last_event=stats.last_event,
        last_connect=stats.last_connect,
        last_disconnect=stats.last_disconnect,
        last_error=stats.last_error,
        monitored_since=stats.monitored_since,
    )
