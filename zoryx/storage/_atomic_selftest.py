"""The self-test behind :meth:`zoryx.storage.atomic.AtomicStore.self_test`.

Each check works on its own file inside a fresh temp dir, reports what it saw in one
line, and never stops the checks after it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._atomic_io import TEMP_SUFFIX

if TYPE_CHECKING:
    from .atomic import AtomicStore

__all__ = ["SelfTestResult", "run_self_test"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SelfTestResult:
    """The outcome of one self-test check.

    Attributes:
        name: Short identifier of the check, e.g. ``"cached_read"``.
        passed: Whether the check succeeded.
        detail: One line saying what was verified, or what went wrong.
        duration_ms: Wall-clock time the check took.
    """

    name: str
    passed: bool
    detail: str
    duration_ms: float


class _CheckFailed(Exception):
    """A self-test expectation did not hold."""


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise _CheckFailed(message)


def _load_disk(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(TEMP_SUFFIX))


async def _check_write(store: AtomicStore, base: Path) -> str:
    target = base / "write" / "doc.json"
    value = {"check": "write", "n": 1}
    await store.write_json(target, value)
    on_disk = await asyncio.to_thread(_load_disk, target)
    _expect(on_disk == value, f"file holds {on_disk!r}, expected {value!r}")
    leftovers = await asyncio.to_thread(_temp_files, target.parent)
    _expect(not leftovers, f"temp files left behind: {leftovers}")
    return "file created with parent dir, content verified, no temp file left"


async def _check_read(store: AtomicStore, base: Path) -> str:
    target = base / "read.json"
    value = {"check": "read", "items": [1, 2, 3]}
    await asyncio.to_thread(target.write_text, json.dumps(value), encoding="utf-8")
    got = await store.read_json(target)
    _expect(got == value, f"read {got!r}, expected {value!r}")
    missing = await store.read_json(base / "missing.json", default={"default": True})
    _expect(missing == {"default": True}, f"missing file gave {missing!r}, not the default")
    return "file read from disk; missing file returned the default"


async def _check_cached_read(store: AtomicStore, base: Path) -> str:
    target = base / "cached.json"
    value = {"check": "cached_read", "nested": {"list": [1, 2]}}
    await store.write_json(target, value)
    await store.read_json(target)  # fills the cache
    hits_before = store.metrics().cache_hits
    first = await store.read_json(target)
    _expect(store.metrics().cache_hits == hits_before + 1, "second read was not a cache hit")
    _expect(first == value, f"cached read gave {first!r}, expected {value!r}")
    first["nested"]["list"].append("mutated")
    second = await store.read_json(target)
    _expect(second == value, "mutating a returned value changed the cached value")
    return "second read was a cache hit; returned values are independent copies"


async def _check_concurrent_writes(store: AtomicStore, base: Path) -> str:
    target = base / "concurrent.json"
    values = [{"writer": i, "payload": "x" * (i * 100)} for i in range(10)]
    # Wait for every writer, even when one fails: a straggler still running after the
    # clean-up would re-create the scratch directory.
    outcomes = await asyncio.gather(
        *(store.write_json(target, value) for value in values), return_exceptions=True
    )
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        raise failures[0]
    final = await asyncio.to_thread(_load_disk, target)
    _expect(final in values, f"final content {final!r} is none of the 10 written values")
    leftovers = await asyncio.to_thread(_temp_files, base)
    _expect(not leftovers, f"temp files left behind: {leftovers}")
    return f"10 concurrent writes; file parses and holds writer {final['writer']}'s value"


async def _check_integrity(store: AtomicStore, base: Path) -> str:
    target = base / "integrity.json"
    value = {
        "text": "Zoryx ✓ — héllo, 你好, привет, 🚀",
        "numbers": [0, -1, 2**53, 3.25, -0.5],
        "flags": [True, False, None],
        "nested": {"a": {"b": {"c": ["deep", {"d": "ünïcödé"}]}}},
        "empty": {"list": [], "dict": {}, "string": ""},
    }
    await store.write_json(target, value)
    got = await store.read_json(target, use_cache=False)
    _expect(got == value, "nested unicode data changed in a write/read round trip")
    return "nested data with unicode, emoji and numbers round-tripped unchanged"


async def _check_invalidation(store: AtomicStore, base: Path) -> str:
    target = base / "invalidate.json"
    await store.write_json(target, {"version": 1}, keep_in_cache=True)
    changed = {"version": 2}
    await asyncio.to_thread(target.write_text, json.dumps(changed), encoding="utf-8")
    stale = await store.read_json(target)
    _expect(stale == {"version": 1}, "the read before invalidate() did not come from the cache")
    store.invalidate(target)
    misses_before = store.metrics().cache_misses
    fresh = await store.read_json(target)
    _expect(store.metrics().cache_misses == misses_before + 1, "read after invalidate was a hit")
    _expect(fresh == changed, f"read after invalidate gave {fresh!r}, expected {changed!r}")
    return "after invalidate() the read missed the cache and saw the out-of-band change"


_Check = Callable[["AtomicStore", Path], Awaitable[str]]

_CHECKS: tuple[tuple[str, _Check], ...] = (
    ("write", _check_write),
    ("read", _check_read),
    ("cached_read", _check_cached_read),
    ("concurrent_writes", _check_concurrent_writes),
    ("integrity", _check_integrity),
    ("invalidation", _check_invalidation),
)


async def _run_check(name: str, check: _Check, store: AtomicStore, base: Path) -> SelfTestResult:
    started = time.perf_counter()
    try:
        detail = await check(store, base)
        passed = True
    except _CheckFailed as exc:
        detail, passed = str(exc), False
    except Exception as exc:
        log.exception("atomic store self-test %r raised", name)
        detail, passed = f"{type(exc).__name__}: {exc}", False
    duration_ms = (time.perf_counter() - started) * 1000
    return SelfTestResult(name=name, passed=passed, detail=detail, duration_ms=duration_ms)


def _make_temp_dir(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="zoryx-atomictest-", dir=directory))


async def run_self_test(store: AtomicStore, directory: Path) -> list[SelfTestResult]:
    """Run every check with ``store`` in a temp dir under ``directory``, then remove it."""
    base = await asyncio.to_thread(_make_temp_dir, directory)
    try:
        return [await _run_check(name, check, store, base) for name, check in _CHECKS]
    finally:
        await asyncio.to_thread(shutil.rmtree, base, ignore_errors=True)
