"""The diagnostics service: health checks, loop lag, command errors, reports and alerts.

Plain async Python with no Discord UI. The Discord cog and the console read it through
:meth:`DiagnosticsService.snapshot`, :meth:`history`, :meth:`errors` and :meth:`report`.

Every ``check_interval`` seconds (5 minutes) a health check reads process metrics off the
loop, classifies the error rate, appends to the history (48 kept, persisted) and writes
the JSON reports to ``data/``. Alerts (degraded/critical health, loop lag, repeated
atomic-store write failures) go to ``alert_sink``, at most one per kind every 5 minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoryx.redaction import default_redactor

from .collector import SystemCollector, SystemMetrics
from .health import AlertThrottle, Basis, ErrorRate, HealthCheck, HealthWindow, Tier
from .lag import LagMonitor
from .lag_alerts import lag_message, lag_reasons
from .slow_callbacks import AsyncioSlowCallbackCapture, SlowCallbackLog, StallWatchdog

log = logging.getLogger("zoryx.diagnostics")

DIAGNOSTICS_FILE = "framework_diagnostics.json"
HEALTH_FILE = "framework_health.json"
HISTORY_FILE = "framework_health_history.json"
CONFIG_FILE = "framework_diagnostics_config.json"
HISTORY_SIZE = 48
ERRORS_KEPT = 20


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    """One failed command (``user_error``: the member's mistake, not the code's)."""

    at: float
    command: str
    user: str
    error: str
    user_error: bool = False


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert that passed the throttle."""

    at: float
    kind: str  # "degraded" | "critical" | "lag" | "write_failures"
    message: str


@dataclass(frozen=True, slots=True)
class DiagnosticsSnapshot:
    """Everything a face shows at a glance (cheap: no I/O)."""

    tier: Tier
    error_rate: float
    basis: Basis
    commands: int
    errors: int
    user_errors: int
    window_snapshots: int
    window_size: int
    lag_avg_ms: float
    lag_last_ms: float
    lag_history: tuple[float, ...]
    lag_threshold_ms: int
    cpu_percent: float
    memory_mb: float
    memory_percent: float
    threads: int
    open_files: int | None
    connections: int | None
    system_collected_at: float
    last_check: float | None
    checks: int
    alert_channel_id: int | None
    alerts_sent: int
    alerts_suppressed: int
    running: bool
    lag_p95_ms: float = 0.0
    lag_max_ms: float = 0.0


AlertSink = Callable[[Alert], Awaitable[None]]
Counters = Callable[[], tuple[int, int]]
UserErrors = Callable[[], int]


class DiagnosticsService:
    """Framework self-diagnosis.

    Args:
        data_dir: where the JSON reports live.
        store: the atomic store (writes; its ``metrics().write_failures`` feeds alerts).
        counters: returns lifetime ``(commands, errors)``, the errors the health tiers
            count (user errors excluded); default: none recorded.
        user_errors: returns the lifetime count of user errors (shown, never counted in
            the health tier); default: none recorded.
        bot_info: returns facts about the bot for the full report (uptime, guilds…).
        lag_threshold_ms: loop lag that raises an alert, on average (10 samples) or at the
            95th percentile (60 samples).
        lag_block_ms: a single lag sample that raises an alert (default: twice
            ``lag_threshold_ms``).
        lag_stats_window: samples the p95 and the max cover.
        stall_watchdog: name the code blocking the loop with a stack sample taken by a
            watchdog thread (asyncio debug mode names slow callbacks in any case).
        collector: process metrics reader (psutil, in a worker thread).
        clock: monotonic seconds for alert throttling (injectable).
        wall: epoch seconds stamped on records.
        check_interval: seconds between health checks.
        lag_interval: seconds between loop-lag samples.
        alert_interval: minimum seconds between two alerts of one kind.
        write_failures_alert: store write failures between two checks that alert.
        redact: removes secrets from error texts before they are kept (and written to
            the reports); the bot's shared redactor. Default: token and key shapes.
    """

    def __init__(
        self,
        data_dir: Path,
        store: Any,
        *,
        counters: Counters | None = None,
        user_errors: UserErrors | None = None,
        bot_info: Callable[[], dict[str, Any]] | None = None,
        lag_threshold_ms: int = 500,
        lag_block_ms: int | None = None,
        lag_stats_window: int = 60,
        stall_watchdog: bool = True,
        collector: SystemCollector | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        check_interval: float = 300.0,
        lag_interval: float = 1.0,
        alert_interval: float = 300.0,
        write_failures_alert: int = 3,
        redact: Callable[[str], str] = default_redactor.redact,
    ) -> None:
        self.data_dir = data_dir
        self.store = store
        self.counters = counters or (lambda: (0, 0))
        self.user_errors = user_errors or (lambda: 0)
        self.bot_info = bot_info or dict
        self.lag_threshold_ms = lag_threshold_ms
        self.collector = collector or SystemCollector()
        self.wall = wall
        self.check_interval = check_interval
        self.write_failures_alert = write_failures_alert
        self.redact = redact
        self.alert_sink: AlertSink | None = None
        self.alert_channel_id: int | None = None
        self.window = HealthWindow()
        self.throttle = AlertThrottle(alert_interval, clock)
        self.lag_block_ms = lag_block_ms
        self.lag = LagMonitor(
            interval=lag_interval, on_sample=self._on_lag_sample, stats_window=lag_stats_window
        )
        self.slow_callbacks = SlowCallbackLog()
        self._stall_watchdog = stall_watchdog
        self._watchdog: StallWatchdog | None = None
        self._debug_capture: AsyncioSlowCallbackCapture | None = None
        self._history: deque[HealthCheck] = deque(maxlen=HISTORY_SIZE)
        self._errors: deque[ErrorEntry] = deque(maxlen=ERRORS_KEPT)
        self._alerts: deque[Alert] = deque(maxlen=20)
        self._last_check: float | None = None
        self._store_failures_seen = self._store_write_failures()
        self._own_write_failures = 0
        self._check_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._spawned: set[asyncio.Task[Any]] = set()

    # -- lifecycle -------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        return self.data_dir / name

    async def load(self) -> None:
        """Restore the alert channel and the health history from ``data/``."""
        config = await self._read(CONFIG_FILE, {})
        channel = config.get("alert_channel_id") if isinstance(config, dict) else None
        valid = isinstance(channel, int | str) and str(channel).isascii() and str(channel).isdigit()
        self.alert_channel_id = int(channel) if valid else None  # type: ignore[arg-type]
        stored = await self._read(HISTORY_FILE, {})
        entries = stored.get("checks", []) if isinstance(stored, dict) else []
        checks = [c for c in map(HealthCheck.from_dict, entries) if c is not None]
        self._history.clear()
        self._history.extend(checks[-HISTORY_SIZE:])

    def start(self) -> None:
        """Start loop-lag sampling and the periodic health check (first one now)."""
        self.lag.start()
        self._start_slow_callback_capture()
        if self._task is None or self._task.done():
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._check_loop(), name="zoryx-fw-health")

    def _start_slow_callback_capture(self) -> None:
        """Catch asyncio's slow-callback reports and, unless disabled, start the watchdog."""
        if self._debug_capture is None:
            self._debug_capture = AsyncioSlowCallbackCapture(
                self.slow_callbacks, threading.get_ident()
            )
            self._debug_capture.install()
        if self._stall_watchdog and self._watchdog is None:
            self._watchdog = StallWatchdog(
                asyncio.get_running_loop(),
                self.slow_callbacks,
                threshold=self.lag_threshold_ms / 1000,
                poll=self.lag.interval,
            )
            self._watchdog.start()

    @property
    def block_threshold_ms(self) -> int:
        """A single lag sample above this raises an alert."""
        return self.lag_block_ms or 2 * self.lag_threshold_ms

    async def stop(self) -> None:
        await self.lag.stop()
        if self._debug_capture is not None:
            self._debug_capture.remove()
            self._debug_capture = None
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            await watchdog.stop()
        tasks = [t for t in (self._task, *self._spawned) if t is not None]
        self._task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _check_loop(self) -> None:
        while True:
            try:
                await self.run_check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("framework health check failed")
            await asyncio.sleep(self.check_interval)

    # -- inputs ----------------------------------------------------------------------------
    def record_error(
        self, command: str, user: str, error: str, *, user_error: bool = False
    ) -> None:
        """Remember a failed command (the last 20 are kept), marked when it was a user error."""
        text = self.redact(error)[:300]
        self._errors.append(ErrorEntry(self.wall(), command, user, text, user_error))

    async def set_alert_channel(self, channel_id: int | None) -> None:
        """Set (or clear) the alert channel and persist it."""
        self.alert_channel_id = channel_id
        await self.store.write_json(
            self.path(CONFIG_FILE), {"alert_channel_id": channel_id}, keep_in_cache=True
        )

    # -- outputs ---------------------------------------------------------------------------
    def current_rate(self) -> ErrorRate:
        commands, errors = self.counters()
        return self.window.rate(commands, errors)

    def history(self, limit: int = HISTORY_SIZE) -> list[HealthCheck]:
        """Recent health checks, newest first."""
        return list(reversed(self._history))[: max(0, limit)]

    def errors(self) -> list[ErrorEntry]:
        """Recent command errors, newest first."""
        return list(reversed(self._errors))

    def alerts(self) -> list[Alert]:
        """Alerts sent (not suppressed), newest first."""
        return list(reversed(self._alerts))

    def snapshot(self) -> DiagnosticsSnapshot:
        rate = self.current_rate()
        system = self.collector.last
        lag = self.lag.stats()
        return DiagnosticsSnapshot(
            tier=rate.tier,
            error_rate=rate.rate,
            basis=rate.basis,
            commands=rate.commands,
            errors=rate.errors,
            user_errors=self.user_errors(),
            window_snapshots=self.window.snapshots,
            window_size=self.window.size,
            lag_avg_ms=self.lag.average_ms,
            lag_last_ms=self.lag.last_ms,
            lag_history=self.lag.history(),
            lag_threshold_ms=self.lag_threshold_ms,
            cpu_percent=system.cpu_percent,
            memory_mb=system.memory_mb,
            memory_percent=system.memory_percent,
            threads=system.threads,
            open_files=system.open_files,
            connections=system.connections,
            system_collected_at=system.collected_at,
            last_check=self._last_check,
            checks=len(self._history),
            alert_channel_id=self.alert_channel_id,
            alerts_sent=len(self._alerts),
            alerts_suppressed=self.throttle.suppressed,
            running=self.running,
            lag_p95_ms=lag.p95_ms,
            lag_max_ms=lag.max_ms,
        )

    async def refresh_system(self) -> SystemMetrics:
        """Read process metrics now (in a worker thread)."""
        return await self.collector.collect()

    async def report(self) -> dict[str, Any]:
        """The full diagnostics report (fresh process metrics), as written to JSON."""
        system = await self.refresh_system()
        rate = self.current_rate()
        return {
            "generated_at": self.wall(),
            "health": self._health_dict(rate, system),
            "system": system.as_dict(),
            "bot": self.bot_info(),
            "lag": {
                "average_ms": round(self.lag.average_ms, 2),
                "p95_ms": round(self.lag.stats().p95_ms, 2),
                "max_ms": round(self.lag.stats().max_ms, 2),
                "threshold_ms": self.lag_threshold_ms,
                "block_threshold_ms": self.block_threshold_ms,
                "samples_ms": [round(v, 2) for v in self.lag.history()],
                "slow_callbacks": [c.as_dict() for c in self.slow_callbacks.items()],
            },
            "store": _store_metrics(self.store),
            "recent_errors": [dataclasses.asdict(e) for e in self.errors()],
            "recent_alerts": [dataclasses.asdict(a) for a in self.alerts()],
            "checks_kept": len(self._history),
        }

    def _health_dict(self, rate: ErrorRate, system: SystemMetrics) -> dict[str, Any]:
        return {
            "at": self.wall(),
            "status": rate.tier,
            "error_rate": round(rate.rate, 4),
            "basis": rate.basis,
            "commands": rate.commands,
            "errors": rate.errors,
            "user_errors": self.user_errors(),
            "window": f"{self.window.snapshots}/{self.window.size}",
            "loop_lag_avg_ms": round(self.lag.average_ms, 2),
            "loop_lag_threshold_ms": self.lag_threshold_ms,
            "cpu_percent": round(system.cpu_percent, 1),
            "memory_mb": round(system.memory_mb, 1),
            "threads": system.threads,
            "open_files": system.open_files,
            "connections": system.connections,
        }

    # -- the health check --------------------------------------------------------------------
    async def run_check(self) -> HealthCheck:
        """One health check: metrics, tier, history, reports, alerts."""
        async with self._check_lock:
            self.window.observe(*self.counters())
            report = await self.report()
            rate = self.current_rate()
            system = self.collector.last
            check = HealthCheck(
                at=self.wall(),
                tier=rate.tier,
                error_rate=rate.rate,
                basis=rate.basis,
                commands=rate.commands,
                errors=rate.errors,
                lag_avg_ms=self.lag.average_ms,
                cpu_percent=system.cpu_percent,
                memory_mb=system.memory_mb,
                threads=system.threads,
            )
            self._history.append(check)
            self._last_check = check.at
            await self._write_reports(report)
        await self._alert_on(check)
        return check

    async def _write_reports(self, report: dict[str, Any]) -> None:
        files = {
            DIAGNOSTICS_FILE: report,
            HEALTH_FILE: report["health"],
            HISTORY_FILE: {"checks": [c.as_dict() for c in self._history]},
        }
        for name, data in files.items():
            try:
                await self.store.write_json(self.path(name), data)
                self._own_write_failures = 0
            except Exception as exc:
                self._own_write_failures += 1
                log.error("could not write %s: %s", name, exc)

    async def _alert_on(self, check: HealthCheck) -> None:
        if check.tier != "healthy":
            await self.alert(
                check.tier,
                f"Framework health is **{check.tier}**: error rate {check.error_rate:.1%} "
                f"({check.errors}/{check.commands} commands, {check.basis}).",
            )
        failures = self._store_write_failures()
        new_failures, self._store_failures_seen = failures - self._store_failures_seen, failures
        if max(new_failures, self._own_write_failures) >= self.write_failures_alert:
            await self.alert(
                "write_failures",
                f"{max(new_failures, self._own_write_failures)} atomic-store write failures "
                f"since the last check ({failures} in total). Check disk space and permissions.",
            )

    def _on_lag_sample(self, sample_ms: float, average_ms: float) -> None:
        stats = self.lag.stats()
        threshold, block = self.lag_threshold_ms, self.block_threshold_ms
        reasons = lag_reasons(stats, threshold, block)
        if not reasons:
            return
        # What blocked the loop over the stretch the statistics cover.
        span = stats.samples * self.lag.interval + stats.max_ms / 1000 + threshold / 1000
        seen = self.slow_callbacks.recent(time.monotonic() - span)
        self._spawn(self.alert("lag", lag_message(stats, threshold, block, reasons, seen)))

    async def alert(self, kind: str, message: str) -> bool:
        """Send an alert unless one of this kind went out recently; returns whether sent."""
        if not self.throttle.allow(kind):
            log.debug("diagnostics alert %s suppressed (throttled)", kind)
            return False
        alert = Alert(self.wall(), kind, message)
        self._alerts.append(alert)
        log.warning("diagnostics alert [%s]: %s", kind, message)
        if self.alert_sink is not None:
            try:
                await self.alert_sink(alert)
            except Exception:
                log.exception("could not deliver the diagnostics alert")
        return True

    # -- helpers -----------------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)

    def _store_write_failures(self) -> int:
        metrics = getattr(self.store, "metrics", None)
        return int(getattr(metrics(), "write_failures", 0)) if callable(metrics) else 0

    async def _read(self, name: str, default: Any) -> Any:
        try:
            return await self.store.read_json(self.path(name), default=default)
        except Exception as exc:
            log.error("could not read %s: %s", name, exc)
            return default


def _store_metrics(store: Any) -> dict[str, Any]:
    metrics = getattr(store, "metrics", None)
    if not callable(metrics):
        return {}
    data = metrics()
    is_record = dataclasses.is_dataclass(data) and not isinstance(data, type)
    out = dataclasses.asdict(data) if is_record else {}  # type: ignore[arg-type]
    health = getattr(data, "health", None)
    if health is not None:
        out["health"] = health
    return out
