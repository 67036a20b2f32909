"""BotMetrics: counters, bounded top list, per-minute series, recent events."""

from __future__ import annotations

import pytest

from zoryx.metrics import BotMetrics


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make(clock: FakeClock, **kwargs: object) -> BotMetrics:
    return BotMetrics(clock=clock, wall_clock=lambda: 1_700_000_000.0, **kwargs)  # type: ignore[arg-type]


def test_counters_error_rate_and_uptime() -> None:
    clock = FakeClock()
    metrics = make(clock)
    assert metrics.error_rate == 0.0 and metrics.uptime == 0.0
    for _ in range(3):
        metrics.record_command("ping", user="ann", guild="g1", duration=0.01)
    metrics.record_command("ban", user="bob", error=PermissionError("missing perms"))
    metrics.record_message()
    metrics.record_message()
    clock.advance(125.5)
    snap = metrics.snapshot()
    assert (snap.commands, snap.command_errors, snap.messages) == (4, 1, 2)
    assert snap.error_rate == pytest.approx(0.25)
    assert snap.uptime == pytest.approx(125.5)
    assert snap.started_at == 1_700_000_000.0
    assert snap.top_commands == (("ping", 3), ("ban", 1))


def test_top_commands_bounded_and_evicts_least_used() -> None:
    metrics = make(FakeClock(), max_command_names=3)
    for name, times in (("a", 3), ("b", 2), ("c", 1)):
        for _ in range(times):
            metrics.record_command(name)
    metrics.record_command("d")  # evicts "c", the least used
    assert metrics.top(10) == [("a", 3), ("b", 2), ("d", 1)]
    metrics.record_command("d")
    metrics.record_command("d")
    metrics.record_command("e")  # now "b" and "d"... "b" (2) < "d" (3): evicts "b"
    assert dict(metrics.top(10)) == {"a": 3, "d": 3, "e": 1}
    for i in range(1000):
        metrics.record_command(f"cmd{i}")
    assert len(metrics.top(10_000)) == 3
    assert metrics.commands == 1010  # totals are not bounded by the name cap
    assert metrics.top(1)[0][1] == 3


def test_per_minute_series_with_fake_clock() -> None:
    clock = FakeClock()
    metrics = make(clock)
    metrics.record_command("a")
    metrics.record_command("b")
    metrics.record_message()
    clock.advance(60)
    metrics.record_command("c")
    clock.advance(59)  # still minute 1
    metrics.record_command("d")
    for _ in range(4):
        metrics.record_message()
    clock.advance(61)  # t=180: minute 3, nothing yet
    series = metrics.commands_per_minute()
    assert len(series) == 60
    assert series[-4:] == (2, 2, 0, 0)
    assert sum(series) == 4
    assert metrics.messages_per_minute()[-4:] == (1, 4, 0, 0)
    clock.advance(57 * 60)  # minute 60: minute 0 has just left the window
    assert sum(metrics.commands_per_minute()) == 2
    clock.advance(60 * 60)
    assert metrics.commands_per_minute() == (0,) * 60


def test_sparse_events_stay_bounded() -> None:
    clock = FakeClock()
    metrics = make(clock, minutes=5)
    for _ in range(50):
        metrics.record_command("x")
        clock.advance(120)  # one event every two minutes
    series = metrics.commands_per_minute()
    assert len(series) == 5
    assert sum(series) == 2  # minutes 96 and 98 of 96..100
    assert len(metrics._commands_pm._buckets) <= 5


def test_recent_commands_and_errors_bounded() -> None:
    metrics = make(FakeClock(), recent=5, redact=lambda s: s.replace("hunter2", "[REDACTED]"))
    for i in range(10):
        metrics.record_command(f"c{i}", user=f"u{i}", guild=None, duration=i / 10)
    metrics.record_command("boom", error=ValueError("password hunter2 rejected"))
    metrics.record_command("long", error="x" * 1000)
    recent = metrics.recent_commands()
    assert [r.name for r in recent] == ["c7", "c8", "c9", "boom", "long"]
    assert recent[0].user == "u7" and recent[0].duration == pytest.approx(0.7)
    errors = metrics.recent_errors()
    assert [e.name for e in errors] == ["boom", "long"]
    assert errors[0].error == "ValueError: password [REDACTED] rejected"
    assert errors[1].error is not None and len(errors[1].error) <= BotMetrics.MAX_ERROR_TEXT
    assert errors[0].at == 1_700_000_000.0


def test_snapshot_is_a_frozen_copy() -> None:
    clock = FakeClock()
    metrics = make(clock)
    metrics.record_command("a")
    snap = metrics.snapshot()
    metrics.record_command("a", error="bad")
    assert snap.commands == 1 and len(snap.recent_commands) == 1
    assert snap.commands_per_minute[-1] == 1
    assert metrics.snapshot().commands == 2


def test_rejects_zero_bounds() -> None:
    with pytest.raises(ValueError):
        BotMetrics(max_command_names=0)
