"""Unit tests of the diagnostics building blocks: tiers, rolling window, lag, throttle, service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cogs.framework_diagnostics.health import (
    AlertThrottle,
    HealthCheck,
    HealthWindow,
    tier_for,
)
from cogs.framework_diagnostics.lag import LagMonitor
from cogs.framework_diagnostics.service import DiagnosticsService
from zoryx.storage.atomic import AtomicStore

from .conftest import FakeClock


@pytest.mark.parametrize(
    ("rate", "tier"),
    [
        (0.0, "healthy"),
        (0.0499, "healthy"),
        (0.05, "degraded"),
        (0.0999, "degraded"),
        (0.10, "critical"),
        (1.0, "critical"),
    ],
)
def test_tier_boundaries(rate: float, tier: str) -> None:
    assert tier_for(rate) == tier


def test_window_is_lifetime_until_twelve_snapshots_then_rolling() -> None:
    window = HealthWindow()
    assert window.observe(0, 0) is None  # baseline only
    for i in range(1, 12):
        window.observe(100 * i, 20 * i)  # 20 % errors for 11 intervals
        assert window.rate(100 * i, 20 * i).basis == "lifetime"
    window.observe(1200, 240)
    rate = window.rate(1200, 240)
    assert (rate.basis, rate.tier, rate.commands, rate.errors) == (
        "rolling hour",
        "critical",
        1200,
        240,
    )
    for i in range(1, 13):  # a clean hour pushes the bad one out of the window
        window.observe(1200 + 100 * i, 240)
    rolling = window.rate(2400, 240)
    assert (rolling.tier, rolling.rate) == ("healthy", 0.0)
    assert window.rate(0, 0).basis == "rolling hour"


def test_window_restarts_baseline_when_counters_go_back() -> None:
    window = HealthWindow(size=2)
    window.observe(50, 5)
    assert window.observe(10, 0) is None  # metrics were reset: no negative delta
    assert window.observe(20, 1) == (10, 1)


def test_throttle_allows_one_alert_per_kind_per_interval() -> None:
    clock = FakeClock()
    throttle = AlertThrottle(300, clock)
    assert throttle.allow("lag") and throttle.allow("critical")
    assert not throttle.allow("lag")
    clock.advance(299)
    assert not throttle.allow("lag")
    clock.advance(1)
    assert throttle.allow("lag")
    assert throttle.suppressed == 2


def test_lag_average_covers_the_last_ten_samples() -> None:
    seen: list[tuple[float, float]] = []
    lag = LagMonitor(on_sample=lambda s, a: seen.append((s, a)))
    lag.record(700)
    assert lag.average_ms == 700
    for _ in range(9):
        lag.record(0)
    assert lag.average_ms == pytest.approx(70)
    lag.record(0)  # the 700 ms sample leaves the window
    assert lag.average_ms == 0
    assert lag.record(-5) == 0  # negative jitter counts as no lag
    assert len(seen) == 12 and lag.history()[0] == 700


def test_history_entry_parsing_rejects_garbage() -> None:
    good = HealthCheck(1.0, "degraded", 0.07, "lifetime", 100, 7, 3.0, 1.0, 50.0, 8)
    assert HealthCheck.from_dict(good.as_dict()) == good
    for bad in (None, [], {"tier": "fine", "at": 1, "error_rate": 0}, {"tier": "healthy"}):
        assert HealthCheck.from_dict(bad) is None


async def test_service_check_writes_reports_and_persists_history(tmp_path: Path) -> None:
    counts = [0, 0]
    clock = FakeClock()
    service = DiagnosticsService(
        tmp_path, AtomicStore(), counters=lambda: (counts[0], counts[1]), clock=clock
    )
    alerts: list[str] = []

    async def sink(alert: object) -> None:
        alerts.append(getattr(alert, "kind", ""))

    service.alert_sink = sink
    await service.run_check()
    counts[:] = [100, 6]
    check = await service.run_check()
    assert (check.tier, check.basis) == ("degraded", "lifetime")
    assert alerts == ["degraded"]
    counts[:] = [200, 30]
    assert (await service.run_check()).tier == "critical"
    assert alerts == ["degraded", "critical"]
    await service.run_check()  # still critical: throttled
    assert alerts == ["degraded", "critical"]

    for name in ("framework_diagnostics.json", "framework_health.json"):
        assert (tmp_path / name).is_file()
    health = json.loads((tmp_path / "framework_health.json").read_text())
    assert health["status"] == "critical" and health["basis"] == "lifetime"
    stored = json.loads((tmp_path / "framework_health_history.json").read_text())
    assert [c["tier"] for c in stored["checks"]] == ["healthy", "degraded", "critical", "critical"]

    again = DiagnosticsService(tmp_path, AtomicStore())
    await again.load()
    assert [c.tier for c in again.history()] == ["critical", "critical", "degraded", "healthy"]


async def test_history_keeps_48_checks(tmp_path: Path) -> None:
    service = DiagnosticsService(tmp_path, AtomicStore())
    for _ in range(50):
        await service.run_check()
    assert service.snapshot().checks == 48
    stored = json.loads((tmp_path / "framework_health_history.json").read_text())
    assert len(stored["checks"]) == 48


async def test_repeated_store_write_failures_alert(tmp_path: Path) -> None:
    store = AtomicStore()
    service = DiagnosticsService(tmp_path, store)
    kinds: list[str] = []

    async def sink(alert: object) -> None:
        kinds.append(getattr(alert, "kind", ""))

    service.alert_sink = sink
    for _ in range(2):
        with pytest.raises(Exception, match="serialize"):
            await store.write_json(tmp_path / "x.json", {"bad": object()})
    await service.run_check()
    assert kinds == []  # two failures are not "repeated" yet
    for _ in range(3):
        with pytest.raises(Exception, match="serialize"):
            await store.write_json(tmp_path / "x.json", {"bad": object()})
    await service.run_check()
    assert kinds == ["write_failures"]
