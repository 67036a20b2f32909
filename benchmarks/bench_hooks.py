"""Event-hook dispatch: throughput and latency with 10 hooks, and the effect of one hook
that sleeps 10 s on the others (goal: none).

Uses the real hook service (cogs/event_hooks) on one event loop, as in the bot.
Run: python benchmarks/bench_hooks.py [--json PATH] [--events N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cogs.event_hooks.service import EventHookService


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


async def run(events: int, with_sleeper: bool, rate: float | None) -> dict[str, Any]:
    service = EventHookService(queue_size=1000, timeout=10.0)
    service.start()
    latencies: list[float] = []
    done = asyncio.Event()
    expected = events * 10

    def make_hook(index: int):  # type: ignore[no-untyped-def]
        async def hook(**kwargs: Any) -> None:
            latencies.append(time.perf_counter() - kwargs["sent"])
            if len(latencies) >= expected:
                done.set()

        hook.__name__ = hook.__qualname__ = f"hook_{index}"
        return hook

    for i in range(10):
        service.register("bench_event", make_hook(i), priority=i)
    if with_sleeper:

        async def sleeper(**kwargs: Any) -> None:
            await asyncio.sleep(10)

        service.register("bench_event", sleeper, priority=100)  # runs "first"
    start = time.perf_counter()
    for n in range(events):
        await service.emit("bench_event", sent=time.perf_counter(), n=n)
        if rate:
            await asyncio.sleep(1 / rate)
        elif n % 100 == 99:
            await asyncio.sleep(0)
    await asyncio.wait_for(done.wait(), 60)
    elapsed = time.perf_counter() - start
    stats = service.stats()
    await service.stop()
    ms = [v * 1000 for v in latencies]
    return {
        "events": events,
        "hook_calls": len(latencies),
        "seconds": round(elapsed, 3),
        "hook_calls_per_s": round(len(latencies) / elapsed),
        "latency_ms_p50": round(statistics.median(ms), 3),
        "latency_ms_p99": round(percentile(ms, 99), 3),
        "latency_ms_max": round(max(ms), 3),
        "dropped": stats.get("dropped"),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    results = {
        "burst_10_hooks": await run(args.events, False, None),
        "paced_10_hooks": await run(2_000, False, 1000.0),
        "paced_10_hooks_plus_sleeping_hook": await run(2_000, True, 1000.0),
    }
    for name, r in results.items():
        print(
            f"{name:<36} {r['hook_calls_per_s']:>8}/s hook calls, latency p50 "
            f"{r['latency_ms_p50']} ms, p99 {r['latency_ms_p99']} ms, max "
            f"{r['latency_ms_max']} ms"
        )
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
