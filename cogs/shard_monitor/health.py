"""Health tiers of a shard: which conditions hold, and how bad each one is.

The thresholds (see :class:`Thresholds`):

==============================================  ========
Condition                                       Level
==============================================  ========
average latency above 1 s                       warning
average latency above 2 s                       critical
no event for 5 minutes or more                  warning
consecutive failures >= the alert threshold     warning
consecutive failures >= 5 (and >= threshold)    critical
currently disconnected                          critical
disconnected less than 60 s ago                 warning
==============================================  ========

A shard's tier is the worst level among its issues (``healthy`` without any). A shard that
is disconnected is not also reported inactive: the disconnection explains the silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .stats import ShardStats

Level = Literal["warning", "critical"]
Tier = Literal["healthy", "warning", "critical"]

TIER_ICONS: dict[str, str] = {"healthy": "🟢", "warning": "🟡", "critical": "🔴"}
TIER_ORDER: dict[str, int] = {"healthy": 0, "warning": 1, "critical": 2}
#: Every condition the health check can raise, in the order they are shown.
CONDITIONS = ("disconnected", "failures", "latency", "recently_disconnected", "inactive")
CONDITION_LABELS: dict[str, str] = {
    "disconnected": "Disconnected",
    "failures": "Consecutive failures",
    "latency": "High latency",
    "recently_disconnected": "Recently disconnected",
    "inactive": "Inactive",
}
#: Consecutive failures that are critical whatever the configured alert threshold.
CRITICAL_FAILURES = 5


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a condition becomes an issue (seconds, counts)."""

    latency_warning: float = 1.0
    latency_critical: float = 2.0
    inactive_after: float = 300.0
    failure_warning: int = 3  # SHARD_ALERT_THRESHOLD
    failure_critical: int = CRITICAL_FAILURES
    recent_disconnect: float = 60.0

    def with_failure_threshold(self, threshold: int) -> Thresholds:
        return Thresholds(
            self.latency_warning,
            self.latency_critical,
            self.inactive_after,
            threshold,
            self.failure_critical,
            self.recent_disconnect,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "latency_warning_ms": round(self.latency_warning * 1000),
            "latency_critical_ms": round(self.latency_critical * 1000),
            "inactive_after_s": self.inactive_after,
            "failure_warning": self.failure_warning,
            "failure_critical": max(self.failure_critical, self.failure_warning),
            "recent_disconnect_s": self.recent_disconnect,
        }


@dataclass(frozen=True, slots=True)
class Issue:
    """One condition that holds for a shard."""

    condition: str
    level: Level
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"condition": self.condition, "level": self.level, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class ShardHealth:
    """A shard's tier and the issues behind it (most severe first)."""

    shard_id: int
    tier: Tier
    issues: tuple[Issue, ...]

    @property
    def icon(self) -> str:
        return TIER_ICONS[self.tier]

    def as_dict(self) -> dict[str, Any]:
        return {
            "shard_id": self.shard_id,
            "health": self.tier,
            "issues": [i.as_dict() for i in self.issues],
        }


def evaluate(
    stats: ShardStats, now: float, thresholds: Thresholds, *, closed: bool = False
) -> ShardHealth:
    """The health of one shard at ``now``; ``closed``: its connection reads as closed."""
    issues: list[Issue] = []
    disconnected = stats.state == "disconnected" or (closed and stats.sessions > 0)
    if disconnected:
        since = stats.disconnected_since or stats.last_disconnect
        ago = f" for {_seconds(now - since)}" if since is not None else ""
        issues.append(Issue("disconnected", "critical", f"Disconnected{ago}"))
    failures = _failures(stats.consecutive_failures, thresholds)
    if failures is not None:
        issues.append(failures)
    latency = _latency(stats.average_latency(), thresholds)
    if latency is not None:
        issues.append(latency)
    last = stats.last_disconnect
    if not disconnected and last is not None and 0 <= now - last < thresholds.recent_disconnect:
        issues.append(
            Issue(
                "recently_disconnected",
                "warning",
                f"Disconnected {_seconds(now - last)} ago (reconnected)",
            )
        )
    idle = stats.idle_for(now)
    if not disconnected and idle >= thresholds.inactive_after:
        issues.append(Issue("inactive", "warning", f"No events for {_seconds(idle)}"))
    issues.sort(key=lambda i: (i.level != "critical", CONDITIONS.index(i.condition)))
    tier: Tier = "healthy"
    if issues:
        tier = "critical" if issues[0].level == "critical" else "warning"
    return ShardHealth(stats.shard_id, tier, tuple(issues))


def _failures(count: int, t: Thresholds) -> Issue | None:
    if count >= t.failure_warning and count >= t.failure_critical:
        return Issue("failures", "critical", f"{count} consecutive failures")
    if count >= t.failure_warning:
        return Issue("failures", "warning", f"{count} consecutive failures")
    return None


def _latency(average: float | None, t: Thresholds) -> Issue | None:
    if average is None:
        return None
    text = f"Average latency {average * 1000:.0f} ms"
    if average > t.latency_critical:
        return Issue("latency", "critical", f"{text} (over {t.latency_critical * 1000:.0f} ms)")
    if average > t.latency_warning:
        return Issue("latency", "warning", f"{text} (over {t.latency_warning * 1000:.0f} ms)")
    return None


def _seconds(value: float) -> str:
    value = max(0, int(value))
    if value < 120:
        return f"{value}s"
    minutes, seconds = divmod(value, 60)
    if minutes < 120:
        return f"{minutes}m {seconds}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m"
