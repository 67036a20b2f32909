"""One standalone sandbox (``python -m zoryx.sandbox --shards 2``) serving two real bot
processes (``zoryx run --headless``), each attached with ``ZORYX_SANDBOX_URL`` and
``ZORYX_SANDBOX_TOKEN`` and running one shard (``SHARD_COUNT=2``, ``SHARD_IDS``).

Each guild's events reach only the process of its shard ``(guild_id >> 22) % 2``, the two
processes' identifies share the application's ``max_concurrency`` budget (recorded by the
sandbox), and a shard id at or above the shard count is refused with 4010.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp

from .test_control_api import Control
from .test_standalone import field as banner_field
from .test_standalone import start_server

WHOAMI = """
import os

from discord.ext import commands

__version__ = "1.0.0"


@commands.command()
async def whoami(ctx):
    await ctx.send(f"shard {ctx.guild.shard_id} pid {os.getpid()}")


async def setup(bot):
    bot.add_command(whoami)
"""


@dataclass
class BotProcess:
    proc: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            if line.startswith("Zoryx ready"):
                self.ready.set()

    def ready_line(self) -> str:
        return next(line for line in self.lines if line.startswith("Zoryx ready"))


async def start_bot(root: Path, url: str, control_token: str, shard_id: int) -> BotProcess:
    directory = root / f"bot{shard_id}"
    (directory / "extensions").mkdir(parents=True)
    (directory / "extensions" / "whoami.py").write_text(WHOAMI)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHARD_", "ZORYX_", "REDIS"))}
    env.update(
        PYTHONUNBUFFERED="1",
        DISCORD_TOKEN="",
        ZORYX_SANDBOX_URL=url,
        ZORYX_SANDBOX_TOKEN=control_token,
        SHARD_COUNT="2",
        SHARD_IDS=str(shard_id),
    )
    err = (root / f"bot{shard_id}.err").open("w")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "zoryx", "run", "--headless", "--dir", str(directory)),
        stdout=asyncio.subprocess.PIPE,
        stderr=err,
        env=env,
    )
    err.close()
    bot = BotProcess(proc)
    bot.reader = asyncio.create_task(bot.read())
    return bot


async def wait_ready(bot: BotProcess, root: Path, shard_id: int) -> None:
    waiter = asyncio.create_task(bot.ready.wait())
    exited = asyncio.create_task(bot.proc.wait())
    await asyncio.wait({waiter, exited}, timeout=90, return_when=asyncio.FIRST_COMPLETED)
    exited.cancel()
    if not bot.ready.is_set():
        waiter.cancel()
        stderr = (root / f"bot{shard_id}.err").read_text()[-3000:]
        raise AssertionError(f"bot {shard_id} not ready:\n{''.join(bot.lines)}\n{stderr}")


async def stop(proc: asyncio.subprocess.Process, sig: signal.Signals) -> int:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
    try:
        return await asyncio.wait_for(proc.wait(), 30)
    except TimeoutError:
        proc.kill()
        return await proc.wait()


async def identify_close_code(url: str, token: str, shard: list[int]) -> int | None:
    gateway = url.replace("http://", "ws://") + "/gateway?v=10&encoding=json"
    data = {"token": token, "intents": 1, "properties": {}, "shard": shard}
    async with aiohttp.ClientSession() as http, http.ws_connect(gateway) as ws:
        assert (await ws.receive_json(timeout=10))["op"] == 10
        await ws.send_str(json.dumps({"op": 2, "d": data}))
        while True:
            msg = await ws.receive(timeout=10)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return ws.close_code


async def test_two_bot_processes_each_serve_only_the_guilds_of_their_shard(tmp_path: Path) -> None:
    server, banner = await start_server(
        *("--port", "0", "--shards", "2", "--guilds", "6", "--members", "3", "--channels", "1")
    )
    bots: list[BotProcess] = []
    try:
        url = banner_field(banner, r"running at (http://127\.0\.0\.1:\d+)")
        control_token = banner_field(banner, r"control token:\s+(\S+)")
        bot_token = banner_field(banner, r"bot token:\s+(\S+)")
        assert "max_concurrency 1" in banner
        async with aiohttp.ClientSession() as http:
            control = Control(SimpleNamespace(url=url, control_token=control_token), http)  # type: ignore[arg-type]
            guilds: list[dict[str, Any]] = await control.ok("GET", "/guilds")
            by_shard = {k: [g for g in guilds if g["shard_id"] == k] for k in (0, 1)}
            assert len(by_shard[0]) == len(by_shard[1]) == 3

            # Both processes start at once: their identifies compete for bucket 0.
            bots = [await start_bot(tmp_path, url, control_token, k) for k in (0, 1)]
            for k, bot in enumerate(bots):
                await wait_ready(bot, tmp_path, k)
                count = re.search(r" in (\d+) guild\(s\)", bot.ready_line())
                assert count and int(count.group(1)) == 3, bot.ready_line()

            info = await control.ok("GET", "/info")
            sessions = info["gateway"]["sessions"]
            live = sorted((s["shard_id"], s["shard_count"]) for s in sessions if s["connected"])
            assert live == [(0, 2), (1, 2)]

            # A command in each guild is answered once, by the process of its shard.
            said_in: list[dict[str, Any]] = []
            for guild in guilds:
                body = {
                    "user": "user0",
                    "guild": guild["id"],
                    "channel": "channel-0",
                    "content": "!whoami",
                }
                said = await control.ok("POST", "/act/say", body)
                path = f"/channels/{said['channel_id']}/messages"
                replies = await control.ok("GET", path, after=said["id"], wait=20)
                shard = guild["shard_id"]
                expected = f"shard {shard} pid {bots[shard].proc.pid}"
                assert [r["content"] for r in replies] == [expected], guild
                said_in.append(said)
            bot_id = info["bot"]["id"]
            for said in said_in:  # no second answer came from the other process since
                path = f"/channels/{said['channel_id']}/messages"
                messages = await control.ok("GET", path, after=said["id"])
                assert len([m for m in messages if m["author"]["id"] == bot_id]) == 1

            # The sandbox recorded the fleet's identifies: with max_concurrency 1, no two
            # accepted ones within 5 s.
            seen = await control.ok("GET", "/identifies")
            accepted = sorted(i["monotonic"] for i in seen["identifies"] if i["accepted"])
            assert sorted(i["shard_id"] for i in seen["identifies"] if i["accepted"]) == [0, 1]
            assert accepted[1] - accepted[0] >= seen["window"] == 5.0
            assert all(i["bucket"] == 0 for i in seen["identifies"])

        # Shard ids run from 0 to the shard count - 1.
        assert await identify_close_code(url, bot_token, [2, 2]) == 4010
    finally:
        codes = [await stop(bot.proc, signal.SIGTERM) for bot in bots]
        for bot in bots:
            if bot.reader is not None:
                bot.reader.cancel()
        await stop(server, signal.SIGINT)
    assert codes == [0, 0]
