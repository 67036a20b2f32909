"""The sandbox's HTTP control API, driven over real HTTP against a real discord.py bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox
from zoryx.sandbox.cdn import PLACEHOLDER_PNG
from zoryx.sandbox.control_request import is_loopback
from zoryx.testing import run_bot

from .helpers import eventually


class Menu(discord.ui.View):
    def __init__(self, seen: dict[str, Any]) -> None:
        super().__init__(timeout=30)
        self.seen = seen

    @discord.ui.button(label="OK", custom_id="menu:ok")
    async def ok(self, interaction: discord.Interaction, button: discord.ui.Button[Menu]) -> None:
        self.seen["clicks"].append(interaction.user.name)
        await interaction.response.send_message("clicked", ephemeral=True)

    @discord.ui.select(
        custom_id="menu:pick",
        options=[
            discord.SelectOption(label="A", value="a"),
            discord.SelectOption(label="B", value="b"),
        ],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Menu]) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}")


class Feedback(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[Feedback] = discord.ui.TextInput(label="Text", custom_id="fb:text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}")


def make_bot() -> tuple[commands.Bot, dict[str, Any]]:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1)
    seen: dict[str, Any] = {"messages": [], "clicks": [], "reactions": [], "joins": [], "left": []}

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen["messages"].append(message.content)
        await bot.process_commands(message)

    @bot.event
    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        seen["reactions"].append(str(payload.emoji))

    @bot.event
    async def on_member_join(member: discord.Member) -> None:
        seen["joins"].append(member.name)

    @bot.event
    async def on_member_remove(member: discord.Member) -> None:
        seen["left"].append(member.name)

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.reply("pong")

    @bot.command()
    async def menu(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("menu", view=Menu(seen))

    @bot.tree.command(description="Say hello")
    async def hello(interaction: discord.Interaction, name: str | None = None) -> None:
        await interaction.response.send_message(f"hello {name or interaction.user.name}")

    @bot.tree.command(description="Send feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    return bot, seen


class Control:
    """A tiny client for the control API."""

    def __init__(self, sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
        self.base = f"{sandbox.url}/_sandbox"
        self.headers = {"Authorization": f"Sandbox {sandbox.control_token}"}  # type: ignore[attr-defined]
        self.session = session

    async def get(self, path: str, **params: Any) -> tuple[int, Any]:
        query = {k: str(v) for k, v in params.items()}
        async with self.session.get(self.base + path, params=query, headers=self.headers) as r:
            return r.status, await r.json()

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        async with self.session.post(self.base + path, json=body, headers=self.headers) as r:
            return r.status, await r.json()

    async def ok(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        status, data = await (
            self.post(path, body) if method == "POST" else self.get(path, **params)
        )
        assert status == 200, (status, data)
        return data


@pytest.fixture
async def control(sandbox: Sandbox) -> AsyncIterator[Control]:
    async with aiohttp.ClientSession() as session:
        yield Control(sandbox, session)


async def test_say_and_read_the_bot_reply(sandbox: Sandbox, control: Control) -> None:
    bot, seen = make_bot()
    async with run_bot(bot, sandbox):
        said = await control.ok(
            "POST", "/act/say", {"user": "alice", "channel": "#general", "content": "!ping"}
        )
        assert said["author"]["username"] == "alice"
        assert said["content"] == "!ping"
        cid = said["channel_id"]
        replies = await control.ok("GET", f"/channels/{cid}/messages", after=said["id"], wait=5)
        assert replies, "the bot did not answer"
        reply = replies[0]
        assert reply["author"]["id"] == str(sandbox.bot_id)
        assert reply["content"] == "pong"
        assert reply["message_reference"]["message_id"] == said["id"]
        assert "!ping" in seen["messages"]
        # Reading without a cursor lists the channel oldest first.
        history = await control.ok("GET", f"/channels/{cid}/messages", limit=2)
        assert [m["id"] for m in history] == [said["id"], reply["id"]]


async def test_slash_command_and_its_response(sandbox: Sandbox, control: Control) -> None:
    bot, _ = make_bot()
    async with run_bot(bot, sandbox):
        started = await control.ok(
            "POST",
            "/act/slash",
            {"user": "bob", "channel": "#general", "command": "hello", "options": {"name": "zed"}},
        )
        iid = started["interaction_id"]
        view = await control.ok("GET", f"/interactions/{iid}", wait=5)
        assert view["responded"] is True
        assert view["response_type"] == 4
        assert view["name"] == "hello"
        assert view["original"]["content"] == "hello zed"
        assert view["original_ephemeral"] is False
        # The response is a real channel message discord.py can read back.
        channel = bot.get_channel(int(view["channel_id"]))
        assert isinstance(channel, discord.TextChannel)
        fetched = await channel.fetch_message(int(view["original"]["id"]))
        assert fetched.content == "hello zed"
        # ``wait`` in the body answers with the interaction in one round trip.
        quick = await control.ok(
            "POST",
            "/act/slash",
            {"user": "bob", "channel": "#general", "command": "/hello", "wait": 5},
        )
        assert quick["interaction"]["original"]["content"] == "hello bob"
        status, err = await control.post(
            "/act/slash", {"user": "bob", "channel": "#general", "command": "nope"}
        )
        assert status == 404 and err["code"] == 10063


async def test_click_select_and_modal(sandbox: Sandbox, control: Control) -> None:
    bot, seen = make_bot()
    async with run_bot(bot, sandbox):
        said = await control.ok(
            "POST", "/act/say", {"user": "carol", "channel": "#general", "content": "!menu"}
        )
        cid = said["channel_id"]
        msgs = await control.ok("GET", f"/channels/{cid}/messages", after=said["id"], wait=5)
        menu = msgs[0]
        assert menu["content"] == "menu" and menu["components"]
        base = {"user": "carol", "channel_id": cid, "message_id": menu["id"]}

        clicked = await control.ok(
            "POST", "/act/click", {**base, "custom_id": "menu:ok", "wait": 5}
        )
        assert clicked["interaction"]["original"]["content"] == "clicked"
        assert clicked["interaction"]["original_ephemeral"] is True
        assert seen["clicks"] == ["carol"]

        picked = await control.ok(
            "POST", "/act/select", {**base, "custom_id": "menu:pick", "values": ["b"], "wait": 5}
        )
        assert picked["interaction"]["original"]["content"] == "picked b"
        status, err = await control.post(
            "/act/select", {**base, "custom_id": "menu:pick", "values": ["zz"]}
        )
        assert status == 400 and err["code"] == 50035

        opened = await control.ok(
            "POST",
            "/act/slash",
            {"user": "carol", "channel": "#general", "command": "feedback", "wait": 5},
        )
        assert opened["interaction"]["response_type"] == 9  # a modal
        submitted = await control.ok(
            "POST",
            "/act/modal",
            {
                "user": "carol",
                "interaction_id": opened["interaction_id"],
                "values": {"fb:text": "great"},
                "wait": 5,
            },
        )
        assert submitted["interaction"]["original"]["content"] == "thanks: great"


async def test_react_voice_typing_members_and_users(sandbox: Sandbox, control: Control) -> None:
    bot, seen = make_bot()
    async with run_bot(bot, sandbox):
        guild = bot.guilds[0]
        said = await control.ok(
            "POST", "/act/say", {"user": "dave", "channel": "#general", "content": "hi all"}
        )
        target = {"channel_id": said["channel_id"], "message_id": said["id"], "emoji": "👍"}
        reacted = await control.ok("POST", "/act/react", {"user": "erin", **target})
        assert reacted["reactions"][0]["count"] == 1
        await eventually(lambda: seen["reactions"] == ["👍"])
        removed = await control.ok("POST", "/act/react", {"user": "erin", **target, "remove": True})
        assert removed["reactions"] == []

        await control.ok("POST", "/act/voice", {"user": "dave", "channel": "Lounge"})

        def voice_channel() -> str | None:
            member = guild.get_member(int(said["author"]["id"]))
            return (
                member.voice.channel.name
                if member and member.voice and member.voice.channel
                else None
            )

        await eventually(lambda: voice_channel() == "Lounge")
        left = await control.ok("POST", "/act/voice", {"user": "dave", "channel": None})
        assert left["voice_states"] == []
        await eventually(lambda: voice_channel() is None)

        assert (
            await control.ok("POST", "/act/typing", {"user": "dave", "channel": "#general"}) == {}
        )

        created = await control.ok("POST", "/users", {"username": "zed"})
        assert created["username"] == "zed" and created["bot"] is False
        status, err = await control.post("/users", {"username": "zed"})
        assert status == 400 and err["code"] == 50035
        joined = await control.ok(
            "POST",
            "/members",
            {"user": "zed", "guild": guild.id, "action": "join", "roles": ["Helper"]},
        )
        assert joined["member"]["user"]["username"] == "zed"
        await eventually(lambda: guild.get_member(int(created["id"])) is not None)
        member = guild.get_member(int(created["id"]))
        assert member is not None and [r.name for r in member.roles][-1] == "Helper"
        assert seen["joins"] == ["zed"]
        await control.ok(
            "POST", "/members", {"user": "zed", "guild": guild.name, "action": "leave"}
        )
        await eventually(lambda: guild.get_member(int(created["id"])) is None)
        assert seen["left"] == ["zed"]


async def test_faults_reconnect_invalid_session_and_rest(
    sandbox: Sandbox, control: Control
) -> None:
    bot, _ = make_bot()

    async def ping_answered() -> bool:
        said = await control.ok(
            "POST", "/act/say", {"user": "alice", "channel": "#general", "content": "!ping"}
        )
        replies = await control.ok(
            "GET", f"/channels/{said['channel_id']}/messages", after=said["id"], wait=5
        )
        return bool(replies) and replies[0]["content"] == "pong"

    async with run_bot(bot, sandbox):
        before = (await control.ok("GET", "/info"))["gateway"]
        assert before["connected_per_shard"] == {"0": 1}

        out = await control.ok("POST", "/faults", {"kind": "reconnect"})
        assert out["sessions"] == 1
        deadline = time.monotonic() + 10
        while (await control.ok("GET", "/info"))["gateway"]["resume_count"] <= before[
            "resume_count"
        ]:
            assert time.monotonic() < deadline, "the bot did not resume"
            await asyncio.sleep(0.05)
        assert await ping_answered()

        out = await control.ok("POST", "/faults", {"kind": "invalid_session", "resumable": False})
        assert out["sessions"] == 1
        deadline = time.monotonic() + 10
        while (await control.ok("GET", "/info"))["gateway"]["identify_count"] <= before[
            "identify_count"
        ]:
            assert time.monotonic() < deadline, "the bot did not identify again"
            await asyncio.sleep(0.05)
        await eventually(lambda: bot.is_ready() and bool(bot.guilds), 10)
        assert await ping_answered()

        out = await control.ok(
            "POST",
            "/faults",
            {
                "kind": "rest",
                "status": 429,
                "count": 1,
                "path_contains": "/messages",
                "retry_after": 0.05,
            },
        )
        assert len(out["pending"]) == 1
        assert await ping_answered()  # discord.py waited and retried
        assert (await control.ok("GET", "/info"))["rest"]["pending_faults"] == []

        hb = await control.ok("POST", "/faults", {"kind": "heartbeat", "ack_delay": 0.5})
        assert hb["ack_delay"] == 0.5 and sandbox.gateway.faults.ack_delay == 0.5
        await control.ok("POST", "/faults", {"kind": "clear"})
        assert sandbox.gateway.faults.ack_delay == 0.0
        status, err = await control.post("/faults", {"kind": "meteor"})
        assert status == 400 and err["code"] == 50035


async def test_info_guilds_and_cdn(sandbox: Sandbox, control: Control) -> None:
    bot, _ = make_bot()
    async with run_bot(bot, sandbox):
        info = await control.ok("GET", "/info")
        assert info["url"] == sandbox.url
        assert info["bot"]["id"] == str(sandbox.bot_id)
        assert info["guilds"] == 1 and info["shard_count"] == 1
        assert info["strict_rate_limits"] is False
        assert info["gateway"]["connected_per_shard"] == {"0": 1}
        assert info["rest"]["unemulated"] == []
        guilds = await control.ok("GET", "/guilds", member_limit=3)
        assert [g["name"] for g in guilds] == ["Test Guild"]
        assert guilds[0]["member_count"] == len(bot.guilds[0].members)
        assert len(guilds[0]["members"]) == 3
        assert "general" in {c["name"] for c in guilds[0]["channels"]}
        users = await control.ok("GET", "/users")
        assert {"alice", "bob"} <= {u["username"] for u in users}
        assert bot.user is not None
        avatar = await bot.user.display_avatar.read()
        assert avatar == PLACEHOLDER_PNG and avatar.startswith(b"\x89PNG\r\n\x1a\n")


async def test_simulator_endpoints(sandbox: Sandbox, control: Control) -> None:
    idle = await control.ok("GET", "/simulator")
    assert idle["running"] is False
    started = await control.ok(
        "POST", "/simulator", {"running": True, "rate_per_minute": 3000, "seed": 3}
    )
    assert started["running"] is True and started["rate_per_minute"] == 3000
    deadline = time.monotonic() + 5
    while (await control.ok("GET", "/simulator"))["actions"] < 5:
        assert time.monotonic() < deadline, "the simulator did nothing"
        await asyncio.sleep(0.05)
    stopped = await control.ok("POST", "/simulator", {"running": False})
    assert stopped["running"] is False
    status, err = await control.post("/simulator", {"rate_per_minute": -1})
    assert status == 400 and err["code"] == 50035


async def test_auth_and_errors(sandbox: Sandbox, control: Control) -> None:
    url = f"{sandbox.url}/_sandbox/info"
    session = control.session
    token = sandbox.control_token  # type: ignore[attr-defined]
    for headers in ({}, {"Authorization": "Sandbox wrong"}, {"Authorization": f"Bot {token}"}):
        async with session.get(url, headers=headers) as resp:
            assert resp.status == 401
            assert (await resp.json())["message"] == "401: Unauthorized"
    async with session.post(
        f"{sandbox.url}/_sandbox/act/say", data="{not json", headers=control.headers
    ) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == 50109

    status, err = await control.get("/channels/123456789012345678/messages")
    assert status == 404 and err["code"] == 10003
    status, err = await control.post(
        "/act/say", {"user": "alice", "channel": "123456789012345678", "content": "hi"}
    )
    assert status == 404 and err["code"] == 10003
    status, err = await control.post(
        "/act/say", {"user": "nobody", "channel": "#general", "content": "hi"}
    )
    assert status == 404 and err["code"] == 10013
    status, err = await control.post("/act/say", {"channel": "#general", "content": "hi"})
    assert status == 400 and err["code"] == 50035 and "user" in err["errors"]
    status, err = await control.post("/act/say", ["not", "an", "object"])
    assert status == 400 and err["code"] == 50035
    status, err = await control.post(
        "/act/say", {"user": "alice", "channel": "#rules", "content": "hi"}
    )
    assert status == 403 and err["code"] == 50013  # @everyone cannot send in #rules
    status, err = await control.get("/interactions/42")
    assert status == 404 and err["code"] == 10062
    status, err = await control.get("/no/such/thing")
    assert status == 404


def test_only_loopback_clients_are_answered() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1")
    assert not is_loopback("192.168.1.20")
    assert not is_loopback(None) and not is_loopback("")
