"""The ``backup`` world and the ``scale_guild`` builder, as a discord.py bot sees them.

World: ``backup`` — "Backup Lab" (everything a backup captures) and the empty "Restore
Target"; the scale builder is checked on its own states.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import WORLDS, Sandbox, scale_guild_world
from zoryx.sandbox.cdn import PLACEHOLDER_PNG
from zoryx.sandbox.constants import ChannelType
from zoryx.sandbox.state import SandboxState
from zoryx.testing import run_bot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def sandbox_world() -> str:
    return "backup"


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[commands.Bot]:
    client = commands.Bot(
        command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1
    )
    async with run_bot(client, sandbox):
        yield client


def guild_named(bot: commands.Bot, name: str) -> discord.Guild:
    guild = discord.utils.get(bot.guilds, name=name)
    assert guild is not None, name
    return guild


async def real_image(asset: discord.Asset | None) -> bytes:
    """An uploaded image (not the CDN placeholder)."""
    assert asset is not None
    data = await asset.read()
    assert data != PLACEHOLDER_PNG and data[:6] in (PNG_MAGIC[:6], b"GIF89a")
    return data


async def test_backup_lab_roles(sandbox: Sandbox, bot: commands.Bot) -> None:
    lab = guild_named(bot, "Backup Lab")
    assert lab.owner_id == sandbox.state.owner_user_id
    roles = {r.name: r for r in lab.roles}
    assert len(lab.roles) - 1 >= 8
    assert len({r.colour.value for r in lab.roles if not r.is_default()}) >= 8
    assert roles["Artist"].unicode_emoji == "🎨" and roles["Artist"].mentionable
    helper_icon = roles["Helper"].display_icon
    assert isinstance(helper_icon, discord.Asset)
    await real_image(helper_icon)
    assert roles["Helper"].hoist and roles["Moderator"].permissions.kick_members
    assert roles["Twitch Subscriber"].is_integration()
    me = lab.me
    assert me.top_role.is_bot_managed()
    above = [r for r in lab.roles if r > me.top_role]
    assert {r.name for r in above} == {"Admin", "Founders"}
    perms = me.guild_permissions
    assert perms.manage_roles and perms.manage_channels and perms.manage_expressions
    assert not perms.administrator
    # Every unmanaged role below the bot can be created again by the bot.
    for role in lab.roles:
        if role < me.top_role and not role.is_default() and not role.managed:
            copy = await lab.create_role(
                name=f"{role.name} copy",
                permissions=role.permissions,
                colour=role.colour,
                hoist=role.hoist,
                mentionable=role.mentionable,
            )
            assert copy.permissions == role.permissions


async def test_backup_lab_channels(sandbox: Sandbox, bot: commands.Bot) -> None:
    lab = guild_named(bot, "Backup Lab")
    assert [c.name for c in lab.categories] == ["Information", "Community", "Voice"]
    kinds = {c.type for c in lab.channels}
    assert {
        discord.ChannelType.text,
        discord.ChannelType.news,
        discord.ChannelType.voice,
        discord.ChannelType.stage_voice,
        discord.ChannelType.forum,
    } <= kinds
    general = discord.utils.get(lab.text_channels, name="general")
    assert general is not None and general.slowmode_delay == 5 and general.topic
    after_dark = discord.utils.get(lab.text_channels, name="after-dark")
    assert after_dark is not None and after_dark.is_nsfw()
    lounge = discord.utils.get(lab.voice_channels, name="Lounge")
    assert lounge is not None
    assert (lounge.bitrate, lounge.user_limit, lounge.rtc_region) == (96000, 10, "rotterdam")
    forum = discord.utils.get(lab.forums, name="help-forum")
    assert forum is not None and 2 <= len(forum.available_tags) <= 3
    assert forum.default_reaction_emoji == discord.PartialEmoji(name="👍")
    town_hall = lab.get_channel(sandbox.channel_id("Town Hall", lab.id))
    assert isinstance(town_hall, discord.StageChannel) and town_hall.bitrate == 64000
    role_targets = [
        c for c in lab.channels if any(isinstance(t, discord.Role) for t in c.overwrites)
    ]
    member_targets = [
        c for c in lab.channels if any(isinstance(t, discord.Member) for t in c.overwrites)
    ]
    assert len(role_targets) >= 5 and len(member_targets) >= 3
    staff = discord.utils.get(lab.text_channels, name="staff-room")
    assert staff is not None and {type(t) for t in staff.overwrites} == {
        discord.Role,
        discord.Member,
    }
    # The bot may grant every overwrite it finds: each channel can be cloned with them.
    for channel in list(lab.channels):
        clone = await channel.clone(name=f"{channel.name}-copy", category=channel.category)
        assert clone.overwrites == channel.overwrites


async def test_backup_lab_expressions_settings_bans_members(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    lab = guild_named(bot, "Backup Lab")
    assert len(lab.emojis) == 3 and sum(e.animated for e in lab.emojis) == 1
    emoji_bytes = {await real_image(e) for e in lab.emojis}  # type: ignore[arg-type]
    assert len(emoji_bytes) == 3
    assert len(lab.stickers) == 2
    sticker_bytes = {await s.read() for s in lab.stickers}
    assert len(sticker_bytes) == 2 and PLACEHOLDER_PNG not in sticker_bytes
    icon, banner = await real_image(lab.icon), await real_image(lab.banner)
    assert icon != banner and not (emoji_bytes | sticker_bytes) & {icon, banner}

    assert lab.verification_level == discord.VerificationLevel.medium
    assert lab.default_notifications == discord.NotificationLevel.only_mentions
    assert lab.explicit_content_filter == discord.ContentFilter.no_role
    assert lab.afk_channel is not None and lab.afk_channel.name == "AFK"
    assert lab.afk_timeout == 900
    assert lab.system_channel is not None and lab.system_channel.name == "welcome"
    assert lab.preferred_locale == discord.Locale.british_english
    assert lab.premium_progress_bar_enabled

    bans = [entry async for entry in lab.bans()]
    assert len(bans) == 2 and all(entry.reason for entry in bans)
    humans = [m for m in lab.members if not m.bot]
    assert 20 <= len(humans) <= 25
    with_extra = [m for m in humans if any(r.name != "Member" for r in m.roles[1:])]
    assert len(with_extra) >= 8
    assert any(r.is_integration() for m in humans for r in m.roles)


async def test_restore_target_is_empty_with_an_admin_bot(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    target = guild_named(bot, "Restore Target")
    lab = guild_named(bot, "Backup Lab")
    assert target.owner_id == lab.owner_id == sandbox.state.owner_user_id
    assert len(target.channels) == 0 and target.emojis == () and target.stickers == ()
    assert [r.name for r in target.roles] == ["@everyone", "Zoryx Sandbox Bot"]
    assert target.me.guild_permissions.administrator
    humans = {m.id for m in target.members if not m.bot}
    assert humans == {m.id for m in lab.members if not m.bot}
    assert all(m.roles == [target.default_role] for m in target.members if not m.bot)
    moderator = discord.utils.get(lab.roles, name="Moderator")
    assert moderator is not None
    created = await target.create_role(name="Moderator", permissions=moderator.permissions)
    assert created.permissions == moderator.permissions


def test_world_is_registered() -> None:
    assert "backup" in WORLDS and "scale_guild" in WORLDS


def _build(builder: object) -> SandboxState:
    sandbox = Sandbox(world=builder, deterministic=True)  # type: ignore[arg-type]
    return sandbox.state


def test_scale_guild_world_default_size() -> None:
    state = _build(scale_guild_world())
    guild, target = state.guilds.values()
    assert (guild.name, target.name) == ("Scale Guild", "Scale Target")
    assert len(guild.channels) == 500 and len(guild.roles) == 251 and len(guild.members) == 10_000
    categories = [c for c in guild.channels.values() if c["type"] == ChannelType.GUILD_CATEGORY]
    for category in categories:
        children = [c for c in guild.channels.values() if c["parent_id"] == category["id"]]
        assert 0 < len(children) <= 50
    assert {c["type"] for c in guild.channels.values()} == {0, 2, 4}
    with_overwrites = [c for c in guild.channels.values() if c["permission_overwrites"]]
    assert len(with_overwrites) >= 50
    role_counts = [len(m["roles"]) for m in guild.members.values()]
    assert max(role_counts) == 3 and role_counts.count(0) > 100
    assert target.channels == {} and len(target.roles) == 2 and len(target.members) == 2


async def test_scale_guild_as_seen_by_a_bot() -> None:
    sandbox = Sandbox(
        world=scale_guild_world(channels=60, roles=30, members=400, target_members=True)
    )
    sandbox.start_in_thread()
    try:
        client = commands.Bot(
            command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1
        )
        async with run_bot(client, sandbox, timeout=60):
            guild = guild_named(client, "Scale Guild")
            target = guild_named(client, "Scale Target")
            assert len(guild.channels) == 60 and len(guild.roles) == 31
            await guild.chunk()
            assert len(guild.members) == 400
            assert guild.me.top_role == guild.roles[-1]
            await target.chunk()
            assert len(target.channels) == 0 and len(target.members) == 400
    finally:
        sandbox.stop_thread()
