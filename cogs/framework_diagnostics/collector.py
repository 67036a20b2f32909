"""Process metrics (CPU, memory, threads, open files, connections), read off the event loop.

psutil reads ``/proc`` (or calls the OS) synchronously, so :meth:`SystemCollector.collect`
runs every psutil call in a worker thread through :func:`asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import psutil

log = logging.getLogger("zoryx.diagnostics")


@dataclass(frozen=True, slots=True)
class SystemMetrics:
    """One reading of this process's resource use (``None``: not available here)."""

    cpu_percent: float
    memory_mb: float
    memory_percent: float
    threads: int
    open_files: int | None
    connections: int | None
    collected_at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "cpu_percent": round(self.cpu_percent, 1),
            "memory_mb": round(self.memory_mb, 1),
            "memory_percent": round(self.memory_percent, 2),
            "threads": self.threads,
            "open_files": self.open_files,
            "connections": self.connections,
            "collected_at": self.collected_at,
        }


EMPTY = SystemMetrics(0.0, 0.0, 0.0, 0, None, None, 0.0)


class SystemCollector:
    """Reads :class:`SystemMetrics` for one process (default: this one).

    ``last_thread`` names the thread the last reading ran in (the console shows it; tests
    check it is not the event loop's).
    """

    def __init__(self, process: psutil.Process | None = None) -> None:
        self._process = process
        self._lock = threading.Lock()
        self.last_thread: str | None = None
        self.last: SystemMetrics = EMPTY

    async def collect(self) -> SystemMetrics:
        """A fresh reading, taken in a worker thread."""
        self.last = await asyncio.to_thread(self.collect_blocking)
        return self.last

    def collect_blocking(self) -> SystemMetrics:
        """A fresh reading, in the calling thread (blocking: never call it on the loop)."""
        with self._lock:
            self.last_thread = threading.current_thread().name
            if self._process is None:
                self._process = psutil.Process()
                self._process.cpu_percent(None)  # the first call only sets the baseline
            proc = self._process
            with proc.oneshot():
                memory = proc.memory_info()
                return SystemMetrics(
                    cpu_percent=float(proc.cpu_percent(None)),
                    memory_mb=memory.rss / (1024 * 1024),
                    memory_percent=float(proc.memory_percent()),
                    threads=int(proc.num_threads()),
                    open_files=_open_files(proc),
                    connections=_connections(proc),
                    collected_at=time.time(),
                )


def _open_files(proc: psutil.Process) -> int | None:
    """Open file descriptors (POSIX) or handles (Windows)."""
    try:
        if hasattr(proc, "num_fds"):
            return int(proc.num_fds())
        if hasattr(proc, "num_handles"):
            return int(proc.num_handles())
        return len(proc.open_files())
    except (psutil.Error, OSError) as exc:
        log.debug("open files not available: %s", exc)
        return None


def _connections(proc: psutil.Process) -> int | None:
    """Open sockets of the process (inet, tcp and udp)."""
    try:
        method = getattr(proc, "net_connections", None) or proc.connections
        return len(method(kind="inet"))
    except (psutil.Error, OSError) as exc:
        log.debug("connections not available: %s", exc)
        return None
