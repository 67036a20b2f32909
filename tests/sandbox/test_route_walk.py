"""No REST route of the sandbox is shadowed by another one.

aiohttp tries routes in registration order, so ``GET /channels/{id}/messages/{message_id}``
registered before ``GET /channels/{id}/messages/pins`` used to answer every ``channel.pins()``
with a bare 404. The walk below resolves a request for every registered route through the
server's real router and checks that it reaches that route, not another one.
"""

from __future__ import annotations

import re
from collections import Counter

import discord
import pytest
from aiohttp.test_utils import make_mocked_request
from discord.ext import commands

from zoryx.sandbox import Sandbox, SandboxServer
from zoryx.sandbox.rest.base import RestAPI
from zoryx.testing import run_bot

from .helpers import text_channel

_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
# No literal segment of Discord's API is all digits, so a snowflake-like value for every
# parameter makes a request that only a parametrised segment can match.
_VALUE = "112233445566778899"


def concrete(path: str) -> str:
    return _PARAM.sub(_VALUE, path)


@pytest.fixture(scope="module")
def server() -> SandboxServer:
    return SandboxServer()


def test_the_table_is_not_empty_and_has_no_duplicates(server: SandboxServer) -> None:
    routes = server.rest.routes
    assert len(routes) > 100
    assert [r for r, n in Counter(routes).items() if n > 1] == []
    assert ("GET", "/channels/{channel_id}/messages/pins") in routes


@pytest.mark.parametrize("version", ["v10", "v9"])
async def test_every_route_is_reachable(server: SandboxServer, version: str) -> None:
    shadowed = []
    for method, path in server.rest.routes:
        full = f"/api/{version}{path}"
        request = make_mocked_request(method, concrete(full), app=server.app)
        match = await server.app.router.resolve(request)
        route = match.route
        reached = (route.method, route.resource.canonical if route.resource else None)
        if reached != (method, full):
            shadowed.append(f"{method} {full} -> {reached[0]} {reached[1]}")
    assert shadowed == []


async def test_the_walk_finds_a_route_registered_after_a_broader_one() -> None:
    """The check above fails for a table in registration order (what aiohttp does alone)."""
    from aiohttp import web

    api = RestAPI(SandboxServer().state)

    async def handler(ctx: object) -> None:
        return None

    broad, special = "/things/{thing_id}/parts/{part_id}", "/things/{thing_id}/parts/special"
    api.route("GET", broad)(handler)
    api.route("GET", special)(handler)
    path = concrete(special)

    async def reached(app: web.Application, prefix: str) -> str | None:
        match = await app.router.resolve(make_mocked_request("GET", prefix + path, app=app))
        resource = match.route.resource
        return resource.canonical.removeprefix(prefix) if resource else None

    plain = web.Application()
    for route in (broad, special):
        plain.router.add_route("GET", route, handler)
    assert await reached(plain, "") == broad
    ordered = web.Application()
    api.install(ordered)
    assert await reached(ordered, "/api/v10") == special


async def test_channel_pins_lists_pinned_messages_newest_pin_first(sandbox: Sandbox) -> None:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1)
    async with run_bot(bot, sandbox):
        channel = text_channel(bot, sandbox, "#general")
        first = await channel.send("first")
        second = await channel.send("second")
        await channel.send("not pinned")
        await first.pin()
        await second.pin()
        pins = [m async for m in channel.pins()]
        assert [m.content for m in pins] == ["second", "first"]
        assert all(m.pinned and m.pinned_at is not None for m in pins)
        assert pins[0].pinned_at >= pins[1].pinned_at  # type: ignore[operator]
        older = [m async for m in channel.pins(before=pins[0].pinned_at)]
        assert [m.content for m in older] == ["first"]
        await first.unpin()
        assert [m.content async for m in channel.pins()] == ["second"]
