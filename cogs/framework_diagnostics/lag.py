"""Event-loop lag: how late a ``sleep(interval)`` wakes up, sampled every ``interval`` seconds.

The reported value is the mean of the last ``window`` samples (10 by default), so one
slow tick does not raise an alert on its own but a blocked loop does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger("zoryx.diagnostics")

SampleCallback = Callable[[float, float], None]  # (sample_ms, average_ms)


class LagMonitor:
    """Samples loop lag in a background task.

    Args:
        interval: seconds between samples.
        window: samples averaged (the "avg 10s" figure).
        history: samples kept for graphs (bounded).
        on_sample: called after each sample with ``(sample_ms, average_ms)``.
    """

    def __init__(
        self,
        interval: float = 1.0,
        window: int = 10,
        history: int = 120,
        on_sample: SampleCallback | None = None,
    ) -> None:
        if interval <= 0 or window < 1 or history < 1:
            raise ValueError("interval must be positive; window and history at least 1")
        self.interval = interval
        self.on_sample = on_sample
        self._window: deque[float] = deque(maxlen=window)
        self._history: deque[float] = deque(maxlen=history)
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def average_ms(self) -> float:
        """Mean of the last ``window`` samples (0.0 before the first)."""
        return sum(self._window) / len(self._window) if self._window else 0.0

    @property
    def last_ms(self) -> float:
        return self._history[-1] if self._history else 0.0

    def history(self) -> tuple[float, ...]:
        """Recent samples in milliseconds, oldest first."""
        return tuple(self._history)

    def record(self, sample_ms: float) -> float:
        """Add one sample; returns the new average (also used by tests)."""
        sample_ms = max(0.0, sample_ms)
        self._window.append(sample_ms)
        self._history.append(sample_ms)
        average = self.average_ms
        if self.on_sample is not None:
            try:
                self.on_sample(sample_ms, average)
            except Exception:
                log.exception("loop lag callback failed")
        return average

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="zoryx-fw-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.record((time.perf_counter() - started - self.interval) * 1000.0)
