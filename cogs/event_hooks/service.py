"""The event-hook service: a bounded queue, one dispatcher, and a lane per hook.

Design (fixing the earlier framework, where one slow hook stalled every event):

* ``emit`` only enqueues (and returns at once when nothing listens to the event). When the
  queue of ``queue_size`` events is full it waits up to ``backpressure`` seconds, then
  drops the event and raises a throttled ``queue_full`` alert.
* One dispatcher takes events off the queue and appends them to the lane of every
  matching hook, highest priority first; it never waits for a hook. Each lane runs its
  hook's invocations one at a time (``hook_concurrency``) in its own task, each under
  ``timeout``. A hung hook therefore holds only its own lane, for at most ``timeout`` per
  invocation, and never delays other hooks or other events. A lane keeps at most
  ``lane_size`` pending invocations; beyond that the hook misses events (alerted).
* The circuit breaker is consulted when an invocation is about to run, so a backlog of a
  failing hook is skipped as soon as its breaker opens.
* The dispatcher runs under a supervisor that restarts it after a crash, up to
  ``max_restarts`` times within ``restart_window`` seconds, alerting each time.
* Hook IDs are ``event:callback``. Registering a callback whose ID is already present
  (the same callback, or a new copy of it after a reload or reconnect) replaces the
  earlier registration instead of adding a second one.

No Discord code lives here; faces read :meth:`hooks`, :meth:`history` and :meth:`stats`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from zoryx.hooks import HookCallback, HookExecution, HookInfo
from zoryx.redaction import redactor_of

from .breaker import AlertThrottle, CircuitBreaker, Clock
from .model import History, HookState, QueuedEvent, callback_name, module_of

log = logging.getLogger("zoryx.hooks")

AlertSink = Callable[[str, str], Awaitable[None]]


class EventHookService:
    """The :class:`zoryx.hooks.HookService` implementation.

    Args:
        queue_size: Events the queue holds (default 1,000).
        backpressure: Seconds ``emit`` waits on a full queue before dropping (default 5).
        timeout: Seconds one hook invocation may run (default 10).
        hook_concurrency: Invocations of one hook running at once (default 1: in order).
        lane_size: Pending invocations kept per hook (default 100).
        max_restarts: Dispatcher restarts allowed within ``restart_window`` (default 10).
        restart_window: Seconds after which the restart count starts again (default 300).
        restart_delay: Pause before restart number *n* is ``restart_delay × n`` seconds.
        breaker_threshold, breaker_window, breaker_cooldown: 5 failures within 300 s open
            a hook's breaker for 60 s.
        alert_interval: At most one alert per kind this often (default 300 s).
        history_size, history_per_event: Execution history bounds (100 / 20).
        alert: ``async (kind, message)`` called for alerts that pass the throttle.
        clock: Monotonic clock for breakers, throttling and restarts (injectable).
        bot: Passed as the first argument of every hook callback: ``cb(bot, **kwargs)``.
        redact: Removes secrets from a hook's error text before it is kept or alerted
            (default: the bot's shared redactor, or token and key shapes without a bot).
    """

    def __init__(
        self,
        *,
        queue_size: int = 1000,
        backpressure: float = 5.0,
        timeout: float = 10.0,
        hook_concurrency: int = 1,
        lane_size: int = 100,
        max_restarts: int = 10,
        restart_window: float = 300.0,
        restart_delay: float = 0.05,
        breaker_threshold: int = 5,
        breaker_window: float = 300.0,
        breaker_cooldown: float = 60.0,
        alert_interval: float = 300.0,
        history_size: int = 100,
        history_per_event: int = 20,
        alert: AlertSink | None = None,
        clock: Clock = time.monotonic,
        bot: Any = None,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        self.bot = bot
        self.redact = redact or redactor_of(bot).redact
        self.queue_size = queue_size
        self.backpressure = backpressure
        self.timeout = timeout
        self.hook_concurrency = max(1, hook_concurrency)
        self.lane_size = lane_size
        self.max_restarts = max_restarts
        self.restart_window = restart_window
        self.restart_delay = restart_delay
        self._breaker_args = (breaker_threshold, breaker_window, breaker_cooldown)
        self.clock = clock
        self.alert_sink = alert
        self.throttle = AlertThrottle(alert_interval, clock)
        self.alerts: deque[tuple[float, str, str]] = deque(maxlen=50)
        self._queue: asyncio.Queue[QueuedEvent] = asyncio.Queue(maxsize=queue_size)
        self._hooks: dict[str, HookState] = {}
        self._by_event: dict[str, list[HookState]] = {}
        self._disabled: set[str] = set()
        self._seq = 0
        self._history = History(history_size, history_per_event)
        self._lanes: set[asyncio.Task[None]] = set()
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self.worker_state = "stopped"  # running | restarting | dead | stopped
        self.restarts = 0
        self.total_restarts = 0
        self._last_crash: float | None = None
        self.emitted = self.dropped = self.dispatched = 0
        # Set by the cog: writes the disabled set (and its own settings) to the store.
        self.persist: Callable[[], Awaitable[None]] | None = None

    # -- registration -------------------------------------------------------------------
    def register(self, event: str, callback: HookCallback, priority: int = 0) -> str:
        """Add ``callback`` for ``event``; returns its hook ID (``event:callback``).

        Registering the same callback again, or a new copy of it (same name and module,
        e.g. after a reload or a reconnect), replaces the earlier registration: the hook
        never runs twice per event, and its metrics and circuit breaker carry over.
        """
        if not event or ":" in event:
            raise ValueError(f"invalid event name {event!r}")
        if not callable(callback):
            raise TypeError("a hook callback must be callable")
        _check_signature(callback)
        name, module = callback_name(callback), module_of(callback)
        hook_id = f"{event}:{name}"
        existing = self._hooks.get(hook_id)
        if existing is not None and existing.module != module and existing.callback != callback:
            hook_id = f"{event}:{module}.{name}"
            existing = self._hooks.get(hook_id)
        if existing is not None:
            existing.callback = callback
            existing.priority = priority
            self._sort(event)
            return hook_id
        self._seq += 1
        breaker = CircuitBreaker(*self._breaker_args, clock=self.clock)
        hook = HookState(hook_id, event, callback, priority, self._seq, breaker, module)
        self._hooks[hook_id] = hook
        self._by_event.setdefault(event, []).append(hook)
        self._sort(event)
        return hook_id

    def unregister(self, event: str, callback: HookCallback) -> bool:
        """Remove ``callback`` (or its reloaded copy) from ``event``; False if absent."""
        name, module = callback_name(callback), module_of(callback)
        for hook in list(self._by_event.get(event, [])):
            if hook.callback == callback or (
                callback_name(hook.callback) == name and hook.module == module
            ):
                return self.unregister_id(hook.hook_id)
        return False

    def unregister_id(self, hook_id: str) -> bool:
        hook = self._hooks.pop(hook_id, None)
        if hook is None:
            return False
        hook.pending.clear()
        hooks = self._by_event.get(hook.event, [])
        if hook in hooks:
            hooks.remove(hook)
        if not hooks:
            self._by_event.pop(hook.event, None)
        return True

    def registrations(self) -> list[tuple[str, HookCallback, int]]:
        """``(event, callback, priority)`` of every hook (to carry over a cog reload)."""
        return [(h.event, h.callback, h.priority) for h in self._hooks.values()]

    def _sort(self, event: str) -> None:
        self._by_event[event].sort(key=lambda h: (-h.priority, h.seq))

    def _get(self, hook_id: str) -> HookState:
        try:
            return self._hooks[hook_id]
        except KeyError:
            raise KeyError(f"no hook with ID {hook_id!r}") from None

    # -- management ---------------------------------------------------------------------
    def set_enabled(self, hook_id: str, enabled: bool, *, strict: bool = True) -> None:
        """Enable or disable a hook. ``strict=False`` accepts IDs not registered (yet)."""
        if strict:
            self._get(hook_id)
        if enabled:
            self._disabled.discard(hook_id)
        else:
            self._disabled.add(hook_id)

    async def save(self) -> None:
        """Persist the disabled hooks (through :attr:`persist`), so they stay disabled."""
        if self.persist is not None:
            await self.persist()

    @property
    def disabled(self) -> frozenset[str]:
        return frozenset(self._disabled)

    def reset_circuit(self, hook_id: str) -> None:
        self._get(hook_id).breaker.reset()

    # -- emitting -------------------------------------------------------------------------
    async def emit(self, event: str, **kwargs: Any) -> None:
        """Queue ``event`` for its hooks (cheap: no hook runs on the caller's task)."""
        self.emitted += 1
        if event not in self._by_event:
            return
        item = QueuedEvent(event, kwargs, time.perf_counter())
        try:
            self._queue.put_nowait(item)
            return
        except asyncio.QueueFull:
            pass
        if self.worker_state != "dead":  # waiting is pointless when nothing drains the queue
            try:
                async with asyncio.timeout(self.backpressure):
                    await self._queue.put(item)
                return
            except TimeoutError:
                pass
        self.dropped += 1
        log.warning("hook queue full: dropped event %s", event)
        self._alert(
            "queue_full",
            f"The hook queue is full ({self.queue_size} events); dropped `{event}` after "
            f"waiting {self.backpressure:g}s. Dropped so far: {self.dropped}.",
        )

    # -- dispatcher ---------------------------------------------------------------------
    def start(self) -> None:
        """Start the dispatcher (idempotent)."""
        if self._supervisor is None or self._supervisor.done():
            self.restarts = 0
            self._supervisor = asyncio.get_running_loop().create_task(
                self._supervise(), name="zoryx-hooks-dispatcher"
            )

    async def stop(self) -> None:
        """Stop the dispatcher and cancel running hook invocations."""
        tasks = [t for t in (self._supervisor, *self._lanes, *self._side_tasks) if t]
        self._supervisor = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        for hook in self._hooks.values():
            hook.runners.clear()
        self.worker_state = "stopped"

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until the queue is empty and no hook runs or waits (tests, tools)."""
        async with asyncio.timeout(timeout):
            while True:
                await self._queue.join()
                if not self._lanes:
                    return
                await asyncio.wait(set(self._lanes))

    async def _supervise(self) -> None:
        while True:
            self.worker_state = "running"
            try:
                await self._work()
            except Exception as exc:
                if not self._after_crash(exc):
                    return
                await asyncio.sleep(self.restart_delay * self.restarts)

    def _after_crash(self, exc: Exception) -> bool:
        """Count a dispatcher crash and alert; returns whether to restart."""
        now = self.clock()
        if self._last_crash is not None and now - self._last_crash > self.restart_window:
            self.restarts = 0
        self._last_crash = now
        self.restarts += 1
        log.error("hook worker crashed (%d/%d)", self.restarts, self.max_restarts, exc_info=exc)
        reason = f"{type(exc).__name__}: {exc}"
        if self.restarts > self.max_restarts:
            self.worker_state = "dead"
            self._alert(
                "worker_dead",
                f"The hook worker crashed again ({reason}) and reached the limit of "
                f"{self.max_restarts} restarts; hooks no longer run. Reload the event_hooks "
                "cog to start it again.",
            )
            return False
        self.worker_state = "restarting"
        self.total_restarts += 1
        self._alert(
            "worker_crash",
            f"The hook worker crashed ({reason}); restarting "
            f"(attempt {self.restarts}/{self.max_restarts}).",
        )
        return True

    async def _work(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                congested = self._dispatch(item)
            finally:
                self._queue.task_done()
            if congested:
                # Queue.get() does not yield while events are waiting: let the lanes run so
                # healthy hooks keep up with a burst (only a stuck hook's lane overflows).
                await asyncio.sleep(0)

    def _dispatch(self, item: QueuedEvent) -> bool:
        """Hand ``item`` to the lane of each matching hook, highest priority first.

        Returns whether some lane is half full (the caller then yields to the lanes).
        """
        self.dispatched += 1
        congested = False
        for hook in list(self._by_event.get(item.name, ())):
            if hook.hook_id in self._disabled:
                hook.skipped += 1
                continue
            if len(hook.pending) >= self.lane_size:
                hook.dropped += 1
                self._alert(
                    f"hook_backlog:{hook.hook_id}",
                    f"`{hook.hook_id}` has {self.lane_size} events waiting; it misses new ones "
                    f"until it catches up (missed so far: {hook.dropped}).",
                )
                continue
            hook.pending.append(item)
            congested = congested or len(hook.pending) * 2 >= self.lane_size
            if len(hook.runners) < self.hook_concurrency:
                task = asyncio.get_running_loop().create_task(
                    self._run_lane(hook), name=f"zoryx-hook:{hook.hook_id}"
                )
                hook.runners.add(task)
                self._lanes.add(task)
                task.add_done_callback(self._lanes.discard)
        return congested

    async def _run_lane(self, hook: HookState) -> None:
        try:
            while hook.pending:
                item = hook.pending.popleft()
                if self._hooks.get(hook.hook_id) is not hook:
                    hook.pending.clear()
                    return
                if hook.hook_id in self._disabled or not hook.breaker.allow():
                    hook.skipped += 1
                    continue
                await self._invoke(hook, item)
        finally:
            # Synchronously with the last emptiness check, so the dispatcher never sees a
            # finished runner as busy and strands an event in the lane.
            hook.runners.discard(asyncio.current_task())  # type: ignore[arg-type]

    async def _invoke(self, hook: HookState, item: QueuedEvent) -> None:
        started = time.perf_counter()
        error: str | None = None
        try:
            async with asyncio.timeout(self.timeout):
                result = hook.callback(self.bot, **item.kwargs)
                if inspect.isawaitable(result):
                    await result
        except TimeoutError:
            error = f"timed out after {self.timeout:g}s"
            hook.timeouts += 1
            log.warning("hook %s %s", hook.hook_id, error)
        except asyncio.CancelledError:
            hook.breaker.release_trial()
            raise
        except Exception as exc:
            error = self.redact(f"{type(exc).__name__}: {exc}")
            log.error("hook %s failed", hook.hook_id, exc_info=exc)
        duration_ms = (time.perf_counter() - started) * 1000
        hook.calls += 1
        hook.total_ms += duration_ms
        hook.total_queue_ms += (started - item.queued_at) * 1000
        if error is None:
            hook.breaker.record_success()
        else:
            hook.failures += 1
            hook.last_error = error
            if hook.breaker.record_failure():
                b = hook.breaker
                self._alert(
                    f"circuit_open:{hook.hook_id}",
                    f"Circuit opened for `{hook.hook_id}` after {b.threshold} failures within "
                    f"{b.window:g}s (last: {error}); it is skipped for {b.cooldown:g}s.",
                )
        self._history.add(
            HookExecution(time.time(), item.name, hook.hook_id, error is None, duration_ms, error)
        )

    # -- alerts ---------------------------------------------------------------------------
    def _alert(self, kind: str, message: str) -> None:
        if not self.throttle.allow(kind):
            return
        self.alerts.append((time.time(), kind, message))
        if self.alert_sink is None:
            return
        task = asyncio.get_running_loop().create_task(self._send_alert(kind, message))
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _send_alert(self, kind: str, message: str) -> None:
        assert self.alert_sink is not None
        try:
            await self.alert_sink(kind, message)
        except Exception:
            log.exception("could not deliver hook alert %s", kind)

    # -- reading ------------------------------------------------------------------------
    def hooks(self) -> list[HookInfo]:
        """Every hook, grouped by event, highest priority first."""
        return [
            h.info(h.hook_id not in self._disabled)
            for event in sorted(self._by_event)
            for h in self._by_event[event]
        ]

    def history(self, limit: int = 20, event: str | None = None) -> list[HookExecution]:
        """The latest executions, newest first (``event`` narrows to that event's last 20)."""
        return self._history.latest(limit, event)

    def stats(self) -> dict[str, Any]:
        hooks = self._hooks.values()
        return {
            "hooks": len(self._hooks),
            "events": len(self._by_event),
            "disabled": len(self._disabled & set(self._hooks)),
            "open_circuits": sum(h.breaker.state != "closed" for h in hooks),
            "queue": self._queue.qsize(),
            "queue_size": self.queue_size,
            "running": len(self._lanes),
            "pending": sum(len(h.pending) for h in hooks),
            "emitted": self.emitted,
            "dispatched": self.dispatched,
            "dropped": self.dropped,
            "missed": sum(h.dropped for h in hooks),
            "worker": self.worker_state,
            "restarts": self.total_restarts,
            "timeout_s": self.timeout,
            "alerts_suppressed": self.throttle.suppressed,
        }


def _check_signature(callback: HookCallback) -> None:
    """Refuse, at registration, a callback that cannot be called as ``cb(bot, **kwargs)``."""
    try:
        params = inspect.signature(callback).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: trust it
        return
    positional = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.VAR_POSITIONAL,
    )
    if not any(p.kind in positional for p in params):
        raise TypeError(
            f"hook callback {callback_name(callback)} takes no positional argument; hooks are "
            "called as `await callback(bot, **kwargs)`, e.g. `async def cb(bot, **kwargs)`"
        )


def disabled_ids(values: Iterable[Any]) -> set[str]:
    """Hook IDs from persisted config (ignores junk)."""
    return {v for v in values if isinstance(v, str) and ":" in v}
