"""Measurements of the bot's own process: event-loop lag and psutil readings.

They live beside the runtime, not in a face: the console shows the *bot's* figures,
whether it runs in the bot's process (``zoryx tui``) or is attached to it over the
control socket. :func:`probes` gives a runtime's pair, started on first use and stopped
when the runtime stops.

Both keep bounded histories. psutil calls run in a thread (``asyncio.to_thread``) so a
slow ``/proc`` read never stalls the bot. A thread still holds the GIL while psutil
parses ``/proc`` in Python, so the expensive reading (the socket count, ~10 ms of CPU in
a busy bot: psutil maps every open file to ``/proc/net``) is only taken for whoever
shows it, and at most every ``connections_interval`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zoryx.runtime import Runtime

__all__ = [
    "LoopLagMonitor",
    "Probes",
    "ProcessSample",
    "ProcessSampler",
    "percentile",
    "probes",
]


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0–1) of ``values``; 0.0 when empty.

    The one definition the console and the diagnostics cog share.
    """
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class LoopLagMonitor:
    """Wakes every ``interval`` seconds and records how late it woke (the loop's lag).

    Args:
        interval: Seconds between two wake-ups.
        history: Samples kept (the oldest are dropped).
    """

    def __init__(self, interval: float = 1.0, history: int = 300) -> None:
        self.interval = interval
        self.samples: deque[float] = deque(maxlen=history)  # milliseconds
        #: Sampling ended because ``until`` finished (it is not started again then).
        self.ended = False
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, until: Callable[[], Awaitable[Any]] | None = None) -> None:
        """Start sampling on the running loop (again, if :meth:`stop` stopped it).

        Args:
            until: Sampling stops by itself once this awaitable (called once) finishes,
                e.g. the runtime's ``wait_stopped``.
        """
        if not self.running and not self.ended:
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run(until), name="zoryx-loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, until: Callable[[], Awaitable[Any]] | None) -> None:
        loop = asyncio.get_running_loop()
        end: asyncio.Future[Any] = (
            asyncio.ensure_future(until()) if until is not None else loop.create_future()
        )
        try:
            while not end.done():
                expected = loop.time() + self.interval
                await asyncio.wait({end}, timeout=self.interval)
                if not end.done():
                    self.samples.append(max(0.0, (loop.time() - expected) * 1000))
            self.ended = True
        finally:
            end.cancel()

    @property
    def last(self) -> float:
        return self.samples[-1] if self.samples else 0.0

    def stats(self) -> tuple[float, float, float]:
        """``(p50, p99, max)`` in milliseconds over the kept history."""
        values = list(self.samples)
        return percentile(values, 0.5), percentile(values, 0.99), max(values, default=0.0)


@dataclass(frozen=True)
class ProcessSample:
    """One psutil reading of this process."""

    at: float
    cpu_percent: float
    rss: int
    threads: int
    open_files: int
    connections: int
    system_memory_percent: float


class ProcessSampler:
    """Samples this process with psutil off the event loop; readings are cached briefly.

    Args:
        min_interval: A new reading is taken at most this often (seconds).
        history: Readings kept.
        connections_interval: The socket count is read at most this often (seconds),
            and only for callers that ask for it; other readings carry the last count.
    """

    def __init__(
        self, min_interval: float = 1.0, history: int = 300, connections_interval: float = 10.0
    ) -> None:
        self.min_interval = min_interval
        self.connections_interval = connections_interval
        self.history: deque[ProcessSample] = deque(maxlen=history)
        self._process: Any = None
        self._lock = asyncio.Lock()
        self._connections = 0
        self._connections_at: float | None = None  # monotonic time of the last count

    @property
    def latest(self) -> ProcessSample | None:
        return self.history[-1] if self.history else None

    async def sample(self, *, connections: bool = False) -> ProcessSample | None:
        """A fresh reading (or the cached one if taken less than ``min_interval`` ago).

        Args:
            connections: The caller shows the socket count: count them if the last count
                is older than ``connections_interval`` (or there is none yet).
        """
        async with self._lock:
            now = time.monotonic()
            count = connections and (
                self._connections_at is None
                or now - self._connections_at >= self.connections_interval
            )
            latest = self.latest
            if latest is not None and now - latest.at < self.min_interval and not count:
                return latest
            try:
                reading = await asyncio.to_thread(self._read, count)
            except Exception:  # psutil missing or /proc unreadable: show nothing
                return latest
            self.history.append(reading)
            return reading

    def _read(self, count_connections: bool = True) -> ProcessSample:
        import psutil

        if self._process is None:
            self._process = psutil.Process(os.getpid())
            self._process.cpu_percent(None)  # primes the counter
        proc: psutil.Process = self._process
        with proc.oneshot():
            cpu = proc.cpu_percent(None)
            rss = proc.memory_info().rss
            threads = proc.num_threads()
            try:
                files = proc.num_fds()
            except (AttributeError, psutil.Error):
                files = len(proc.open_files())
            if count_connections:
                try:
                    self._connections = len(proc.net_connections(kind="inet"))
                except psutil.Error:
                    self._connections = 0
                self._connections_at = time.monotonic()
        return ProcessSample(
            time.monotonic(),
            cpu,
            rss,
            threads,
            files,
            self._connections,
            psutil.virtual_memory().percent,
        )


class Probes:
    """One runtime's lag monitor and process sampler."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = weakref.ref(runtime)
        self.lag = LoopLagMonitor()
        self.process = ProcessSampler()

    def start(self) -> None:
        """Start the lag monitor (on the running loop) unless it runs; it stops by itself
        when the runtime stops, for good."""
        runtime = self._runtime()
        if runtime is not None and not self.lag.running:
            self.lag.start(until=runtime.wait_stopped)

    async def stop(self) -> None:
        await self.lag.stop()


_PROBES: weakref.WeakKeyDictionary[Runtime, Probes] = weakref.WeakKeyDictionary()


def probes(runtime: Runtime, *, start: bool = True) -> Probes:
    """The probes of ``runtime`` (made on first use); ``start``: make sure the lag monitor
    runs (call on the runtime's loop)."""
    found = _PROBES.get(runtime)
    if found is None:
        found = _PROBES[runtime] = Probes(runtime)
    if start:
        found.start()
    return found
