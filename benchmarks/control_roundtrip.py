"""Round trips over the control socket: what an attached console or ``zoryx ctl`` waits.

Starts ``zoryx run --headless`` on the sandbox in a fresh bot directory, attaches with
:class:`zoryx.control.RemoteSource` (the same client ``zoryx tui --attach`` uses) and
times, one at a time:

- ``read`` of the small ``status`` view (default 1,000 times),
- ``act`` of ``clear_caches``, a cheap action that still writes its audit record
  (default 200 times),

then the same reads with 8 in flight. Prints p50/p99/max per case; ``--json PATH``
writes the raw figures.

    python benchmarks/control_roundtrip.py [--reads 1000] [--acts 200] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import PING_EXTENSION

from zoryx.control import RemoteSource
from zoryx.readmodel import SourceLost


def start_bot(bot_dir: Path) -> subprocess.Popen[bytes]:
    (bot_dir / "extensions").mkdir(parents=True)
    (bot_dir / "extensions" / "ping.py").write_text(PING_EXTENSION)
    (bot_dir / "config.json").write_text(json.dumps({"auto_reload": False}))
    return subprocess.Popen(
        [sys.executable, "-m", "zoryx", "run", "--headless", "--world", "empty", "--dir",
         str(bot_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


async def attach(bot_dir: Path, process: subprocess.Popen[bytes]) -> RemoteSource:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            source = await RemoteSource.open(bot_dir, reconnect=False)
        except SourceLost:
            await asyncio.sleep(0.2)  # the bot is still starting
            continue
        if source.hello.get("ready"):
            return source
        await source.close()
        await asyncio.sleep(0.2)
    raise RuntimeError("the bot did not become ready")


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")  # never beyond the max
    return {
        "count": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(cut[98] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
        "per_second": round(len(ordered) / sum(ordered), 1),
    }


async def timed(calls: int, call: Any) -> list[float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


async def measure(source: RemoteSource, reads: int, acts: int) -> dict[str, Any]:
    await timed(50, lambda: source.read("status"))  # warm-up
    results: dict[str, Any] = {}
    results["read status"] = summary(await timed(reads, lambda: source.read("status")))
    results["act clear_caches"] = summary(await timed(acts, lambda: source.act("clear_caches")))
    started = time.perf_counter()
    per_worker = reads // 8

    async def worker() -> list[float]:
        return await timed(per_worker, lambda: source.read("status"))

    batches = await asyncio.gather(*(worker() for _ in range(8)))
    wall = time.perf_counter() - started
    flat = [s for batch in batches for s in batch]
    results["read status, 8 in flight"] = {
        **summary(flat),
        "per_second": round(len(flat) / wall, 1),
    }
    return results


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=1000)
    parser.add_argument("--acts", type=int, default=200)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zoryx-bench-") as tmp:
        bot_dir = Path(tmp) / "bot"
        process = start_bot(bot_dir)
        try:
            source = await attach(bot_dir, process)
            try:
                results = await measure(source, args.reads, args.acts)
            finally:
                await source.close()
        finally:
            process.terminate()
            process.wait(timeout=60)
    for case, figures in results.items():
        print(
            f"{case:<26} n={figures['count']:<5} p50 {figures['p50_ms']:7.3f} ms  "
            f"p99 {figures['p99_ms']:7.3f} ms  max {figures['max_ms']:7.3f} ms  "
            f"{figures['per_second']:8.1f}/s"
        )
    if args.json is not None:
        meta = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "when": time.time()}
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
