"""Guild, channel-list, role, member and ban routes of the sandbox, driven by a real discord.py bot.

World: ``empty`` — "Test Guild" with owner (Admin), alice (Moderator), bob (Helper), carol,
dave, erin (Member) and the bot, whose managed role sits between Admin and Moderator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable

import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox, empty_world
from zoryx.sandbox import guild_ops as ops
from zoryx.sandbox.constants import Perm
from zoryx.sandbox.errors import DiscordAPIError
from zoryx.sandbox.permissions import can_act_on_member
from zoryx.sandbox.state import GuildState, SandboxState
from zoryx.testing import run_bot

from .helpers import eventually, on_sandbox

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
BOT_ROLE = "Zoryx Sandbox Bot"


def make_bot() -> commands.Bot:
    return commands.Bot(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1)


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[commands.Bot]:
    client = make_bot()
    async with run_bot(client, sandbox):
        yield client


def set_role_perms(sb: Sandbox, name: str, add: int = 0, remove: int = 0) -> Callable[[], None]:
    def change() -> None:
        guild = sb.guild()
        role = guild.roles[sb.role_id(name)]
        perms = (int(role["permissions"]) | add) & ~remove
        sb.state.update_role(guild, int(role["id"]), {"permissions": perms})

    return change


def uid(sb: Sandbox, name: str) -> int:
    return int(sb.state.find_user(name)["id"])


# -- the guild ---------------------------------------------------------------------------------
async def test_fetch_and_edit_guild(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    fetched = await bot.fetch_guild(guild.id, with_counts=True)
    assert fetched.name == "Test Guild"
    assert fetched.approximate_member_count == len(sandbox.guild().members) == 7
    assert {r.name for r in fetched.roles} >= {"@everyone", "Admin", BOT_ROLE}
    preview = await bot.fetch_guild_preview(guild.id)
    assert (preview.name, len(preview.emojis), len(preview.stickers)) == ("Test Guild", 4, 1)
    counts = {role.name: n for role, n in (await guild.role_member_counts()).items()}
    assert counts["Member"] == 5 and counts["Moderator"] == 1 and counts["Admin"] == 1

    lounge = discord.utils.get(guild.voice_channels, name="Lounge")
    assert lounge is not None
    edited = await guild.edit(
        name="Renamed Guild",
        icon=PNG,
        afk_channel=lounge,
        afk_timeout=900,
        verification_level=discord.VerificationLevel.high,
        description="A place",
    )
    assert edited.name == "Renamed Guild"
    await eventually(lambda: guild.name == "Renamed Guild")
    assert guild.afk_channel == lounge and guild.afk_timeout == 900
    assert guild.verification_level is discord.VerificationLevel.high
    assert guild.icon is not None
    data = sandbox.guild().data
    assert data["name"] == "Renamed Guild"
    assert data["afk_channel_id"] == str(lounge.id)
    assert isinstance(data["icon"], str) and data["icon"] == guild.icon.key


async def test_edit_guild_rejects_bad_fields_and_missing_permission(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    guild = bot.guilds[0]
    general = discord.utils.get(guild.text_channels, name="general")
    with pytest.raises(discord.HTTPException) as bad_afk:
        await guild.edit(afk_channel=general)  # type: ignore[arg-type]
    assert bad_afk.value.status == 400 and bad_afk.value.code == 50035
    assert "afk_channel_id" in bad_afk.value._errors  # type: ignore[operator]
    with pytest.raises(discord.HTTPException) as bad_timeout:
        await guild.edit(afk_timeout=123)
    assert bad_timeout.value.code == 50035 and "afk_timeout" in bad_timeout.value._errors  # type: ignore[operator]
    with pytest.raises(discord.Forbidden) as not_owner:
        await bot.http.edit_guild(guild.id, owner_id=uid(sandbox, "alice"))
    assert not_owner.value.code == 50013

    await on_sandbox(sandbox, set_role_perms(sandbox, BOT_ROLE, remove=int(Perm.MANAGE_GUILD)))
    with pytest.raises(discord.Forbidden) as denied:
        await guild.edit(name="Nope")
    assert denied.value.code == 50013
    assert sandbox.guild().data["name"] == "Test Guild"
    with pytest.raises(discord.NotFound) as unknown_guild:
        await bot.fetch_guild(1234567890123)
    assert unknown_guild.value.code == 10004


# -- channels ----------------------------------------------------------------------------------
async def test_create_channels_and_move_them(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    community = discord.utils.get(guild.categories, name="Community")
    assert community is not None
    text = await guild.create_text_channel(
        "Release Notes", category=community, topic="What changed", slowmode_delay=5
    )
    assert text.name == "release-notes" and text.topic == "What changed"
    assert text.category == community and text.slowmode_delay == 5
    await eventually(lambda: bot.get_channel(text.id) is not None)
    stored = sandbox.guild().channels[text.id]
    assert stored["parent_id"] == str(community.id) and stored["rate_limit_per_user"] == 5

    voice = await guild.create_voice_channel("Studio", bitrate=64000, user_limit=5)
    assert isinstance(voice, discord.VoiceChannel)
    assert (voice.bitrate, voice.user_limit) == (64000, 5)

    listed = await guild.fetch_channels()
    assert {c.id for c in listed} >= {text.id, voice.id}

    old = {c.id: c.position for c in guild.text_channels}
    await text.edit(position=0)
    await eventually(lambda: guild.text_channels[0].id == text.id)
    positions = {int(c["id"]): c["position"] for c in sandbox.guild().channels.values()}
    assert positions[text.id] == 0
    assert any(positions[cid] != pos for cid, pos in old.items() if cid != text.id)


async def test_create_channel_errors(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    general = discord.utils.get(guild.text_channels, name="general")
    assert general is not None
    count = len(sandbox.guild().channels)
    with pytest.raises(discord.HTTPException) as not_category:
        await bot.http.create_channel(guild.id, 0, name="x", parent_id=general.id)
    assert not_category.value.code == 50035 and "parent_id" in not_category.value._errors  # type: ignore[operator]
    with pytest.raises(discord.HTTPException) as too_long:
        await guild.create_text_channel("x" * 101)
    assert too_long.value.code == 50035 and "name" in too_long.value._errors  # type: ignore[operator]
    # Overwrites may not grant what the bot itself lacks (it is not an administrator).
    with pytest.raises(discord.Forbidden) as grant:
        await guild.create_text_channel(
            "secret",
            overwrites={guild.default_role: discord.PermissionOverwrite(administrator=True)},
        )
    assert grant.value.code == 50013
    await on_sandbox(sandbox, set_role_perms(sandbox, BOT_ROLE, remove=int(Perm.MANAGE_CHANNELS)))
    with pytest.raises(discord.Forbidden) as denied:
        await guild.create_text_channel("nope")
    assert denied.value.code == 50013
    assert len(sandbox.guild().channels) == count


# -- roles -------------------------------------------------------------------------------------
async def test_role_lifecycle(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    member_role = guild.get_role(sandbox.role_id("Member"))
    assert member_role is not None and member_role.position == 1
    role = await guild.create_role(
        name="Tester",
        colour=discord.Colour(0x123456),
        permissions=discord.Permissions(kick_members=True),
        hoist=True,
    )
    assert (role.name, role.colour.value, role.position) == ("Tester", 0x123456, 1)
    await eventually(lambda: guild.get_role(role.id) is not None and member_role.position == 2)
    stored = sandbox.guild().roles[role.id]
    assert stored["permissions"] == str(int(Perm.KICK_MEMBERS)) and stored["hoist"] is True
    assert sandbox.guild().roles[member_role.id]["position"] == 2

    edited = await role.edit(name="Renamed", colour=discord.Colour(0xABCDEF), mentionable=True)
    assert edited is not None and edited.name == "Renamed"
    cached = guild.get_role(role.id)
    assert cached is not None
    await eventually(lambda: cached.name == "Renamed" and cached.colour.value == 0xABCDEF)
    assert sandbox.guild().roles[role.id]["colors"]["primary_color"] == 0xABCDEF

    await role.edit(position=3)
    await eventually(lambda: cached.position == 3)
    positions = {r["name"]: r["position"] for r in sandbox.guild().roles.values()}
    assert positions == {
        "@everyone": 0,
        "Member": 1,
        "Helper": 2,
        "Renamed": 3,
        "Moderator": 4,
        BOT_ROLE: 5,
        "Admin": 6,
    }
    assert [r.name for r in guild.roles] == sorted(positions, key=positions.__getitem__)

    await role.delete()
    await eventually(lambda: guild.get_role(role.id) is None)
    assert role.id not in sandbox.guild().roles


async def test_role_hierarchy_is_enforced(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    admin = guild.get_role(sandbox.role_id("Admin"))
    own = guild.get_role(sandbox.role_id(BOT_ROLE))
    helper = guild.get_role(sandbox.role_id("Helper"))
    assert admin and own and helper
    for attempt in (
        admin.edit(name="Mine now"),  # above the bot's top role
        own.edit(name="Renamed bot role"),  # the bot's own top role
        admin.delete(),
        guild.create_role(name="Boss", permissions=discord.Permissions(administrator=True)),
        helper.edit(permissions=discord.Permissions(administrator=True)),
        helper.edit(position=4),  # would reach the bot's own position
    ):
        with pytest.raises(discord.Forbidden) as denied:
            await attempt
        assert denied.value.code == 50013
    assert sandbox.guild().roles[admin.id]["name"] == "Admin"
    assert sandbox.guild().roles[helper.id]["position"] == 2
    assert int(sandbox.guild().roles[helper.id]["permissions"]) & Perm.ADMINISTRATOR == 0

    await on_sandbox(sandbox, set_role_perms(sandbox, BOT_ROLE, remove=int(Perm.MANAGE_ROLES)))
    with pytest.raises(discord.Forbidden) as no_manage:
        await guild.create_role(name="nope")
    assert no_manage.value.code == 50013


async def test_role_unknown_invalid_and_bad_payload(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    with pytest.raises(discord.NotFound) as missing:
        await guild.fetch_role(1234567890123)
    assert missing.value.code == 10011
    with pytest.raises(discord.NotFound) as missing_delete:
        await bot.http.delete_role(guild.id, 1234567890123)
    assert missing_delete.value.code == 10011
    with pytest.raises(discord.HTTPException) as everyone:
        await bot.http.delete_role(guild.id, guild.id)
    assert (everyone.value.status, everyone.value.code) == (400, 50028)

    def add_managed() -> int:
        g = sandbox.guild()
        role = sandbox.state.create_role(g, "Server Booster", position=1, dispatch=False)
        role["managed"] = True
        role["tags"] = {"premium_subscriber": None}
        return int(role["id"])

    booster = await on_sandbox(sandbox, add_managed)
    with pytest.raises(discord.HTTPException) as managed:
        await bot.http.delete_role(guild.id, booster)
    assert managed.value.code == 50028 and booster in sandbox.guild().roles

    with pytest.raises(discord.HTTPException) as too_long:
        await guild.create_role(name="x" * 101)
    assert (too_long.value.status, too_long.value.code) == (400, 50035)
    assert too_long.value._errors == {  # type: ignore[attr-defined]
        "name": {
            "_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 100 or fewer in length."}
            ]
        }
    }
    with pytest.raises(discord.HTTPException) as bad_colour:
        await guild.create_role(name="ok", colour=0x1000000)
    assert bad_colour.value.code == 50035


def _pure_world() -> tuple[SandboxState, GuildState, int]:
    state = SandboxState(deterministic=True)
    app = state.create_application()
    empty_world(state, app)
    return state, next(iter(state.guilds.values())), app.bot_id


def test_role_hierarchy_rules_pure() -> None:
    state, guild, bot_id = _pure_world()
    by_name = {r["name"]: r for r in guild.roles.values()}
    users = {u["username"]: int(u["id"]) for u in state.users.values()}
    owner, alice = users["owner"], users["alice"]

    ops.check_role_editable(guild, bot_id, by_name["Moderator"])  # below: allowed
    for role in ("Admin", BOT_ROLE):
        with pytest.raises(DiscordAPIError) as exc:
            ops.check_role_editable(guild, bot_id, by_name[role])
        assert exc.value.code == 50013
    ops.check_role_editable(guild, owner, by_name["Admin"])  # the owner bypasses hierarchy

    # Granting: only permissions the actor holds; keeping existing ones is fine.
    ops.check_grant(guild, bot_id, int(Perm.KICK_MEMBERS))
    with pytest.raises(DiscordAPIError):
        ops.check_grant(guild, bot_id, int(Perm.ADMINISTRATOR))
    ops.check_grant(guild, bot_id, int(Perm.ADMINISTRATOR), int(Perm.ADMINISTRATOR))
    ops.check_grant(guild, owner, int(Perm.ADMINISTRATOR))

    # Managed roles can never be assigned, even by the owner.
    managed = int(by_name[BOT_ROLE]["id"])
    with pytest.raises(DiscordAPIError):
        ops.check_role_assignment(guild, owner, set(), {managed})
    ops.check_role_assignment(guild, bot_id, set(), {int(by_name["Helper"]["id"])})

    # Members: the bot outranks alice (Moderator) but not the owner or an Admin.
    assert can_act_on_member(guild, bot_id, alice)
    assert not can_act_on_member(guild, bot_id, owner)
    assert not can_act_on_member(guild, alice, bot_id)
    with pytest.raises(DiscordAPIError):
        ops.check_timeout_target(guild, bot_id, owner)

    # Reordering renumbers contiguously and only moves what was asked.
    helper, mod = int(by_name["Helper"]["id"]), int(by_name["Moderator"]["id"])
    ops.reorder_roles(state, guild, {helper: 3, mod: 2})
    assert [r["name"] for r in ops.sorted_roles(guild)] == [
        "@everyone",
        "Member",
        "Moderator",
        "Helper",
        BOT_ROLE,
        "Admin",
    ]
    assert [r["position"] for r in ops.sorted_roles(guild)] == [0, 1, 2, 3, 4, 5]


# -- members -----------------------------------------------------------------------------------
async def test_fetch_list_and_search_members(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    alice = await guild.fetch_member(uid(sandbox, "alice"))
    assert alice.name == "alice" and "Moderator" in {r.name for r in alice.roles}
    members = [m async for m in guild.fetch_members(limit=None)]
    assert len(members) == len(sandbox.guild().members)
    assert {m.id for m in members} == set(sandbox.guild().members)
    page = await bot.http.get_members(guild.id, 3, None)
    ids = [int(m["user"]["id"]) for m in page]
    assert ids == sorted(sandbox.guild().members)[:3]  # ascending by id, ``after`` pages on
    after = await bot.http.get_members(guild.id, 1000, ids[-1])
    assert [int(m["user"]["id"]) for m in after] == sorted(sandbox.guild().members)[3:]
    with pytest.raises(discord.NotFound) as missing:
        await guild.fetch_member(1234567890123)
    assert missing.value.code == 10007
    route = discord.http.Route("GET", "/guilds/{guild_id}/members/search", guild_id=guild.id)
    found = await bot.http.request(route, params={"query": "ca", "limit": 10})
    assert [m["user"]["username"] for m in found] == ["carol"]
    with pytest.raises(discord.HTTPException) as bad_limit:
        await bot.http.request(route, params={"query": "a", "limit": 0})
    assert bad_limit.value.code == 50035


async def test_edit_member_nick_and_roles(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    carol = guild.get_member(uid(sandbox, "carol"))
    helper = guild.get_role(sandbox.role_id("Helper"))
    assert carol is not None and helper is not None
    edited = await carol.edit(nick="Caz")
    assert edited is not None and edited.nick == "Caz"
    await eventually(lambda: carol.nick == "Caz")
    assert sandbox.guild().members[carol.id]["nick"] == "Caz"

    await carol.add_roles(helper)
    await eventually(lambda: helper in carol.roles)
    await sandbox.expect_role("carol", "Helper")
    await carol.remove_roles(helper)
    await eventually(lambda: helper not in carol.roles)
    assert str(helper.id) not in sandbox.guild().members[carol.id]["roles"]

    await carol.edit(roles=[helper, guild.get_role(sandbox.role_id("Member"))])
    await eventually(lambda: {r.name for r in carol.roles} == {"@everyone", "Helper", "Member"})

    await guild.me.edit(nick="Botty")
    await eventually(lambda: guild.me.nick == "Botty")
    assert sandbox.guild().members[bot.user.id]["nick"] == "Botty"  # type: ignore[union-attr]
    with pytest.raises(discord.HTTPException) as long_nick:
        await carol.edit(nick="n" * 33)
    assert long_nick.value.code == 50035 and "nick" in long_nick.value._errors  # type: ignore[operator]


async def test_member_edits_respect_hierarchy(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    owner = guild.get_member(uid(sandbox, "owner"))
    carol = guild.get_member(uid(sandbox, "carol"))
    admin = guild.get_role(sandbox.role_id("Admin"))
    own_role = guild.get_role(sandbox.role_id(BOT_ROLE))
    assert owner and carol and admin and own_role
    attempts = [
        carol.add_roles(admin),  # a role above the bot
        guild.me.remove_roles(own_role),  # the bot's own managed role
        carol.add_roles(own_role),  # managed roles cannot be given to anyone
        owner.edit(nick="boss"),  # the owner outranks everyone
        owner.timeout(dt.timedelta(minutes=5)),
    ]
    for attempt in attempts:
        with pytest.raises(discord.Forbidden) as denied:
            await attempt
        assert denied.value.code == 50013
    assert str(admin.id) not in sandbox.guild().members[carol.id]["roles"]
    assert str(own_role.id) in sandbox.guild().members[bot.user.id]["roles"]  # type: ignore[union-attr]
    with pytest.raises(discord.NotFound) as unknown_role:
        await bot.http.add_role(guild.id, carol.id, 1234567890123)
    assert unknown_role.value.code == 10011


async def test_timeout_member(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    dave = guild.get_member(uid(sandbox, "dave"))
    assert dave is not None
    await dave.timeout(dt.timedelta(minutes=10), reason="spam")
    await eventually(lambda: dave.is_timed_out())
    assert sandbox.guild().members[dave.id]["communication_disabled_until"] is not None
    with pytest.raises(discord.HTTPException) as too_long:
        await dave.timeout(dt.timedelta(days=29))
    assert too_long.value.code == 50035
    await dave.timeout(None)
    await eventually(lambda: not dave.is_timed_out())

    # An administrator below the bot is still untouchable.
    await on_sandbox(sandbox, set_role_perms(sandbox, "Helper", add=int(Perm.ADMINISTRATOR)))
    await on_sandbox(
        sandbox,
        lambda: sandbox.state.update_member(
            sandbox.guild(), dave.id, {"roles": [sandbox.role_id("Helper")]}
        ),
    )
    await eventually(lambda: dave.guild_permissions.administrator)
    with pytest.raises(discord.Forbidden) as admin:
        await dave.timeout(dt.timedelta(minutes=1))
    assert admin.value.code == 50013


async def test_voice_move_mute_and_fetch(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    alice = guild.get_member(uid(sandbox, "alice"))
    lounge = discord.utils.get(guild.voice_channels, name="Lounge")
    gaming = discord.utils.get(guild.voice_channels, name="Gaming")
    assert alice and lounge and gaming
    with pytest.raises(discord.Forbidden):
        await alice.move_to(gaming)  # the bot lacks MOVE_MEMBERS
    await on_sandbox(
        sandbox,
        set_role_perms(sandbox, BOT_ROLE, add=int(Perm.MOVE_MEMBERS | Perm.MUTE_MEMBERS)),
    )
    with pytest.raises(discord.HTTPException) as not_connected:
        await alice.move_to(gaming)
    assert not_connected.value.code == 40032

    await sandbox.user("alice").join_voice("Lounge")
    await eventually(lambda: alice.voice is not None and alice.voice.channel == lounge)
    state = await alice.fetch_voice()
    assert state.channel == lounge
    with pytest.raises(discord.NotFound) as no_voice:
        await guild.me.fetch_voice()
    assert no_voice.value.code == 10065

    await alice.move_to(gaming)
    await eventually(lambda: alice.voice is not None and alice.voice.channel == gaming)
    await alice.edit(mute=True)
    await eventually(lambda: alice.voice is not None and alice.voice.mute)
    assert sandbox.guild().voice_states[alice.id]["mute"] is True
    await alice.move_to(None)
    await eventually(lambda: alice.voice is None)
    assert alice.id not in sandbox.guild().voice_states


async def test_kick_through_a_command(sandbox: Sandbox) -> None:
    client = make_bot()

    @client.command()
    async def kick(ctx: commands.Context[commands.Bot], member: discord.Member) -> None:
        try:
            await member.kick(reason="by command")
        except discord.Forbidden as exc:
            await ctx.send(f"cannot kick {member.name}: {exc.code}")
        else:
            await ctx.send(f"kicked {member.name}")

    async with run_bot(client, sandbox):
        guild = client.guilds[0]
        bob = uid(sandbox, "bob")
        owner = sandbox.user("owner")
        await owner.say("#general", f"!kick <@{bob}>")
        await sandbox.expect_message("#general", content="kicked bob")
        await eventually(lambda: guild.get_member(bob) is None)
        assert bob not in sandbox.guild().members
        await owner.say("#general", f"!kick <@{owner.id}>")
        await sandbox.expect_message("#general", content="cannot kick owner: 50013")
        assert owner.id in sandbox.guild().members
        with pytest.raises(discord.NotFound) as gone:
            await client.http.kick(bob, guild.id)
        assert gone.value.code == 10007


# -- bans --------------------------------------------------------------------------------------
async def test_ban_lifecycle_purges_messages(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    carol_id = uid(sandbox, "carol")
    carol_user = sandbox.user("carol")
    for text in ("one", "two", "three"):
        await carol_user.say("#general", text)
    await sandbox.user("dave").say("#general", "stays")
    banned: list[int] = []

    async def on_member_ban(_: discord.Guild, user: discord.User | discord.Member) -> None:
        banned.append(user.id)

    bot.add_listener(on_member_ban)

    member = guild.get_member(carol_id)
    assert member is not None
    await guild.ban(member, reason="rude", delete_message_seconds=3600)
    await eventually(lambda: guild.get_member(carol_id) is None and banned == [carol_id])
    assert carol_id not in sandbox.guild().members
    remaining = [m.content for m in sandbox.messages("#general")]
    assert "stays" in remaining and not {"one", "two", "three"} & set(remaining)

    entry = await guild.fetch_ban(discord.Object(carol_id))
    assert (entry.user.id, entry.reason) == (carol_id, "rude")
    assert [b.user.id async for b in guild.bans()] == [carol_id]
    await guild.unban(discord.Object(carol_id))
    assert carol_id not in sandbox.guild().bans
    with pytest.raises(discord.NotFound) as unknown_ban:
        await guild.fetch_ban(discord.Object(carol_id))
    assert unknown_ban.value.code == 10026
    with pytest.raises(discord.NotFound) as unban_again:
        await guild.unban(discord.Object(carol_id))
    assert unban_again.value.code == 10026


async def test_ban_permissions_validation_and_bulk(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    owner = uid(sandbox, "owner")
    with pytest.raises(discord.Forbidden) as owner_ban:
        await guild.ban(discord.Object(owner))
    assert owner_ban.value.code == 50013
    with pytest.raises(discord.HTTPException) as bad_seconds:
        await bot.http.ban(uid(sandbox, "dave"), guild.id, delete_message_seconds=10**7)
    assert bad_seconds.value.code == 50035
    with pytest.raises(discord.NotFound) as no_user:
        await guild.ban(discord.Object(1234567890123))
    assert no_user.value.code == 10013

    dave, erin = uid(sandbox, "dave"), uid(sandbox, "erin")
    result = await guild.bulk_ban(
        [discord.Object(dave), discord.Object(erin), discord.Object(owner)]
    )
    assert {o.id for o in result.banned} == {dave, erin}
    assert [o.id for o in result.failed] == [owner]
    await eventually(lambda: guild.get_member(dave) is None and guild.get_member(erin) is None)
    assert set(sandbox.guild().bans) == {dave, erin}

    await on_sandbox(sandbox, set_role_perms(sandbox, BOT_ROLE, remove=int(Perm.BAN_MEMBERS)))
    with pytest.raises(discord.Forbidden) as denied:
        await guild.ban(discord.Object(uid(sandbox, "bob")))
    assert denied.value.code == 50013


async def test_audit_log_and_invites(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    with pytest.raises(discord.Forbidden):
        [e async for e in guild.audit_logs(limit=10)]
    await on_sandbox(sandbox, set_role_perms(sandbox, BOT_ROLE, add=int(Perm.VIEW_AUDIT_LOG)))
    assert [e async for e in guild.audit_logs(limit=10)] == []
    general = discord.utils.get(guild.text_channels, name="general")
    assert general is not None
    invite = await general.create_invite(max_uses=3)
    listed = await guild.invites()
    assert [(i.code, i.max_uses) for i in listed] == [(invite.code, 3)]
