"""IDENTIFY limits as on Discord: ``max_concurrency`` buckets, op 9 over the limit, the
session start limit, and the record of every identify (driver and control API).

The limiter is driven with a fake clock; the gateway with raw websocket clients and with
discord.py, whose identifies ``use_sandbox`` paces by bucket.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from zoryx.sandbox import WORLDS, Sandbox
from zoryx.sandbox.identify_limits import IdentifyLimits
from zoryx.sandbox.identify_pacing import MARGIN, reserve_slot
from zoryx.sandbox.snowflake import shard_for
from zoryx.sandbox.worlds import scale_world
from zoryx.testing import run_bot

from .test_standalone import field, start_server


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_one_identify_per_bucket_per_five_seconds() -> None:
    clock = Clock()
    limits = IdentifyLimits(max_concurrency=2, clock=clock)
    assert limits.check(1, 0, 4).accepted
    assert limits.check(1, 1, 4).accepted  # bucket 1 is free
    refused = limits.check(1, 2, 4)  # 2 % 2: bucket 0 again
    assert (refused.accepted, refused.reason, refused.bucket) == (False, "max_concurrency", 0)
    assert limits.check(2, 2, 4).accepted  # another application has its own buckets
    clock.now = 4.999
    assert not limits.check(1, 0, 4).accepted
    clock.now = 5.0
    assert limits.check(1, 2, 4).accepted
    assert [(r.shard_id, r.bucket, r.accepted) for r in limits.records()] == [
        (0, 0, True),
        (1, 1, True),
        (2, 0, False),
        (2, 0, True),
        (0, 0, False),
        (2, 0, True),
    ]
    assert limits.refused == 2


def test_session_start_limit_counts_accepted_identifies_per_period() -> None:
    clock = Clock()
    limits = IdentifyLimits(total=2, period=100.0, clock=clock)
    assert limits.session_start_limit(1) == {
        "total": 2,
        "remaining": 2,
        "reset_after": 100_000,
        "max_concurrency": 1,
    }
    assert limits.check(1, 0, 1).accepted
    clock.now = 1.0
    assert not limits.check(1, 0, 1).accepted  # refused identifies are not counted
    assert limits.session_start_limit(1)["remaining"] == 1
    clock.now = 10.0
    assert limits.check(1, 0, 1).accepted
    clock.now = 20.0
    spent = limits.check(1, 0, 1)
    assert (spent.accepted, spent.reason) == (False, "session_start_limit")
    assert limits.session_start_limit(1) == {
        "total": 2,
        "remaining": 0,
        "reset_after": 80_000,
        "max_concurrency": 1,
    }
    clock.now = 100.0  # a new period
    assert limits.check(1, 0, 1).accepted
    assert limits.session_start_limit(1)["remaining"] == 1


def test_the_identify_log_is_bounded() -> None:
    limits = IdentifyLimits(window=0.0, log_size=3)
    for shard in range(5):
        limits.check(1, shard, 5)
    assert [r.shard_id for r in limits.records()] == [2, 3, 4]


def test_client_pacing_books_one_slot_per_bucket_and_window() -> None:
    key, other = ("http://127.0.0.1:1/api/v10", "a"), ("http://127.0.0.1:1/api/v10", "b")
    assert reserve_slot(key, 0, 100.0) == 0.0
    assert reserve_slot(key, 1, 100.0) == 0.0  # another bucket: no wait
    assert reserve_slot(other, 0, 100.0) == 0.0  # another bot or sandbox: no wait
    assert reserve_slot(key, 0, 101.0) == 4.0 + MARGIN
    assert reserve_slot(key, 0, 101.0) == 9.0 + 2 * MARGIN  # queued behind the previous slot
    assert reserve_slot(key, 0, 200.0) == 0.0  # long after: free again


# -- the gateway ---------------------------------------------------------------------------------
async def _identify(http: aiohttp.ClientSession, sandbox: Sandbox, shard: list[int]) -> Any:
    """Open a connection, identify as ``shard`` and return the first answer and the socket."""
    ws = await http.ws_connect(f"{sandbox.gateway_url}?v=10&encoding=json")
    hello = await ws.receive_json(timeout=10)
    assert hello["op"] == 10
    data = {
        "token": sandbox.token,
        "intents": 513,
        "properties": {"os": "linux", "browser": "test", "device": "test"},
        "shard": shard,
    }
    await ws.send_str(json.dumps({"op": 2, "d": data}))
    return await ws.receive_json(timeout=10), ws


async def test_an_identify_over_max_concurrency_gets_op_9_and_is_recorded() -> None:
    sandbox = Sandbox(world=WORLDS["empty"], shards=4, max_concurrency=2)
    sandbox.start_in_thread()
    control = {"Authorization": f"Sandbox {sandbox.control_token}"}
    try:
        async with aiohttp.ClientSession() as http:
            first, ws0 = await _identify(http, sandbox, [0, 4])
            assert first["t"] == "READY"
            # Shard 2 is in bucket 0 (2 % 2) too: refused, as Discord does, with a
            # non-resumable Invalid Session.
            refused, ws2 = await _identify(http, sandbox, [2, 4])
            assert (refused["op"], refused["d"]) == (9, False)
            other, ws1 = await _identify(http, sandbox, [1, 4])
            assert other["t"] == "READY"
            async with http.get(f"{sandbox.url}/_sandbox/identifies", headers=control) as r:
                assert r.status == 200
                seen = await r.json()
            bot = {"Authorization": f"Bot {sandbox.token}"}
            async with http.get(f"{sandbox.api_url}/gateway/bot", headers=bot) as r:
                gateway_bot = await r.json()
            for ws in (ws0, ws1, ws2):
                await ws.close()
    finally:
        sandbox.stop_thread()
    decided = [(i["shard_id"], i["bucket"], i["accepted"], i["reason"]) for i in seen["identifies"]]
    assert decided == [(0, 0, True, None), (2, 0, False, "max_concurrency"), (1, 1, True, None)]
    assert all(i["application_id"] == str(sandbox.app_info.id) for i in seen["identifies"])
    assert (seen["max_concurrency"], seen["window"], seen["refused"]) == (2, 5.0, 1)
    # GET /gateway/bot reports the same limits: two session starts used.
    for limit in (seen["session_start_limit"], gateway_bot["session_start_limit"]):
        assert (limit["max_concurrency"], limit["total"], limit["remaining"]) == (2, 1000, 998)
        assert 0 < limit["reset_after"] <= 86_400_000
    assert gateway_bot["shards"] == 4
    assert sandbox.gateway.identify_count == 2
    assert [r.shard_id for r in sandbox.gateway.identify_limits.records()] == [0, 2, 1]


async def test_discordpy_shards_start_bucket_by_bucket_and_are_never_refused() -> None:
    sandbox = Sandbox(world=scale_world(8, 3, 1), shards=4, max_concurrency=2)
    sandbox.start_in_thread()
    try:
        bot = commands.AutoShardedBot(
            command_prefix="!",
            intents=discord.Intents.default(),
            shard_count=4,
            guild_ready_timeout=0.1,
        )
        async with run_bot(bot, sandbox, timeout=60):
            assert sorted(bot.shards) == [0, 1, 2, 3]
            assert len(bot.guilds) == 8
            assert all(g.shard_id == shard_for(g.id, 4) for g in bot.guilds)
            records = sandbox.gateway.identify_limits.records()
    finally:
        sandbox.stop_thread()
    # use_sandbox's hook gave each shard its bucket's next slot: nothing was refused, and
    # the sandbox saw no two identifies of a bucket within 5 s.
    assert [(r.accepted, r.reason) for r in records] == [(True, None)] * 4
    assert sorted(r.shard_id for r in records) == [0, 1, 2, 3]
    for bucket in (0, 1):
        times = sorted(r.monotonic for r in records if r.bucket == bucket)
        assert len(times) == 2 and times[1] - times[0] >= 5.0


async def test_the_standalone_server_takes_max_concurrency_from_the_command_line() -> None:
    proc, banner = await start_server("--port", "0", "--world", "empty", "--max-concurrency", "3")
    try:
        url = field(banner, r"running at (http://127\.0\.0\.1:\d+)")
        token = field(banner, r"bot token:\s+(\S+)")
        assert "max_concurrency 3" in banner
        headers = {"Authorization": f"Bot {token}"}
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/api/v10/gateway/bot", headers=headers) as r:
                limit = (await r.json())["session_start_limit"]
        assert (limit["max_concurrency"], limit["remaining"]) == (3, 1000)
    finally:
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    refused = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "zoryx.sandbox", "--max-concurrency", "0"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(refused.communicate(), 60)
    assert refused.returncode == 2 and out == b""
    assert err.decode().strip().endswith("max-concurrency must be 1 or more (see --help)")
