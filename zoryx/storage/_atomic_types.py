"""Error types, metrics snapshot and health tiers of :mod:`zoryx.storage.atomic`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "AtomicMetrics",
    "AtomicReadError",
    "AtomicStoreError",
    "AtomicWriteError",
    "HealthTier",
    "health_tier",
]

HealthTier = Literal["healthy", "degraded", "critical"]


class AtomicStoreError(Exception):
    """Base class of the errors raised by :class:`AtomicStore`.

    Attributes:
        path: The resolved path of the file concerned.
    """

    def __init__(self, message: str, path: str | Path) -> None:
        super().__init__(message)
        self.path = Path(path)


class AtomicReadError(AtomicStoreError):
    """A file exists but could not be read or is not valid JSON / UTF-8.

    The file is left exactly as it was found.
    """


class AtomicWriteError(AtomicStoreError):
    """A write failed after all its attempts; the target file was not changed.

    Attributes:
        path: The resolved path of the file concerned.
        attempts: How many times the write was tried (0 if the data could not be serialized).
    """

    def __init__(self, message: str, path: str | Path, *, attempts: int) -> None:
        super().__init__(message, path)
        self.attempts = attempts


def health_tier(failure_rate: float) -> HealthTier:
    """Classify a failure rate (0.0-1.0).

    Returns:
        ``"healthy"`` below 1 %, ``"degraded"`` from 1 % to 5 % inclusive,
        ``"critical"`` above 5 %.
    """
    if failure_rate < 0.01:
        return "healthy"
    if failure_rate <= 0.05:
        return "degraded"
    return "critical"


@dataclass(frozen=True, slots=True)
class AtomicMetrics:
    """A snapshot of an :class:`AtomicStore`'s counters.

    Attributes:
        reads: Read operations started (``read_json`` and ``read_text``).
        writes: Write operations started (``write_json`` and ``write_text``).
        cache_hits: Cached reads served from the cache.
        cache_misses: Cached reads that had to go to disk.
        read_failures: Reads that raised (a missing file is not a failure).
        write_failures: Writes that raised after all their attempts.
        retries: Extra write attempts made after a failed attempt.
        cache_size: Entries currently in the read cache.
        lock_count: Per-path locks currently held in memory.
    """

    reads: int
    writes: int
    cache_hits: int
    cache_misses: int
    read_failures: int
    write_failures: int
    retries: int
    cache_size: int
    lock_count: int

    @property
    def failures(self) -> int:
        """Read and write failures together."""
        return self.read_failures + self.write_failures

    @property
    def hit_rate(self) -> float:
        """Cache hits over cached reads, 0.0 when there were none."""
        lookups = self.cache_hits + self.cache_misses
        return self.cache_hits / lookups if lookups else 0.0

    @property
    def failure_rate(self) -> float:
        """Failures over all operations, 0.0 when there were none."""
        operations = self.reads + self.writes
        return self.failures / operations if operations else 0.0

    @property
    def health(self) -> HealthTier:
        """The :func:`health_tier` of :attr:`failure_rate`."""
        return health_tier(self.failure_rate)

    def as_dict(self) -> dict[str, Any]:
        """Return the counters and derived figures as a plain dict (for JSON or embeds)."""
        return {
            "reads": self.reads,
            "writes": self.writes,
            "cache_hits": self.cache_hits,
            "cache_misses": self.cache_misses,
            "hit_rate": self.hit_rate,
            "read_failures": self.read_failures,
            "write_failures": self.write_failures,
            "failures": self.failures,
            "failure_rate": self.failure_rate,
            "retries": self.retries,
            "cache_size": self.cache_size,
            "lock_count": self.lock_count,
            "health": self.health,
        }
