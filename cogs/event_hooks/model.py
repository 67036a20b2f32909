"""The hook service's bookkeeping: one record per hook, queued events, bounded history."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from zoryx.hooks import HookCallback, HookExecution, HookInfo

from .breaker import CircuitBreaker


@dataclass
class QueuedEvent:
    name: str
    kwargs: dict[str, Any]
    queued_at: float  # perf_counter at emit


@dataclass(eq=False)
class HookState:
    """A registered hook, its lane of pending invocations and its metrics."""

    hook_id: str
    event: str
    callback: HookCallback
    priority: int
    seq: int
    breaker: CircuitBreaker
    module: str
    pending: deque[QueuedEvent] = field(default_factory=deque)
    runners: set[asyncio.Task[None]] = field(default_factory=set)
    calls: int = 0
    failures: int = 0
    timeouts: int = 0
    skipped: int = 0
    dropped: int = 0
    total_ms: float = 0.0
    total_queue_ms: float = 0.0
    last_error: str | None = None

    def info(self, enabled: bool) -> HookInfo:
        return HookInfo(
            hook_id=self.hook_id,
            event=self.event,
            priority=self.priority,
            enabled=enabled,
            calls=self.calls,
            failures=self.failures,
            mean_ms=self.total_ms / self.calls if self.calls else 0.0,
            mean_queue_ms=self.total_queue_ms / self.calls if self.calls else 0.0,
            circuit=self.breaker.state,
            last_error=self.last_error,
        )


def callback_name(callback: HookCallback) -> str:
    """``Class.method`` or ``function`` (anything before a ``<locals>.`` is dropped)."""
    func = getattr(callback, "__func__", callback)
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    if name is None:
        name = type(callback).__qualname__
    return str(name).rpartition("<locals>.")[2]


def module_of(callback: HookCallback) -> str:
    func = getattr(callback, "__func__", callback)
    return str(getattr(func, "__module__", None) or type(callback).__module__)


class History:
    """The last ``total`` executions, and the last ``per_event`` of each event."""

    def __init__(self, total: int = 100, per_event: int = 20, max_events: int = 256) -> None:
        self._all: deque[HookExecution] = deque(maxlen=total)
        self._events: OrderedDict[str, deque[HookExecution]] = OrderedDict()
        self.per_event = per_event
        self.max_events = max_events

    def add(self, execution: HookExecution) -> None:
        self._all.append(execution)
        per = self._events.get(execution.event)
        if per is None:
            per = self._events[execution.event] = deque(maxlen=self.per_event)
            while len(self._events) > self.max_events:
                self._events.popitem(last=False)
        else:
            self._events.move_to_end(execution.event)
        per.append(execution)

    def latest(self, limit: int, event: str | None = None) -> list[HookExecution]:
        """Newest first."""
        source: Iterable[HookExecution] = (
            self._events.get(event, ()) if event is not None else self._all
        )
        return list(source)[::-1][: max(0, limit)]
