"""The cluster bus with 3, 10 and 100 clusters on one real Redis.

A ``redis-server`` is started on a free loopback port, in a temp dir, with persistence
off. For each fleet size N, N real :class:`zoryx.cluster.ClusterBus` instances (default
settings: heartbeat 30 s, dead after 120 s, stats every 60 s) run in this one process on
one event loop, each with its own Redis connections and a stats provider of two shards.
A fleet is used once it is whole: every bus sees all N clusters alive.

Measured per fleet size:

- query round trip: ``query("stats")`` from one cluster, answered by all N (checked),
  ``--rounds`` times: p50/p99/max ms;
- broadcast round trip: ``broadcast(text)`` acknowledged by all N (checked): p50/p99/max;
- stats aggregation: ``global_stats()`` and ``members()`` on one cluster (totals checked),
  median µs per call;
- idle cost: with nothing asked of the bus for ``--idle`` seconds (default 60 s: one stats
  period, so two heartbeats, four sweeps and one resync per cluster), the CPU of this
  process and of redis-server, the messages the buses sent and the commands Redis
  processed. The CPU of this process idling with no bus is measured once first and
  subtracted.

All N clusters share one process and one core-bound event loop, so a round trip with
100 clusters includes the 100 answers being handled one after another on that loop;
separate processes would answer in parallel (on more cores) but pay more context switches.

Run: python benchmarks/bench_cluster.py [--json PATH] [--sizes 3 10 100] [--rounds 100]
         [--idle 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import redis
from redis.asyncio import Redis

from zoryx.cluster import ClusterBus, ClusterSettings

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
WHOLE_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A redis-server on 127.0.0.1, persistence off; waits until it answers PING."""
    port = _free_port()
    cmd = [
        REDIS_SERVER,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(workdir),
        "--logfile", str(workdir / "redis.log"),
        "--daemonize", "no",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return proc, port
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"redis-server did not start on port {port}")


def _pct(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values, rounded to 0.01."""
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), round(p * len(ordered) + 0.5)))
    return round(ordered[rank - 1], 2)


def _summary_ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "count": len(ordered),
        "p50_ms": _pct(ordered, 0.50),
        "p99_ms": _pct(ordered, 0.99),
        "max_ms": round(ordered[-1], 2),
    }


def _stats_of(index: int) -> Callable[[], dict[str, Any]]:
    shards = [2 * index, 2 * index + 1]

    def stats() -> dict[str, Any]:
        return {
            "guilds": 100 + index,
            "users": 10_000 + index,
            "latency_ms": 40.0,
            "health": "healthy",
            "shards": [
                {"id": s, "state": "ready", "latency_ms": 40.0, "guilds": 50, "ready": True}
                for s in shards
            ],
        }

    return stats


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


async def _until(check: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


async def fleet(
    url: str, size: int, args: argparse.Namespace, server: psutil.Process, baseline: float
) -> dict[str, Any]:
    """Start ``size`` buses, measure, stop them."""
    namespace = f"bench:{secrets.token_hex(4)}"
    secret = secrets.token_hex(16)
    buses = [
        ClusterBus(
            ClusterSettings(
                redis_url=url,
                name=f"c{i:03d}",
                shard_count=2 * size,
                shard_ids=(2 * i, 2 * i + 1),
                secret=secret,
                namespace=namespace,
            ),
            stats=_stats_of(i),
        )
        for i in range(size)
    ]
    me = buses[0]
    t0 = time.perf_counter()
    try:
        for bus in buses:
            await bus.start()
        started_s = time.perf_counter() - t0

        def whole() -> bool:
            return all(sum(m.alive for m in b.members()) == size for b in buses)

        whole_s = started_s + await _until(whole, WHOLE_TIMEOUT, f"a whole fleet of {size}")

        # Stats aggregation on one cluster (pure reads of its member table).
        expected = {
            "clusters": size,
            "shards": 2 * size,
            "guilds": sum(100 + i for i in range(size)),
            "users": sum(10_000 + i for i in range(size)),
        }
        if me.global_stats() != expected:
            raise SystemExit(f"global_stats() is wrong: {me.global_stats()} != {expected}")
        aggregation: dict[str, float] = {}
        for label, call in (("global_stats_us", me.global_stats), ("members_us", me.members)):
            per_call = []
            reps = max(20, 2000 // size)
            for _ in range(5):
                start = time.perf_counter()
                for _ in range(reps):
                    call()
                per_call.append((time.perf_counter() - start) / reps * 1e6)
            aggregation[label] = round(statistics.median(per_call), 1)

        # Round trips (a few warm-up rounds first, not counted).
        query_ms: list[float] = []
        incomplete = 0
        for n in range(args.rounds + 5):
            start = time.perf_counter()
            answers = await me.query("stats")
            elapsed = (time.perf_counter() - start) * 1000
            if len(answers) != size:
                incomplete += 1
            if n >= 5:
                query_ms.append(elapsed)
        broadcast_ms: list[float] = []
        for n in range(args.rounds + 5):
            start = time.perf_counter()
            received = await me.broadcast(f"bench {n}", by="bench")
            elapsed = (time.perf_counter() - start) * 1000
            if received != size:
                incomplete += 1
            if n >= 5:
                broadcast_ms.append(elapsed)

        # Idle: nothing asked of the bus (after 1 s for the last replies to settle).
        await asyncio.sleep(1.0)
        me_proc = psutil.Process(os.getpid())
        info = Redis.from_url(url)
        sent0 = sum(b.counters["sent"] for b in buses)
        commands0 = int((await info.info("stats"))["total_commands_processed"])
        cpu0, server0, wall0 = _cpu(me_proc), _cpu(server), time.perf_counter()
        await asyncio.sleep(args.idle)
        cpu1, server1, wall1 = _cpu(me_proc), _cpu(server), time.perf_counter()
        commands = int((await info.info("stats"))["total_commands_processed"]) - commands0 - 1
        sent = sum(b.counters["sent"] for b in buses) - sent0
        await info.aclose()
        wall = wall1 - wall0
        bus_cpu = max(0.0, (cpu1 - cpu0) / wall - baseline)
        idle = {
            "seconds": round(wall, 1),
            "process_cpu_percent": round((cpu1 - cpu0) / wall * 100, 3),
            "bus_cpu_percent": round(bus_cpu * 100, 3),
            "bus_cpu_ms_per_s_per_cluster": round(bus_cpu * 1000 / size, 3),
            "redis_cpu_percent": round((server1 - server0) / wall * 100, 3),
            "redis_cpu_ms_per_s_per_cluster": round((server1 - server0) / wall * 1000 / size, 3),
            "messages_sent": sent,
            "redis_commands": commands,
            "redis_commands_per_s_per_cluster": round(commands / wall / size, 3),
        }
        if incomplete:
            raise SystemExit(f"{incomplete} round trips were not answered by all {size}")
        return {
            "clusters": size,
            "start_all_s": round(started_s, 2),
            "whole_after_s": round(whole_s, 2),
            "query_stats": _summary_ms(query_ms),
            "broadcast": _summary_ms(broadcast_ms),
            "aggregation": aggregation,
            "idle": idle,
        }
    finally:
        await asyncio.gather(*(bus.stop() for bus in buses), return_exceptions=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="zoryx-bench-redis-") as tmp:
        proc, port = start_redis(Path(tmp))
        try:
            url = f"redis://127.0.0.1:{port}/0"
            server = psutil.Process(proc.pid)
            me = psutil.Process(os.getpid())
            cpu0, wall0 = _cpu(me), time.perf_counter()
            await asyncio.sleep(args.baseline)
            baseline = (_cpu(me) - cpu0) / (time.perf_counter() - wall0)
            probe = Redis.from_url(url)
            version = (await probe.info("server"))["redis_version"]
            await probe.aclose()
            fleets = []
            for size in args.sizes:
                result = await fleet(url, size, args, server, baseline)
                print(json.dumps(result), flush=True)
                fleets.append(result)
        finally:
            proc.kill()
            proc.wait(timeout=30)
    return {
        "redis_server": version,
        "baseline_process_cpu_percent": round(baseline * 100, 3),
        "fleets": fleets,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json")
    parser.add_argument("--sizes", type=int, nargs="+", default=[3, 10, 100])
    parser.add_argument("--rounds", type=int, default=100, help="round trips of each kind")
    parser.add_argument("--idle", type=float, default=60.0, help="idle window, seconds")
    parser.add_argument(
        "--baseline", type=float, default=10.0, help="seconds of idling with no bus first"
    )
    args = parser.parse_args()
    if min(args.sizes) < 2 or max(args.sizes) > 1000 or args.rounds < 1 or args.idle <= 0:
        parser.error("sizes must be 2-1000 clusters, rounds >= 1, idle > 0")
    load_before = os.getloadavg()
    started = time.perf_counter()
    raw = await run(args)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "redis-py": redis.__version__,
            "platform": platform.platform(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "setup": "all clusters in this one process, one event loop; one redis-server",
        "rounds": args.rounds,
        "total_seconds": round(time.perf_counter() - started, 1),
        **raw,
    }
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
