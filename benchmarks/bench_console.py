"""The console's cost: the same bot headless and inside the console, under the same load.

The sandbox (its own process) drives ~200 ``!ping`` messages/s at the bot and times every
reply. The bot runs in this process twice: headless (a Runtime), then inside the console
(``ZoryxConsole`` run by Textual's headless driver at 120x40, panes refreshing as usual —
it renders every frame, only the terminal writes are skipped). For each run: the process
CPU share, event-loop lag p50/p99/max (a 10 ms ticker), and reply latency p50/p99.

Run: python benchmarks/bench_console.py [--json PATH] [--rate 200] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import psutil
from _harness import running_zoryx, sandbox_process


class LagMonitor:
    """Measures how late a 10 ms sleep wakes up (event-loop lag)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples.append((time.perf_counter() - start - 0.01) * 1000)

    def __enter__(self) -> LagMonitor:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.samples)
        return {
            "lag_p50_ms": round(statistics.median(ordered), 2),
            "lag_p99_ms": round(ordered[int(len(ordered) * 0.99)], 2),
            "lag_max_ms": round(ordered[-1], 2),
        }


async def measure(sb: Any, rate: float, seconds: float) -> dict[str, Any]:
    proc = psutil.Process(os.getpid())
    await sb.paced(rate, 2)  # warm-up
    cpu0, wall0 = sum(proc.cpu_times()[:2]), time.perf_counter()
    with LagMonitor() as lag:
        replies = await sb.paced(rate, seconds)
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    wall = time.perf_counter() - wall0
    return {"cpu_percent": round(100 * cpu / wall, 1), **lag.summary(), **replies}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    from tui.app import ZoryxConsole

    results: dict[str, Any] = {"rate": args.rate, "seconds": args.seconds}
    with sandbox_process() as sb:
        async with running_zoryx(sb) as runtime:
            results["headless"] = await measure(sb, args.rate, args.seconds)
            app = ZoryxConsole(runtime=runtime)
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause(1.0)
                results["console"] = await measure(sb, args.rate, args.seconds)
                with contextlib.suppress(Exception):
                    app.exit(0)
    head, con = results["headless"], results["console"]
    results["console_cpu_share_percent"] = round(con["cpu_percent"] - head["cpu_percent"], 1)
    results["reply_p99_ratio"] = (
        round(con["p99_ms"] / head["p99_ms"], 3) if head["p99_ms"] else None
    )
    for name in ("headless", "console"):
        r = results[name]
        print(
            f"{name:>8}: CPU {r['cpu_percent']}%, loop lag p50/p99/max {r['lag_p50_ms']}/"
            f"{r['lag_p99_ms']}/{r['lag_max_ms']} ms, reply p50/p99 {r['p50_ms']}/{r['p99_ms']}"
            f" ms ({r['answered']}/{r['sent']} answered)"
        )
    print(
        f"console CPU share: {results['console_cpu_share_percent']} points; reply p99 ratio "
        f"console/headless: {results['reply_p99_ratio']}"
    )
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
