"""A bot in 2,500 guilds: the generated world spreads them over any shard count, and READY
with its 2,500 GUILD_CREATEs streams while the sandbox keeps serving other connections,
holding a bounded queue for a client that reads slowly.
"""

from __future__ import annotations

import json
from collections import Counter

import aiohttp

from zoryx.sandbox import Sandbox
from zoryx.sandbox.constants import Intent
from zoryx.sandbox.snowflake import shard_for
from zoryx.sandbox.worlds import scale_world
from zoryx.testing import eventually

GUILDS = 2_500
MEMBERS = 40


def test_generated_guilds_spread_evenly_over_shards() -> None:
    sandbox = Sandbox(world=scale_world(12, 3, 1))
    ids = list(sandbox.state.guilds)
    for shards in (2, 3, 4, 6):
        assert set(Counter(shard_for(g, shards) for g in ids).values()) == {12 // shards}


async def test_2500_guilds_stream_without_holding_up_other_connections() -> None:
    sandbox = Sandbox(world=scale_world(GUILDS, MEMBERS, 1))
    assert len(sandbox.state.guilds) == GUILDS
    assert {len(g.members) for g in sandbox.state.guilds.values()} == {MEMBERS + 1}
    sandbox.start_in_thread()
    high = sandbox.gateway.options.stream_high_water
    url = f"{sandbox.gateway_url}?v=10&encoding=json"
    identify = {
        "token": sandbox.token,
        "intents": int(Intent.GUILDS | Intent.GUILD_MEMBERS),
        "properties": {"os": "linux", "browser": "test", "device": "test"},
    }
    try:
        async with aiohttp.ClientSession() as http:
            # A client that identifies, then reads nothing for a while.
            slow = await http.ws_connect(url)
            assert (await slow.receive_json(timeout=10))["op"] == 10
            await slow.send_str(json.dumps({"op": 2, "d": identify}))
            await eventually(lambda: len(sandbox.gateway.sessions) == 1, 10)
            (session,) = sandbox.gateway.sessions.values()
            conn = session.conn
            assert conn is not None
            # Its GUILD_CREATEs stop once its queue is full...
            await eventually(lambda: conn.queue.qsize() >= high, 30)
            # ... and another client is served meanwhile.
            async with http.ws_connect(url) as other:
                assert (await other.receive_json(timeout=10))["op"] == 10
                await other.send_str(json.dumps({"op": 1, "d": None}))
                assert (await other.receive_json(timeout=10))["op"] == 11
            assert session.pending, "every GUILD_CREATE was built before the other client"
            assert conn.queue.qsize() <= high
            # Reading again, the slow client gets READY and each guild exactly once.
            ready = await slow.receive_json(timeout=30)
            assert ready["t"] == "READY"
            announced = {g["id"] for g in ready["d"]["guilds"]}
            assert len(announced) == GUILDS
            created: Counter[str] = Counter()
            while sum(created.values()) < GUILDS:
                frame = await slow.receive_json(timeout=30)
                if frame.get("t") == "GUILD_CREATE":
                    created[frame["d"]["id"]] += 1
                    assert len(frame["d"]["members"]) == MEMBERS + 1
            assert set(created) == announced and set(created.values()) == {1}
            assert not session.pending
            await slow.close()
    finally:
        sandbox.stop_thread()
