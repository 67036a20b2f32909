"""Message fidelity: users edit and delete messages, reply pings, components as Discord echoes them.

Each test runs an unmodified discord.py bot against the sandbox and checks what its event
handlers saw and what the sandbox stored (which is what Discord would answer).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox
from zoryx.sandbox.errors import DiscordAPIError
from zoryx.testing import run_bot

from .helpers import eventually, text_channel


def make_bot(intents: discord.Intents | None = None, **options: Any) -> commands.Bot:
    return commands.Bot(
        command_prefix="!",
        intents=intents or discord.Intents.all(),
        guild_ready_timeout=0.1,
        **options,
    )


def listen_edits_and_deletes(bot: commands.Bot) -> dict[str, list[Any]]:
    """The listeners discord.py's own examples use, recording what they were given."""
    seen: dict[str, list[Any]] = {"edit": [], "raw_edit": [], "delete": [], "raw_delete": []}

    @bot.event
    async def on_message_edit(before: discord.Message, after: discord.Message) -> None:
        seen["edit"].append((before.content, after.content, after.edited_at))

    @bot.event
    async def on_raw_message_edit(payload: discord.RawMessageUpdateEvent) -> None:
        seen["raw_edit"].append((payload.message_id, payload.data.get("content")))

    @bot.event
    async def on_message_delete(message: discord.Message) -> None:
        seen["delete"].append((message.id, message.content, message.author.name))

    @bot.event
    async def on_raw_message_delete(payload: discord.RawMessageDeleteEvent) -> None:
        seen["raw_delete"].append((payload.message_id, payload.channel_id, payload.guild_id))

    return seen


class Control:
    def __init__(self, sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
        self.base = f"{sandbox.url}/_sandbox"
        self.headers = {"Authorization": f"Sandbox {sandbox.control_token}"}
        self.session = session

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        async with self.session.post(self.base + path, json=body, headers=self.headers) as r:
            return r.status, await r.json()


@pytest.fixture
async def control(sandbox: Sandbox) -> AsyncIterator[Control]:
    async with aiohttp.ClientSession() as session:
        yield Control(sandbox, session)


# -- users edit and delete their messages ------------------------------------------------------
async def test_user_edits_and_deletes_own_message_through_the_driver(sandbox: Sandbox) -> None:
    bot = make_bot()
    seen = listen_edits_and_deletes(bot)
    async with run_bot(bot, sandbox):
        alice = sandbox.user("alice")
        said = await alice.say("#general", "helo")
        await eventually(lambda: any(m.id == said.id for m in bot.cached_messages))

        edited = await alice.edit(said, "hello")
        assert edited.content == "hello" and edited.raw["edited_timestamp"] is not None
        await eventually(lambda: seen["edit"] and seen["raw_edit"])
        before, after, edited_at = seen["edit"][0]
        assert (before, after) == ("helo", "hello") and edited_at is not None
        assert seen["raw_edit"] == [(said.id, "hello")]

        await alice.delete(said)
        await eventually(lambda: seen["delete"] and seen["raw_delete"])
        guild_id = sandbox.guild().id
        assert seen["delete"] == [(said.id, "hello", "alice")]
        assert seen["raw_delete"] == [(said.id, said.channel_id, guild_id)]
        assert all(m.id != said.id for m in sandbox.messages("#general"))


async def test_users_cannot_edit_others_and_delete_only_with_manage_messages(
    sandbox: Sandbox,
) -> None:
    bot = make_bot()
    seen = listen_edits_and_deletes(bot)
    async with run_bot(bot, sandbox):
        alice, bob = sandbox.user("alice"), sandbox.user("bob")
        said = await alice.say("#general", "mine")
        with pytest.raises(DiscordAPIError) as edit_error:
            await bob.edit(said, "yours now")
        assert (edit_error.value.status, edit_error.value.code) == (403, 50005)
        with pytest.raises(DiscordAPIError) as delete_error:
            await bob.delete(said)
        assert (delete_error.value.status, delete_error.value.code) == (403, 50013)
        with pytest.raises(DiscordAPIError) as empty_error:
            await alice.edit(said, "")
        assert empty_error.value.code == 50006
        assert sandbox.messages("#general")[-1].content == "mine"

        await sandbox.set_roles("bob", ["Moderator"])  # Manage Messages
        await bob.delete(said)
        await eventually(lambda: seen["raw_delete"])
        assert seen["raw_delete"][0][0] == said.id
        assert seen["edit"] == [] and seen["raw_edit"] == []


async def test_user_edits_and_deletes_through_the_control_api(
    sandbox: Sandbox, control: Control
) -> None:
    bot = make_bot()
    seen = listen_edits_and_deletes(bot)
    async with run_bot(bot, sandbox):
        status, said = await control.post(
            "/act/say", {"user": "carol", "channel": "#general", "content": "first draft"}
        )
        assert status == 200
        target = {"user": "carol", "channel_id": said["channel_id"], "message_id": said["id"]}
        await eventually(lambda: any(str(m.id) == said["id"] for m in bot.cached_messages))

        status, edited = await control.post("/act/edit", {**target, "content": "final"})
        assert status == 200 and edited["content"] == "final"
        await eventually(lambda: seen["edit"])
        assert seen["edit"][0][:2] == ("first draft", "final")

        status, error = await control.post("/act/edit", {**target, "user": "dave", "content": "x"})
        assert (status, error["code"]) == (403, 50005)
        status, error = await control.post("/act/edit", {**target})
        assert (status, error["code"]) == (400, 50035)

        status, answer = await control.post("/act/delete", target)
        assert (status, answer) == (200, {"deleted": True})
        await eventually(lambda: seen["delete"])
        assert seen["delete"][0][:2] == (int(said["id"]), "final")
        status, error = await control.post("/act/delete", target)
        assert (status, error["code"]) == (404, 10008)


# -- replies and allowed_mentions.replied_user ---------------------------------------------------
async def test_bot_reply_pings_the_author_unless_mention_author_is_false(sandbox: Sandbox) -> None:
    bot = make_bot()
    replies: dict[str, discord.Message] = {}

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        # discord.py sends no allowed_mentions here: Discord pings the replied-to author.
        replies["default"] = await ctx.reply("pong")
        # allowed_mentions {..., "replied_user": true}
        replies["on"] = await ctx.message.reply("pong", mention_author=True)
        # allowed_mentions {..., "replied_user": false}
        replies["off"] = await ctx.message.reply("pong", mention_author=False)

    async with run_bot(bot, sandbox):
        alice = sandbox.user("alice")
        await alice.say("#general", "!ping")
        await eventually(lambda: len(replies) == 3)
        stored = {m.id: m.raw for m in sandbox.messages("#general")}
        for key, pinged in (("default", True), ("on", True), ("off", False)):
            message = replies[key]
            mentioned = [m["id"] for m in stored[message.id]["mentions"]]
            assert mentioned == ([str(alice.id)] if pinged else []), key
            assert [u.id for u in message.mentions] == ([alice.id] if pinged else []), key
        # A pinged member comes with its partial member, as in Discord's mentions array.
        assert "member" in stored[replies["on"].id]["mentions"][0]


async def test_user_reply_pings_the_bot_only_with_the_ping_on(sandbox: Sandbox) -> None:
    # Without MESSAGE_CONTENT a bot only reads messages that mention it: a reply with the
    # ping on mentions the replied-to author, so the bot reads it and is "mentioned in" it.
    intents = discord.Intents.default()
    intents.message_content = False
    bot = make_bot(intents)
    got: list[discord.Message] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author.id != sandbox.bot_id:
            got.append(message)

    async with run_bot(bot, sandbox):
        channel = text_channel(bot, sandbox, "#general")
        sent = await channel.send("hello humans")
        original = next(m for m in sandbox.messages("#general") if m.id == sent.id)
        alice = sandbox.user("alice")
        await alice.say("#general", "pinged", reply_to=original)
        await alice.say("#general", "quiet", reply_to=original, mention_author=False)
        await eventually(lambda: len(got) == 2)
        pinged, quiet = got
        assert bot.user is not None
        assert bot.user.mentioned_in(pinged) and pinged.content == "pinged"
        assert not bot.user.mentioned_in(quiet) and quiet.content == ""
        assert [m.raw["mentions"] for m in sandbox.messages("#general")][-1] == []


async def test_allowed_mentions_filters_users_and_roles_and_is_validated(
    sandbox: Sandbox,
) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        channel = text_channel(bot, sandbox, "#general")
        alice, bob = sandbox.user("alice"), sandbox.user("bob")
        mod = sandbox.role_id("Moderator")
        text = f"<@{alice.id}> <@{bob.id}> <@&{mod}>"
        only_bob = discord.AllowedMentions(users=[discord.Object(bob.id)], roles=False)
        sent = await channel.send(text, allowed_mentions=only_bob)
        assert [u.id for u in sent.mentions] == [bob.id]
        assert sent.role_mentions == []
        every = await channel.send(text)
        assert {u.id for u in every.mentions} == {alice.id, bob.id}
        assert [r.id for r in every.role_mentions] == [mod]
        with pytest.raises(discord.HTTPException) as error:
            await bot.http.send_message(
                channel.id,
                params=discord.http.MultipartParameters(
                    payload={
                        "content": text,
                        "allowed_mentions": {"parse": ["users"], "users": [str(bob.id)]},
                    },
                    multipart=None,
                    files=None,
                ),
            )
        assert error.value.status == 400 and error.value.code == 50035


# -- components come back as Discord returns them --------------------------------------------
class Picker(discord.ui.View):
    def __init__(self, user_id: int, emoji: discord.PartialEmoji) -> None:
        super().__init__(timeout=30)
        self.add_item(
            discord.ui.UserSelect(
                custom_id="pick:user",
                default_values=[discord.Object(user_id, type=discord.User)],
            )
        )
        self.add_item(discord.ui.Button(label="Go", custom_id="pick:go", emoji=emoji, row=1))


def _gateway_messages(raw: list[str], message_id: int) -> list[dict[str, Any]]:
    out = []
    for text in raw:
        frame = json.loads(text)
        if frame.get("t") in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            if frame["d"]["id"] == str(message_id):
                out.append(frame["d"])
    return out


async def test_components_are_echoed_with_snowflakes_as_strings(sandbox: Sandbox) -> None:
    bot = make_bot(enable_debug_events=True)
    raw: list[str] = []
    inflator = zlib.decompressobj()

    @bot.event
    async def on_socket_raw_receive(message: str | bytes) -> None:
        raw.append(message if isinstance(message, str) else inflator.decompress(message).decode())

    async with run_bot(bot, sandbox):
        channel = text_channel(bot, sandbox, "#general")
        alice = sandbox.user("alice")
        emoji_id = int(next(iter(sandbox.guild().emojis)))
        emoji = discord.PartialEmoji(name="custom", id=emoji_id)
        sent = await channel.send("pick", view=Picker(alice.id, emoji))

        fetched = await bot.http.get_message(channel.id, sent.id)
        await eventually(lambda: _gateway_messages(raw, sent.id))
        stored = next(m for m in sandbox.messages("#general") if m.id == sent.id).raw
        for payload in (fetched, _gateway_messages(raw, sent.id)[0], stored):
            select_row, button_row = payload["components"]
            select, button = select_row["components"][0], button_row["components"][0]
            assert select["default_values"] == [{"id": str(alice.id), "type": "user"}]
            assert button["emoji"]["id"] == str(emoji_id)
            # Every component gets a numeric id, in document order, as Discord assigns them.
            assert [select_row["id"], select["id"], button_row["id"], button["id"]] == [1, 2, 3, 4]
        # discord.py reads them back as the bot meant them.
        view_select = sent.components[0].children[0]  # type: ignore[union-attr]
        assert [int(v.id) for v in view_select.default_values] == [alice.id]  # type: ignore[union-attr]

        await sent.edit(view=Picker(sandbox.user("bob").id, emoji))
        stored = next(m for m in sandbox.messages("#general") if m.id == sent.id).raw
        select = stored["components"][0]["components"][0]
        assert select["default_values"] == [{"id": str(sandbox.user("bob").id), "type": "user"}]
