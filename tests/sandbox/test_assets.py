"""Uploaded images come back from the sandbox CDN byte for byte, as from Discord's CDN.

World: ``empty`` — "Test Guild" with four builder-made emojis and one sticker; the bot's
role can manage the guild, roles, expressions and webhooks.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox
from zoryx.sandbox.assets import AssetStore
from zoryx.sandbox.cdn import PLACEHOLDER_PNG, make_gif, make_png
from zoryx.testing import run_bot

from .helpers import eventually, on_sandbox, text_channel

GREEN = make_png(20, (0x2E, 0xCC, 0x71), (0, 0, 0))
ORANGE = make_png(24, (0xE6, 0x7E, 0x22), (0xFF, 0xFF, 0xFF))
PURPLE = make_png(28, (0x9B, 0x59, 0xB6), (0xFF, 0xFF, 0))
TEAL = make_png(30, (0x1A, 0xBC, 0x9C), (0, 0, 0xFF))
RED_GIF = make_gif((0xE7, 0x4C, 0x3C))


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[commands.Bot]:
    client = commands.Bot(
        command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1
    )
    async with run_bot(client, sandbox):
        yield client


def test_test_images_are_distinct() -> None:
    images = [GREEN, ORANGE, PURPLE, TEAL, RED_GIF, PLACEHOLDER_PNG]
    assert len(set(images)) == len(images)


async def test_emoji_bytes_round_trip_and_vanish_on_delete(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    guild = bot.guilds[0]
    still = await guild.create_custom_emoji(name="green_box", image=GREEN)
    moving = await guild.create_custom_emoji(name="red_dot", image=RED_GIF)
    assert moving.animated and f"/emojis/{moving.id}.webp?animated=true" in moving.url
    assert await still.read() == GREEN
    assert await moving.read() == RED_GIF
    cached = bot.get_emoji(still.id)
    assert cached is not None and await cached.read() == GREEN

    async with aiohttp.ClientSession() as http:  # the content type follows the bytes
        async with http.get(moving.url + "?size=48&quality=lossless") as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "image/gif"
            assert await resp.read() == RED_GIF

    await still.delete()
    await eventually(lambda: bot.get_emoji(still.id) is None)
    with pytest.raises(discord.NotFound):
        await still.read()
    assert await moving.read() == RED_GIF
    await sandbox.delete_emoji("red_dot")  # the driver's owner-side delete drops it too
    with pytest.raises(discord.NotFound):
        await moving.read()
    ghost = discord.PartialEmoji.with_state(bot._connection, name="ghost", id=still.id + 1)
    with pytest.raises(discord.NotFound):
        await ghost.read()


async def test_world_made_emojis_keep_the_placeholder(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    assert len(guild.emojis) == 4
    for emoji in guild.emojis:
        assert await emoji.read() == PLACEHOLDER_PNG
    assert bot.user is not None
    assert await bot.user.display_avatar.read() == PLACEHOLDER_PNG


async def test_sticker_bytes_round_trip_and_vanish_on_delete(
    sandbox: Sandbox, bot: commands.Bot
) -> None:
    guild = bot.guilds[0]
    file = discord.File(io.BytesIO(ORANGE), filename="box.png")
    sticker = await guild.create_sticker(name="orange_box", emoji="📦", file=file)
    assert sticker.url.endswith(f"/stickers/{sticker.id}.png")
    assert await sticker.read() == ORANGE
    fetched = await bot.fetch_sticker(sticker.id)
    assert await fetched.read() == ORANGE
    await sticker.delete()
    with pytest.raises(discord.NotFound):
        await sticker.read()


async def test_guild_icon_banner_and_role_icon(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    await on_sandbox(sandbox, lambda: sandbox.guild().data["features"].append("ROLE_ICONS"))
    edited = await guild.edit(icon=GREEN, banner=PURPLE)
    assert edited.icon is not None and edited.banner is not None
    assert await edited.icon.read() == GREEN
    assert await edited.banner.read() == PURPLE
    assert await edited.icon.with_size(64).with_format("webp").read() == GREEN
    key = edited.icon.key
    await eventually(lambda: guild.icon is not None and guild.icon.key == key)
    assert await guild.icon.read() == GREEN  # type: ignore[union-attr]

    animated = await guild.edit(icon=RED_GIF)
    assert animated.icon is not None and animated.icon.is_animated()
    assert animated.icon.key.startswith("a_")
    assert await animated.icon.read() == RED_GIF

    role = await guild.create_role(name="Teal", display_icon=TEAL)
    assert isinstance(role.display_icon, discord.Asset)
    assert f"/role-icons/{role.id}/" in role.display_icon.url
    assert await role.display_icon.read() == TEAL
    edited_role = await role.edit(display_icon=ORANGE)
    assert edited_role is not None and isinstance(edited_role.display_icon, discord.Asset)
    assert await edited_role.display_icon.read() == ORANGE


async def test_avatars_of_bot_member_and_webhook(sandbox: Sandbox, bot: commands.Bot) -> None:
    assert bot.user is not None
    me_user = await bot.user.edit(avatar=TEAL)
    assert me_user.avatar is not None and await me_user.avatar.read() == TEAL
    assert f"/avatars/{me_user.id}/{me_user.avatar.key}." in me_user.avatar.url
    guild = bot.guilds[0]
    me = await guild.me.edit(avatar=ORANGE)
    assert me is not None and me.guild_avatar is not None
    assert await me.guild_avatar.read() == ORANGE

    hook = await text_channel(bot, sandbox, "general").create_webhook(name="Hooky", avatar=GREEN)
    assert hook.avatar is not None and await hook.avatar.read() == GREEN
    edited = await hook.edit(avatar=PURPLE)
    assert edited.avatar is not None and await edited.avatar.read() == PURPLE


def test_asset_store_is_bounded_by_bytes_and_count() -> None:
    store = AssetStore(max_bytes=100, max_items=3)
    store.put("emoji", 1, b"a" * 40)
    store.put("emoji", 2, b"b" * 40)
    assert store.get("emoji", 1) == b"a" * 40  # 1 is now the most recently used
    store.put("emoji", 3, b"c" * 40)  # 120 bytes: the least recently used (2) goes
    assert store.get("emoji", 2) is None
    assert store.total_bytes == 80 and len(store) == 2
    store.put("image", "x", b"d")
    store.put("image", "y", b"e")  # four items: the oldest (1) goes
    assert len(store) == 3 and store.get("emoji", 1) is None
    store.put("sticker", 9, b"z" * 101)  # larger than the whole store: not kept
    assert store.get("sticker", 9) is None and len(store) == 3
    store.put("image", "x", b"dd")  # replacing an item counts its new size only
    store.discard("emoji", 3)
    assert store.total_bytes == 3 and len(store) == 2
