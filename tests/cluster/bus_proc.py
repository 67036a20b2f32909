"""One cluster bus in its own process, for tests that SIGKILL a cluster.

Usage: ``python bus_proc.py URL NAMESPACE NAME SHARD_IDS SHARD_COUNT GUILDS`` with the
secret in the ``ZORYX_TEST_SECRET`` environment variable (never on the command line) and
an optional timeout in ``ZORYX_TEST_TIMEOUT`` (seconds, default 3).
Prints ``ready`` once connected (or ``refused <reason>``), then runs until killed.
"""

from __future__ import annotations

import asyncio
import os
import sys

from zoryx.cluster import ClusterBus, ClusterRefused, ClusterSettings


async def main(argv: list[str]) -> int:
    url, namespace, name, ids, count, guilds = argv
    settings = ClusterSettings(
        redis_url=url,
        name=name,
        shard_count=int(count),
        shard_ids=tuple(int(i) for i in ids.split(",")),
        secret=os.environ["ZORYX_TEST_SECRET"],
        namespace=namespace,
        heartbeat=0.2,
        timeout=float(os.environ.get("ZORYX_TEST_TIMEOUT", "3")),
        stats_every=0.4,
        backoff=(0.1, 0.5),
    )
    bus = ClusterBus(settings, stats=lambda: {"guilds": int(guilds), "users": 1})
    try:
        await bus.start()
    except ClusterRefused as exc:
        print(f"refused {exc.reason}", flush=True)
        return 1
    print("ready" if bus.state == "connected" else bus.state, flush=True)
    await asyncio.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
