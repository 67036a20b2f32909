"""The bus's bounded tables: waiting answers, known clusters and what a report may hold."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zoryx.cluster import BusBusy
from zoryx.cluster.members import MAX_SHARDS_LISTED, MemberTable, Report, parse_report
from zoryx.cluster.queries import MAX_PENDING, Pending, PendingTable, check_query


async def test_a_query_waits_for_a_cluster_expected_after_the_others_answered() -> None:
    pending = Pending(limit=10)
    pending.expect("c1")
    pending.add("c1", {"guilds": 1})  # c1 answers while the query still goes out to c2
    pending.expect("c2")
    assert not pending.done.is_set()
    pending.add("c2", {"guilds": 2})
    assert pending.done.is_set()
    await pending.wait(5)  # returns at once
    assert pending.answers == {"c1": {"guilds": 1}, "c2": {"guilds": 2}}


def test_answers_and_open_queries_are_bounded() -> None:
    pending = Pending(limit=3)
    for n in range(10):
        pending.add(f"c{n}", {})
    assert len(pending.answers) == 3
    table = PendingTable(answers_limit=3)
    for _ in range(MAX_PENDING):
        table.open()
    with pytest.raises(BusBusy):
        table.open()
    assert not table.answer("unknown-id", "c1", {}) and not table.answer(5, "c1", {})


def test_only_preset_queries_exist() -> None:
    assert check_query("stats", None) is None and check_query("guild", 42) == 42
    for kind, arg in (
        ("eval", "x"),
        ("guild", True),
        ("guild", 2**64),
        ("health", "x"),
        ("", None),
    ):
        with pytest.raises(ValueError):
            check_query(kind, arg)


def report(instance: str = "i") -> Report:
    return Report(instance=instance, shard_ids=(0,), shard_count=1, pid=1, host="h")


def test_member_table_marks_dead_forgets_and_stays_bounded() -> None:
    table = MemberTable(timeout=10, max_members=3, prune_after=50)
    assert [table.update(f"c{n}", report(), seen=0) for n in range(3)] == ["join"] * 3
    assert table.update("c3", report(), seen=1) == "full"  # no room: none is dead
    assert table.update("c0", report(), seen=5) is None  # a beat from a known one
    assert table.sweep(now=12) == ["c1", "c2"]  # silent for more than 10 s
    assert [(i.name, i.alive) for i in table.infos()] == [
        ("c0", True),
        ("c1", False),
        ("c2", False),
    ]
    assert table.update("c3", report(), seen=12) == "join"  # a dead one makes room
    assert len(table) == 3
    assert table.update("c2", report(), seen=13) == "join"  # back from the dead
    assert table.sweep(now=70) == ["c0", "c2", "c3"] and len(table) == 3
    assert table.sweep(now=200) == [] and len(table) == 0  # long dead: forgotten


@settings(max_examples=300, deadline=None, database=None)
@given(
    body=st.dictionaries(
        st.sampled_from(["instance", "shard_ids", "shard_count", "pid", "host", "stats"]),
        st.from_type(object),
        max_size=6,
    )
)
def test_reports_are_checked_never_crash(body: dict[str, object]) -> None:
    try:
        parsed = parse_report(body)
    except ValueError:
        return
    assert isinstance(parsed.guilds, int) and isinstance(parsed.health, str)


def test_report_stats_are_trimmed() -> None:
    body = report().to_body()
    body["stats"] = {
        "guilds": -5,
        "users": True,
        "latency_ms": float("nan"),
        "health": "x" * 1000,
        "shards": [{"id": n, "state": 3, "ready": "yes"} for n in range(MAX_SHARDS_LISTED + 10)]
        + ["junk"],
    }
    parsed = parse_report(body)
    assert (parsed.guilds, parsed.users, parsed.latency_ms) == (0, 0, None)
    assert len(parsed.health) == 255 and len(parsed.shards) == MAX_SHARDS_LISTED
    assert parsed.shards[0] == {
        "id": 0,
        "state": "unknown",
        "latency_ms": None,
        "guilds": 0,
        "ready": False,
    }
    for bad in (
        {"shard_ids": [1]},
        {"shard_count": -1},
        {"pid": "1"},
        {"instance": ""},
        {"stats": []},
    ):
        with pytest.raises(ValueError):
            parse_report({**report().to_body(), **bad})
