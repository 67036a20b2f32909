"""Health tiers from the command error rate, over a rolling hour once there is an hour of data.

Every health check (every 5 minutes) hands :class:`HealthWindow` the lifetime counters of
commands and errors; the window keeps the per-check increases of the last 12 checks. With
12 of them the rate covers the last hour ("rolling hour"); before that it is the lifetime
rate ("lifetime").
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

Tier = Literal["healthy", "degraded", "critical"]
Basis = Literal["lifetime", "rolling hour"]

DEGRADED_AT = 0.05
CRITICAL_AT = 0.10
WINDOW_CHECKS = 12  # 12 × 5 minutes = one hour
TIER_ICONS: dict[str, str] = {"healthy": "✅", "degraded": "⚠️", "critical": "🚨"}


def tier_for(error_rate: float) -> Tier:
    """``healthy`` below 5 %, ``degraded`` from 5 % to below 10 %, ``critical`` from 10 %."""
    if error_rate >= CRITICAL_AT:
        return "critical"
    if error_rate >= DEGRADED_AT:
        return "degraded"
    return "healthy"


@dataclass(frozen=True, slots=True)
class ErrorRate:
    """An error rate, what it was computed over and the counts behind it."""

    rate: float
    basis: Basis
    commands: int
    errors: int

    @property
    def tier(self) -> Tier:
        return tier_for(self.rate)


class HealthWindow:
    """The command/error increases of the last ``size`` checks.

    The first :meth:`observe` only sets the baseline; each later one adds the increase
    since the previous call. Counters that go backwards (a metrics reset) restart the
    baseline instead of adding a negative increase.
    """

    def __init__(self, size: int = WINDOW_CHECKS) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._deltas: deque[tuple[int, int]] = deque(maxlen=size)
        self._last: tuple[int, int] | None = None

    def observe(self, commands: int, errors: int) -> tuple[int, int] | None:
        """Record lifetime counters; returns the increase since the last call, if any."""
        last, self._last = self._last, (commands, errors)
        if last is None or commands < last[0] or errors < last[1]:
            return None
        delta = (commands - last[0], errors - last[1])
        self._deltas.append(delta)
        return delta

    @property
    def snapshots(self) -> int:
        """How many increases the window holds (``size`` when full)."""
        return len(self._deltas)

    @property
    def full(self) -> bool:
        return len(self._deltas) >= self.size

    def rate(self, lifetime_commands: int, lifetime_errors: int) -> ErrorRate:
        """The rolling-hour rate when the window is full, else the lifetime rate."""
        if self.full:
            commands = sum(c for c, _ in self._deltas)
            errors = sum(e for _, e in self._deltas)
            basis: Basis = "rolling hour"
        else:
            commands, errors, basis = lifetime_commands, lifetime_errors, "lifetime"
        return ErrorRate(errors / commands if commands else 0.0, basis, commands, errors)


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """One entry of the health history (persisted as JSON)."""

    at: float
    tier: Tier
    error_rate: float
    basis: Basis
    commands: int
    errors: int
    lag_avg_ms: float
    cpu_percent: float
    memory_mb: float
    threads: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> HealthCheck | None:
        """Parse a persisted entry; ``None`` for anything malformed."""
        if not isinstance(data, dict):
            return None
        try:
            tier = str(data["tier"])
            basis = str(data.get("basis", "lifetime"))
            if tier not in TIER_ICONS or basis not in ("lifetime", "rolling hour"):
                return None
            return cls(
                at=float(data["at"]),
                tier=tier,  # type: ignore[arg-type]
                error_rate=float(data["error_rate"]),
                basis=basis,  # type: ignore[arg-type]
                commands=int(data.get("commands", 0)),
                errors=int(data.get("errors", 0)),
                lag_avg_ms=float(data.get("lag_avg_ms", 0.0)),
                cpu_percent=float(data.get("cpu_percent", 0.0)),
                memory_mb=float(data.get("memory_mb", 0.0)),
                threads=int(data.get("threads", 0)),
            )
        except (KeyError, TypeError, ValueError):
            return None


class AlertThrottle:
    """Allows at most one alert per kind every ``interval`` seconds."""

    def __init__(self, interval: float = 300.0, clock: Callable[[], float] | None = None) -> None:
        self.interval = interval
        self._clock = clock or time.monotonic
        self._last: dict[str, float] = {}
        self.suppressed = 0

    def allow(self, kind: str) -> bool:
        now = self._clock()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self.suppressed += 1
            return False
        self._last[kind] = now
        return True
