"""Zoryx vs a bare discord.py bot through the same sandbox, in one run.

Measures ``!ping`` round trips/s with 1 and 50 commands in flight, a sustained run with
memory sampled along the way, and threads/open files of the Zoryx process with 1 and 200
guilds (each guild used once, so its settings are read and its usage counted).

The sandbox runs in its own process and generates the load; the bot runs here. The Zoryx
bot is a fresh bot directory with every framework cog its defaults enable, a ``ping``
extension identical to the bare bot's command, and the default cooldown raised (one
benchmark user sends thousands of commands per second).

Run: python benchmarks/bench_runtime.py [--json PATH] [--sustained N] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

import psutil
from _harness import process_stats, running_bare, running_zoryx, sandbox_process


def _cpu_seconds() -> float:
    """CPU time of this (the bot's) process: less noisy than wall-clock rates on a shared VM."""
    times = psutil.Process(os.getpid()).cpu_times()
    return float(times.user + times.system)


async def throughput(total: int, rounds: int) -> dict[str, Any]:
    """Alternate bare and Zoryx for several rounds and keep the median of each figure.

    Both bots cannot be connected at once (they would both answer), and a shared 2-core
    machine drifts; alternating rounds spreads that drift over both bots evenly.
    """
    samples: dict[str, dict[str, list[float]]] = {"bare": {}, "zoryx": {}}
    with sandbox_process() as sb:
        for _ in range(rounds):
            for name, runner in (("bare", running_bare), ("zoryx", running_zoryx)):
                async with runner(sb):
                    await sb.load(300, 10)
                    for in_flight in (1, 50):
                        cpu0 = _cpu_seconds()
                        result = await sb.load(total, in_flight)
                        cpu_us = (_cpu_seconds() - cpu0) / total * 1e6
                        samples[name].setdefault(f"in_flight_{in_flight}", []).append(
                            result["per_second"])
                        samples[name].setdefault(f"cpu_us_per_command_{in_flight}", []).append(
                            round(cpu_us, 1))
    out: dict[str, Any] = {"rounds": rounds, "samples": samples}
    for name, figures in samples.items():
        out[name] = {key: statistics.median(values) for key, values in figures.items()}
    for in_flight in (1, 50):
        cpu_key = f"cpu_us_per_command_{in_flight}"
        out.setdefault("cpu_ratio", {})[cpu_key] = round(
            out["bare"][cpu_key] / out["zoryx"][cpu_key], 3)
        print(f"bot CPU per command, {in_flight:>2} in flight (median): bare "
              f"{out['bare'][cpu_key]} µs, Zoryx {out['zoryx'][cpu_key]} µs "
              f"(bare/Zoryx = {out['cpu_ratio'][cpu_key]})")
        key = f"in_flight_{in_flight}"
        out.setdefault("ratio", {})[key] = round(out["zoryx"][key] / out["bare"][key], 3)
        print(f"!ping {in_flight:>2} in flight (median of {rounds}): bare "
              f"{out['bare'][key]:>6.0f}/s, Zoryx {out['zoryx'][key]:>6.0f}/s, "
              f"ratio {out['ratio'][key]}")
    return out


async def sustained(total: int, step: int, zoryx_first: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"order": "zoryx, bare" if zoryx_first else "bare, zoryx"}
    order = [("bare", running_bare), ("zoryx", running_zoryx)]
    if zoryx_first:
        order.reverse()
    with sandbox_process() as sb:
        for name, runner in order:
            async with runner(sb):
                rates, rss = [], []
                for _ in range(total // step):
                    result = await sb.load(step, 50)
                    gc.collect()
                    rates.append(round(result["per_second"]))
                    rss.append(process_stats()["rss_mb"])
                out[name] = {"rates": rates, "rss_mb": rss,
                             "rss_growth_mb": round(rss[-1] - rss[0], 1)}
                print(f"{name:>5} sustained {total}: rates {rates} /s, RSS {rss} MB")
    out["ratio_mean"] = round(
        (sum(out["zoryx"]["rates"]) / len(out["zoryx"]["rates"]))
        / (sum(out["bare"]["rates"]) / len(out["bare"]["rates"])), 3)
    print(f"sustained Zoryx/bare mean ratio: {out['ratio_mean']}")
    return out


async def resources(guild_counts: tuple[int, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for guilds in guild_counts:
        with sandbox_process("--guilds", str(guilds), "--members", "5") as sb:
            async with running_zoryx(sb):
                channels = await sb.get("/_bench/channels")
                for channel in channels:
                    await sb.load(2, 1, channel_id=channel)
                await asyncio.sleep(0.5)
                stats = process_stats()
                out[str(guilds)] = {"threads": stats["threads"], "fds": stats["fds"],
                                    "open_files": stats["open_files"]}
                print(f"Zoryx with {guilds:>3} guilds used: {stats['threads']} threads, "
                      f"{stats['open_files']} open files, {stats['fds']} fds")
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sustained", type=int, default=60_000)
    args = parser.parse_args()
    total = 2_000 if args.quick else 10_000
    sustained_total = 10_000 if args.quick else args.sustained
    results = {"python": sys.version.split()[0],
               "throughput": await throughput(total, 1 if args.quick else 3),
               "sustained": [await sustained(sustained_total, sustained_total // 6, first)
                             for first in (False, True)],
               "resources": await resources((1, 200))}
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
