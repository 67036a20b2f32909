"""The garbage collector's share of a Zoryx bot's CPU, with and without ``zoryx/gctune.py``.

Runs the Zoryx bot in this process (a fresh child process per case, so one case's frozen
heap never leaks into the other), drives ``!ping`` with 50 in flight, and times every
collection with ``gc.callbacks``: collections per generation and GC milliseconds per
1,000 commands, next to the process CPU per command.

Run: python benchmarks/bench_gc.py [--json PATH] [--total N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from _harness import running_zoryx, sandbox_process


async def measure(total: int) -> dict[str, Any]:
    """One case, in this (child) process: returns GC and CPU figures per command."""
    per_gen: dict[int, list[float]] = {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}
    started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            entry = per_gen[info["generation"]]
            entry[0] += 1
            entry[1] += time.perf_counter() - started[0]

    proc = psutil.Process(os.getpid())
    with sandbox_process() as sb:
        async with running_zoryx(sb):
            await sb.load(500, 10)
            gc.callbacks.append(on_gc)
            cpu0 = sum(proc.cpu_times()[:2])
            result = await sb.load(total, 50)
            cpu = sum(proc.cpu_times()[:2]) - cpu0
            gc.callbacks.remove(on_gc)
            thresholds = gc.get_threshold()
    gc_seconds = sum(t for _, t in per_gen.values())
    return {
        "thresholds": thresholds,
        "frozen_objects": gc.get_freeze_count(),
        "collections": {str(g): int(n) for g, (n, _) in per_gen.items()},
        "gc_us_per_command": round(gc_seconds / total * 1e6, 1),
        "cpu_us_per_command": round(cpu / total * 1e6, 1),
        "gc_share_percent": round(100 * gc_seconds / cpu, 1) if cpu else None,
        "per_second": result["per_second"],
    }


def run_case(tuned: bool, total: int) -> dict[str, Any]:
    env = {**os.environ, "ZORYX_GC_TUNING": "1" if tuned else "0"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--total", str(total)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--total", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(measure(args.total))))
        return
    results: dict[str, Any] = {"total": args.total, "in_flight": 50, "untuned": [], "tuned": []}
    for _ in range(args.rounds):  # alternate, so drift of the machine hits both
        for name in ("untuned", "tuned"):
            case = run_case(name == "tuned", args.total)
            results[name].append(case)
            print(
                f"{name:>8}: GC {case['gc_us_per_command']} µs/command "
                f"({case['gc_share_percent']} % of {case['cpu_us_per_command']} µs CPU), "
                f"collections {case['collections']}, thresholds {case['thresholds']}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
