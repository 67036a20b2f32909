"""Time to ready of a Zoryx bot in thousands of large guilds, for each chunking strategy.

Each case runs in a fresh child process: a Zoryx runtime (every default framework cog, a
``ping`` extension) on the embedded sandbox with ``many_guilds_world`` — guilds of 260
members, so each one needs a member request ("chunk") to be complete, as on Discord — and
``members.chunking`` set to the case's strategy. The sandbox enforces Discord's gateway
send limit (120 per 60 s per connection); discord.py keeps 10 of those for heartbeats.

Per case: seconds from ``Runtime.start()`` to its return, guilds chunked at ready, the
discord.py rate-limit waits ("WebSocket … is ratelimited, waiting N seconds") and their
total, the seconds until the bot answered ``!ping`` in the first guild that arrived, and
the process's memory at ready (bot and sandbox share the process).

The rate-limit floor of a case is the least time the send limit allows for its sends (the
IDENTIFY and one request per chunked guild): 60 s × (⌈sends / 120⌉ − 1). discord.py's own
pacing (110 at once, then 111 a minute) gives 60 s × ⌈(sends − 110) / 111⌉. The ``startup``
strategy is measured with fewer guilds and computed for the full count.

Run: python benchmarks/bench_startup.py [--json PATH] [--guilds N] [--members N]
         [--startup-guilds N,N] [--only auto,lazy,off,startup]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEND_LIMIT = 120  # the gateway's sends per window, per connection
WINDOW = 60.0
DISCORDPY_BURST = 110  # discord.py's own budget per window (10 kept for heartbeats)
PING = """
from discord.ext import commands


@commands.command()
async def ping(ctx):
    await ctx.send("pong")


async def setup(bot):
    bot.add_command(ping)
"""
_WAIT = re.compile(r"is ratelimited, waiting ([0-9.]+) seconds")


def rate_limit_floor(sends: int) -> float:
    """Least seconds the gateway send limit allows for ``sends`` sends on one connection."""
    return WINDOW * max(0, math.ceil(sends / SEND_LIMIT) - 1)


def discordpy_pacing(sends: int) -> float:
    """Seconds until discord.py's limiter lets the last of ``sends`` sends go."""
    return WINDOW * max(0, math.ceil((sends - DISCORDPY_BURST) / (DISCORDPY_BURST + 1)))


class _Waits(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = _WAIT.search(record.getMessage())
        if found:
            self.waits.append(float(found.group(1)))


async def _first_reply(rt: Any, t0: float) -> float | None:
    """Seconds from start until the bot answered ``!ping`` in the first guild that arrived."""
    arrived = asyncio.Event()

    async def on_event(name: str) -> None:
        if name == "GUILD_CREATE":
            arrived.set()

    rt.bot.add_listener(on_event, "on_socket_event_type")
    await arrived.wait()  # the listener runs after discord.py parsed that GUILD_CREATE
    rt.bot.remove_listener(on_event, "on_socket_event_type")
    guild = next(g for g in rt.bot.guilds if not g.unavailable)
    sandbox = rt.sandbox
    await sandbox.user("owner").say("#general", "!ping", guild=guild.name)
    await sandbox.expect_message("#general", guild=guild.name, content="pong", timeout=600)
    return round(time.perf_counter() - t0, 2)


async def run_case(strategy: str, guilds: int, members: int) -> dict[str, Any]:
    """One case, in this (child) process."""
    import psutil

    from zoryx.runtime import Runtime
    from zoryx.sandbox.world_startup import many_guilds_world

    waits = _Waits()
    logging.getLogger("discord.gateway").addHandler(waits)
    bot_dir = Path(tempfile.mkdtemp(prefix="zoryx-bench-startup-"))
    (bot_dir / "extensions").mkdir()
    (bot_dir / "extensions" / "ping.py").write_text(PING, encoding="utf-8")
    config = {"auto_reload": False, "members": {"chunking": strategy}}
    (bot_dir / "config.json").write_text(json.dumps(config), encoding="utf-8")
    rt = Runtime(
        bot_dir,
        console_logging=False,
        environ={},
        sandbox_options={"world": many_guilds_world(guilds, members)},
    )
    await rt.build()
    t0 = time.perf_counter()
    reply = asyncio.create_task(_first_reply(rt, t0))
    try:
        ready = await rt.start()
        seconds = time.perf_counter() - t0
        first_reply = await asyncio.wait_for(reply, 600)
        (shard,) = rt.bot.startup.progress()
        rss = psutil.Process(os.getpid()).memory_info().rss
    finally:
        reply.cancel()
        await rt.shutdown("benchmark done")
        shutil.rmtree(bot_dir, ignore_errors=True)
    chunked = shard.guilds_chunked
    sends = 1 + (chunked if strategy in ("startup", "auto") else 0)
    return {
        "strategy": strategy,
        "guilds": ready.guilds,
        "members_per_guild": members,
        "ready_seconds": round(seconds, 2),
        "chunked_at_ready": chunked,
        "gateway_sends_needed": sends,
        "rate_limit_floor_seconds": rate_limit_floor(sends),
        "discordpy_pacing_seconds": discordpy_pacing(sends),
        "rate_limit_waits": len(waits.waits),
        "rate_limit_wait_seconds": round(sum(waits.waits), 2),
        "first_reply_seconds": first_reply,
        "rss_mb_at_ready": round(rss / 2**20, 1),
    }


def _child(strategy: str, guilds: int, members: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--case", strategy, "--guilds", str(guilds)]
    cmd += ["--members", str(members)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--guilds", type=int, default=2_500)
    parser.add_argument("--members", type=int, default=260)
    parser.add_argument("--startup-guilds", default="120,250")
    parser.add_argument("--only", default="auto,lazy,off,startup")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(asyncio.run(run_case(args.case, args.guilds, args.members))))
        return
    cases: list[dict[str, Any]] = []
    for strategy in args.only.split(","):
        counts = [int(n) for n in args.startup_guilds.split(",")]
        for guilds in counts if strategy == "startup" else [args.guilds]:
            result = _child(strategy, guilds, args.members)
            if result["rate_limit_floor_seconds"]:
                result["over_floor"] = round(
                    result["ready_seconds"] / result["rate_limit_floor_seconds"], 3
                )
            print(json.dumps(result), flush=True)
            cases.append(result)
    full_sends = 1 + args.guilds
    summary = {
        "cases": cases,
        "startup_at_full_count": {
            "guilds": args.guilds,
            "gateway_sends_needed": full_sends,
            "rate_limit_floor_seconds": rate_limit_floor(full_sends),
            "discordpy_pacing_seconds": discordpy_pacing(full_sends),
            "over_floor": round(discordpy_pacing(full_sends) / rate_limit_floor(full_sends), 3),
        },
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(summary["startup_at_full_count"]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
