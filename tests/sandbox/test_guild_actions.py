"""The driver's owner-side guild changes, and how a connected bot's cache follows them.

World: ``backup`` — "Backup Lab" (the first guild) with roles, channels, emojis, stickers,
bans and members; "Restore Target" is empty.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox
from zoryx.sandbox.cdn import make_png
from zoryx.sandbox.errors import DiscordAPIError
from zoryx.testing import eventually, run_bot

LAB = "Backup Lab"
NEW_ICON = make_png(40, (0x10, 0x20, 0x30), (0xF0, 0xE0, 0xD0))


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


def lab_of(bot: commands.Bot) -> discord.Guild:
    guild = discord.utils.get(bot.guilds, name=LAB)
    assert guild is not None
    return guild


async def test_delete_roles_and_strip_member_roles(sandbox: Sandbox, bot: commands.Bot) -> None:
    lab = lab_of(bot)
    vip = discord.utils.get(lab.roles, name="VIP")
    assert vip is not None and len(vip.members) >= 3
    await sandbox.delete_role("VIP", guild=LAB)
    await eventually(lambda: lab.get_role(vip.id) is None)
    assert all(vip not in m.roles for m in lab.members)
    assert all(str(vip.id) not in m["roles"] for m in sandbox.guild(LAB).members.values())

    moderator = sandbox.role_id("Moderator", LAB)
    await sandbox.delete_role(moderator, guild=LAB)  # by id
    await eventually(lambda: lab.get_role(moderator) is None)

    with pytest.raises(DiscordAPIError) as managed:
        await sandbox.delete_role("Twitch Subscriber", guild=LAB)
    assert managed.value.code == 50028
    assert discord.utils.get(lab.roles, name="Twitch Subscriber") is not None

    alice = lab.get_member(int(sandbox.state.find_user("alice")["id"]))
    assert alice is not None and len(alice.roles) > 1
    await sandbox.set_roles("alice", [], guild=LAB)
    await eventually(lambda: alice.roles == [lab.default_role])


async def test_delete_channels_emojis_stickers(sandbox: Sandbox, bot: commands.Bot) -> None:
    lab = lab_of(bot)
    community = discord.utils.get(lab.categories, name="Community")
    assert community is not None and len(community.channels) == 4
    children = [c.id for c in community.channels]
    await sandbox.delete_channel("Community", guild=LAB)
    await eventually(lambda: lab.get_channel(community.id) is None)
    await eventually(lambda: all(lab.get_channel(c).category is None for c in children))  # type: ignore[union-attr]
    await sandbox.delete_channel("#general", guild=LAB)
    await eventually(lambda: discord.utils.get(lab.text_channels, name="general") is None)

    ok = discord.utils.get(lab.emojis, name="lab_ok")
    assert ok is not None and await ok.read()
    await sandbox.delete_emoji("lab_ok", guild=LAB)
    await eventually(lambda: bot.get_emoji(ok.id) is None)
    with pytest.raises(discord.NotFound):
        await ok.read()
    star = discord.utils.get(lab.emojis, name="lab_star")
    assert star is not None
    await sandbox.delete_emoji(star.id, guild=LAB)
    await eventually(lambda: len(lab.emojis) == 1)

    wave = discord.utils.get(lab.stickers, name="lab_wave")
    assert wave is not None and await wave.read()
    await sandbox.delete_sticker("lab_wave", guild=LAB)
    await eventually(lambda: [s.name for s in lab.stickers] == ["lab_cheer"])
    with pytest.raises(discord.NotFound):
        await wave.read()
    with pytest.raises(DiscordAPIError) as missing:
        await sandbox.delete_sticker("lab_wave", guild=LAB)
    assert missing.value.code == 10060


async def test_unban_and_ban(sandbox: Sandbox, bot: commands.Bot) -> None:
    lab = lab_of(bot)
    await sandbox.unban("spammer", guild=LAB)
    bans = [entry.user.name async for entry in lab.bans()]
    assert bans == ["raider"]
    with pytest.raises(DiscordAPIError):
        await sandbox.unban("spammer", guild=LAB)
    bob = int(sandbox.state.find_user("bob")["id"])
    await sandbox.ban("bob", guild=LAB, reason="testing")
    await eventually(lambda: lab.get_member(bob) is None)
    entry = await lab.fetch_ban(discord.Object(bob))
    assert entry.reason == "testing"


async def test_edit_role_and_guild(sandbox: Sandbox, bot: commands.Bot) -> None:
    lab = lab_of(bot)
    helper = discord.utils.get(lab.roles, name="Helper")
    assert helper is not None
    await sandbox.edit_role(
        "Helper",
        guild=LAB,
        name="Helpers",
        color=0x123456,
        permissions=discord.Permissions(manage_messages=True),
        hoist=False,
        position=1,
    )
    await eventually(lambda: helper.name == "Helpers" and helper.position == 1)
    assert helper.colour.value == 0x123456 and helper.permissions.manage_messages
    assert not helper.hoist
    # The other roles were renumbered without gaps (one GUILD_ROLE_UPDATE each).
    await eventually(lambda: sorted(r.position for r in lab.roles) == list(range(len(lab.roles))))
    with pytest.raises(TypeError):
        await sandbox.edit_role("Helpers", guild=LAB, colour=1)

    await sandbox.edit_guild(
        LAB,
        name="Backup Lab (damaged)",
        verification_level=0,
        afk_channel=None,
        system_channel="#rules",
        icon=NEW_ICON,
        banner=None,
    )
    await eventually(lambda: lab.name == "Backup Lab (damaged)")
    assert lab.verification_level == discord.VerificationLevel.none
    assert lab.afk_channel is None and lab.banner is None
    assert lab.system_channel is not None and lab.system_channel.name == "rules"
    assert lab.icon is not None and await lab.icon.read() == NEW_ICON
    with pytest.raises(TypeError):
        await sandbox.edit_guild("Backup Lab (damaged)", owner="alice")
