"""Sandbox throughput and scale: ``!ping`` round trips/s of a bare discord.py bot through the
sandbox (1 and 50 in flight), and time + memory to READY for 1,000 guilds x 100 members.

The sandbox runs in its own process and generates the load on its own loop; the bot runs in
this process. Run: python benchmarks/bench_sandbox.py [--json PATH] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import sys
from pathlib import Path
from typing import Any

from _harness import now, process_stats, running_bare, sandbox_process


async def ping_rates(quick: bool) -> dict[str, Any]:
    total = 2_000 if quick else 10_000
    out: dict[str, Any] = {}
    with sandbox_process() as sb:
        async with running_bare(sb):
            await sb.load(200, 10)  # warm-up
            for in_flight in (1, 50):
                result = await sb.load(total, in_flight)
                out[f"in_flight_{in_flight}"] = result
                print(
                    f"bare discord.py !ping, {in_flight:>2} in flight: "
                    f"{result['per_second']:>7.0f} round trips/s ({total} commands)"
                )
    return out


async def ready_at_scale(guilds: int, members: int) -> dict[str, Any]:
    gc.collect()
    before = process_stats()
    with sandbox_process("--guilds", str(guilds), "--members", str(members)) as sb:
        sandbox_rss = (await sb.get("/_bench/stats"))["rss"] / 2**20
        start = now()
        async with running_bare(sb) as bot:
            seconds = now() - start
            gc.collect()
            after = process_stats()
            cached_members = sum(g.member_count or 0 for g in bot.guilds)
            result = {
                "guilds": len(bot.guilds),
                "members_cached": len(bot.users),
                "member_count_total": cached_members,
                "seconds_to_ready": round(seconds, 2),
                "bot_rss_delta_mb": round(after["rss_mb"] - before["rss_mb"], 1),
                "sandbox_rss_mb": round(sandbox_rss, 1),
            }
    print(
        f"READY with {guilds} guilds x {members} members: {result['seconds_to_ready']} s, "
        f"bot +{result['bot_rss_delta_mb']} MB, sandbox {result['sandbox_rss_mb']} MB"
    )
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", help="write results to this file")
    parser.add_argument("--quick", action="store_true", help="smaller runs (CI smoke)")
    args = parser.parse_args()
    results = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "ping": await ping_rates(args.quick),
        "ready": await ready_at_scale(100 if args.quick else 1000, 100),
    }
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
