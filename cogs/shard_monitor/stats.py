"""What the shard monitor knows about one shard: counters, connection history, latency.

:class:`ShardStats` is mutated by the service as events arrive and as collections read
the shard; it turns into plain data for persistence (:meth:`ShardStats.to_dict`) and is
restored from it (:meth:`ShardStats.from_dict`). Only the lifetime counters, the last
error, the latency samples and the connection timestamps are persisted: whether the shard
is connected now, and its run of consecutive failures, belong to the running process.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, TypeGuard

#: Latency samples kept per shard (one per collection: 30 minutes at 30 s).
LATENCY_KEPT = 60
#: Samples the health check averages (2.5 minutes at 30 s).
LATENCY_WINDOW = 5
#: The longest error text kept.
ERROR_TEXT_LIMIT = 300

COUNTERS = (
    "messages",
    "commands",
    "connects",
    "disconnects",
    "resumes",
    "errors",
    "guild_joins",
    "guild_leaves",
)


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """The last thing that went wrong on a shard."""

    at: float
    kind: str  # "session_lost" | "command" | ...
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "kind": self.kind, "text": self.text}

    @classmethod
    def from_dict(cls, data: Any) -> ErrorRecord | None:
        if not isinstance(data, dict):
            return None
        at, kind, text = data.get("at"), data.get("kind"), data.get("text")
        if not _number(at) or not isinstance(kind, str) or not isinstance(text, str):
            return None
        return cls(float(at), kind[:40], text[:ERROR_TEXT_LIMIT])


@dataclass
class ShardStats:
    """Counters and connection state of one shard (times are the service clock's seconds)."""

    shard_id: int
    monitored_since: float
    messages: int = 0
    commands: int = 0
    connects: int = 0
    disconnects: int = 0
    resumes: int = 0
    errors: int = 0
    guild_joins: int = 0
    guild_leaves: int = 0
    last_error: ErrorRecord | None = None
    last_event: float | None = None
    last_connect: float | None = None
    last_disconnect: float | None = None
    # Runtime state (never persisted).
    watched_since: float = 0.0  # when this process started watching (inactivity baseline)
    connected: bool = False
    connected_since: float | None = None
    disconnected_since: float | None = None
    downtime: float = 0.0
    consecutive_failures: int = 0
    last_failure: float | None = None
    sessions: int = 0  # gateway sessions opened (READY) by this process
    guilds: int = 0
    members: int = 0
    latency: float | None = None  # the last reading, seconds
    sequence: int | None = None  # the gateway sequence number at the last collection
    samples: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_KEPT))

    def __post_init__(self) -> None:
        if not self.watched_since:
            self.watched_since = self.monitored_since

    # -- derived ---------------------------------------------------------------------------
    def average_latency(self, window: int = LATENCY_WINDOW) -> float | None:
        """The mean of the newest ``window`` samples (seconds), None before the first."""
        recent = list(self.samples)[-window:]
        return sum(recent) / len(recent) if recent else None

    def uptime(self, now: float) -> float:
        """Seconds the current connection has been up (0 while disconnected)."""
        if not self.connected or self.connected_since is None:
            return 0.0
        return max(0.0, now - self.connected_since)

    def availability(self, now: float) -> float:
        """Share of the monitored time the shard was connected (1.0 before any downtime)."""
        span = now - self.monitored_since
        if span <= 0:
            return 1.0
        down = self.downtime
        if self.disconnected_since is not None:
            down += now - self.disconnected_since
        return min(1.0, max(0.0, 1.0 - down / span))

    def idle_for(self, now: float) -> float:
        """Seconds since the shard's last event (or since the monitor started watching)."""
        return max(0.0, now - max(self.last_event or 0.0, self.watched_since))

    @property
    def state(self) -> str:
        """``connected``, ``disconnected`` or ``starting`` (no session yet, no failure)."""
        if self.connected:
            return "connected"
        return "disconnected" if self.disconnected_since is not None else "starting"

    # -- persistence -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(self, name) for name in COUNTERS}
        data.update(
            {
                "monitored_since": self.monitored_since,
                "last_error": None if self.last_error is None else self.last_error.as_dict(),
                "last_event": self.last_event,
                "last_connect": self.last_connect,
                "last_disconnect": self.last_disconnect,
                "latency_samples": [round(v, 4) for v in self.samples],
            }
        )
        return data

    @classmethod
    def from_dict(cls, shard_id: int, data: Any, now: float) -> ShardStats:
        """Counters and history from ``data``; whatever is malformed starts afresh."""
        stats = cls(shard_id, monitored_since=now, watched_since=now)
        if not isinstance(data, dict):
            return stats
        for name in COUNTERS:
            value = data.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                setattr(stats, name, value)
        since = data.get("monitored_since")
        if _number(since) and since <= now:
            stats.monitored_since = float(since)
        for name in ("last_connect", "last_disconnect"):
            value = data.get(name)
            if _number(value):
                setattr(stats, name, float(value))
        stats.last_error = ErrorRecord.from_dict(data.get("last_error"))
        samples = data.get("latency_samples")
        if isinstance(samples, list):
            stats.samples.extend(float(v) for v in samples if _number(v) and v >= 0)
        return stats

    def reset(self, now: float) -> None:
        """Zero the counters and history; the live connection state stays as it is."""
        for name in COUNTERS:
            setattr(self, name, 0)
        self.monitored_since = now
        self.last_error = None
        self.watched_since = now
        self.downtime = 0.0
        self.consecutive_failures = 0
        self.last_failure = None
        self.samples.clear()
        if self.disconnected_since is not None:
            self.disconnected_since = now


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
