"""Bounded LRU read cache with a time-to-live, used by :mod:`zoryx.storage.atomic`.

The cache holds the *serialized* JSON text of a file, not the parsed object. Every hit
parses the text again, so a caller that mutates the value it received can never corrupt
what the next caller sees. Parsing a cached string is also faster than ``copy.deepcopy``
of the parsed object for typical documents (see ``benchmarks/bench_atomic.py``).

A read that misses goes to disk in a worker thread. While it is away, a write or an
invalidation of the same path may complete; storing the stale text afterwards would undo
that write in the cache. To prevent it, every miss takes a :class:`FillTicket` first, and
writes and invalidations void the tickets outstanding for their path. Only tickets for
reads in flight are tracked, so this bookkeeping stays as small as the number of reads
currently running.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["FillTicket", "TextCache"]


@dataclass(slots=True)
class _Entry:
    text: str
    stored_at: float


@dataclass(slots=True, eq=False)
class FillTicket:
    """Permission to store the result of one disk read in the cache.

    Attributes:
        key: The resolved path the read is for.
        valid: False once a write, invalidation or clear happened after the ticket was issued.
    """

    key: str
    valid: bool = field(default=True)


class TextCache:
    """An LRU mapping of resolved path strings to serialized JSON text, with expiry.

    Args:
        ttl: Seconds an entry stays fresh after it was stored. ``0`` disables caching.
        max_entries: Upper bound on the number of entries; the least recently used
            entry is evicted first. ``0`` disables caching.
        clock: Monotonic time source, injectable for tests.
    """

    def __init__(
        self,
        *,
        ttl: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl < 0:
            raise ValueError("cache ttl must be >= 0")
        if max_entries < 0:
            raise ValueError("cache size must be >= 0")
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._tickets: dict[str, list[FillTicket]] = {}

    @property
    def enabled(self) -> bool:
        """Whether this cache can hold anything at all."""
        return self._ttl > 0 and self._max_entries > 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: str) -> str | None:
        """Return the fresh cached text for ``key`` and mark it recently used.

        An expired entry is dropped and reported as absent.
        """
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() - entry.stored_at >= self._ttl:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.text

    def put(self, key: str, text: str) -> None:
        """Store ``text`` for ``key`` unconditionally, evicting the oldest entries if full.

        Used after a successful write, whose text is by definition the newest.
        """
        if not self.enabled:
            return
        self._entries[key] = _Entry(text, self._clock())
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def discard(self, key: str) -> None:
        """Drop the entry for ``key`` and void every fill ticket outstanding for it."""
        self._entries.pop(key, None)
        for ticket in self._tickets.get(key, ()):
            ticket.valid = False

    def clear(self) -> None:
        """Drop every entry and void every outstanding fill ticket."""
        self._entries.clear()
        for tickets in self._tickets.values():
            for ticket in tickets:
                ticket.valid = False

    def issue_ticket(self, key: str) -> FillTicket:
        """Register a disk read for ``key`` that may fill the cache when it returns."""
        ticket = FillTicket(key)
        self._tickets.setdefault(key, []).append(ticket)
        return ticket

    def redeem(self, ticket: FillTicket, text: str | None) -> None:
        """Finish the read behind ``ticket``; store ``text`` if the ticket is still valid.

        Args:
            ticket: The ticket from :meth:`issue_ticket`. Always call this, also when the
                read failed (pass ``None``), so the ticket is released.
            text: The text the read found, or ``None`` to store nothing.
        """
        tickets = self._tickets.get(ticket.key)
        if tickets is not None:
            tickets.remove(ticket)
            if not tickets:
                del self._tickets[ticket.key]
        if text is not None and ticket.valid:
            self.put(ticket.key, text)

    @property
    def pending_reads(self) -> int:
        """Number of disk reads in flight that hold a fill ticket."""
        return sum(len(tickets) for tickets in self._tickets.values())
