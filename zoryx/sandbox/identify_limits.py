"""Discord's IDENTIFY limits, applied by the sandbox gateway per bot application.

- **max_concurrency**: a shard's identify goes to bucket ``shard_id % max_concurrency``;
  each bucket accepts one identify per 5 seconds, for every connection of the application
  (whichever process opened it). An identify over that answers op 9 Invalid Session
  (``d: false``), as Discord documents; the client waits and identifies again.
- **session start limit**: ``total`` accepted identifies per 24 hours (1,000 on Discord);
  ``GET /gateway/bot`` reports what is left. Discord resets the bot's token when it runs
  out; the sandbox only refuses further identifies (op 9) until the period ends.

Every identify is recorded (time, shard, bucket, accepted or not) in a bounded log that
the driver (``sandbox.gateway.identify_limits.records()``) and the control API
(``GET /_sandbox/identifies``) read.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

IDENTIFY_WINDOW = 5.0  # seconds between two identifies of one bucket
SESSION_START_TOTAL = 1_000
SESSION_START_PERIOD = 86_400.0  # seconds
LOG_SIZE = 1_000

REFUSED_CONCURRENCY = "max_concurrency"
REFUSED_SESSION_STARTS = "session_start_limit"


@dataclass(frozen=True, slots=True)
class IdentifyRecord:
    """One IDENTIFY the gateway decided on."""

    time: float  # Unix time it arrived
    monotonic: float  # the sandbox's monotonic clock (compare records with this)
    application_id: int
    shard_id: int
    shard_count: int
    bucket: int
    accepted: bool
    reason: str | None  # why it was refused: "max_concurrency" or "session_start_limit"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["application_id"] = str(self.application_id)
        return out


@dataclass
class _Starts:
    """Session starts of one application in the current period."""

    period_start: float
    used: int = 0


class IdentifyLimits:
    """Decides whether an IDENTIFY is accepted, and records each decision.

    Args:
        max_concurrency: Identify buckets (``shard_id % max_concurrency``); 1 for most bots.
        window: Seconds a bucket stays taken after an accepted identify (Discord: 5).
        total: Accepted identifies allowed per period (Discord: 1,000 a day).
        period: Length of the session start period in seconds.
        log_size: Records kept (the oldest are dropped first).
        clock: Monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        *,
        max_concurrency: int = 1,
        window: float = IDENTIFY_WINDOW,
        total: int = SESSION_START_TOTAL,
        period: float = SESSION_START_PERIOD,
        log_size: int = LOG_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be 1 or more")
        if total < 1:
            raise ValueError("the session start total must be 1 or more")
        self.max_concurrency = max_concurrency
        self.window = window
        self.total = total
        self.period = period
        self._clock = clock
        self._log: deque[IdentifyRecord] = deque(maxlen=log_size)
        # (application id, bucket) -> monotonic time of its last accepted identify.
        self._last: dict[tuple[int, int], float] = {}
        self._starts: dict[int, _Starts] = {}
        self.refused = 0

    def bucket(self, shard_id: int) -> int:
        return shard_id % self.max_concurrency

    def check(self, application_id: int, shard_id: int, shard_count: int) -> IdentifyRecord:
        """Accept or refuse an identify now, record the decision and return it."""
        now = self._clock()
        bucket = self.bucket(shard_id)
        starts = self._current_starts(application_id, now)
        last = self._last.get((application_id, bucket))
        reason: str | None = None
        if starts.used >= self.total:
            reason = REFUSED_SESSION_STARTS
        elif last is not None and now - last < self.window:
            reason = REFUSED_CONCURRENCY
        if reason is None:
            self._last[(application_id, bucket)] = now
            starts.used += 1
        else:
            self.refused += 1
        record = IdentifyRecord(
            time.time(), now, application_id, shard_id, shard_count, bucket, reason is None, reason
        )
        self._log.append(record)
        return record

    def _current_starts(self, application_id: int, now: float) -> _Starts:
        starts = self._starts.get(application_id)
        if starts is None or now - starts.period_start >= self.period:
            starts = self._starts[application_id] = _Starts(now)
        return starts

    def session_start_limit(self, application_id: int) -> dict[str, int]:
        """The ``session_start_limit`` object of ``GET /gateway/bot`` for an application."""
        now = self._clock()
        starts = self._starts.get(application_id)
        if starts is None or now - starts.period_start >= self.period:
            used, reset_after = 0, self.period
        else:
            used, reset_after = starts.used, self.period - (now - starts.period_start)
        return {
            "total": self.total,
            "remaining": max(self.total - used, 0),
            "reset_after": int(reset_after * 1000),
            "max_concurrency": self.max_concurrency,
        }

    def records(self) -> list[IdentifyRecord]:
        """Recorded identifies, oldest first (at most ``log_size``)."""
        return list(self._log)

    def snapshot(self, application_id: int | None = None) -> dict[str, Any]:
        """Plain data for the control API: the limits and the recorded identifies."""
        records = [
            r.as_dict()
            for r in self._log
            if application_id is None or r.application_id == application_id
        ]
        out: dict[str, Any] = {
            "max_concurrency": self.max_concurrency,
            "window": self.window,
            "refused": self.refused,
            "identifies": records,
        }
        if application_id is not None:
            out["session_start_limit"] = self.session_start_limit(application_id)
        return out


__all__ = [
    "IDENTIFY_WINDOW",
    "REFUSED_CONCURRENCY",
    "REFUSED_SESSION_STARTS",
    "IdentifyLimits",
    "IdentifyRecord",
]
