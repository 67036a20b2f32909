"""An attached console's cost to a headless bot, and the bytes on its control socket.

The bot runs headless in this process (``running_zoryx``: the same ``Runtime`` as
``zoryx run --headless``, which serves its control socket from ``Runtime.start``); the
sandbox (its own process) drives ~200 ``!ping``/s at it and times every reply. Windows
alternate in ABBA order between no console and one attached console: a fresh
``ZoryxConsole(source=RemoteSource(...))`` in its own process (``_console_process.py``,
Textual's headless driver at 120x40, Overview pane refreshing every 2 s), started and
settled before its window begins. Per mode, as in ``bench_console.py`` (whose window and
summary this reuses): bot CPU share, loop lag p50/p99/max, reply latency p50/p99/max, and
each window's p99 with their median. For the attached windows, the bytes on the control
socket in each direction (counted by a relay in the console's process) and the console
process's own CPU share.

Run: python benchmarks/bench_attach.py [--json PATH] [--rate 200] [--seconds 10]
         [--rounds 4] [--aa]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from _harness import HERE, _stop_bot, running_zoryx, sandbox_process
from bench_console import CONSOLE_SETTLE_SECONDS, compare, summarize, window

WARM_UP_SECONDS = 5.0


@dataclass
class AttachedConsole:
    """A console process attached to the bot: byte counts and CPU reads of it."""

    proc: asyncio.subprocess.Process
    ps: psutil.Process

    async def byte_counts(self) -> dict[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(b"bytes\n")
        await self.proc.stdin.drain()
        return json.loads(await asyncio.wait_for(self.proc.stdout.readline(), 30))  # type: ignore[no-any-return]

    def cpu_seconds(self) -> float:
        times = self.ps.cpu_times()
        return float(times.user + times.system)


@contextlib.asynccontextmanager
async def attached_console(socket_path: Path) -> AsyncIterator[AttachedConsole]:
    """A settled console attached to ``socket_path``, in its own process."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "_console_process.py"),
        "--socket",
        str(socket_path),
        "--settle",
        str(CONSOLE_SETTLE_SECONDS),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 120)
        if not line:
            raise RuntimeError(f"the console process exited ({await proc.wait()}) before ready")
        info = json.loads(line)
        assert info["ready"] and info["pid"] == proc.pid, info
        yield AttachedConsole(proc, psutil.Process(proc.pid))
    finally:
        code = await _stop_bot(proc)  # the same stop + EOF on stdin protocol
    if code != 0:
        raise RuntimeError(f"the console process exited with {code}")


async def attached_window(
    socket_path: Path, sb: Any, rate: float, seconds: float
) -> dict[str, Any]:
    async with attached_console(socket_path) as console:
        before, cpu0, wall0 = (
            await console.byte_counts(),
            console.cpu_seconds(),
            time.perf_counter(),
        )
        result = await window(sb, rate, seconds)
        after, cpu1, wall1 = await console.byte_counts(), console.cpu_seconds(), time.perf_counter()
    wall = wall1 - wall0
    result["socket_bytes"] = {key: after[key] - before[key] for key in after}
    result["socket_seconds"] = wall
    result["console_cpu_percent"] = round(100 * (cpu1 - cpu0) / wall, 1)
    return result


def socket_summary(windows: list[dict[str, Any]]) -> dict[str, Any]:
    """Bytes/s on the control socket, per window and over all windows."""
    seconds = sum(w["socket_seconds"] for w in windows)
    per_window = [round(sum(w["socket_bytes"].values()) / w["socket_seconds"]) for w in windows]
    return {
        "to_console_bytes_per_s": round(
            sum(w["socket_bytes"]["to_console"] for w in windows) / seconds
        ),
        "to_bot_bytes_per_s": round(sum(w["socket_bytes"]["to_bot"] for w in windows) / seconds),
        "total_bytes_per_s": round(sum(sum(w["socket_bytes"].values()) for w in windows) / seconds),
        "window_total_bytes_per_s": per_window,
        "console_cpu_percent": [w["console_cpu_percent"] for w in windows],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one window")
    parser.add_argument("--rounds", type=int, default=4, help="ABBA rounds (2 windows each)")
    parser.add_argument(
        "--aa",
        action="store_true",
        help="no console in the attached windows too: the benchmark's own noise floor",
    )
    args = parser.parse_args()

    load_before = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {"no_console": [], "attached": []}
    with sandbox_process() as sb:
        async with running_zoryx(sb) as runtime:
            socket_path = runtime.control_settings.socket_path
            await window(sb, args.rate, WARM_UP_SECONDS)  # discarded: first-window effects
            for round_no in range(args.rounds):
                order = (
                    ("no_console", "attached") if round_no % 2 == 0 else ("attached", "no_console")
                )
                for mode in order:
                    if mode == "no_console" or args.aa:
                        result = await window(sb, args.rate, args.seconds)
                    else:
                        result = await attached_window(socket_path, sb, args.rate, args.seconds)
                    runs[mode].append(result)
                    print(f"round {round_no + 1} {mode:>10}: reply p99 {result['p99_ms']} ms")
    results: dict[str, Any] = {
        "rate": args.rate,
        "seconds_per_window": args.seconds,
        "rounds": args.rounds,
        "order": "ABBA",
        "arrivals": "evenly spaced",
        "aa_noise_floor": args.aa,
        "cpus": os.cpu_count(),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }
    for mode, windows in runs.items():
        results[mode] = summarize(windows)
    if not args.aa:
        results["attached"]["socket"] = socket_summary(runs["attached"])
    compare(results, "no_console", "attached", "bot_cpu_share_points")
    att = results["attached"]
    sock = att.get("socket")
    if sock:
        print(
            f"control socket: {sock['total_bytes_per_s']} B/s ({sock['to_console_bytes_per_s']} to "
            f"the console, {sock['to_bot_bytes_per_s']} to the bot; per window "
            f"{sock['window_total_bytes_per_s']}); console process CPU "
            f"{sock['console_cpu_percent']}%"
        )
    print(
        f"bot CPU share of the attached console: {results['bot_cpu_share_points']} points; "
        f"reply p99 attached/none: {results['reply_p99_ratio']} pooled, "
        f"{results['reply_p99_ratio_window_median']} median of windows; load average "
        f"{results['load_average_before']} -> {results['load_average_after']}"
    )
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
