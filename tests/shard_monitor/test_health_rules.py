"""The threshold table, the alert throttle and the saved statistics, without a bot."""

from __future__ import annotations

import pytest

from cogs.shard_monitor.alerts import AlertThrottle
from cogs.shard_monitor.health import Thresholds, evaluate
from cogs.shard_monitor.stats import LATENCY_WINDOW, ShardStats

NOW = 1_000_000.0


def connected_shard(**changes: object) -> ShardStats:
    stats = ShardStats(0, monitored_since=NOW - 1000, last_event=NOW, sessions=1)
    stats.connected, stats.connected_since = True, NOW - 10
    for name, value in changes.items():
        setattr(stats, name, value)
    return stats


def conditions(stats: ShardStats, thresholds: Thresholds | None = None) -> dict[str, str]:
    health = evaluate(stats, NOW, thresholds or Thresholds())
    return {i.condition: i.level for i in health.issues}


def with_latency(seconds: float) -> ShardStats:
    stats = connected_shard()
    stats.samples.extend([0.02] * 10 + [seconds] * LATENCY_WINDOW)  # older samples do not count
    return stats


@pytest.mark.parametrize(
    ("latency", "expected"),
    [(1.0, {}), (1.001, {"latency": "warning"}), (2.0, {"latency": "warning"}),
     (2.001, {"latency": "critical"})],
)  # fmt: skip
def test_average_latency_tiers(latency: float, expected: dict[str, str]) -> None:
    assert conditions(with_latency(latency)) == expected


def test_no_events_for_five_minutes_is_a_warning() -> None:
    assert conditions(connected_shard(last_event=NOW - 299)) == {}
    assert conditions(connected_shard(last_event=NOW - 300)) == {"inactive": "warning"}
    # Watching since less than 5 minutes (a restart): not inactive yet.
    quiet = connected_shard(last_event=None, watched_since=NOW - 120)
    assert conditions(quiet) == {}


@pytest.mark.parametrize(
    ("threshold", "failures", "expected"),
    [(3, 2, None), (3, 3, "warning"), (3, 4, "warning"), (3, 5, "critical"), (1, 1, "warning"),
     (7, 6, None), (7, 7, "critical")],
)  # fmt: skip
def test_consecutive_failures_against_the_threshold(
    threshold: int, failures: int, expected: str | None
) -> None:
    stats = connected_shard(consecutive_failures=failures)
    found = conditions(stats, Thresholds(failure_warning=threshold)).get("failures")
    assert found == expected


def test_disconnected_now_is_critical_and_recently_is_a_warning() -> None:
    down = connected_shard(last_event=NOW - 600, last_disconnect=NOW - 30)
    down.connected, down.disconnected_since = False, NOW - 30
    # The silence of a disconnected shard is explained by the disconnection.
    assert conditions(down) == {"disconnected": "critical"}
    assert evaluate(down, NOW, Thresholds()).tier == "critical"

    assert conditions(connected_shard(last_disconnect=NOW - 59)) == {
        "recently_disconnected": "warning"
    }
    assert conditions(connected_shard(last_disconnect=NOW - 60)) == {}
    # A connection that reads as closed after a session is down, before any event says so.
    closed = evaluate(connected_shard(), NOW, Thresholds(), closed=True)
    assert closed.tier == "critical" and closed.issues[0].condition == "disconnected"


def test_the_worst_issue_sets_the_tier_and_comes_first() -> None:
    stats = with_latency(1.5)
    stats.consecutive_failures = 6
    health = evaluate(stats, NOW, Thresholds())
    assert health.tier == "critical"
    assert [i.condition for i in health.issues] == ["failures", "latency"]


def test_throttle_alerts_once_until_the_condition_clears() -> None:
    throttle = AlertThrottle()
    warn = evaluate(with_latency(1.5), NOW, Thresholds())
    crit = evaluate(with_latency(2.5), NOW, Thresholds())
    fine = evaluate(with_latency(0.1), NOW, Thresholds())
    assert [i.level for _, i in throttle.new_issues([warn])] == ["warning"]
    assert throttle.new_issues([warn]) == []  # still there: nothing new
    assert [i.level for _, i in throttle.new_issues([crit])] == ["critical"]  # got worse
    assert throttle.new_issues([warn]) == []  # better, not cleared
    assert throttle.new_issues([fine]) == []  # cleared
    assert [i.level for _, i in throttle.new_issues([warn])] == ["warning"]  # back again
    assert throttle.suppressed == 2


def test_saved_statistics_round_trip_and_garbage_starts_afresh() -> None:
    stats = connected_shard(messages=12, errors=2, disconnects=3, consecutive_failures=4)
    stats.samples.extend([0.05, 0.07])
    back = ShardStats.from_dict(0, stats.to_dict(), NOW + 100)
    assert (back.messages, back.errors, back.disconnects) == (12, 2, 3)
    assert list(back.samples) == [0.05, 0.07]
    # Runtime state is not carried over: a restarted shard has no failure run.
    assert back.consecutive_failures == 0 and not back.connected
    assert back.watched_since == NOW + 100
    garbage = {
        "messages": -1,
        "errors": "x",
        "latency_samples": [1, "a", None, -2],
        "last_error": 3,
    }
    fresh = ShardStats.from_dict(1, garbage, NOW)
    assert (fresh.messages, fresh.errors, list(fresh.samples), fresh.last_error) == (
        0,
        0,
        [1.0],
        None,
    )
    assert ShardStats.from_dict(2, ["not", "a", "dict"], NOW).messages == 0
