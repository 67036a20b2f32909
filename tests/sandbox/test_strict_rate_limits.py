"""Strict rate limits switched on in a running sandbox, against the routes a restore uses.

World: ``backup`` — requests go to the empty "Restore Target", where the bot is an
administrator. discord.py waits on a route bucket before it runs dry (it learns the limit
from the headers), so with the sandbox's default limits a burst on one route gets no 429:
the global limit (which discord.py does not know in advance) is lowered here to make the
sandbox refuse requests, and every request must still succeed after discord.py's retries.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox
from zoryx.sandbox.cdn import make_png
from zoryx.testing import eventually, run_bot

TARGET = "Restore Target"


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


def target_of(bot: commands.Bot) -> discord.Guild:
    guild = discord.utils.get(bot.guilds, name=TARGET)
    assert guild is not None
    return guild


async def test_role_burst_under_strict_limits_switched_on_at_run_time(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    guild = target_of(bot)
    assert sandbox.limiter.refused == 0
    sandbox.limiter.strict = True  # as rt.sandbox.limiter.strict = True does at run time
    sandbox.limiter.global_limit = 3
    names = [f"burst-{i:02d}" for i in range(10)]
    created = await asyncio.gather(*(guild.create_role(name=n) for n in names))
    assert sorted(r.name for r in created) == names
    assert {r["name"] for r in sandbox.guild(TARGET).roles.values()} >= set(names)
    assert sandbox.limiter.refused > 0  # real 429s were answered, and absorbed

    await sandbox.set_rate_limits(strict=False)
    refused = sandbox.limiter.refused
    more = await asyncio.gather(*(guild.create_role(name=f"calm-{i}") for i in range(10)))
    assert len(more) == 10 and sandbox.limiter.refused == refused


async def test_restore_routes_respect_429s(sandbox: Sandbox, bot: commands.Bot) -> None:
    """Role create/edit/positions, channel create/edit/positions, emoji and sticker create,
    member role add/remove and ban, one after another as a restore sends them."""
    guild = target_of(bot)
    member = next(m for m in guild.members if not m.bot and m.id != guild.owner_id)
    await sandbox.set_rate_limits(strict=True, global_limit=5)

    low = await guild.create_role(name="Low", colour=discord.Colour(0x112233))
    high = await guild.create_role(name="High", permissions=discord.Permissions(kick_members=True))
    await low.edit(hoist=True, mentionable=True)
    await guild.edit_role_positions({high: 2, low: 1})
    category = await guild.create_category("Restored")
    text = await guild.create_text_channel("restored-text", category=category, topic="back")
    voice = await guild.create_voice_channel("Restored Voice", category=category, bitrate=64000)
    await text.edit(slowmode_delay=5, nsfw=True)
    await text.set_permissions(low, send_messages=False)
    await voice.edit(position=0)
    emoji = await guild.create_custom_emoji(name="restored", image=make_png(8))
    file = discord.File(io.BytesIO(make_png(12)), filename="s.png")
    sticker = await guild.create_sticker(name="restored", emoji="✅", file=file)
    await member.add_roles(low, high)
    await member.remove_roles(high)
    await guild.ban(discord.Object(member.id), reason="restored ban")

    state = sandbox.guild(TARGET)
    roles = {r["name"]: r for r in state.roles.values()}
    assert roles["High"]["position"] == 2 and roles["Low"]["position"] == 1
    assert roles["Low"]["hoist"] and roles["Low"]["color"] == 0x112233
    stored_text = state.channels[text.id]
    assert stored_text["rate_limit_per_user"] == 5 and stored_text["nsfw"]
    assert stored_text["parent_id"] == str(category.id)
    assert any(o["id"] == str(low.id) for o in stored_text["permission_overwrites"])
    assert emoji.id in state.emojis and sticker.id in state.stickers
    assert member.id in state.bans and state.bans[member.id]["reason"] == "restored ban"
    await eventually(lambda: guild.get_member(member.id) is None)
    assert sandbox.limiter.refused > 0
