"""Channel REST routes on the sandbox, driven by an unmodified discord.py bot.

Covers get/edit/delete of channels, permission overwrites and invites: what the bot gets
back, what its cache shows after the gateway events, and what the sandbox stored.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox, channel_ops
from zoryx.sandbox.constants import Perm
from zoryx.sandbox.errors import DiscordAPIError
from zoryx.testing import run_bot

from .helpers import eventually, on_sandbox, text_channel

BOT_ROLE = "Zoryx Sandbox Bot"


def make_bot() -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1)

    @bot.command()
    async def lock(ctx: commands.Context) -> None:
        assert ctx.guild is not None and isinstance(ctx.channel, discord.TextChannel)
        role = discord.utils.get(ctx.guild.roles, name="Member")
        assert role is not None
        await ctx.channel.set_permissions(role, send_messages=False)
        await ctx.send("locked")

    @bot.command()
    async def unlock(ctx: commands.Context) -> None:
        assert ctx.guild is not None and isinstance(ctx.channel, discord.TextChannel)
        role = discord.utils.get(ctx.guild.roles, name="Member")
        assert role is not None
        await ctx.channel.set_permissions(role, overwrite=None)
        await ctx.send("unlocked")

    return bot


async def deny_for_role(sb: Sandbox, channel: str, role: str, perms: int) -> None:
    stored = sb.state.channel_or_404(sb.channel_id(channel))
    rid = sb.role_id(role) if role != "@everyone" else sb.guild().id
    await on_sandbox(sb, lambda: channel_ops.put_overwrite(sb.state, stored, rid, 0, 0, perms))


async def hidden_channel(sb: Sandbox) -> int:
    guild = sb.guild()
    deny = [{"id": str(guild.id), "type": 0, "allow": "0", "deny": str(int(Perm.VIEW_CHANNEL))}]
    created = await on_sandbox(
        sb, lambda: sb.state.create_channel(guild, 0, "secret", overwrites=deny)
    )
    return int(created["id"])


async def test_fetch_and_edit_channel(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        cid = sandbox.channel_id("#general")
        fetched = await bot.fetch_channel(cid)
        assert isinstance(fetched, discord.TextChannel)
        assert fetched.topic == "General chat"

        edited = await fetched.edit(name="Main Chat", topic="New topic", slowmode_delay=30)
        assert isinstance(edited, discord.TextChannel)
        assert (edited.name, edited.topic, edited.slowmode_delay) == ("main-chat", "New topic", 30)

        cached = text_channel(bot, sandbox, "main-chat")
        await eventually(lambda: cached.topic == "New topic")
        assert cached.slowmode_delay == 30
        stored = sandbox.state.channel_or_404(cid)
        assert (stored["name"], stored["topic"], stored["rate_limit_per_user"]) == (
            "main-chat",
            "New topic",
            30,
        )


async def test_create_channel_then_move_and_delete(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        guild = bot.get_guild(sandbox.guild().id)
        assert guild is not None
        temp = await guild.create_text_channel("temp")
        await eventually(lambda: bot.get_channel(temp.id) is not None)

        info = discord.utils.get(guild.categories, name="Information")
        assert info is not None
        moved = await temp.edit(category=info)
        assert isinstance(moved, discord.TextChannel) and moved.category_id == info.id
        cached = bot.get_channel(temp.id)
        assert isinstance(cached, discord.TextChannel)
        await eventually(lambda: cached.category_id == info.id)
        assert sandbox.state.channel_or_404(temp.id)["parent_id"] == str(info.id)

        await temp.delete()
        await eventually(lambda: bot.get_channel(temp.id) is None)
        with pytest.raises(DiscordAPIError):
            sandbox.state.channel_or_404(temp.id)
        with pytest.raises(discord.NotFound) as gone:
            await bot.fetch_channel(temp.id)
        assert gone.value.code == 10003


async def test_deleting_a_category_unparents_its_children(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        guild = bot.get_guild(sandbox.guild().id)
        assert guild is not None
        info = discord.utils.get(guild.categories, name="Information")
        assert info is not None
        welcome = text_channel(bot, sandbox, "#welcome")
        assert welcome.category_id == info.id

        await info.delete()
        await eventually(lambda: welcome.category_id is None and guild.get_channel(info.id) is None)
        assert sandbox.state.channel_or_404(welcome.id)["parent_id"] is None


async def test_invalid_edits_answer_50035(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        welcome = text_channel(bot, sandbox, "#welcome")
        bad_edits: list[dict[str, Any]] = [
            {"topic": "x" * 1025},
            {"slowmode_delay": 21601},
            {"name": ""},
            {"name": "n" * 101},
            {"category": welcome},  # not a category
        ]
        for kwargs in bad_edits:
            with pytest.raises(discord.HTTPException) as err:
                await general.edit(**kwargs)
            assert (err.value.status, err.value.code) == (400, 50035), kwargs
        assert sandbox.state.channel_or_404(general.id)["topic"] == "General chat"


async def test_permissions_and_unknown_channels(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        secret = await hidden_channel(sandbox)
        with pytest.raises(discord.Forbidden) as hidden:
            await bot.fetch_channel(secret)
        assert hidden.value.code == 50001

        with pytest.raises(discord.NotFound) as missing:
            await bot.fetch_channel(1_100_000_000_000_000_000)
        assert missing.value.code == 10003

        await deny_for_role(sandbox, "#general", BOT_ROLE, int(Perm.MANAGE_CHANNELS))
        general = text_channel(bot, sandbox, "#general")
        with pytest.raises(discord.Forbidden) as refused:
            await general.edit(topic="nope")
        assert refused.value.code == 50013
        with pytest.raises(discord.Forbidden) as refused_delete:
            await general.delete()
        assert refused_delete.value.code == 50013
        assert sandbox.state.channel_or_404(general.id)["topic"] == "General chat"


async def test_overwrite_stops_a_member_from_talking(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        member_role = general.guild.get_role(sandbox.role_id("Member"))
        assert member_role is not None
        carol = sandbox.user("carol")
        await carol.say("#general", "before")

        await sandbox.user("owner").say("#general", "!lock")
        await sandbox.expect_message("#general", content="locked")
        await eventually(lambda: general.overwrites_for(member_role).send_messages is False)
        stored = sandbox.state.channel_or_404(general.id)["permission_overwrites"]
        assert {
            "id": str(member_role.id),
            "type": 0,
            "allow": "0",
            "deny": str(int(Perm.SEND_MESSAGES)),
        } in stored
        with pytest.raises(DiscordAPIError) as refused:
            await carol.say("#general", "after")
        assert refused.value.code == 50013

        await sandbox.user("owner").say("#general", "!unlock")
        await sandbox.expect_message("#general", content="unlocked")
        await eventually(lambda: general.overwrites_for(member_role).is_empty())
        await carol.say("#general", "back again")


async def test_overwrites_cannot_grant_what_the_bot_lacks(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        member_role = general.guild.get_role(sandbox.role_id("Member"))
        assert member_role is not None
        with pytest.raises(discord.Forbidden) as refused:
            await general.set_permissions(member_role, send_tts_messages=True)
        assert refused.value.code == 50013
        with pytest.raises(discord.Forbidden):
            await general.edit(
                overwrites={member_role: discord.PermissionOverwrite(send_tts_messages=True)}
            )
        assert general.overwrites_for(member_role).is_empty()

        # Replacing the whole list with ones the bot may set works, and drops the rest.
        await general.edit(overwrites={member_role: discord.PermissionOverwrite(embed_links=False)})
        await eventually(lambda: general.overwrites_for(member_role).embed_links is False)
        stored = sandbox.state.channel_or_404(general.id)["permission_overwrites"]
        assert [o["id"] for o in stored] == [str(member_role.id)]

        await deny_for_role(sandbox, "#general", BOT_ROLE, int(Perm.MANAGE_ROLES))
        with pytest.raises(discord.Forbidden) as no_manage_roles:
            await general.set_permissions(member_role, overwrite=None)
        assert no_manage_roles.value.code == 50013


async def test_invite_lifecycle(sandbox: Sandbox) -> None:
    bot = make_bot()
    created: list[str] = []
    deleted: list[str] = []

    @bot.event
    async def on_invite_create(invite: discord.Invite) -> None:
        created.append(invite.code)

    @bot.event
    async def on_invite_delete(invite: discord.Invite) -> None:
        deleted.append(invite.code)

    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        invite = await general.create_invite(max_age=600, max_uses=3)
        assert invite.code and invite.max_uses == 3 and invite.max_age == 600
        assert invite.uses == 0 and invite.temporary is False
        assert invite.inviter is not None and invite.inviter.id == bot.user.id  # type: ignore[union-attr]
        assert invite.channel is not None and invite.channel.id == general.id
        assert invite.expires_at is not None
        await eventually(lambda: invite.code in created)

        same = await general.create_invite(max_age=600, max_uses=3, unique=False)
        assert same.code == invite.code
        other = await general.create_invite(max_age=0)
        assert other.code != invite.code and other.expires_at is None

        fetched = await bot.fetch_invite(invite.code)
        assert fetched.guild is not None and fetched.guild.id == general.guild.id
        assert fetched.approximate_member_count == len(sandbox.guild().members)
        listed = {i.code: i for i in await general.invites()}
        assert set(listed) == {invite.code, other.code}
        assert {i.code for i in await general.guild.invites()} == set(listed)

        newcomer = await sandbox.create_user("zed")
        used = await on_sandbox(
            sandbox, lambda: channel_ops.use_invite(sandbox.state, invite.code, newcomer.id)
        )
        assert used["uses"] == 1
        await eventually(lambda: general.guild.get_member(newcomer.id) is not None)

        await invite.delete()
        await eventually(lambda: invite.code in deleted)
        with pytest.raises(discord.NotFound) as gone:
            await bot.fetch_invite(invite.code)
        assert gone.value.code == 10006


async def test_invite_errors(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        with pytest.raises(discord.HTTPException) as too_long:
            await general.create_invite(max_age=604_801)
        assert (too_long.value.status, too_long.value.code) == (400, 50035)
        with pytest.raises(discord.HTTPException) as too_many:
            await general.create_invite(max_uses=101)
        assert too_many.value.code == 50035

        await deny_for_role(sandbox, "#general", "@everyone", int(Perm.CREATE_INSTANT_INVITE))
        with pytest.raises(discord.Forbidden) as refused:
            await general.create_invite()
        assert refused.value.code == 50013
        assert channel_ops.live_invites(sandbox.state, general.guild.id) == []
