"""A cluster of the fleet in a process of its own, for tests that kill it (SIGKILL).

Run as a script, it joins the fleet with a real :class:`~zoryx.cluster.ClusterBus` and
fixed stats, prints ``joined`` once registered, then heartbeats until killed. A killed
process never says goodbye, so the other clusters see it go silent and then dead, as
after a crash. Tests start it with :func:`peer_process`.

Settings come from the environment (the secret stays off the command line):
``PEER_REDIS_URL``, ``PEER_NAMESPACE``, ``PEER_NAME``, ``PEER_SHARD_COUNT``,
``PEER_SHARD_IDS`` (comma-separated), ``PEER_SECRET``, ``PEER_HEARTBEAT``,
``PEER_TIMEOUT``, ``PEER_GUILDS``, ``PEER_USERS``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from zoryx.cluster import ClusterBus, ClusterSettings

#: The repository (so the script imports this checkout's ``zoryx``).
REPO = str(Path(__file__).resolve().parents[2])


def settings_from_env() -> ClusterSettings:
    env = os.environ
    heartbeat = float(env["PEER_HEARTBEAT"])
    return ClusterSettings(
        redis_url=env["PEER_REDIS_URL"],
        name=env["PEER_NAME"],
        shard_count=int(env["PEER_SHARD_COUNT"]),
        shard_ids=tuple(int(i) for i in env["PEER_SHARD_IDS"].split(",")),
        secret=env["PEER_SECRET"],
        namespace=env["PEER_NAMESPACE"],
        heartbeat=heartbeat,
        timeout=float(env["PEER_TIMEOUT"]),
        stats_every=heartbeat,
        backoff=(0.2, 1.0),
    )


def stats(settings: ClusterSettings) -> dict[str, Any]:
    guilds = int(os.environ.get("PEER_GUILDS", "0"))
    ids = settings.claimed_shards
    rows = [
        {"id": i, "state": "ready", "latency_ms": 30.0, "guilds": guilds // len(ids), "ready": True}
        for i in ids
    ]
    return {
        "guilds": guilds,
        "users": int(os.environ.get("PEER_USERS", "0")),
        "latency_ms": 30.0,
        "health": "healthy",
        "shards": rows,
    }


async def main() -> None:
    settings = settings_from_env()
    bus = ClusterBus(settings, stats=lambda: stats(settings))
    await bus.start()
    if bus.state != "connected":
        print(f"not connected: {bus.state}", flush=True)
        sys.exit(1)
    print("joined", flush=True)
    await asyncio.Event().wait()  # heartbeat until killed


@asynccontextmanager
async def peer_process(
    *,
    redis_url: str,
    namespace: str,
    name: str,
    shard_count: int,
    shard_ids: tuple[int, ...],
    secret: str,
    heartbeat: float,
    timeout: float,
    guilds: int = 0,
    users: int = 0,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """This script as a cluster of the fleet, once it has joined; killed at the end."""
    env = {
        **os.environ,
        "PYTHONPATH": REPO,
        "PEER_REDIS_URL": redis_url,
        "PEER_NAMESPACE": namespace,
        "PEER_NAME": name,
        "PEER_SHARD_COUNT": str(shard_count),
        "PEER_SHARD_IDS": ",".join(map(str, shard_ids)),
        "PEER_SECRET": secret,
        "PEER_HEARTBEAT": str(heartbeat),
        "PEER_TIMEOUT": str(timeout),
        "PEER_GUILDS": str(guilds),
        "PEER_USERS": str(users),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, env=env, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line.strip() == b"joined", f"the peer cluster did not join: {line!r}"
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


if __name__ == "__main__":
    asyncio.run(main())
