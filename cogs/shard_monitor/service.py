"""The shard monitor service: per-shard statistics, health checks, alerts and persistence.

Plain async Python with no Discord UI: the cog feeds it gateway events (connect, resume,
disconnect, messages, commands, guild joins and leaves, errors) and a ``reader`` that
reads the bot's shards; the Discord commands, the console (``shard_health`` view) and the
alert channel read :meth:`ShardMonitorService.snapshot`.

Three background loops: a collection every ``collect_interval`` (30 s) samples each
shard's latency, guilds and members; a health check every ``health_interval`` (60 s)
evaluates the tiers (see :mod:`.health`) and raises alerts through ``alert_sink``, one per
shard per condition until it clears (see :mod:`.alerts`); every ``persist_interval``
(5 minutes) the counters are written to ``shard_metrics.json`` through the atomic store.

Consecutive failures count the shard's connection failures (every disconnect, including
each failed reconnection attempt); the run ends once the shard has stayed connected for
``stable_after`` seconds without a new one. Errors are what went wrong on the shard: a
lost gateway session (a new READY where a resume was expected) and commands that failed
in its guilds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoryx.redaction import default_redactor

from .alerts import AlertThrottle, ShardAlert
from .health import ShardHealth, Thresholds, evaluate
from .snapshot import MonitorSnapshot, ShardView, shard_view
from .source import ShardReading
from .stats import ERROR_TEXT_LIMIT, ErrorRecord, ShardStats

log = logging.getLogger("zoryx.shard_monitor")

METRICS_FILE = "shard_metrics.json"
CONFIG_FILE = "alert_config.json"
ALERTS_KEPT = 20
MAX_THRESHOLD = 100

AlertSink = Callable[[ShardAlert], Awaitable[None]]
Reader = Callable[[], list[ShardReading]]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One health check: when, every shard's health, and the alert it raised (if any)."""

    at: float
    results: tuple[ShardHealth, ...]
    alert: ShardAlert | None


class ShardMonitorService:
    """Per-shard monitoring for one bot process.

    Args:
        directory: where ``shard_metrics.json`` and ``alert_config.json`` live
            (``data/shard_monitor/``).
        store: the atomic store.
        reader: reads the bot's shards now (see :func:`.source.read_shards`).
        failure_threshold: consecutive failures that make a shard ``warning``
            (``SHARD_ALERT_THRESHOLD``; ``shardalerts`` may change it).
        thresholds: the other health thresholds (defaults: the documented table).
        clock: epoch seconds for every timestamp (injectable: tests move it by hand).
        collect_interval / health_interval / persist_interval: the loops' periods.
        stable_after: seconds connected without a failure that end a failure run.
        redact: removes secrets from error texts before they are kept.
    """

    def __init__(
        self,
        directory: Path,
        store: Any,
        *,
        reader: Reader = list,
        failure_threshold: int = 3,
        thresholds: Thresholds | None = None,
        clock: Callable[[], float] = time.time,
        collect_interval: float = 30.0,
        health_interval: float = 60.0,
        persist_interval: float = 300.0,
        stable_after: float = 60.0,
        redact: Callable[[str], str] = default_redactor.redact,
    ) -> None:
        self.directory = directory
        self.store = store
        self.reader = reader
        self.clock = clock
        self.collect_interval = collect_interval
        self.health_interval = health_interval
        self.persist_interval = persist_interval
        self.stable_after = stable_after
        self.redact = redact
        self._base = thresholds or Thresholds()
        self.thresholds = self._base.with_failure_threshold(_threshold(failure_threshold))
        self.alert_channel_id: int | None = None
        self.alert_sink: AlertSink | None = None
        self.throttle = AlertThrottle()
        self.last_check: CheckResult | None = None
        self.checks = 0
        self.collections = 0
        self.last_saved: float | None = None
        self._shards: dict[int, ShardStats] = {}
        self._restored: dict[int, Any] = {}
        self._closed: dict[int, bool] = {}
        self._alerts: deque[ShardAlert] = deque(maxlen=ALERTS_KEPT)
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle -------------------------------------------------------------------------
    async def load(self) -> None:
        """Restore the alert configuration and the saved counters."""
        config = await self._read(CONFIG_FILE)
        if isinstance(config, dict):
            channel = config.get("alert_channel_id")
            if isinstance(channel, int) and not isinstance(channel, bool) and channel > 0:
                self.alert_channel_id = channel
            threshold = config.get("alert_threshold")
            if isinstance(threshold, int) and not isinstance(threshold, bool):
                self.thresholds = self._base.with_failure_threshold(_threshold(threshold))
        saved = await self._read(METRICS_FILE)
        shards = saved.get("shards") if isinstance(saved, dict) else None
        if isinstance(shards, dict):
            for key, data in shards.items():
                if isinstance(key, str) and key.isascii() and key.isdigit():
                    self._restored[int(key)] = data

    def start(self) -> None:
        """Start the collection, health and persistence loops."""
        if self.running:
            return
        loop = asyncio.get_running_loop()
        loops: list[tuple[str, float, Callable[[], Any]]] = [
            ("collect", self.collect_interval, self.collect),
            ("health", self.health_interval, self.check),
            ("persist", self.persist_interval, self.persist),
        ]
        self._tasks = [
            loop.create_task(self._every(seconds, action), name=f"zoryx-shard-{name}")
            for name, seconds, action in loops
        ]

    async def stop(self) -> None:
        """Stop the loops and save the counters one last time."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if tasks:
            await self.persist()

    @property
    def running(self) -> bool:
        return any(not t.done() for t in self._tasks)

    async def _every(self, seconds: float, action: Callable[[], Any]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                result = action()
                if asyncio.iscoroutine(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("shard monitor task %s failed", getattr(action, "__name__", "?"))

    # -- events (called by the cog) -----------------------------------------------------------
    def shard(self, shard_id: int) -> ShardStats:
        """The statistics of ``shard_id`` (created, or adopted from the saved ones)."""
        stats = self._shards.get(shard_id)
        if stats is None:
            now = self.clock()
            saved = self._restored.pop(shard_id, None)
            stats = ShardStats.from_dict(shard_id, saved, now)
            self._shards[shard_id] = stats
        return stats

    def shard_connected(self, shard_id: int, *, resumed: bool) -> None:
        """A new gateway session (READY) or a resumed one."""
        stats, now = self.shard(shard_id), self.clock()
        if resumed:
            stats.resumes += 1
        else:
            stats.connects += 1
            stats.sessions += 1
            if stats.sessions > 1:
                self.record_error(
                    shard_id,
                    "session_lost",
                    "A new gateway session replaced the previous one (it was invalidated, "
                    "could not be resumed, or the shard was reconnected).",
                )
        if stats.disconnected_since is not None:
            stats.downtime += max(0.0, now - stats.disconnected_since)
            stats.disconnected_since = None
        if not stats.connected:
            stats.connected_since = now
        stats.connected = True
        stats.last_connect = stats.last_event = now

    def shard_disconnected(self, shard_id: int) -> None:
        """The shard's connection dropped (or a reconnection attempt failed)."""
        stats, now = self.shard(shard_id), self.clock()
        stats.disconnects += 1
        stats.consecutive_failures += 1
        stats.last_failure = stats.last_disconnect = now
        stats.connected = False
        stats.connected_since = None
        if stats.disconnected_since is None:
            stats.disconnected_since = now

    def activity(self, shard_id: int, counter: str | None = None) -> None:
        """An event on the shard; ``counter`` names the one it adds to (``messages``…)."""
        stats = self.shard(shard_id)
        stats.last_event = self.clock()
        if counter is not None:
            setattr(stats, counter, getattr(stats, counter) + 1)

    def record_error(self, shard_id: int, kind: str, text: str) -> None:
        """Something went wrong on the shard (the text is redacted and clipped)."""
        stats = self.shard(shard_id)
        stats.errors += 1
        clean = self.redact(text)[:ERROR_TEXT_LIMIT]
        stats.last_error = ErrorRecord(self.clock(), kind, clean)
        log.info("shard %s error (%s): %s", shard_id, kind, clean)

    # -- collection and health ------------------------------------------------------------------
    def refresh(self) -> list[ShardReading]:
        """Read the shards now (latency, connection, guilds, members) without sampling."""
        now = self.clock()
        readings = self.reader()
        for reading in readings:
            stats = self.shard(reading.shard_id)
            stats.latency = reading.latency
            stats.guilds, stats.members = reading.guilds, reading.members
            self._closed[reading.shard_id] = reading.closed
            if reading.sequence is not None:
                if stats.sequence is not None and reading.sequence != stats.sequence:
                    stats.last_event = now
                stats.sequence = reading.sequence
        for stats in self._shards.values():
            quiet = stats.last_failure is None or now - stats.last_failure >= self.stable_after
            if stats.connected and stats.consecutive_failures and quiet:
                stats.consecutive_failures = 0
        return readings

    def collect(self) -> None:
        """One collection: read every shard and keep a latency sample of each."""
        for reading in self.refresh():
            if reading.latency is not None and not reading.closed:
                self.shard(reading.shard_id).samples.append(reading.latency)
        self.collections += 1

    def evaluate(self) -> list[ShardHealth]:
        """Every shard's health now (from the last readings and the events since)."""
        now = self.clock()
        return [
            evaluate(stats, now, self.thresholds, closed=self._closed.get(sid, False))
            for sid, stats in sorted(self._shards.items())
        ]

    async def check(self) -> CheckResult:
        """One health check: refresh, evaluate, and alert on what is new."""
        async with self._lock:
            self.refresh()
            results = tuple(self.evaluate())
            fresh = self.throttle.new_issues(results)
            alert = ShardAlert(self.clock(), tuple(fresh)) if fresh else None
            result = CheckResult(self.clock(), results, alert)
            self.last_check = result
            self.checks += 1
        if alert is not None:
            await self._raise(alert)
        return result

    async def _raise(self, alert: ShardAlert) -> None:
        self._alerts.append(alert)
        for shard_id, issue in alert.issues:
            log.warning("shard %s %s: %s", shard_id, issue.level, issue.detail)
        if self.alert_sink is None or self.alert_channel_id is None:
            return
        try:
            await self.alert_sink(alert)
        except Exception:
            log.exception("could not deliver the shard alert")

    # -- configuration --------------------------------------------------------------------------
    async def set_alerts(self, channel_id: int | None, threshold: int | None = None) -> None:
        """Set (or clear) the alert channel, and the failure threshold when given; saved."""
        self.alert_channel_id = channel_id
        if threshold is not None:
            self.thresholds = self._base.with_failure_threshold(_threshold(threshold))
        data = {
            "alert_channel_id": channel_id,
            "alert_threshold": self.thresholds.failure_warning,
        }
        await self.store.write_json(self.directory / CONFIG_FILE, data, keep_in_cache=True)

    async def reset(self, shard_id: int | None = None) -> list[int]:
        """Zero the statistics of one shard (or all); returns the shards reset, and saves."""
        now = self.clock()
        targets = sorted(self._shards) if shard_id is None else [shard_id]
        done = []
        for sid in targets:
            stats = self._shards.get(sid)
            if stats is None:
                continue
            stats.reset(now)
            self.throttle.forget(sid)
            done.append(sid)
        if done:
            await self.persist()
        return done

    # -- persistence -----------------------------------------------------------------------------
    async def persist(self) -> None:
        """Write every shard's counters to ``shard_metrics.json`` (atomic)."""
        now = self.clock()
        shards = {str(sid): s.to_dict() for sid, s in sorted(self._shards.items())}
        # Shards not run by this process keep their saved counters.
        for sid, data in self._restored.items():
            shards.setdefault(str(sid), data)
        try:
            await self.store.write_json(
                self.directory / METRICS_FILE, {"saved_at": now, "shards": shards}
            )
        except Exception as exc:
            log.error("could not save the shard metrics: %s", exc)
            return
        self.last_saved = now

    async def _read(self, name: str) -> Any:
        try:
            return await self.store.read_json(self.directory / name, default=None)
        except Exception as exc:
            log.error("could not read %s: %s", name, exc)
            return None

    # -- reads ---------------------------------------------------------------------------------
    def shard_ids(self) -> list[int]:
        return sorted(self._shards)

    def alerts(self) -> list[ShardAlert]:
        """Alerts raised (newest first)."""
        return list(reversed(self._alerts))

    def view(self, shard_id: int) -> ShardView | None:
        stats = self._shards.get(shard_id)
        if stats is None:
            return None
        now = self.clock()
        health = evaluate(stats, now, self.thresholds, closed=self._closed.get(shard_id, False))
        return shard_view(stats, health, now)

    def snapshot(self) -> MonitorSnapshot:
        """Everything a face shows (no I/O; call :meth:`refresh` first for live values)."""
        now = self.clock()
        views = [v for v in map(self.view, self.shard_ids()) if v is not None]
        check = self.last_check
        return MonitorSnapshot(
            at=now,
            running=self.running,
            shards=tuple(views),
            thresholds=self.thresholds,
            alert_channel_id=self.alert_channel_id,
            last_check=None if check is None else check.at,
            checks=self.checks,
            collections=self.collections,
            last_saved=self.last_saved,
            alerts_raised=len(self._alerts),
            alerts_suppressed=self.throttle.suppressed,
            intervals=(self.collect_interval, self.health_interval, self.persist_interval),
        )


def _threshold(value: int) -> int:
    return max(1, min(int(value), MAX_THRESHOLD))
