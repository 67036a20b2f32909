"""Benchmark the atomic JSON store (zoryx.storage.atomic).

Usage::

    python benchmarks/bench_atomic.py [--seconds 1.0] [--dir DIR] [--json PATH]

Measures, for a ~1 KB JSON document:

* atomic writes/s (each with fsync of the file and the directory) to one path,
* atomic writes/s spread over 100 paths, one at a time and 100 at once,
* cached reads/s and uncached (disk) reads/s,
* the two ways of handing out a private copy of a cached value: ``json.loads`` of the
  cached text (what the store does) versus ``copy.deepcopy`` of a parsed object.

Prints a table; ``--json PATH`` also writes the results as JSON (``-`` for stdout).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zoryx.storage.atomic import AtomicStore


def sample_document(approx_bytes: int) -> dict[str, Any]:
    """Return a settings-like document whose JSON form is about ``approx_bytes`` long."""
    doc: dict[str, Any] = {"guild_id": 123456789012345678, "prefix": "!", "members": []}
    i = 0
    while len(json.dumps(doc, indent=2)) < approx_bytes:
        doc["members"].append({"id": 10**17 + i, "name": f"member-{i}", "xp": i * 7, "ok": True})
        i += 1
    return doc


async def measure_async(
    op: Callable[[], Awaitable[int]], seconds: float
) -> tuple[float, int, float]:
    """Repeat ``op`` (which returns how many operations it did) for ~``seconds``."""
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        count += await op()
    return count / elapsed, count, elapsed


def measure_sync(op: Callable[[], object], seconds: float) -> tuple[float, int, float]:
    """Repeat ``op`` for ~``seconds``, checking the clock every 100 calls."""
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(100):
            op()
        count += 100
    return count / elapsed, count, elapsed


async def run(directory: Path, seconds: float) -> list[dict[str, Any]]:
    """Run every case inside ``directory`` and return one result dict per case."""
    doc = sample_document(1024)
    doc_bytes = len(json.dumps(doc, indent=2))
    big_doc = sample_document(100 * 1024)
    results: list[dict[str, Any]] = []

    def record(name: str, figures: tuple[float, int, float], unit: str = "ops/s") -> None:
        rate, count, elapsed = figures
        results.append(
            {
                "case": name,
                "rate": round(rate, 1),
                "unit": unit,
                "operations": count,
                "seconds": round(elapsed, 3),
            }
        )

    store = AtomicStore()
    one = directory / "one" / "doc.json"

    async def write_one() -> int:
        await store.write_json(one, doc)
        return 1

    record(f"write, 1 path ({doc_bytes} B doc)", await measure_async(write_one, seconds))

    many = [directory / "many" / f"doc{i}.json" for i in range(100)]
    cursor = 0

    async def write_rotating() -> int:
        nonlocal cursor
        await store.write_json(many[cursor % 100], doc)
        cursor += 1
        return 1

    async def write_100_at_once() -> int:
        await asyncio.gather(*(store.write_json(path, doc) for path in many))
        return len(many)

    record("write, 100 paths, sequential", await measure_async(write_rotating, seconds))
    record("write, 100 paths, 100 concurrent", await measure_async(write_100_at_once, seconds))

    await store.read_json(one)  # warm the cache

    async def read_cached() -> int:
        for _ in range(100):
            await store.read_json(one)
        return 100

    async def read_uncached() -> int:
        await store.read_json(one, use_cache=False)
        return 1

    record("read, cached", await measure_async(read_cached, seconds))
    record("read, uncached (disk)", await measure_async(read_uncached, seconds))

    for label, value in (("1 KB", doc), ("100 KB", big_doc)):
        text = json.dumps(value, ensure_ascii=False, indent=2)
        parsed = json.loads(text)
        record(f"copy {label}: json.loads(text)", measure_sync(partial(json.loads, text), 0.3))
        record(
            f"copy {label}: copy.deepcopy(obj)", measure_sync(partial(copy.deepcopy, parsed), 0.3)
        )

    metrics = store.metrics()
    assert metrics.failures == 0, metrics
    return results


def print_table(results: list[dict[str, Any]]) -> None:
    width = max(len(r["case"]) for r in results)
    print(f"{'case':<{width}}  {'ops/s':>12}  {'ops':>8}  {'s':>6}")
    print("-" * (width + 32))
    for r in results:
        print(
            f"{r['case']:<{width}}  {r['rate']:>12,.1f}  {r['operations']:>8}  {r['seconds']:>6.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per case (default 1)")
    parser.add_argument("--dir", type=Path, help="where to write (default: a new temp dir)")
    parser.add_argument("--json", dest="json_path", help="write results as JSON ('-' = stdout)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="zoryx-bench-", dir=args.dir) as tmp:
        results = asyncio.run(run(Path(tmp), args.seconds))

    print_table(results)
    report = {
        "benchmark": "atomic_store",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "results": results,
    }
    if args.json_path == "-":
        json.dump(report, sys.stdout, indent=2)
        print()
    elif args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
