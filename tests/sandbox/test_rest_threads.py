"""Thread and forum REST routes on the sandbox, driven by an unmodified discord.py bot."""

from __future__ import annotations

import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox, channel_ops
from zoryx.sandbox.constants import Perm
from zoryx.testing import run_bot

from .helpers import eventually, on_sandbox, text_channel

BOT_ROLE = "Zoryx Sandbox Bot"
PUBLIC = discord.ChannelType.public_thread
PRIVATE = discord.ChannelType.private_thread


def make_bot() -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1)

    @bot.command()
    async def thread(ctx: commands.Context, *, name: str) -> None:
        created = await ctx.message.create_thread(name=name)
        await created.send(f"welcome to {created.name}")

    return bot


async def deny_bot(sb: Sandbox, channel: str, perms: int) -> None:
    stored = sb.state.channel_or_404(sb.channel_id(channel))
    rid = sb.role_id(BOT_ROLE)
    await on_sandbox(sb, lambda: channel_ops.put_overwrite(sb.state, stored, rid, 0, 0, perms))


async def make_forum(bot: commands.Bot, sb: Sandbox) -> discord.ForumChannel:
    guild = sb.guild()
    created = await on_sandbox(sb, lambda: sb.state.create_channel(guild, 15, "help"))
    await eventually(lambda: bot.get_channel(int(created["id"])) is not None)
    forum = bot.get_channel(int(created["id"]))
    assert isinstance(forum, discord.ForumChannel)
    return forum


async def test_thread_from_message_by_command(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        asked = await sandbox.user("owner").say("#general", "!thread Release plan")
        reply = await sandbox.expect_message(asked.id, content="welcome to Release plan")
        assert reply.channel_id == asked.id  # the thread shares the message's id

        stored = sandbox.state.channel_or_404(asked.id)
        assert stored["type"] == 11 and stored["parent_id"] == str(sandbox.channel_id("#general"))
        assert stored["owner_id"] == str(bot.user.id)  # type: ignore[union-attr]
        assert stored["member_count"] == 1 and stored["message_count"] == 1
        assert stored["thread_metadata"]["archived"] is False
        starter = sandbox.state.messages[sandbox.channel_id("#general")][asked.id]
        assert starter["thread"]["id"] == str(asked.id) and starter["flags"] & (1 << 5)

        await eventually(lambda: bot.get_channel(asked.id) is not None)
        thread = bot.get_channel(asked.id)
        assert isinstance(thread, discord.Thread)
        assert thread.parent_id == sandbox.channel_id("#general")
        await eventually(lambda: thread.me is not None)

        general = text_channel(bot, sandbox, "#general")
        message = await general.fetch_message(asked.id)
        with pytest.raises(discord.HTTPException) as again:
            await message.create_thread(name="again")
        assert again.value.code == 160004


async def test_archive_unarchive_and_delete(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        guild = general.guild
        thread = await general.create_thread(name="weekly", type=PUBLIC)
        await eventually(lambda: guild.get_thread(thread.id) is not None)

        archived = await thread.edit(archived=True, locked=True)
        assert archived.archived and archived.locked
        await eventually(lambda: guild.get_thread(thread.id) is None)
        meta = sandbox.state.channel_or_404(thread.id)["thread_metadata"]
        assert meta["archived"] is True and meta["locked"] is True

        with pytest.raises(discord.HTTPException) as rename:
            await archived.edit(name="renamed")
        assert (rename.value.status, rename.value.code) == (400, 50083)
        carol = guild.get_member(int(sandbox.state.find_user("carol")["id"]))
        assert carol is not None
        with pytest.raises(discord.HTTPException) as add:
            await archived.add_user(carol)
        assert add.value.code == 50083

        reopened = await archived.edit(archived=False, locked=False, name="weekly-2")
        assert not reopened.archived and reopened.name == "weekly-2"
        await eventually(lambda: guild.get_thread(thread.id) is not None)
        await reopened.send("back")
        assert sandbox.messages(thread.id)[-1].content == "back"

        await reopened.delete()
        await eventually(lambda: guild.get_thread(thread.id) is None)
        with pytest.raises(discord.NotFound) as gone:
            await bot.fetch_channel(thread.id)
        assert gone.value.code == 10003


async def test_private_thread_membership(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        guild = general.guild
        private = await general.create_thread(name="secret", type=PRIVATE, invitable=False)
        assert private.type is PRIVATE and private.invitable is False
        carol = guild.get_member(int(sandbox.state.find_user("carol")["id"]))
        assert carol is not None
        stored = sandbox.state.channel_or_404(private.id)
        assert not channel_ops.can_view_thread(sandbox.state, sandbox.guild(), stored, carol.id)

        await eventually(lambda: guild.get_thread(private.id) is not None)
        await private.add_user(carol)
        cached = guild.get_thread(private.id)
        assert cached is not None
        await eventually(lambda: any(m.id == carol.id for m in cached.members))
        assert channel_ops.can_view_thread(sandbox.state, sandbox.guild(), stored, carol.id)
        assert stored["member_count"] == 2
        fetched = await private.fetch_members()
        assert {m.id for m in fetched} == {bot.user.id, carol.id}  # type: ignore[union-attr]
        one = await private.fetch_member(carol.id)
        assert one.id == carol.id and one.thread_id == private.id

        await private.remove_user(carol)
        await eventually(lambda: all(m.id != carol.id for m in cached.members))
        with pytest.raises(discord.NotFound) as not_member:
            await private.fetch_member(carol.id)
        assert not_member.value.code == 10007

        await private.leave()
        assert bot.user.id not in channel_ops.thread_members(sandbox.state, private.id)  # type: ignore[union-attr]
        assert stored["member_count"] == 0
        await private.join()
        assert bot.user.id in channel_ops.thread_members(sandbox.state, private.id)  # type: ignore[union-attr]


async def test_forum_posts(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        forum = await make_forum(bot, sandbox)
        post = await forum.create_thread(name="How do I deploy?", content="Steps please")
        assert post.thread.id == post.message.id
        assert post.message.content == "Steps please" and post.thread.parent_id == forum.id
        await eventually(lambda: forum.guild.get_thread(post.thread.id) is not None)
        stored = sandbox.state.channel_or_404(post.thread.id)
        assert stored["message_count"] == 0 and stored["last_message_id"] == str(post.thread.id)
        assert [m.id for m in sandbox.messages(post.thread.id)] == [post.thread.id]
        assert sandbox.state.channel_or_404(forum.id)["last_message_id"] == str(post.thread.id)

        await post.thread.send("first answer")
        assert stored["message_count"] == 1

        with pytest.raises(discord.HTTPException) as empty:
            await forum.create_thread(name="empty")
        assert empty.value.code == 50006
        edited = await forum.edit(require_tag=True, available_tags=[discord.ForumTag(name="bug")])
        assert edited.flags.require_tag and [t.name for t in edited.available_tags] == ["bug"]
        with pytest.raises(discord.HTTPException) as untagged:
            await forum.create_thread(name="no tag", content="x")
        assert untagged.value.code == 40067
        tagged = await forum.create_thread(
            name="tagged", content="x", applied_tags=[edited.available_tags[0]]
        )
        assert [t.name for t in tagged.thread.applied_tags] == ["bug"]


async def test_thread_listings(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        guild = general.guild
        active = await general.create_thread(name="active", type=PUBLIC)
        old = await general.create_thread(name="old", type=PUBLIC)
        await old.edit(archived=True)
        private = await general.create_thread(name="private", type=PRIVATE)
        await private.edit(archived=True)

        assert {t.id for t in await guild.active_threads()} == {active.id}
        public = [t async for t in general.archived_threads()]
        assert [t.id for t in public] == [old.id]
        hidden = [t async for t in general.archived_threads(private=True)]
        assert [t.id for t in hidden] == [private.id]
        joined = [t async for t in general.archived_threads(private=True, joined=True)]
        assert [t.id for t in joined] == [private.id]


async def test_thread_permission_failures(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        alice = int(sandbox.state.find_user("alice")["id"])
        parent = sandbox.state.channel_or_404(general.id)
        theirs = await on_sandbox(
            sandbox,
            lambda: channel_ops.create_thread(sandbox.state, parent, alice, "alice's", 11),
        )
        mine = await general.create_thread(name="mine", type=PUBLIC)

        await deny_bot(sandbox, "#general", int(Perm.MANAGE_THREADS | Perm.CREATE_PUBLIC_THREADS))
        with pytest.raises(discord.Forbidden) as create:
            await general.create_thread(name="nope", type=PUBLIC)
        assert create.value.code == 50013
        await eventually(lambda: general.guild.get_thread(int(theirs["id"])) is not None)
        other = general.guild.get_thread(int(theirs["id"]))
        assert other is not None
        for action in (other.edit(name="mine now"), other.delete(), mine.edit(locked=True)):
            with pytest.raises(discord.Forbidden) as refused:
                await action
            assert refused.value.code == 50013
        renamed = await mine.edit(name="still mine")  # the owner may rename its own thread
        assert renamed.name == "still mine"
        assert theirs["name"] == "alice's"

        with pytest.raises(discord.HTTPException) as bad:
            await mine.edit(slowmode_delay=-1)
        assert (bad.value.status, bad.value.code) == (400, 50035)
        with pytest.raises(discord.HTTPException) as bad_name:
            await general.create_thread(name="x" * 101, type=PRIVATE)
        assert bad_name.value.code == 50035


async def test_threads_of_a_channel_the_bot_starts_seeing_are_synced(sandbox: Sandbox) -> None:
    bot = make_bot()
    joined: list[int] = []

    @bot.event
    async def on_thread_join(thread: discord.Thread) -> None:
        joined.append(thread.id)

    async with run_bot(bot, sandbox):
        guild = sandbox.guild()
        hide = [{"id": str(guild.id), "type": 0, "allow": "0", "deny": str(int(Perm.VIEW_CHANNEL))}]
        hidden = await on_sandbox(
            sandbox, lambda: sandbox.state.create_channel(guild, 0, "staff", overwrites=hide)
        )
        alice = int(sandbox.state.find_user("alice")["id"])
        thread = await on_sandbox(
            sandbox,
            lambda: channel_ops.create_thread(sandbox.state, hidden, alice, "plans", 11),
        )
        cached_guild = bot.get_guild(guild.id)
        assert cached_guild is not None
        await eventually(lambda: cached_guild.get_channel(int(hidden["id"])) is not None)
        assert cached_guild.get_thread(int(thread["id"])) is None
        with pytest.raises(discord.Forbidden) as unseen:
            await bot.fetch_channel(int(thread["id"]))
        assert unseen.value.code == 50001

        rid = sandbox.role_id(BOT_ROLE)
        view = int(Perm.VIEW_CHANNEL)
        await on_sandbox(
            sandbox, lambda: channel_ops.put_overwrite(sandbox.state, hidden, rid, 0, view, 0)
        )
        await eventually(lambda: cached_guild.get_thread(int(thread["id"])) is not None)
        assert int(thread["id"]) in joined
        fetched = await bot.fetch_channel(int(thread["id"]))
        assert isinstance(fetched, discord.Thread) and fetched.owner_id == alice
