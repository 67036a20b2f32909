"""Failure protection for hooks: a per-hook circuit breaker and an alert throttle.

Both take an injectable monotonic clock so tests can move time instead of waiting.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from zoryx.hooks import CircuitState

Clock = Callable[[], float]


class CircuitBreaker:
    """Opens after ``threshold`` failures within ``window`` seconds, for ``cooldown`` seconds.

    After the cooldown the breaker is *half-open*: one trial call is let through. A success
    closes it (and forgets earlier failures); a failure opens it again for a new cooldown.

    Args:
        threshold: Failures that open the breaker (default 5).
        window: Seconds the failures must fall within (default 300).
        cooldown: Seconds the breaker stays open (default 60).
        clock: Monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        threshold: int = 5,
        window: float = 300.0,
        cooldown: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.window = window
        self.cooldown = cooldown
        self.clock = clock
        self._failures: deque[float] = deque(maxlen=max(threshold, 1))
        self._opened_at: float | None = None
        self._trial_running = False
        self.opened_count = 0

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return "closed"
        if self.clock() - self._opened_at >= self.cooldown:
            return "half-open"
        return "open"

    @property
    def retry_in(self) -> float:
        """Seconds until an open breaker half-opens (0 when not open)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown - self.clock())

    def allow(self) -> bool:
        """Whether a call may run now; in half-open state only one trial at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "open" or self._trial_running:
            return False
        self._trial_running = True
        return True

    def record_success(self) -> None:
        if self._opened_at is not None and self.state == "half-open":
            self.reset()
        self._trial_running = False

    def record_failure(self) -> bool:
        """Count a failure; returns True when this failure opened the breaker."""
        now = self.clock()
        if self._opened_at is not None:
            if self.state == "half-open":
                self._open(now)
                return True
            return False
        self._failures.append(now)
        while self._failures and now - self._failures[0] > self.window:
            self._failures.popleft()
        if len(self._failures) >= self.threshold:
            self._open(now)
            return True
        return False

    def release_trial(self) -> None:
        """Give back a half-open trial slot that ended without a verdict (cancelled)."""
        self._trial_running = False

    def reset(self) -> None:
        """Close the breaker and forget failures (the manual override)."""
        self._failures.clear()
        self._opened_at = None
        self._trial_running = False

    def _open(self, now: float) -> None:
        self._opened_at = now
        self._failures.clear()
        self._trial_running = False
        self.opened_count += 1


class AlertThrottle:
    """Lets at most one alert per kind through every ``interval`` seconds."""

    def __init__(
        self, interval: float = 300.0, clock: Clock = time.monotonic, max_kinds: int = 512
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.max_kinds = max_kinds
        self._last: dict[str, float] = {}
        self.suppressed = 0

    def allow(self, kind: str) -> bool:
        now = self.clock()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self.suppressed += 1
            return False
        self._last.pop(kind, None)
        self._last[kind] = now
        while len(self._last) > self.max_kinds:
            self._last.pop(next(iter(self._last)))
        return True
