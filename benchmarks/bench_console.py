"""The console's cost: the same bot headless and inside the console, under the same load.

The sandbox (its own process) drives ~200 ``!ping`` messages/s at the bot and times every
reply. The bot runs in this process, and the load runs in windows that alternate between
headless (the Runtime alone) and inside the console (a fresh ``ZoryxConsole`` on the same
runtime, run by Textual's headless driver at 120x40 with the Overview pane refreshing
every 2 s: it renders every frame, only the terminal writes are skipped), in ABBA order
(headless, console; console, headless; ...) so that the shared machine's drift falls on
both. For each mode, over all its windows pooled: the process CPU share, event-loop lag
p50/p99/max (a 10 ms ticker) and reply latency p50/p99/max; each window's own p99 is kept
as well, to show the spread, with their median (one window hit by a stall of the shared
host cannot move it, while it can swamp the pooled p99).

Messages go out evenly spaced, or with ``--poisson`` at random moments (bursts and
lulls). With ``--aa`` both slots run headless (an A/A run): the ratios it gives are the
benchmark's own noise on this machine.

Run: python benchmarks/bench_console.py [--json PATH] [--rate 200] [--seconds 10]
         [--rounds 4] [--poisson] [--aa]
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

CONSOLE_SETTLE_SECONDS = 2.0  # panes painted and the console's heap frozen (after 1 s)


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


def _pct(ordered: list[float], p: float) -> float:
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 2) if ordered else 0.0


async def window(sb: Any, rate: float, seconds: float, poisson: bool = False) -> dict[str, Any]:
    """One load window: CPU seconds, wall seconds, lag samples and reply latencies."""
    proc = psutil.Process(os.getpid())
    await sb.paced(rate, 1)  # warm-up
    cpu0, wall0 = sum(proc.cpu_times()[:2]), time.perf_counter()
    with LagMonitor() as lag:
        replies = await sb.paced(rate, seconds, raw=True, poisson=poisson)
    return {
        "cpu_s": sum(proc.cpu_times()[:2]) - cpu0,
        "wall_s": time.perf_counter() - wall0,
        "lag_ms": lag.samples,
        "latencies_ms": replies["latencies_ms"],
        "sent": replies["sent"],
        "answered": replies["answered"],
        "p99_ms": replies["p99_ms"],
    }


async def console_window(
    runtime: Any, sb: Any, rate: float, seconds: float, poisson: bool = False
) -> dict[str, Any]:
    from tui.app import ZoryxConsole

    app = ZoryxConsole(runtime=runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(CONSOLE_SETTLE_SECONDS)
        result = await window(sb, rate, seconds, poisson)
        with contextlib.suppress(Exception):
            app.exit(0)
    return result


def summarize(windows: list[dict[str, Any]]) -> dict[str, Any]:
    lag = sorted(v for w in windows for v in w["lag_ms"])
    replies = sorted(v for w in windows for v in w["latencies_ms"])
    cpu = sum(w["cpu_s"] for w in windows)
    wall = sum(w["wall_s"] for w in windows)
    return {
        "windows": len(windows),
        "cpu_percent": round(100 * cpu / wall, 1),
        "lag_p50_ms": round(statistics.median(lag), 2),
        "lag_p99_ms": _pct(lag, 0.99),
        "lag_max_ms": round(lag[-1], 2),
        "sent": sum(w["sent"] for w in windows),
        "answered": sum(w["answered"] for w in windows),
        "p50_ms": _pct(replies, 0.50),
        "p99_ms": _pct(replies, 0.99),
        "max_ms": round(replies[-1], 2),
        "window_p99_ms": [w["p99_ms"] for w in windows],
        "window_p99_median_ms": round(statistics.median(w["p99_ms"] for w in windows), 2),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one window")
    parser.add_argument("--rounds", type=int, default=4, help="ABBA rounds (2 windows each)")
    parser.add_argument(
        "--poisson",
        action="store_true",
        help="messages at random moments (Poisson arrivals) instead of evenly spaced",
    )
    parser.add_argument(
        "--aa",
        action="store_true",
        help="run headless in the console's windows too: the benchmark's own noise floor",
    )
    args = parser.parse_args()

    runs: dict[str, list[dict[str, Any]]] = {"headless": [], "console": []}
    with sandbox_process() as sb:
        async with running_zoryx(sb) as runtime:
            for round_no in range(args.rounds):
                order = ("headless", "console") if round_no % 2 == 0 else ("console", "headless")
                for mode in order:
                    if mode == "headless" or args.aa:
                        result = await window(sb, args.rate, args.seconds, args.poisson)
                    else:
                        result = await console_window(
                            runtime, sb, args.rate, args.seconds, args.poisson
                        )
                    runs[mode].append(result)
                    print(f"round {round_no + 1} {mode:>8}: reply p99 {result['p99_ms']} ms")
    results: dict[str, Any] = {
        "rate": args.rate,
        "seconds_per_window": args.seconds,
        "rounds": args.rounds,
        "order": "ABBA",
        "arrivals": "poisson" if args.poisson else "evenly spaced",
        "aa_noise_floor": args.aa,
    }
    for mode, windows in runs.items():
        results[mode] = summarize(windows)
    compare(results, "headless", "console", "console_cpu_share_percent")
    print(
        f"console CPU share: {results['console_cpu_share_percent']} points; reply p99 ratio "
        f"console/headless: {results['reply_p99_ratio']} pooled, "
        f"{results['reply_p99_ratio_window_median']} median of windows"
    )
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(results, indent=2))


def compare(results: dict[str, Any], base: str, other: str, cpu_key: str) -> None:
    """Add ``other``'s cost against ``base`` to ``results`` (CPU points under ``cpu_key``,
    reply p99 ratios pooled and as the median of the windows' p99s) and print both modes.
    """
    ref, new = results[base], results[other]
    results[cpu_key] = round(new["cpu_percent"] - ref["cpu_percent"], 1)
    results["reply_p99_ratio"] = round(new["p99_ms"] / ref["p99_ms"], 3) if ref["p99_ms"] else None
    # A stall of the shared host (tens of ms, seen as loop lag in either mode) can swamp
    # the pooled p99 of whichever mode it hits; the median of the windows' p99s is not
    # moved by one such window.
    results["reply_p99_ratio_window_median"] = (
        round(new["window_p99_median_ms"] / ref["window_p99_median_ms"], 3)
        if ref["window_p99_median_ms"]
        else None
    )
    for name in (base, other):
        r = results[name]
        print(
            f"{name:>10}: CPU {r['cpu_percent']}%, loop lag p50/p99/max {r['lag_p50_ms']}/"
            f"{r['lag_p99_ms']}/{r['lag_max_ms']} ms, reply p50/p99/max {r['p50_ms']}/"
            f"{r['p99_ms']}/{r['max_ms']} ms ({r['answered']}/{r['sent']} answered; "
            f"window p99s {r['window_p99_ms']})"
        )


if __name__ == "__main__":
    asyncio.run(main())
