"""Zoryx vs a bare discord.py bot through the same sandbox, in one run.

Measures ``!ping`` round trips/s and bot CPU per command with 1 and 50 commands in flight,
a sustained run with the bot's memory and CPU sampled along the way, and threads/open
files of the Zoryx process with 1 and 200 guilds (each guild used once, so its settings
are read and its usage counted).

The sandbox runs in its own process and generates the load. Every bot runs in a fresh
process of its own (``_bot_process.py``), so no run inherits another's heap, modules or
garbage; CPU and memory figures are read from that process. Throughput rounds alternate
in ABBA order (bare, Zoryx; Zoryx, bare; ...) so that drift of the shared machine falls
on both bots evenly. The Zoryx bot is a fresh bot directory with every framework cog its
defaults enable, a ``ping`` extension identical to the bare bot's command, and the default
cooldown raised (one benchmark user sends thousands of commands per second).

The Zoryx bot tunes the garbage collector once ready, as ``zoryx run`` and ``zoryx tui``
do (``zoryx/gctune.py``); ``--no-gc-tuning`` runs it without (``ZORYX_GC_TUNING=0``), to
show the framework's own cost. ``--variant core`` (or ``ZORYX_BENCH_NO_FRAMEWORK=1``) runs
Zoryx without framework cogs. ``--only throughput`` skips the sustained and resource runs.

Run: python benchmarks/bench_runtime.py [--json PATH] [--sustained N] [--quick]
         [--rounds N] [--variant full|core] [--no-gc-tuning] [--only throughput]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from _harness import BotProcess, SandboxProcess, bot_process, sandbox_process

IN_FLIGHT = (1, 50)


def _bot(
    sb: SandboxProcess, kind: str, no_framework: bool
) -> contextlib.AbstractAsyncContextManager[BotProcess]:
    return bot_process(sb, kind, no_framework=no_framework and kind == "zoryx")


async def _timed_load(
    sb: SandboxProcess, bot: BotProcess, total: int, in_flight: int
) -> tuple[float, float]:
    """``total`` commands with ``in_flight`` at once: (round trips/s, bot CPU µs/command)."""
    cpu0 = bot.cpu_seconds()
    result = await sb.load(total, in_flight)
    cpu_us = (bot.cpu_seconds() - cpu0) / total * 1e6
    return float(result["per_second"]), round(cpu_us, 1)


async def throughput(total: int, rounds: int, no_framework: bool = False) -> dict[str, Any]:
    """Bare and Zoryx for several rounds in ABBA order; the median of each figure.

    Both bots cannot be connected at once (they would both answer), and a shared 2-core
    machine drifts; alternating the order each round spreads that drift over both bots.
    """
    samples: dict[str, dict[str, list[float]]] = {"bare": {}, "zoryx": {}}
    with sandbox_process() as sb:
        for round_no in range(rounds):
            order = ("bare", "zoryx") if round_no % 2 == 0 else ("zoryx", "bare")
            for name in order:
                async with _bot(sb, name, no_framework) as bot:
                    await sb.load(300, 10)  # warm-up
                    for in_flight in IN_FLIGHT:
                        rate, cpu_us = await _timed_load(sb, bot, total, in_flight)
                        samples[name].setdefault(f"in_flight_{in_flight}", []).append(rate)
                        samples[name].setdefault(f"cpu_us_per_command_{in_flight}", []).append(
                            cpu_us
                        )
    out: dict[str, Any] = {
        "rounds": rounds,
        "order": "ABBA",
        "zoryx_framework": not no_framework,
        "samples": samples,
    }
    for name, figures in samples.items():
        out[name] = {key: statistics.median(values) for key, values in figures.items()}
    out["ratio"], out["cpu_ratio"] = {}, {}
    for in_flight in IN_FLIGHT:
        cpu_key = f"cpu_us_per_command_{in_flight}"
        out["cpu_ratio"][cpu_key] = round(out["bare"][cpu_key] / out["zoryx"][cpu_key], 3)
        print(
            f"bot CPU per command, {in_flight:>2} in flight (median of {rounds}): bare "
            f"{out['bare'][cpu_key]} µs, Zoryx {out['zoryx'][cpu_key]} µs "
            f"(bare/Zoryx = {out['cpu_ratio'][cpu_key]})"
        )
        key = f"in_flight_{in_flight}"
        out["ratio"][key] = round(out["zoryx"][key] / out["bare"][key], 3)
        print(
            f"!ping {in_flight:>2} in flight (median of {rounds}): bare "
            f"{out['bare'][key]:>6.0f}/s, Zoryx {out['zoryx'][key]:>6.0f}/s, "
            f"ratio {out['ratio'][key]}"
        )
    return out


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


async def sustained(
    total: int, step: int, zoryx_first: bool = False, no_framework: bool = False
) -> dict[str, Any]:
    """``total`` commands, 50 in flight, per bot in its own process; sampled every ``step``.

    RSS is the bot process's as it is: it cannot be ``gc.collect()``-ed from here, so it
    includes garbage not yet collected (the in-process version collected before sampling).
    """
    out: dict[str, Any] = {"order": "zoryx, bare" if zoryx_first else "bare, zoryx"}
    order = ["zoryx", "bare"] if zoryx_first else ["bare", "zoryx"]
    with sandbox_process() as sb:
        for name in order:
            async with _bot(sb, name, no_framework) as bot:
                rates: list[float] = []
                cpu: list[float] = []
                rss: list[float] = []
                for _ in range(total // step):
                    rate, cpu_us = await _timed_load(sb, bot, step, 50)
                    rates.append(round(rate))
                    cpu.append(cpu_us)
                    rss.append(bot.stats()["rss_mb"])
                out[name] = {
                    "rates": rates,
                    "cpu_us_per_command": cpu,
                    "rss_mb": rss,
                    "rss_growth_mb": round(rss[-1] - rss[0], 1),
                }
                print(
                    f"{name:>5} sustained {total}: rates {rates} /s, CPU {cpu} µs/command, "
                    f"RSS {rss} MB"
                )
    out["ratio_mean"] = round(_mean(out["zoryx"]["rates"]) / _mean(out["bare"]["rates"]), 3)
    out["cpu_ratio_mean"] = round(
        _mean(out["bare"]["cpu_us_per_command"]) / _mean(out["zoryx"]["cpu_us_per_command"]), 3
    )
    print(
        f"sustained ({out['order']}) Zoryx/bare mean rate ratio: {out['ratio_mean']}, "
        f"bare/Zoryx mean CPU ratio: {out['cpu_ratio_mean']}"
    )
    return out


async def resources(guild_counts: tuple[int, ...], no_framework: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for guilds in guild_counts:
        with sandbox_process("--guilds", str(guilds), "--members", "5") as sb:
            async with _bot(sb, "zoryx", no_framework) as bot:
                channels = await sb.get("/_bench/channels")
                for channel in channels:
                    await sb.load(2, 1, channel_id=channel)
                await asyncio.sleep(0.5)
                stats = bot.stats()
                out[str(guilds)] = {
                    "threads": stats["threads"],
                    "fds": stats["fds"],
                    "open_files": stats["open_files"],
                }
                print(
                    f"Zoryx with {guilds:>3} guilds used: {stats['threads']} threads, "
                    f"{stats['open_files']} open files, {stats['fds']} fds"
                )
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sustained", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, help="throughput rounds (default 4, quick 2)")
    parser.add_argument(
        "--variant",
        choices=("full", "core"),
        default="core" if os.environ.get("ZORYX_BENCH_NO_FRAMEWORK") else "full",
        help="Zoryx with its framework cogs (full) or without (core)",
    )
    parser.add_argument(
        "--no-gc-tuning", action="store_true", help="Zoryx without its garbage-collector tuning"
    )
    parser.add_argument("--only", choices=("throughput",))
    args = parser.parse_args()
    if args.no_gc_tuning:
        os.environ["ZORYX_GC_TUNING"] = "0"  # inherited by the bot processes
    no_framework = args.variant == "core"
    total = 2_000 if args.quick else 10_000
    rounds = args.rounds or (2 if args.quick else 4)
    sustained_total = 10_000 if args.quick else args.sustained
    results: dict[str, Any] = {
        "python": sys.version.split()[0],
        "bots": "one process each",
        "zoryx_framework": not no_framework,
        "zoryx_gc_tuning": not args.no_gc_tuning,
        "throughput": await throughput(total, rounds, no_framework),
    }
    if args.only is None:
        results["sustained"] = [
            await sustained(sustained_total, sustained_total // 6, first, no_framework)
            for first in (False, True)
        ]
        results["resources"] = await resources((1, 200), no_framework)
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
