"""Refused privileged attempts: an audit record and a rate-limited WARNING line each.

A refusal is any "no" from a privilege check: an owner-only command run by a member, a
missing Discord permission or group role, an operator action above the actor's role.
:class:`RefusalLog` turns each into an audit record (through a callback; the operator
API writes it to ``main.db``'s audit trail) and a ``zoryx.refusals`` WARNING line, at
most once per user and action per :data:`LOG_WINDOW_SECONDS`. Repeats inside that
window are counted and reported together — one more line and one more audit record
carrying the count — when the window ends, so a member hammering a forbidden command
can flood neither the log nor the audit trail (which keeps only its newest rows).

:class:`WindowThrottle` is the bounded "first per key per window" counter behind it and
behind the error replies' throttle (:data:`REPLY_WINDOW_SECONDS`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = [
    "LOG_WINDOW_SECONDS",
    "MAX_TRACKED",
    "REFUSED",
    "REPLY_WINDOW_SECONDS",
    "Refusal",
    "RefusalLog",
    "WindowThrottle",
]

log = logging.getLogger("zoryx.refusals")

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Clock = Callable[[], float]

REPLY_WINDOW_SECONDS: float = 10.0
"""Seconds during which a member gets at most one refusal or error reply from the bot.

Further failed commands of theirs in that window get no message (a slash command still
gets a one-line ephemeral answer, which only they see): a member spamming a forbidden
command cannot queue replies behind the channel's rate limit and delay everyone
else's. Bot owners are never throttled. Each failure is still counted, and refusals are
still audited (see :class:`RefusalLog`).
"""

LOG_WINDOW_SECONDS: float = 60.0
"""Seconds during which one user's refusals of one action give one WARNING line and one
audit record; the repeats are summed up in one more of each when the window ends."""

MAX_TRACKED = 4096
"""Open windows kept at most (oldest dropped first, its count reported early)."""

REFUSED = "refused"
"""How the detail of a refusal's audit record starts (its outcome; ``ok`` is false)."""


@dataclass(slots=True)
class _Window(Generic[V]):
    started: float
    last: V
    repeats: int = 0


class WindowThrottle(Generic[K, V]):
    """Lets the first event per key through per ``window`` seconds and counts the rest.

    Memory is bounded: at most ``cap`` open windows (the oldest is closed early when a
    new key would exceed it) and, with ``track_ended``, at most ``cap`` ended windows
    waiting for :meth:`take_ended`.

    Args:
        window: Window length in seconds; 0 or less lets every event through.
        cap: Most keys tracked at once.
        clock: Monotonic seconds (injectable for tests).
        track_ended: Keep ended windows that had repeats, for :meth:`take_ended`.
    """

    def __init__(
        self,
        window: float,
        *,
        cap: int = MAX_TRACKED,
        clock: Clock = time.monotonic,
        track_ended: bool = False,
    ) -> None:
        self.window = window
        self.cap = cap
        self.clock = clock
        self._track = track_ended
        self._open: OrderedDict[K, _Window[V]] = OrderedDict()  # oldest window first
        self._ended: deque[tuple[K, V, int]] = deque(maxlen=cap)

    def hit(self, key: K, value: V) -> bool:
        """Count an event for ``key``; True when it opens a window (the one to act on)."""
        self.expire()
        current = self._open.get(key)
        if current is not None:
            current.repeats += 1
            current.last = value
            return False
        if self.window > 0:
            self._open[key] = _Window(self.clock(), value)
            while len(self._open) > self.cap:
                self._close(*self._open.popitem(last=False))
        return True

    def expire(self, *, everything: bool = False) -> None:
        """Close the windows that have ended (all of them with ``everything``)."""
        now = self.clock()
        while self._open:
            key, window = next(iter(self._open.items()))
            if not everything and now - window.started < self.window:
                break
            del self._open[key]
            self._close(key, window)

    def take_ended(self) -> list[tuple[K, V, int]]:
        """Ended windows that had repeats, oldest first: ``(key, last value, repeats)``."""
        self.expire()
        ended = list(self._ended)
        self._ended.clear()
        return ended

    def repeats(self, key: K) -> int:
        """Events counted after the first in ``key``'s open window (0: none open)."""
        window = self._open.get(key)
        return window.repeats if window is not None else 0

    def next_end(self) -> float | None:
        """Clock time at which the oldest open window ends (None: none open)."""
        for window in self._open.values():
            return window.started + self.window
        return None

    def __len__(self) -> int:
        return len(self._open)

    def _close(self, key: K, window: _Window[V]) -> None:
        if self._track and window.repeats:
            self._ended.append((key, window.last, window.repeats))


@dataclass(frozen=True, slots=True)
class Refusal:
    """One refused attempt: who, what, where, through which face, and why."""

    actor: str  # a display name ("judy") or an operator's name ("console")
    role: str  # the actor's operator role: "owner", "helper" or "visitor"
    source: str  # the face: "discord", "console", "web"
    action: str  # "command:reload" for a Discord command, else an operator action
    where: str  # guild and channel, or the operator action's target
    reason: str  # why, for people ("owner only", "needs the owner role")
    user_id: int | None = None  # the Discord user, when there is one

    @property
    def who(self) -> str:
        return self.actor if self.user_id is None else f"{self.actor} ({self.user_id})"

    @property
    def key(self) -> tuple[str, str, str]:
        """Whose refusals of what share a window: face, user (id or name), action."""
        user = self.actor if self.user_id is None else str(self.user_id)
        return self.source, user, self.action


Recorder = Callable[[Refusal, str], Awaitable[None]]
"""Writes one audit record: the refusal and the record's detail text."""


class RefusalLog:
    """Audit record + WARNING line per refusal, at most once per user and action per window.

    Args:
        record: Writes an audit record (never raises; the operator API's recorder).
        window: Seconds per user and action (:data:`LOG_WINDOW_SECONDS`).
        cap: Most user/action windows tracked at once.
        clock: Monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        record: Recorder,
        *,
        window: float = LOG_WINDOW_SECONDS,
        cap: int = MAX_TRACKED,
        clock: Clock = time.monotonic,
    ) -> None:
        self._record = record
        self.windows: WindowThrottle[tuple[str, str, str], Refusal] = WindowThrottle(
            window, cap=cap, clock=clock, track_ended=True
        )
        self._timer: asyncio.TimerHandle | None = None
        self._flush_task: asyncio.Task[int] | None = None

    @property
    def clock(self) -> Clock:
        return self.windows.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.windows.clock = clock

    async def refused(self, refusal: Refusal) -> None:
        """Note a refusal: logged and audited now unless its window is already open."""
        await self.flush()
        if self.windows.hit(refusal.key, refusal):
            log.warning(
                "refused %s (%s, via %s): %s in %s — %s",
                refusal.who,
                refusal.role,
                refusal.source,
                refusal.action,
                refusal.where,
                refusal.reason,
            )
            await self._record(refusal, f"{REFUSED}: {refusal.reason}")
        self._arm()

    async def flush(self, *, everything: bool = False) -> int:
        """Report the windows that ended with repeats (all open ones with ``everything``);
        returns how many summaries were written."""
        if everything:
            self.windows.expire(everything=True)
        ended = self.windows.take_ended()
        seconds = f"{self.windows.window:g}"
        for _, refusal, repeats in ended:
            log.warning(
                "refused %s (%s, via %s): %s %d more time(s) within %s s (last in %s) — %s",
                refusal.who,
                refusal.role,
                refusal.source,
                refusal.action,
                repeats,
                seconds,
                refusal.where,
                refusal.reason,
            )
            detail = f"{REFUSED}: {refusal.reason} ({repeats} more time(s) within {seconds} s)"
            await self._record(refusal, detail)
        return len(ended)

    async def close(self) -> None:
        """Stop the timer and report every open window's repeats now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self.flush(everything=True)

    def _arm(self) -> None:
        """Make sure a flush runs when the oldest open window ends (one timer at most)."""
        end = self.windows.next_end()
        if end is None or self._timer is not None:
            return
        delay = min(max(end - self.clock(), 0.0), self.windows.window)
        self._timer = asyncio.get_running_loop().call_later(delay + 0.05, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._flush_task is not None and not self._flush_task.done():
            self._arm()
            return
        self._flush_task = asyncio.get_running_loop().create_task(self._timed_flush())

    async def _timed_flush(self) -> int:
        try:
            count = await self.flush()
        except Exception:  # never an unretrieved task exception; the next refusal retries
            log.exception("could not report repeated refusals")
            return 0
        self._arm()
        return count
