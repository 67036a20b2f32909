"""The gateway send limit as on Discord: 120 payloads per 60 s per connection, heartbeats
included; the next one closes the connection with 4008. discord.py paces itself (110 per
window, heartbeats aside), so a bot chunking many guilds never trips it.
"""

from __future__ import annotations

import json
import logging

import aiohttp
import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox
from zoryx.sandbox.gateway_conn import SendWindow
from zoryx.sandbox.worlds import scale_world
from zoryx.testing import eventually, run_bot

HEARTBEAT = json.dumps({"op": 1, "d": None})


def test_the_window_is_fixed_and_starts_with_the_first_payload_after_it_ended() -> None:
    window = SendWindow(limit=3, window=10.0)
    assert [window.allow(t) for t in (0.0, 1.0, 2.0)] == [True, True, True]
    assert not window.allow(3.0)
    assert not window.allow(9.9)
    # The window ended: the next payload starts a new one.
    assert [window.allow(t) for t in (10.5, 10.6, 19.0)] == [True, True, True]
    assert not window.allow(20.0)
    assert all(SendWindow(limit=0).allow(0.0) for _ in range(1000))  # 0: no limit


async def test_the_121st_payload_within_a_minute_closes_the_connection_with_4008(
    sandbox: Sandbox,
) -> None:
    identify = {
        "token": sandbox.token,
        "intents": 513,
        "properties": {"os": "linux", "browser": "test", "device": "test"},
    }
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{sandbox.gateway_url}?v=10&encoding=json") as ws,
    ):
        assert (await ws.receive_json(timeout=10))["op"] == 10
        await ws.send_str(json.dumps({"op": 2, "d": identify}))  # payload 1
        for _ in range(119):  # payloads 2..120: heartbeats count too
            await ws.send_str(HEARTBEAT)
        acks = 0
        while acks < 119:  # every one was handled: the connection is still open
            frame = await ws.receive_json(timeout=10)
            acks += frame["op"] == 11
        assert sandbox.gateway.rate_limited == 0
        await ws.send_str(HEARTBEAT)  # payload 121
        while True:
            msg = await ws.receive(timeout=10)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                break
            assert json.loads(msg.data)["op"] != 11, "the 121st payload was answered"
        assert ws.close_code == 4008
    assert sandbox.gateway.rate_limited == 1


@pytest.fixture
def sandbox_options() -> dict[str, object]:
    # Guilds above discord.py's large_threshold (250) arrive without their members: the bot
    # requests each one's, 240 requests in all.
    return {"world": scale_world(240, 252, 1)}


async def test_discordpy_chunking_many_guilds_paces_itself_under_the_limit(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Both windows shortened from 60 s to 2 s; the counts stay Discord's (sandbox 120,
    # discord.py 110 of its own payloads per window, heartbeats aside).
    monkeypatch.setattr(discord.gateway.GatewayRatelimiter.__init__, "__defaults__", (110, 2.0))
    sandbox.gateway.options.send_window = 2.0
    caplog.set_level(logging.WARNING, logger="discord.gateway")
    intents = discord.Intents.default()
    intents.members = True
    bot = commands.Bot(
        command_prefix="!",
        intents=intents,
        chunk_guilds_at_startup=True,
        guild_ready_timeout=2,
    )
    async with run_bot(bot, sandbox, timeout=120):
        await eventually(lambda: all(g.chunked for g in bot.guilds), 60)
        assert len(bot.guilds) == 240
    # 240 chunk requests: discord.py had to wait for its window (at least twice) ...
    waits = [r for r in caplog.records if "is ratelimited, waiting" in r.getMessage()]
    assert len(waits) >= 2
    # ... and the sandbox never closed the connection: one session, no resume.
    assert sandbox.gateway.rate_limited == 0
    assert (sandbox.gateway.identify_count, sandbox.gateway.resume_count) == (1, 0)
