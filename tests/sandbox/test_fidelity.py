"""Discord fidelity of the sandbox: thread posting, visibility, webhooks, roles, voice, lookups.

Each test drives an unmodified discord.py bot (or the test driver acting as users) and checks
both what discord.py sees and what the sandbox stored.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox, SandboxServer, channel_ops, empty_world, guild_ops
from zoryx.sandbox.constants import InteractionType, Perm
from zoryx.sandbox.errors import DiscordAPIError, unknown
from zoryx.sandbox.lookup import find_channel, find_guild
from zoryx.sandbox.permissions import channel_permissions
from zoryx.sandbox.state import SandboxState
from zoryx.testing import run_bot

from .helpers import eventually, on_sandbox

BOT_ROLE = "Zoryx Sandbox Bot"
PUBLIC, PRIVATE = 11, 12


def make_bot(intents: discord.Intents | None = None) -> commands.Bot:
    return commands.Bot(
        command_prefix="!", intents=intents or discord.Intents.all(), guild_ready_timeout=0.1
    )


def uid(sb: Sandbox, name: str) -> int:
    return int(sb.state.find_user(name)["id"])


def new_thread(sb: Sandbox, parent: str, owner: str, name: str, kind: int = PUBLIC) -> int:
    """A thread made directly in the state (call on the sandbox loop)."""
    channel = sb.state.channel_or_404(sb.channel_id(parent))
    thread = channel_ops.create_thread(sb.state, channel, uid(sb, owner), name, kind)
    return int(thread["id"])


async def bot_overwrite(sb: Sandbox, channel: str, *, allow: int = 0, deny: int = 0) -> None:
    stored = sb.state.channel_or_404(sb.channel_id(channel))
    rid = sb.role_id(BOT_ROLE)
    await on_sandbox(sb, lambda: channel_ops.put_overwrite(sb.state, stored, rid, 0, allow, deny))


# -- 1. posting in threads through REST ------------------------------------------------------
async def test_rest_posts_follow_discords_thread_rules(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        state = sandbox.state
        general = bot.get_channel(sandbox.channel_id("#general"))
        assert isinstance(general, discord.TextChannel)

        # Deleting messages takes them out of message_count (single and bulk).
        mine = await general.create_thread(name="counted", type=discord.ChannelType.public_thread)
        sent = [await mine.send(f"m{i}") for i in range(3)]
        stored = state.channel_or_404(mine.id)
        assert stored["message_count"] == 3
        await sent[0].delete()
        assert stored["message_count"] == 2
        await mine.delete_messages(sent[1:])
        assert stored["message_count"] == 0 and stored["total_message_sent"] == 3

        # An archived, unlocked thread is unarchived by a post, and the author joins it.
        tid = await on_sandbox(sandbox, lambda: new_thread(sandbox, "#general", "alice", "old"))
        thread = state.channel_or_404(tid)
        await on_sandbox(
            sandbox, lambda: channel_ops.update_thread(state, thread, {"archived": True})
        )
        await eventually(lambda: general.guild.get_thread(tid) is None)
        await bot.get_partial_messageable(tid).send("reviving")
        assert thread["thread_metadata"]["archived"] is False
        assert bot.user is not None and bot.user.id in channel_ops.thread_members(state, tid)
        await eventually(lambda: general.guild.get_thread(tid) is not None)
        cached = general.guild.get_thread(tid)
        assert cached is not None and not cached.archived

        # Locked threads need MANAGE_THREADS: 160005, or 50083 when also archived.
        await bot_overwrite(sandbox, "#general", deny=int(Perm.MANAGE_THREADS))
        await on_sandbox(
            sandbox, lambda: channel_ops.update_thread(state, thread, {"locked": True})
        )
        with pytest.raises(discord.HTTPException) as locked:
            await bot.get_partial_messageable(tid).send("nope")
        assert (locked.value.status, locked.value.code) == (400, 160005)
        await on_sandbox(
            sandbox, lambda: channel_ops.update_thread(state, thread, {"archived": True})
        )
        with pytest.raises(discord.HTTPException) as archived:
            await bot.get_partial_messageable(tid).send("nope")
        assert archived.value.code == 50083
        assert thread["thread_metadata"]["archived"] is True

        # A private thread the bot did not join is invisible without MANAGE_THREADS.
        hidden = await on_sandbox(
            sandbox, lambda: new_thread(sandbox, "#general", "alice", "staff", PRIVATE)
        )
        with pytest.raises(discord.Forbidden) as invisible:
            await bot.get_partial_messageable(hidden).send("hello?")
        assert invisible.value.code == 50001
        assert state.messages[hidden] == {}


# -- 2. users posting in threads through the driver ------------------------------------------
async def test_driver_say_in_threads(sandbox: Sandbox) -> None:
    state = sandbox.state
    bob = sandbox.user("bob")  # a plain member: no MANAGE_THREADS
    tid = await on_sandbox(sandbox, lambda: new_thread(sandbox, "#rules", "owner", "faq"))
    # #rules denies SEND_MESSAGES to @everyone; threads need SEND_MESSAGES_IN_THREADS only.
    with pytest.raises(DiscordAPIError) as refused:
        await bob.say("#rules", "hi")
    assert refused.value.code == 50013
    posted = await bob.say(tid, "a question")
    assert posted.channel_id == tid
    assert bob.id in channel_ops.thread_members(state, tid)

    thread = state.channel_or_404(tid)
    await on_sandbox(sandbox, lambda: channel_ops.update_thread(state, thread, {"archived": True}))
    await bob.say(tid, "bump")
    assert thread["thread_metadata"]["archived"] is False

    await on_sandbox(sandbox, lambda: channel_ops.update_thread(state, thread, {"locked": True}))
    with pytest.raises(DiscordAPIError) as locked:
        await bob.say(tid, "still there?")
    assert locked.value.code == 160005
    await sandbox.user("alice").say(tid, "moderators may")  # alice holds MANAGE_THREADS


# -- 3. the permission algorithm for threads ---------------------------------------------------
async def test_thread_permissions(sandbox: Sandbox) -> None:
    state, guild = sandbox.state, sandbox.guild()
    alice, carol = uid(sandbox, "alice"), uid(sandbox, "carol")
    rules = state.channel_or_404(sandbox.channel_id("#rules"))
    perms = channel_permissions(guild, rules, carol)
    assert not perms & Perm.SEND_MESSAGES and perms & Perm.SEND_MESSAGES_IN_THREADS

    tid = await on_sandbox(
        sandbox, lambda: new_thread(sandbox, "#general", "bob", "private", PRIVATE)
    )
    private = state.channel_or_404(tid)
    assert channel_permissions(guild, private, carol) == 0  # neither member nor thread manager
    assert channel_permissions(guild, private, alice) & Perm.VIEW_CHANNEL  # MANAGE_THREADS
    with pytest.raises(DiscordAPIError) as hidden:
        state.require_perm(private, carol, int(Perm.SEND_MESSAGES_IN_THREADS))
    assert hidden.value.code == 50001
    await on_sandbox(sandbox, lambda: channel_ops.add_thread_member(state, private, carol))
    assert channel_permissions(guild, private, carol) & Perm.SEND_MESSAGES_IN_THREADS


# -- 4 and 7. threads in GUILD_CREATE, private thread events, thread deletion ------------------
async def test_guild_create_threads_and_private_thread_events(sandbox: Sandbox) -> None:
    state = sandbox.state

    def setup() -> dict[str, int]:
        ids = {
            "active": new_thread(sandbox, "#general", "alice", "active"),
            "archived": new_thread(sandbox, "#general", "alice", "archived"),
            "hidden": new_thread(sandbox, "#general", "alice", "hidden", PRIVATE),
            "joined": new_thread(sandbox, "#general", "alice", "joined", PRIVATE),
        }
        channel_ops.update_thread(state, state.channel_or_404(ids["archived"]), {"archived": True})
        channel_ops.add_thread_member(state, state.channel_or_404(ids["joined"]), sandbox.bot_id)
        general = state.channel_or_404(sandbox.channel_id("#general"))
        deny = int(Perm.MANAGE_THREADS)
        channel_ops.put_overwrite(state, general, sandbox.role_id(BOT_ROLE), 0, 0, deny)
        return ids

    ids = await on_sandbox(sandbox, setup)
    payload = state.guild_payload(sandbox.guild(), bot_id=sandbox.bot_id)
    assert {int(t["id"]) for t in payload["threads"]} == {ids["active"], ids["joined"]}

    bot = make_bot()
    seen: list[str] = []
    deleted: list[int] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    @bot.event
    async def on_raw_thread_delete(event: discord.RawThreadDeleteEvent) -> None:
        deleted.append(event.thread_id)

    async with run_bot(bot, sandbox):
        guild = bot.get_guild(sandbox.guild().id)
        assert guild is not None
        assert {t.id for t in guild.threads} == {ids["active"], ids["joined"]}
        joined = guild.get_thread(ids["joined"])
        assert joined is not None and joined.me is not None

        alice = sandbox.user("alice")
        await alice.say(ids["hidden"], "psst")
        await alice.say(ids["joined"], "in here")
        await eventually(lambda: "in here" in seen)
        assert "psst" not in seen

        await on_sandbox(sandbox, lambda: state.delete_channel(ids["hidden"]))
        await on_sandbox(sandbox, lambda: state.delete_channel(ids["active"]))
        await eventually(lambda: ids["active"] in deleted)
        assert ids["hidden"] not in deleted
        assert ids["hidden"] not in state.channel_store.thread_members
        assert ids["hidden"] not in sandbox.guild().channels


# -- 5. gateway delivery: own thread membership, channels the bot cannot see -----------------
async def test_thread_membership_of_the_bot_without_members_intent(sandbox: Sandbox) -> None:
    intents = discord.Intents.default()
    assert not intents.members
    bot = make_bot(intents)
    events: list[tuple[str, int]] = []

    @bot.event
    async def on_thread_join(thread: discord.Thread) -> None:
        events.append(("join", thread.id))

    @bot.event
    async def on_thread_remove(thread: discord.Thread) -> None:
        events.append(("remove", thread.id))

    @bot.event
    async def on_thread_member_join(member: discord.ThreadMember) -> None:
        events.append(("member_join", member.id))

    state, bot_id, carol = sandbox.state, sandbox.bot_id, uid(sandbox, "carol")
    tid = await on_sandbox(sandbox, lambda: new_thread(sandbox, "#general", "alice", "talk"))
    thread = state.channel_or_404(tid)
    async with run_bot(bot, sandbox):
        await on_sandbox(sandbox, lambda: channel_ops.add_thread_member(state, thread, bot_id))
        await on_sandbox(sandbox, lambda: channel_ops.add_thread_member(state, thread, carol))
        await on_sandbox(sandbox, lambda: channel_ops.remove_thread_member(state, thread, bot_id))
        await eventually(lambda: ("remove", tid) in events)
        assert events == [("join", tid), ("remove", tid)]  # nobody else's membership


async def test_events_of_channels_the_bot_cannot_see_are_not_sent(sandbox: Sandbox) -> None:
    bot = make_bot()
    seen: list[str] = []
    typing_in: list[int] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    @bot.event
    async def on_typing(channel: discord.abc.Messageable, user: Any, when: Any) -> None:
        typing_in.append(getattr(channel, "id", 0))

    alice = sandbox.user("alice")  # a moderator: sees #mod-only

    async def probe(text: str) -> None:
        """Alice writes in #mod-only, then in #general; wait for the #general one."""
        await alice.typing("#mod-only")
        await alice.say("#mod-only", text)
        await alice.say("#general", f"after {text}")
        await eventually(lambda: f"after {text}" in seen)

    async with run_bot(bot, sandbox):
        mod_only = sandbox.channel_id("#mod-only")
        await probe("secret")
        assert "secret" not in seen and mod_only not in typing_in

        await bot_overwrite(sandbox, "#mod-only", allow=int(Perm.VIEW_CHANNEL))
        await probe("shared")
        assert "shared" in seen and mod_only in typing_in

        stored = sandbox.state.channel_or_404(mod_only)
        rid = sandbox.role_id(BOT_ROLE)
        await on_sandbox(sandbox, lambda: channel_ops.delete_overwrite(sandbox.state, stored, rid))
        await probe("hidden again")
        assert "hidden again" not in seen

        roles = [rid, sandbox.role_id("Moderator")]
        guild = sandbox.guild()
        await on_sandbox(
            sandbox, lambda: sandbox.state.update_member(guild, sandbox.bot_id, {"roles": roles})
        )
        await probe("as moderator")
        assert "as moderator" in seen


# -- 6. executing webhooks ------------------------------------------------------------------
async def test_webhook_execution_rules(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        state = sandbox.state
        general = bot.get_channel(sandbox.channel_id("#general"))
        assert isinstance(general, discord.TextChannel)
        hook = await general.create_webhook(name="Poster")

        wrong = discord.Webhook.partial(hook.id, "not-the-token", client=bot)
        with pytest.raises(discord.HTTPException) as bad_token:
            await wrong.send("x", wait=True)
        assert (bad_token.value.status, bad_token.value.code) == (401, 50027)

        for name in ("Discord Staff", "clyde"):
            with pytest.raises(discord.HTTPException) as bad_name:
                await hook.send("x", username=name, wait=True)
            assert (bad_name.value.status, bad_name.value.code) == (400, 50035)

        url = "https://example.com/face.png"
        sent = await hook.send("styled", username="Herald", avatar_url=url, wait=True)
        author = sandbox.messages("#general")[-1].raw["author"]
        assert author["username"] == "Herald"
        assert author["avatar"] == channel_ops.avatar_hash(url)
        assert sent.author.avatar is not None and sent.author.avatar.key == author["avatar"]

        elsewhere = await on_sandbox(
            sandbox, lambda: new_thread(sandbox, "#off-topic", "alice", "other")
        )
        with pytest.raises(discord.NotFound) as foreign:
            await hook.send("x", thread=discord.Object(elsewhere), wait=True)
        assert foreign.value.code == 10003
        assert state.messages[elsewhere] == {}

        tid = await on_sandbox(sandbox, lambda: new_thread(sandbox, "#general", "alice", "log"))
        thread = state.channel_or_404(tid)
        await on_sandbox(
            sandbox, lambda: channel_ops.update_thread(state, thread, {"archived": True})
        )
        in_thread = await hook.send("into the thread", thread=discord.Object(tid), wait=True)
        assert in_thread.channel.id == tid and thread["thread_metadata"]["archived"] is False
        await on_sandbox(
            sandbox,
            lambda: channel_ops.update_thread(state, thread, {"archived": True, "locked": True}),
        )
        with pytest.raises(discord.HTTPException) as locked:
            await hook.send("x", thread=discord.Object(tid), wait=True)
        assert locked.value.code == 50083

        forum_data = await on_sandbox(
            sandbox, lambda: state.create_channel(sandbox.guild(), 15, "support")
        )
        await eventually(lambda: bot.get_channel(int(forum_data["id"])) is not None)
        forum = bot.get_channel(int(forum_data["id"]))
        assert isinstance(forum, discord.ForumChannel)
        forum_hook = await forum.create_webhook(name="Tickets")
        with pytest.raises(discord.HTTPException) as no_thread:
            await forum_hook.send("where?", wait=True)
        assert no_thread.value.code == 220001
        with pytest.raises(discord.HTTPException) as not_forum:
            await hook.send("x", thread_name="nope", wait=True)
        assert not_forum.value.code == 220003

        post = await forum_hook.send("it broke", thread_name="Bug report", wait=True)
        stored = state.channel_or_404(post.channel.id)
        assert stored["parent_id"] == str(forum.id) and stored["name"] == "Bug report"
        assert stored["owner_id"] == str(forum_hook.id) and stored["message_count"] == 0
        assert post.id == post.channel.id  # the starter message shares the thread's id
        assert channel_ops.thread_members(state, post.channel.id) == {}
        await eventually(lambda: forum.get_thread(post.channel.id) is not None)


# -- 8. members, roles and guild fields -------------------------------------------------------
async def test_roles_bans_and_guild_fields(sandbox: Sandbox) -> None:
    state, guild = sandbox.state, sandbox.guild()
    dave = uid(sandbox, "dave")
    await on_sandbox(sandbox, lambda: guild_ops.ban_user(state, guild, dave))
    with pytest.raises(DiscordAPIError) as banned:
        await sandbox.add_member("dave")
    assert (banned.value.status, banned.value.code) == (403, 40007)
    assert dave not in guild.members

    bot = make_bot()
    async with run_bot(bot, sandbox):
        cached = bot.get_guild(guild.id)
        assert cached is not None
        new = await on_sandbox(sandbox, lambda: state.create_role(guild, "Newest"))
        assert new["position"] == 1

        def positions_match() -> bool:
            return all(
                (role := cached.get_role(rid)) is not None and role.position == data["position"]
                for rid, data in guild.roles.items()
            )

        await eventually(positions_match)

        helper = sandbox.role_id("Helper")
        colors = {"primary_color": 0x123456, "secondary_color": 0x654321}
        await on_sandbox(sandbox, lambda: state.update_role(guild, helper, {"colors": colors}))
        stored = guild.roles[helper]
        assert stored["color"] == 0x123456 and stored["colors"]["secondary_color"] == 0x654321
        cached_helper = cached.get_role(helper)
        assert cached_helper is not None
        await eventually(lambda: cached_helper.color.value == 0x123456)

        await on_sandbox(sandbox, lambda: state.update_role(guild, helper, {"unicode_emoji": "🔥"}))
        assert stored["unicode_emoji"] == "🔥"
        await on_sandbox(sandbox, lambda: state.update_role(guild, helper, {"unicode_emoji": None}))
        assert stored["unicode_emoji"] is None
        await on_sandbox(sandbox, lambda: state.update_role(guild, helper, {"name": "Helpers"}))
        assert stored["unicode_emoji"] is None and stored["colors"]["primary_color"] == 0x123456

        await on_sandbox(sandbox, lambda: state.update_guild(guild, {"discovery_splash": "ab12"}))
        assert guild.data["discovery_splash"] == "ab12"


# -- 9, 10 and 11. voice ------------------------------------------------------------------------
async def test_voice_keeps_server_mute_and_deaf(sandbox: Sandbox) -> None:
    state, guild = sandbox.state, sandbox.guild()
    erin = sandbox.user("erin")
    afk = state.channel_or_404(int(guild.data["afk_channel_id"]))
    assert afk["type"] == 2  # Discord's AFK channel is a voice channel

    await on_sandbox(
        sandbox, lambda: state.update_member(guild, erin.id, {"mute": True, "deaf": True})
    )
    await erin.join_voice("Lounge")
    assert guild.voice_states[erin.id]["mute"] is True
    assert guild.voice_states[erin.id]["deaf"] is True
    await erin.join_voice("Gaming")
    voice = guild.voice_states[erin.id]
    assert voice["channel_id"] == str(sandbox.channel_id("Gaming"))
    assert voice["mute"] is True and voice["deaf"] is True

    error = unknown("voice state")
    assert (error.status, error.code, error.message) == (404, 10065, "Unknown Voice State")
    bot = make_bot()
    async with run_bot(bot, sandbox):
        cached = bot.get_guild(guild.id)
        assert cached is not None
        member = cached.get_member(uid(sandbox, "carol"))
        assert member is not None
        with pytest.raises(discord.NotFound) as not_in_voice:
            await member.fetch_voice()
        assert not_in_voice.value.code == 10065


# -- 12 and 13. the channel store, lookups and the control API ---------------------------------
def test_channel_store_and_lookups() -> None:
    state = SandboxState()
    assert isinstance(state.channel_store, channel_ops.ChannelStore)
    assert channel_ops.channel_store(state) is state.channel_store

    empty = Sandbox()
    with pytest.raises(DiscordAPIError) as no_guild:
        empty.guild()
    assert no_guild.value.code == 10004
    with pytest.raises(DiscordAPIError):
        find_channel(empty.state, "#general")
    assert find_channel(empty.state, 1234) == 1234  # ids are not checked (threads to come)


async def test_ephemeral_lookup_and_control_names_without_driver(sandbox: Sandbox) -> None:
    state = sandbox.state
    general = sandbox.channel_id("#general")
    assert find_guild(state, "test guild") is sandbox.guild()
    assert find_channel(state, "general") == general

    async def make() -> int:
        record = state.interactions.create(
            sandbox.app_info, InteractionType.APPLICATION_COMMAND, uid(sandbox, "bob"), general, {}
        )
        record.ephemeral[42] = {"id": "42", "channel_id": str(general), "content": "only you"}
        return record.id

    await sandbox.call(make)
    assert state.interactions.find_ephemeral(42) == {
        "id": "42",
        "channel_id": str(general),
        "content": "only you",
    }
    assert state.interactions.find_ephemeral(43) is None

    server = SandboxServer(world=empty_world)
    server.start_in_thread()
    try:
        headers = {"Authorization": f"Sandbox {server.control_token}"}
        async with aiohttp.ClientSession() as http:
            url = f"{server.url}/_sandbox/channels/general/messages"
            async with http.get(url, headers=headers) as resp:
                assert resp.status == 200, await resp.text()
                assert await resp.json() == []
    finally:
        server.stop_thread()
