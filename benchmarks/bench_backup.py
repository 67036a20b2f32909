"""Backup & restore at scale: a snapshot of a large guild, and its restore into an empty
one under the sandbox's strict rate limits.

The Zoryx runtime (as ``zoryx run --headless`` builds it, backup & restore enabled) runs in
this process on its embedded sandbox (its own thread), with the world of
``scale_guild_world``: "Scale Guild" (500 channels, 250 roles, 10,000 members by default)
and the empty "Scale Target". The member list is loaded once before measuring, as a bot
with the members intent has it after start-up.

Snapshot: ``BackupService.create`` (the path every face takes: capture, canonical JSON and
checksum, the atomic write, the index, pruning, the audit record), ``--rounds`` times:
wall time, RSS before/after, the file's size and event-loop lag while it runs (a task
sleeping 10 ms records how late it wakes: p50/p99/max). A separate pass under tracemalloc
gives the peak of Python allocations (tracemalloc slows the code down, so its time is not
used).

Restore: ``BackupService.restore`` of the last snapshot into "Scale Target" with the
default components, the sandbox in strict mode (its default per-route limits and global
limit, real 429s). The sandbox's limiter is wrapped to count every request per
rate-limit bucket; the least time those limits allow for the same requests is computed
(``_backup_limits.py``), and the result is wall time / that minimum (goal: <= 1.2). The
report is checked against the snapshot and the sandbox's own state (every role, category
and channel it did not skip with a reason was created, none failed). Between restore
rounds the target is emptied again through the sandbox (outside the measurement).

With ``--target-members`` the members are in "Scale Target" as well, without roles, and
the restore also gives each member its roles back (one request per member with roles).
With ``--rtt-ms`` each of the bot's requests during the restores waits that long first,
as if Discord were a network round trip away.

Run: python benchmarks/bench_backup.py [--json PATH] [--rounds 10] [--restore-rounds 3]
         [--channels 500] [--roles 250] [--members 10000] [--target-members]
         [--rtt-ms 0] [--no-gc-tuning]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import psutil
from _backup_limits import RequestLog, minimum_seconds, timeline
from _backup_verify import check_report, empty_target, target_truth
from bench_console import LagMonitor, _pct

from cogs.backup_restore.model import RestoreOptions
from zoryx.runtime import Runtime
from zoryx.sandbox import scale_guild_world
from zoryx.sandbox.world_scale import SCALE_GUILD, SCALE_TARGET

LAG_GOAL_MS = 50.0
RATIO_GOAL = 1.2


def _rss_mb() -> float:
    return round(psutil.Process(os.getpid()).memory_info().rss / 2**20, 1)


def _lag(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "samples": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2) if ordered else 0.0,
        "p99_ms": _pct(ordered, 0.99),
        "max_ms": round(ordered[-1], 2) if ordered else 0.0,
    }


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def _guild(rt: Runtime, name: str) -> discord.Guild:
    """A guild by its name at start-up (a restore renames the target: keep the object)."""
    found = discord.utils.get(rt.bot.guilds, name=name)
    if found is None:
        raise RuntimeError(f"the bot does not see {name!r}")
    return found


async def snapshot_round(service: Any, guild: discord.Guild, label: str) -> dict[str, Any]:
    rss_before = _rss_mb()
    with LagMonitor() as lag:
        await asyncio.sleep(0.05)  # the ticker is running before the snapshot starts
        lag.samples.clear()
        start = time.perf_counter()
        info = await service.create(guild, by="benchmark", label=label, bypass_cooldown=True)
        wall = time.perf_counter() - start
        samples = list(lag.samples)
    return {
        "snapshot_id": info.id,
        "wall_s": round(wall, 3),
        "file_bytes": info.size,
        "counts": info.counts,
        "members_captured": info.members_captured,
        "rss_before_mb": rss_before,
        "rss_after_mb": _rss_mb(),
        "loop_lag": _lag(samples),
        "lag_samples_ms": [round(v, 2) for v in samples],
    }


async def traced_round(service: Any, guild: discord.Guild) -> dict[str, Any]:
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        await service.create(guild, by="benchmark", label="tracemalloc", bypass_cooldown=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"traced_peak_mb": round((peak - base) / 2**20, 1)}


def add_round_trip(http: Any, seconds: float) -> None:
    """Make every REST request of the bot wait ``seconds`` first: the network round trip
    to Discord that the local sandbox does not have."""
    real = http.request

    async def request(route: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(seconds)
        return await real(route, **kwargs)

    http.request = request


async def restore_round(
    rt: Runtime,
    service: Any,
    source: discord.Guild,
    target: discord.Guild,
    snapshot_id: str,
    log: RequestLog,
) -> dict[str, Any]:
    snapshot = await service.load(source.id, snapshot_id)
    before = await target_truth(rt, target.id)
    limiter = rt.sandbox.limiter
    await rt.sandbox.set_rate_limits(strict=True)
    refused_before = limiter.refused
    log.take()
    try:
        with LagMonitor() as lag:
            start = time.perf_counter()
            report = await service.restore(
                target, snapshot_id, RestoreOptions(), by="benchmark", source_guild_id=source.id
            )
            wall = time.perf_counter() - start
            samples = list(lag.samples)
    finally:
        await rt.sandbox.set_rate_limits(strict=False)
    records = log.take()
    bound = minimum_seconds(records, limiter.global_limit, limiter.global_per)
    after = await target_truth(rt, target.id)
    checked = check_report(snapshot, report, before, after)
    ratio = wall / bound["min_seconds"] if bound["min_seconds"] else None
    return {
        "wall_s": round(wall, 3),
        "min_s": bound["min_seconds"],
        "ratio": round(ratio, 3) if ratio is not None else None,
        "refused_429": limiter.refused - refused_before,
        "limits": bound,
        "timeline": timeline(records),
        "loop_lag": _lag(samples),
        "report_totals": report.totals(),
        "verified": checked,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    world = scale_guild_world(
        channels=args.channels,
        roles=args.roles,
        members=args.members,
        target_members=args.target_members,
    )
    with tempfile.TemporaryDirectory() as tmp:
        bot_dir = Path(tmp)
        (bot_dir / "config.json").write_text(
            json.dumps({"logging": {"level": "WARNING"}, "auto_reload": False})
        )
        environ = {"ENABLE_BACKUP_RESTORE": "true", "BACKUP_MAX_PER_GUILD": "100"}
        # tune_gc as the CLI faces do (zoryx run / zoryx tui); --no-gc-tuning turns it off.
        rt = Runtime(
            bot_dir,
            console_logging=False,
            tune_gc=not args.no_gc_tuning,
            environ=environ,
            sandbox_options={"world": world},
        )
        started = time.perf_counter()
        await rt.start(ready_timeout=300)
        try:
            service = rt.bot.services.extra["backups"]
            source, target = _guild(rt, SCALE_GUILD), _guild(rt, SCALE_TARGET)
            for guild in (source, target):
                if not guild.chunked:
                    await asyncio.wait_for(guild.chunk(), 120)
            ready_s = time.perf_counter() - started
            print(f"ready in {ready_s:.1f} s: {len(source.members)} members cached")
            rounds = []
            for n in range(args.rounds):
                result = await snapshot_round(service, source, f"benchmark round {n + 1}")
                rounds.append(result)
                lag = result["loop_lag"]
                print(
                    f"snapshot {n + 1}: {result['wall_s']} s, {result['file_bytes']:,} B, "
                    f"lag p50/p99/max {lag['p50_ms']}/{lag['p99_ms']}/{lag['max_ms']} ms, "
                    f"RSS {result['rss_before_mb']} -> {result['rss_after_mb']} MB"
                )
            traced = await traced_round(service, source)
            print(f"tracemalloc peak during a snapshot: {traced['traced_peak_mb']} MB")
            log = RequestLog(rt.sandbox.limiter)

            async def install() -> None:
                log.install()

            await rt.sandbox.call(install)
            if args.rtt_ms:
                add_round_trip(rt.bot.http, args.rtt_ms / 1000)
            restores = []
            for n in range(args.restore_rounds):
                if n:
                    await empty_target(rt, target, SCALE_TARGET)
                snapshot_id = rounds[-1]["snapshot_id"]
                result = await restore_round(rt, service, source, target, snapshot_id, log)
                restores.append(result)
                print(
                    f"restore {n + 1}: {result['wall_s']} s, minimum {result['min_s']} s "
                    f"({result['limits']['bound_by']}), ratio {result['ratio']}, "
                    f"{result['limits']['requests']} requests, {result['refused_429']} 429s, "
                    f"verified {result['verified']['ok']}"
                )
        finally:
            await rt.shutdown("benchmark done")
    return {
        "ready_s": round(ready_s, 1),
        "snapshots": rounds,
        "traced": traced,
        "restores": restores,
    }


def summarize(raw: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    snaps, restores = raw["snapshots"], raw["restores"]
    p99s = [s["loop_lag"]["p99_ms"] for s in snaps]
    ratios = [r["ratio"] for r in restores if r["ratio"] is not None]
    return {
        "setup": {
            "channels": args.channels,
            "roles": args.roles,
            "members": args.members,
            "target_members": args.target_members,
            "rtt_ms": args.rtt_ms,
            "gc_tuning": not args.no_gc_tuning,
        },
        "snapshot": {
            "rounds": len(snaps),
            "wall_s": _spread([s["wall_s"] for s in snaps]),
            "file_bytes": snaps[-1]["file_bytes"],
            "counts": snaps[-1]["counts"],
            "members_captured": snaps[-1]["members_captured"],
            "loop_lag_p50_ms": _spread([s["loop_lag"]["p50_ms"] for s in snaps]),
            "loop_lag_p99_ms": _spread(p99s),
            "loop_lag_pooled": _lag([v for s in snaps for v in s["lag_samples_ms"]]),
            "loop_lag_max_ms": _spread([s["loop_lag"]["max_ms"] for s in snaps]),
            "rss_growth_mb": _spread([s["rss_after_mb"] - s["rss_before_mb"] for s in snaps]),
            "traced_peak_mb": raw["traced"]["traced_peak_mb"],
            "lag_goal_ms": LAG_GOAL_MS,
            "lag_goal_met": max(p99s) < LAG_GOAL_MS,
            "ready_s": raw["ready_s"],
        },
        "restore": None
        if not restores
        else {
            "rounds": len(restores),
            "wall_s": _spread([r["wall_s"] for r in restores]),
            "min_s": _spread([r["min_s"] for r in restores]),
            "ratio": _spread(ratios) if ratios else None,
            "refused_429": [r["refused_429"] for r in restores],
            "ratio_goal": RATIO_GOAL,
            "ratio_goal_met": bool(ratios) and max(ratios) <= RATIO_GOAL,
            "verified": all(r["verified"]["ok"] for r in restores),
        },
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--rounds", type=int, default=10, help="snapshot rounds")
    parser.add_argument("--restore-rounds", type=int, default=3)
    parser.add_argument("--channels", type=int, default=500)
    parser.add_argument("--roles", type=int, default=250)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument(
        "--target-members",
        action="store_true",
        help="the members are in the target too (without roles): the restore gives their "
        "roles back (thousands more requests; use --restore-rounds 1)",
    )
    parser.add_argument(
        "--rtt-ms",
        type=float,
        default=0.0,
        help="during the restores, delay each of the bot's requests by this many ms "
        "(a network round trip; the sandbox answers in about 1 ms)",
    )
    parser.add_argument(
        "--no-gc-tuning",
        action="store_true",
        help="leave the garbage collector as it is (zoryx run tunes it once ready)",
    )
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1 (the restores use the last snapshot)")
    load_before = os.getloadavg()
    started = time.perf_counter()
    raw = await run(args)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "discord.py": discord.__version__,
            "platform": platform.platform(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "total_seconds": round(time.perf_counter() - started, 1),
        "summary": summarize(raw, args),
        **raw,
    }
    summary = results["summary"]
    print(json.dumps({"snapshot": summary["snapshot"], "restore": summary["restore"]}, indent=2))
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(results, indent=2))
    if summary["restore"] is not None and not summary["restore"]["verified"]:
        problems = [p for r in raw["restores"] for p in r["verified"]["problems"]]
        raise SystemExit(f"the restore did not do what the snapshot asks: {problems[:5]}")


if __name__ == "__main__":
    asyncio.run(main())
