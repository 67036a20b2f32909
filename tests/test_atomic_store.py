"""Unit tests for the crash-safe atomic JSON store (zoryx.storage.atomic)."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zoryx.storage import atomic as atomic_module
from zoryx.storage.atomic import (
    AtomicMetrics,
    AtomicReadError,
    AtomicStore,
    AtomicWriteError,
    health_tier,
    self_test,
)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> AtomicStore:
    return AtomicStore(clock=clock, retry_base_delay=0.0)


def temp_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.name.endswith(".tmp")]


def entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def write_out_of_band(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value), encoding="utf-8")


# --------------------------------------------------------------------------- basics


async def test_write_then_read_round_trip_creates_parent_dirs(
    store: AtomicStore, tmp_path: Path
) -> None:
    target = tmp_path / "a" / "b" / "doc.json"
    value = {"name": "zoryx", "tags": ["x", "y"], "n": 3}

    await store.write_json(target, value)

    assert json.loads(target.read_text(encoding="utf-8")) == value
    assert target.read_text(encoding="utf-8").endswith("}\n")
    assert await store.read_json(target) == value
    assert temp_files(tmp_path) == []


async def test_indent_none_writes_compact_json(store: AtomicStore, tmp_path: Path) -> None:
    target = tmp_path / "compact.json"
    await store.write_json(target, {"a": [1, 2]}, indent=None)
    assert target.read_text(encoding="utf-8") == '{"a": [1, 2]}\n'


async def test_unicode_is_stored_as_utf8_not_escaped(store: AtomicStore, tmp_path: Path) -> None:
    target = tmp_path / "u.json"
    value = {"greeting": "héllo 你好 🚀", "nested": [{"ü": None}]}
    await store.write_json(target, value)
    raw = target.read_bytes()
    assert "你好".encode() in raw
    assert await store.read_json(target, use_cache=False) == value


async def test_missing_file_returns_default(store: AtomicStore, tmp_path: Path) -> None:
    assert await store.read_json(tmp_path / "nope.json") is None
    assert await store.read_json(tmp_path / "nope.json", default={"d": 1}) == {"d": 1}
    assert await store.read_json(tmp_path / "nope.json", [], use_cache=False) == []
    assert not (tmp_path / "nope.json").exists()
    assert store.metrics().read_failures == 0


async def test_corrupt_json_raises_and_file_is_not_overwritten(
    store: AtomicStore, tmp_path: Path
) -> None:
    target = tmp_path / "corrupt.json"
    target.write_bytes(b'{"half": [1, 2')

    with pytest.raises(AtomicReadError) as info:
        await store.read_json(target, default={"fallback": True})

    assert info.value.path == target.resolve()
    assert str(target.resolve()) in str(info.value)
    assert "corrupt JSON" in str(info.value)
    assert target.read_bytes() == b'{"half": [1, 2'
    assert store.metrics().read_failures == 1
    # A corrupt file is never cached: fixing it on disk is seen at once.
    write_out_of_band(target, {"fixed": True})
    assert await store.read_json(target) == {"fixed": True}


async def test_invalid_utf8_raises_read_error(store: AtomicStore, tmp_path: Path) -> None:
    target = tmp_path / "latin1.json"
    target.write_bytes('{"k": "é"}'.encode("latin-1"))
    with pytest.raises(AtomicReadError, match="UTF-8"):
        await store.read_json(target)
    with pytest.raises(AtomicReadError, match="UTF-8"):
        await store.read_text(target)
    assert store.metrics().read_failures == 2


async def test_reading_a_directory_raises_read_error(store: AtomicStore, tmp_path: Path) -> None:
    with pytest.raises(AtomicReadError, match="cannot read"):
        await store.read_json(tmp_path)


async def test_json_with_bom_is_accepted(store: AtomicStore, tmp_path: Path) -> None:
    target = tmp_path / "bom.json"
    target.write_bytes(b'\xef\xbb\xbf{"ok": 1}')
    assert await store.read_json(target) == {"ok": 1}


async def test_unserializable_data_raises_without_touching_disk(
    store: AtomicStore, tmp_path: Path
) -> None:
    target = tmp_path / "bad.json"
    with pytest.raises(AtomicWriteError) as info:
        await store.write_json(target, {"when": object()})
    assert info.value.attempts == 0
    assert info.value.path == target.resolve()
    assert not target.exists()
    assert store.metrics().write_failures == 1


async def test_file_mode_is_preserved_and_new_files_honour_umask(
    store: AtomicStore, tmp_path: Path
) -> None:
    existing = tmp_path / "private.json"
    existing.write_text("{}", encoding="utf-8")
    existing.chmod(0o640)
    await store.write_json(existing, {"v": 1})
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640

    mask = os.umask(0)
    os.umask(mask)
    fresh = tmp_path / "fresh.json"
    await store.write_json(fresh, {"v": 1})
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~mask


async def test_blocking_file_work_runs_off_the_event_loop(
    store: AtomicStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []
    real = atomic_module.replace_atomically

    def spy(target: str | Path, payload: bytes) -> None:
        seen.append(threading.get_ident())
        real(target, payload)

    monkeypatch.setattr(atomic_module, "replace_atomically", spy)
    await store.write_json(tmp_path / "t.json", {"a": 1})
    await store.write_text(tmp_path / "t.txt", "x")
    assert len(seen) == 2
    assert loop_thread not in seen


# --------------------------------------------------------------------------- text


async def test_text_round_trip_is_verbatim(store: AtomicStore, tmp_path: Path) -> None:
    target = tmp_path / "notes" / "readme.md"
    text = "line one\r\nligne deux — ✓\nno trailing newline"
    await store.write_text(target, text)
    assert target.read_bytes() == text.encode("utf-8")
    assert await store.read_text(target) == text
    assert temp_files(tmp_path) == []


async def test_write_text_with_unencodable_text_raises(store: AtomicStore, tmp_path: Path) -> None:
    target = tmp_path / "bad.txt"
    with pytest.raises(AtomicWriteError, match="cannot encode"):
        await store.write_text(target, "lone surrogate \ud800")
    assert entries(tmp_path) == []
    assert store.metrics().write_failures == 1


async def test_read_text_missing_file_raises_file_not_found(
    store: AtomicStore, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        await store.read_text(tmp_path / "missing.txt")
    assert store.metrics().read_failures == 0


async def test_write_text_drops_cached_json(store: AtomicStore, tmp_path: Path) -> None:
    target = tmp_path / "edited.json"
    await store.write_json(target, {"v": 1}, keep_in_cache=True)
    await store.write_text(target, '{"v": 2}')
    assert await store.read_json(target) == {"v": 2}


# --------------------------------------------------------------------------- cache


async def test_second_read_is_a_cache_hit(store: AtomicStore, tmp_path: Path) -> None:
    target = tmp_path / "c.json"
    write_out_of_band(target, {"v": 1})

    assert await store.read_json(target) == {"v": 1}
    write_out_of_band(target, {"v": 2})  # not visible while the entry is fresh
    assert await store.read_json(target) == {"v": 1}

    m = store.metrics()
    assert (m.cache_hits, m.cache_misses, m.reads) == (1, 1, 2)
    assert m.hit_rate == pytest.approx(0.5)
    assert m.cache_size == 1


async def test_use_cache_false_bypasses_the_cache(store: AtomicStore, tmp_path: Path) -> None:
    target = tmp_path / "c.json"
    write_out_of_band(target, {"v": 1})
    await store.read_json(target)
    write_out_of_band(target, {"v": 2})
    assert await store.read_json(target, use_cache=False) == {"v": 2}
    m = store.metrics()
    assert (m.cache_hits, m.cache_misses) == (0, 1)


async def test_ttl_expiry(clock: FakeClock, tmp_path: Path) -> None:
    store = AtomicStore(cache_ttl=300.0, clock=clock)
    target = tmp_path / "ttl.json"
    write_out_of_band(target, {"v": 1})
    await store.read_json(target)
    write_out_of_band(target, {"v": 2})

    clock.now += 299.0
    assert await store.read_json(target) == {"v": 1}
    assert store.metrics().cache_hits == 1

    clock.now += 1.0  # the entry was stored 300 s ago: expired
    assert await store.read_json(target) == {"v": 2}
    assert store.metrics().cache_misses == 2


async def test_lru_eviction_is_bounded_and_keeps_recently_used(
    clock: FakeClock, tmp_path: Path
) -> None:
    store = AtomicStore(cache_size=3, clock=clock)
    paths = [tmp_path / f"f{i}.json" for i in range(4)]
    for i, path in enumerate(paths):
        write_out_of_band(path, {"i": i})

    for path in paths[:3]:
        await store.read_json(path)
    await store.read_json(paths[0])  # f0 becomes most recently used; f1 is now oldest
    await store.read_json(paths[3])  # evicts f1
    assert store.metrics().cache_size == 3

    hits = store.metrics().cache_hits
    await store.read_json(paths[0])
    assert store.metrics().cache_hits == hits + 1
    misses = store.metrics().cache_misses
    await store.read_json(paths[1])
    assert store.metrics().cache_misses == misses + 1

    for i in range(20):
        extra = tmp_path / f"extra{i}.json"
        write_out_of_band(extra, i)
        await store.read_json(extra)
    assert store.metrics().cache_size == 3


async def test_returned_values_cannot_corrupt_the_cache(store: AtomicStore, tmp_path: Path) -> None:
    target = tmp_path / "alias.json"
    original: dict[str, Any] = {"list": [1, 2], "inner": {"k": "v"}}
    await store.write_json(target, original, keep_in_cache=True)
    original["list"].append("changed after write")

    first = await store.read_json(target)
    first["list"].append("changed by a caller")
    first["inner"]["k"] = "oops"
    second = await store.read_json(target)

    assert second == {"list": [1, 2], "inner": {"k": "v"}}
    assert second is not first
    assert store.metrics().cache_hits == 2


async def test_large_cached_documents_still_read_correctly(
    store: AtomicStore, tmp_path: Path
) -> None:
    target = tmp_path / "big.json"
    value = {"rows": [{"i": i, "s": "x" * 50} for i in range(3000)]}  # well over 64 KiB
    await store.write_json(target, value, keep_in_cache=True)
    got = await store.read_json(target)
    assert got == value
    assert store.metrics().cache_hits == 1


async def test_invalidate_makes_next_read_miss_and_see_disk(
    store: AtomicStore, tmp_path: Path
) -> None:
    target = tmp_path / "inv.json"
    await store.write_json(target, {"v": 1}, keep_in_cache=True)
    write_out_of_band(target, {"v": 2})
    assert await store.read_json(target) == {"v": 1}

    store.invalidate(str(target))
    misses = store.metrics().cache_misses
    assert await store.read_json(target) == {"v": 2}
    assert store.metrics().cache_misses == misses + 1


async def test_paths_are_normalized_for_the_cache(
    store: AtomicStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    await store.write_json("sub/../n.json", {"v": 1}, keep_in_cache=True)
    assert await store.read_json(tmp_path / "n.json") == {"v": 1}
    assert store.metrics().cache_hits == 1
    store.invalidate("n.json")
    assert store.metrics().cache_size == 0


async def test_clear_cache_empties_everything(store: AtomicStore, tmp_path: Path) -> None:
    for i in range(5):
        await store.write_json(tmp_path / f"{i}.json", i, keep_in_cache=True)
    assert store.metrics().cache_size == 5
    store.clear_cache()
    assert store.metrics().cache_size == 0
    assert await store.read_json(tmp_path / "3.json") == 3
    assert store.metrics().cache_misses == 1


async def test_write_drops_or_replaces_the_cache_entry(store: AtomicStore, tmp_path: Path) -> None:
    target = tmp_path / "w.json"
    write_out_of_band(target, {"v": 0})
    await store.read_json(target)
    assert store.metrics().cache_size == 1

    await store.write_json(target, {"v": 1})  # default: entry dropped
    assert store.metrics().cache_size == 0
    assert await store.read_json(target) == {"v": 1}
    assert store.metrics().cache_misses == 2

    await store.write_json(target, {"v": 2}, keep_in_cache=True)
    hits = store.metrics().cache_hits
    assert await store.read_json(target) == {"v": 2}
    assert store.metrics().cache_hits == hits + 1


async def test_read_in_flight_during_a_write_does_not_cache_stale_data(
    store: AtomicStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "race.json"
    write_out_of_band(target, {"v": "old"})
    old_read_done = threading.Event()
    release = threading.Event()
    real = atomic_module.read_json_text

    def slow_read(path: str | Path) -> Any:
        result = real(path)
        old_read_done.set()
        assert release.wait(5)
        return result

    monkeypatch.setattr(atomic_module, "read_json_text", slow_read)
    reader = asyncio.create_task(store.read_json(target))
    assert await asyncio.to_thread(old_read_done.wait, 5)

    monkeypatch.setattr(atomic_module, "read_json_text", real)
    await store.write_json(target, {"v": "new"})
    release.set()
    assert await reader == {"v": "old"}  # it started before the write

    assert await store.read_json(target) == {"v": "new"}


async def test_cache_can_be_disabled(tmp_path: Path) -> None:
    store = AtomicStore(cache_ttl=0)
    target = tmp_path / "d.json"
    await store.write_json(target, 1, keep_in_cache=True)
    await store.read_json(target)
    await store.read_json(target)
    m = store.metrics()
    assert (m.cache_hits, m.cache_size) == (0, 0)


# --------------------------------------------------------------------------- retries


def failing_replace(
    monkeypatch: pytest.MonkeyPatch, failures: int
) -> Callable[[], list[tuple[str, str]]]:
    """Make os.replace raise ``failures`` times, then behave normally."""
    real = os.replace
    calls: list[tuple[str, str]] = []

    def replace(src: Any, dst: Any) -> None:
        calls.append((str(src), str(dst)))
        if len(calls) <= failures:
            raise PermissionError(13, "simulated lock by another process", str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    return lambda: calls


async def test_write_retries_with_exponential_backoff_then_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = AtomicStore(retry_base_delay=0.01)
    calls = failing_replace(monkeypatch, failures=2)
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float, *args: Any) -> Any:
        delays.append(delay)
        return await real_sleep(0, *args)

    monkeypatch.setattr(atomic_module.asyncio, "sleep", recording_sleep)
    target = tmp_path / "retry.json"

    await store.write_json(target, {"ok": True})

    assert len(calls()) == 3
    assert delays == [pytest.approx(0.01), pytest.approx(0.02)]
    assert json.loads(target.read_text(encoding="utf-8")) == {"ok": True}
    m = store.metrics()
    assert (m.writes, m.retries, m.write_failures) == (1, 2, 0)
    assert temp_files(tmp_path) == []


async def test_write_fails_after_three_attempts_with_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = AtomicStore(retry_base_delay=0.001)
    target = tmp_path / "stuck.json"
    target.write_text('{"old": true}', encoding="utf-8")
    calls = failing_replace(monkeypatch, failures=10**6)

    with pytest.raises(AtomicWriteError) as info:
        await store.write_json(target, {"new": True})

    assert len(calls()) == 3
    assert info.value.attempts == 3
    assert info.value.path == target.resolve()
    assert str(target.resolve()) in str(info.value)
    assert isinstance(info.value.__cause__, PermissionError)
    assert json.loads(target.read_text(encoding="utf-8")) == {"old": True}
    assert temp_files(tmp_path) == []
    m = store.metrics()
    assert (m.write_failures, m.retries, m.failures) == (1, 2, 1)


async def test_failed_write_leaves_no_temp_file_when_fsync_fails(
    store: AtomicStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(5, "simulated I/O error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(AtomicWriteError):
        await store.write_json(tmp_path / "io.json", {"v": 1})
    assert entries(tmp_path) == []


# --------------------------------------------------------------------------- locks


async def test_writes_to_one_path_serialize_and_keep_call_order(
    store: AtomicStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    active: dict[str | Path, int] = {}
    peak = {"same": 0, "all": 0}
    guard = threading.Lock()
    real = atomic_module.replace_atomically

    def tracking_replace(target: str | Path, payload: bytes) -> None:
        with guard:
            active[target] = active.get(target, 0) + 1
            peak["same"] = max(peak["same"], active[target])
            peak["all"] = max(peak["all"], sum(active.values()))
        time.sleep(0.01)
        real(target, payload)
        with guard:
            active[target] -= 1

    monkeypatch.setattr(atomic_module, "replace_atomically", tracking_replace)
    target = tmp_path / "one.json"
    await asyncio.gather(*(store.write_json(target, {"i": i}) for i in range(10)))
    assert peak["same"] == 1
    assert json.loads(target.read_text(encoding="utf-8")) == {"i": 9}

    others = [tmp_path / f"p{i}.json" for i in range(6)]
    await asyncio.gather(*(store.write_json(p, {"p": str(p)}) for p in others))
    assert peak["all"] > 1  # different paths do not wait for each other
    assert temp_files(tmp_path) == []


async def test_idle_locks_are_dropped_above_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atomic_module, "replace_atomically", lambda target, payload: None)
    store = AtomicStore()
    for i in range(500):
        await store.write_json(tmp_path / f"{i}.json", i)
    assert store.metrics().lock_count == 500

    await store.write_json(tmp_path / "501.json", 501)
    assert store.metrics().lock_count <= 500
    assert store.metrics().lock_count == 0  # every lock was idle


async def test_busy_locks_survive_cleanup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    busy_path = (tmp_path / "busy.json").resolve()
    started = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def replace(target: str | Path, payload: bytes) -> None:
        if Path(target) == busy_path:
            order.append(json.loads(payload)["who"])
            if not started.is_set():
                started.set()
                assert release.wait(5)

    monkeypatch.setattr(atomic_module, "replace_atomically", replace)
    store = AtomicStore(max_idle_locks=5)
    first = asyncio.create_task(store.write_json(busy_path, {"who": "first"}))
    assert await asyncio.to_thread(started.wait, 5)
    second = asyncio.create_task(store.write_json(busy_path, {"who": "second"}))
    await asyncio.sleep(0)

    for i in range(10):  # pushes the lock count over the limit, triggering cleanup
        await store.write_json(tmp_path / f"{i}.json", i)
    assert store.metrics().lock_count == 1  # only the busy path's lock is left

    third = asyncio.create_task(store.write_json(busy_path, {"who": "third"}))
    await asyncio.sleep(0.05)
    assert order == ["first"]  # second and third still wait for the same lock
    release.set()
    await asyncio.gather(first, second, third)
    assert order == ["first", "second", "third"]


async def test_cancelled_write_holds_the_lock_until_its_thread_finishes(
    store: AtomicStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "cancel.json"
    started = threading.Event()
    release = threading.Event()
    real = atomic_module.replace_atomically

    def slow_replace(path: str | Path, payload: bytes) -> None:
        started.set()
        assert release.wait(5)
        real(path, payload)

    monkeypatch.setattr(atomic_module, "replace_atomically", slow_replace)
    task = asyncio.create_task(store.write_json(target, {"v": "cancelled"}))
    assert await asyncio.to_thread(started.wait, 5)
    task.cancel()
    await asyncio.sleep(0.05)
    assert not task.done()  # still waiting for the thread, lock still held

    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The thread completed the replace; the file is whole and readable.
    assert await store.read_json(target) == {"v": "cancelled"}
    assert store.metrics().lock_count == 1


# --------------------------------------------------------------------------- metrics


@pytest.mark.parametrize(
    ("rate", "tier"),
    [
        (0.0, "healthy"),
        (0.0099, "healthy"),
        (0.01, "degraded"),
        (0.03, "degraded"),
        (0.05, "degraded"),
        (0.0501, "critical"),
        (1.0, "critical"),
    ],
)
def test_health_tier_boundaries(rate: float, tier: str) -> None:
    assert health_tier(rate) == tier


@pytest.mark.parametrize(
    ("operations", "tier"),
    [(200, "healthy"), (50, "degraded"), (10, "critical")],
)
async def test_store_health_follows_failure_rate(
    tmp_path: Path, operations: int, tier: str
) -> None:
    store = AtomicStore()
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text("{", encoding="utf-8")
    with pytest.raises(AtomicReadError):
        await store.read_json(corrupt)
    for _ in range(operations - 1):
        await store.read_json(tmp_path / "missing.json")
    assert store.metrics().failure_rate == pytest.approx(1 / operations)
    assert store.health() == tier


def test_fresh_store_is_healthy_with_zeroed_metrics() -> None:
    m = AtomicStore().metrics()
    assert m == AtomicMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert (m.hit_rate, m.failure_rate, m.health) == (0.0, 0.0, "healthy")
    assert m.as_dict()["health"] == "healthy"


def test_invalid_configuration_is_rejected() -> None:
    with pytest.raises(ValueError):
        AtomicStore(retries=0)
    with pytest.raises(ValueError):
        AtomicStore(cache_size=-1)
    with pytest.raises(ValueError):
        AtomicStore(cache_ttl=-1)


# --------------------------------------------------------------------------- self-test


EXPECTED_CHECKS = [
    "write",
    "read",
    "cached_read",
    "concurrent_writes",
    "integrity",
    "invalidation",
]


async def test_self_test_passes_and_cleans_up(tmp_path: Path) -> None:
    store = AtomicStore()
    results = await store.self_test(tmp_path / "selftest")

    assert [r.name for r in results] == EXPECTED_CHECKS
    failed = [(r.name, r.detail) for r in results if not r.passed]
    assert failed == []
    assert all(r.duration_ms >= 0 and r.detail for r in results)
    assert entries(tmp_path / "selftest") == []
    assert store.metrics().reads == 0  # ran on a separate instance


async def test_module_level_self_test(tmp_path: Path) -> None:
    results = await self_test(tmp_path)
    assert [r.name for r in results] == EXPECTED_CHECKS
    assert all(r.passed for r in results)
    assert entries(tmp_path) == []


async def test_self_test_reports_a_cache_that_does_not_work(tmp_path: Path) -> None:
    results = {r.name: r for r in await AtomicStore(cache_ttl=0).self_test(tmp_path)}
    assert not results["cached_read"].passed
    assert not results["invalidation"].passed
    assert results["write"].passed and results["integrity"].passed


async def test_self_test_reports_failing_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_replace(monkeypatch, failures=10**6)
    results = await AtomicStore(retry_base_delay=0).self_test(tmp_path)
    write = next(r for r in results if r.name == "write")
    assert not write.passed
    assert "AtomicWriteError" in write.detail
    assert entries(tmp_path) == []
