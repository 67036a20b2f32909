"""In-memory bot metrics: counters, top commands, per-minute series, recent events.

:class:`BotMetrics` is fed by the bot's event handlers and read by the faces
(TUI panes, Discord stats commands, diagnostics) through :meth:`BotMetrics.snapshot`.
Every ``record_*`` call is O(1) with bounded memory, does no I/O and starts no
task, so it is safe to call from any event handler.

A failed command is either a *user error* (the member may not run it, gave bad
arguments, is on cooldown, or typed a command that does not exist: see
:func:`is_user_error`) or a *command error* (the code failed). Only command errors count
in :attr:`BotMetrics.command_errors` and the error rate the health tiers are built on;
user errors are counted apart in :attr:`BotMetrics.user_errors`.

:func:`user_count` is the one definition of "users" every face shows.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from discord import app_commands
from discord.ext import commands

__all__ = [
    "USER_ERRORS",
    "BotMetrics",
    "CommandRecord",
    "MetricsSnapshot",
    "is_user_error",
    "user_count",
]

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """One finished command execution.

    Attributes:
        name: qualified command name.
        user: who ran it, as the caller chose to display it.
        guild: guild name or ID text; None in DMs.
        at: wall-clock time (``time.time()``) when it was recorded.
        duration: seconds it took, when measured.
        error: short error text when it failed, else None.
        user_error: the failure was the user's (see :func:`is_user_error`), not the code's.
    """

    name: str
    user: str
    guild: str | None
    at: float
    duration: float | None
    error: str | None
    user_error: bool = False


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """A consistent, immutable copy of the metrics at one moment."""

    uptime: float
    started_at: float
    commands: int
    command_errors: int
    messages: int
    error_rate: float
    top_commands: tuple[tuple[str, int], ...]
    commands_per_minute: tuple[int, ...]
    messages_per_minute: tuple[int, ...]
    recent_commands: tuple[CommandRecord, ...]
    recent_errors: tuple[CommandRecord, ...]
    user_errors: int = 0


class _TopCounter:
    """Use counts for at most ``capacity`` names, O(1) per hit.

    When full, a new name evicts the least used one (the oldest of the least
    used on ties), like an LFU cache: frequency buckets plus a running minimum.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.counts: dict[str, int] = {}
        self._buckets: dict[int, dict[str, None]] = {}
        self._min = 0

    def hit(self, name: str) -> None:
        count = self.counts.get(name)
        if count is None:
            if len(self.counts) >= self.capacity:
                self._evict()
            self.counts[name] = 1
            self._buckets.setdefault(1, {})[name] = None
            self._min = 1
            return
        bucket = self._buckets[count]
        del bucket[name]
        if not bucket:
            del self._buckets[count]
            if self._min == count:
                self._min = count + 1
        self.counts[name] = count + 1
        self._buckets.setdefault(count + 1, {})[name] = None

    def _evict(self) -> None:
        bucket = self._buckets[self._min]
        victim = next(iter(bucket))
        del bucket[victim]
        if not bucket:
            del self._buckets[self._min]
        del self.counts[victim]

    def top(self, n: int) -> list[tuple[str, int]]:
        return heapq.nlargest(n, self.counts.items(), key=lambda item: item[1])


class _MinuteSeries:
    """Event counts per minute for the last ``size`` minutes (minute 0 = start)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._buckets: deque[list[int]] = deque(maxlen=size)  # [minute, count]

    def add(self, minute: int) -> None:
        if self._buckets and self._buckets[-1][0] == minute:
            self._buckets[-1][1] += 1
        else:
            self._buckets.append([minute, 1])

    def values(self, now_minute: int) -> tuple[int, ...]:
        first = now_minute - self.size + 1
        series = [0] * self.size
        for minute, count in self._buckets:
            if first <= minute <= now_minute:
                series[minute - first] = count
        return tuple(series)


class BotMetrics:
    """Counters and bounded histories for one bot run.

    Args:
        clock: monotonic seconds, for uptime and minute buckets (injectable for tests).
        wall_clock: epoch seconds stamped on records.
        max_command_names: distinct command names tracked for :meth:`top`.
        minutes: length of the per-minute series.
        recent: how many recent commands and errors are kept.
        redact: applied to error text before it is stored (e.g. the log
            redaction filter's ``redact``), so secrets never reach a face.
    """

    MAX_ERROR_TEXT = 300
    #: Seconds a user count is reused while no guild's member count changed.
    USERS_TTL = 30.0

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        max_command_names: int = 500,
        minutes: int = 60,
        recent: int = 50,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        if max_command_names < 1 or minutes < 1 or recent < 1:
            raise ValueError("max_command_names, minutes and recent must be at least 1")
        self._clock = clock
        self._wall = wall_clock
        self._redact = redact
        self._start = clock()
        self.started_at = wall_clock()
        self.commands = 0
        self.command_errors = 0
        self.user_errors = 0
        self.messages = 0
        self._top = _TopCounter(max_command_names)
        self._commands_pm = _MinuteSeries(minutes)
        self._messages_pm = _MinuteSeries(minutes)
        self._recent: deque[CommandRecord] = deque(maxlen=recent)
        self._errors: deque[CommandRecord] = deque(maxlen=recent)
        self._users: tuple[tuple[Any, ...], float, int] | None = None

    def _minute(self) -> int:
        return int((self._clock() - self._start) // 60)

    @property
    def uptime(self) -> float:
        """Seconds since this object was created."""
        return max(0.0, self._clock() - self._start)

    @property
    def error_rate(self) -> float:
        """Share of recorded commands that failed with a command error (user errors do not
        count), 0.0-1.0 (0.0 before any command)."""
        return self.command_errors / self.commands if self.commands else 0.0

    def record_command(
        self,
        name: str,
        *,
        user: str = "",
        guild: str | None = None,
        duration: float | None = None,
        error: BaseException | str | None = None,
        user_error: bool | None = None,
    ) -> CommandRecord:
        """Count one command execution; pass ``error`` when it failed.

        Call it once per execution, when it finishes (success or failure). Whether a
        failure is a user error is decided by :func:`is_user_error` unless ``user_error``
        says so.
        """
        error_text: str | None = None
        if user_error is None:
            user_error = isinstance(error, BaseException) and is_user_error(error)
        if error is not None:
            error_text = error if isinstance(error, str) else _describe(error)
            if self._redact is not None:
                error_text = self._redact(error_text)
            if len(error_text) > self.MAX_ERROR_TEXT:
                error_text = error_text[: self.MAX_ERROR_TEXT - 1] + "…"
        user_error = user_error and error_text is not None
        record = CommandRecord(name, user, guild, self._wall(), duration, error_text, user_error)
        self.commands += 1
        self._top.hit(name)
        self._commands_pm.add(self._minute())
        self._recent.append(record)
        if user_error:
            self.user_errors += 1
        elif error_text is not None:
            self.command_errors += 1
            self._errors.append(record)
        return record

    def record_unknown_command(self) -> None:
        """Count a message that called a command that does not exist (a user error)."""
        self.user_errors += 1

    def users(self, guilds: Iterable[Any]) -> int:
        """:func:`user_count` of ``guilds`` — what every face shows as "Users".

        Counting walks every cached member, so the count is reused until a guild's member
        count changes (a join or a leave), or for at most :attr:`USERS_TTL` seconds.
        """
        guilds = list(guilds)
        key = tuple((g.id, g.member_count, getattr(g, "chunked", True)) for g in guilds)
        now = self._clock()
        cached = self._users
        if cached is None or cached[0] != key or now - cached[1] > self.USERS_TTL:
            cached = self._users = (key, now, user_count(guilds))
        return cached[2]

    def record_message(self) -> None:
        """Count one received message."""
        self.messages += 1
        self._messages_pm.add(self._minute())

    def top(self, n: int = 10) -> list[tuple[str, int]]:
        """The ``n`` most used command names with their counts, most used first."""
        return self._top.top(n)

    def commands_per_minute(self) -> tuple[int, ...]:
        """Commands in each of the last minutes, oldest first; the last is the current one."""
        return self._commands_pm.values(self._minute())

    def messages_per_minute(self) -> tuple[int, ...]:
        """Messages in each of the last minutes, oldest first; the last is the current one."""
        return self._messages_pm.values(self._minute())

    def recent_commands(self) -> tuple[CommandRecord, ...]:
        """Recent executions, oldest first."""
        return tuple(self._recent)

    def recent_errors(self) -> tuple[CommandRecord, ...]:
        """Recent executions that failed with a command error (not a user error), oldest
        first."""
        return tuple(self._errors)

    def snapshot(self, top_n: int = 10) -> MetricsSnapshot:
        """Everything at once, for a face to render."""
        return MetricsSnapshot(
            uptime=self.uptime,
            started_at=self.started_at,
            commands=self.commands,
            command_errors=self.command_errors,
            messages=self.messages,
            error_rate=self.error_rate,
            top_commands=tuple(self.top(top_n)),
            commands_per_minute=self.commands_per_minute(),
            messages_per_minute=self.messages_per_minute(),
            recent_commands=self.recent_commands(),
            recent_errors=self.recent_errors(),
            user_errors=self.user_errors,
        )

    def get_stats(self) -> dict[str, Any]:
        """Counters under the earlier framework's names (``commands_processed``…)."""
        return {
            "commands_processed": self.commands,
            "error_count": self.command_errors,
            "messages_seen": self.messages,
            "uptime": self.uptime,
            "error_rate": self.error_rate,
        }


#: Failures caused by whoever ran the command, not by the code: missing permissions or
#: roles and other failed checks (owner only, DMs…), bad or missing arguments, cooldowns,
#: concurrency limits, disabled commands, unknown commands — prefix and slash alike.
USER_ERRORS: tuple[type[BaseException], ...] = (
    commands.UserInputError,
    commands.CheckFailure,
    commands.CommandOnCooldown,
    commands.MaxConcurrencyReached,
    commands.DisabledCommand,
    commands.CommandNotFound,
    app_commands.CheckFailure,
    app_commands.TransformerError,
    app_commands.CommandNotFound,
)


def is_user_error(error: BaseException) -> bool:
    """Whether a command failed because of its user rather than its code.

    A hybrid command's error wrapping an app command error is judged by what it wraps;
    an exception raised inside a command (``CommandInvokeError``) is never a user error.
    """
    if isinstance(error, commands.HybridCommandError):
        error = error.original
    return isinstance(error, USER_ERRORS)


def user_count(guilds: Iterable[Any]) -> int:
    """The number of users of the bot: distinct human (non-bot) members across ``guilds``.

    A member of several guilds counts once. For a guild whose member list is not fully
    cached (no members intent, not chunked yet) the members it lacks are added from the
    guild's member count, as the best estimate available.
    """
    humans: set[int] = set()
    missing = 0
    for guild in guilds:
        members = list(getattr(guild, "members", ()))
        humans.update(m.id for m in members if not m.bot)
        missing += max(0, (getattr(guild, "member_count", None) or 0) - len(members))
    return len(humans) + missing


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
