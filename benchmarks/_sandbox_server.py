"""A sandbox Discord in its own process, with a load endpoint for benchmarks.

Prints one JSON line ``{"url", "token", "channel_id"}`` on stdout, then serves until killed.
Usage: python benchmarks/_sandbox_server.py [--guilds N --members M --channels K]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

import psutil
from aiohttp import web

from zoryx.sandbox import WORLDS, Sandbox, scale_world
from zoryx.sandbox.loadgen import command_load, paced_load


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guilds", type=int, default=0)
    parser.add_argument("--members", type=int, default=0)
    parser.add_argument("--channels", type=int, default=1)
    args = parser.parse_args()
    world = (
        scale_world(args.guilds, args.members, args.channels) if args.guilds else WORLDS["empty"]
    )
    sandbox = Sandbox(world=world)
    guild = next(iter(sandbox.state.guilds.values()))
    channel_id = next(int(c["id"]) for c in guild.channels.values() if c["type"] == 0)
    user_id = next(uid for uid in guild.members if uid != sandbox.bot_id)

    async def load(request: web.Request) -> web.Response:
        body = await request.json()
        channel = int(body.get("channel_id", channel_id))
        result = await command_load(
            sandbox.state,
            channel,
            user_id,
            sandbox.bot_id,
            total=int(body["total"]),
            in_flight=int(body["in_flight"]),
            content=body.get("content", "!ping"),
        )
        return web.json_response(result.as_dict())

    async def paced(request: web.Request) -> web.Response:
        body = await request.json()
        result = await paced_load(
            sandbox.state,
            channel_id,
            user_id,
            sandbox.bot_id,
            rate=float(body["rate"]),
            seconds=float(body["seconds"]),
            raw=bool(body.get("raw", False)),
            poisson=bool(body.get("poisson", False)),
        )
        return web.json_response(result)

    async def stats(request: web.Request) -> web.Response:
        proc = psutil.Process(os.getpid())
        return web.json_response({"rss": proc.memory_info().rss, "cpu": sum(proc.cpu_times()[:2])})

    async def channels(request: web.Request) -> web.Response:
        out = []
        for g in sandbox.state.guilds.values():
            cid = next((int(c["id"]) for c in g.channels.values() if c["type"] == 0), None)
            if cid is not None:
                out.append(cid)
        return web.json_response(out)

    sandbox.app.router.add_post("/_bench/load", load)
    sandbox.app.router.add_get("/_bench/stats", stats)
    sandbox.app.router.add_post("/_bench/paced", paced)
    sandbox.app.router.add_get("/_bench/channels", channels)
    await sandbox.start()
    print(
        json.dumps({"url": sandbox.url, "token": sandbox.token, "channel_id": channel_id}),
        flush=True,
    )
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
