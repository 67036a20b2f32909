"""Custom emoji and sticker routes of the sandbox, driven by a real discord.py bot.

World: ``empty`` — "Test Guild" has four custom emojis and one sticker; the bot's role holds
MANAGE_GUILD_EXPRESSIONS.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox
from zoryx.sandbox.constants import Perm
from zoryx.testing import run_bot

from .helpers import eventually

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
GIF = b"GIF89a" + bytes(range(64))
BOT_ROLE = "Zoryx Sandbox Bot"
EXPRESSIONS = int(Perm.MANAGE_GUILD_EXPRESSIONS | Perm.CREATE_GUILD_EXPRESSIONS)


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[commands.Bot]:
    client = commands.Bot(
        command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1
    )
    async with run_bot(client, sandbox):
        yield client


async def revoke_expressions(sb: Sandbox) -> None:
    async def run() -> None:
        guild = sb.guild()
        rid = sb.role_id(BOT_ROLE)
        perms = int(guild.roles[rid]["permissions"]) & ~EXPRESSIONS
        sb.state.update_role(guild, rid, {"permissions": perms})

    await sb.call(run)


# -- emojis ------------------------------------------------------------------------------------
async def test_emoji_lifecycle(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    before = len(guild.emojis)
    assert before == len(sandbox.guild().emojis) == 4
    helper = guild.get_role(sandbox.role_id("Helper"))
    assert helper is not None
    emoji = await guild.create_custom_emoji(name="blob_ok", image=PNG, roles=[helper])
    assert (emoji.name, emoji.animated) == ("blob_ok", False)
    assert emoji.user is not None and emoji.user.id == bot.user.id  # type: ignore[union-attr]
    await eventually(lambda: len(guild.emojis) == before + 1)
    assert bot.get_emoji(emoji.id) is not None
    stored = sandbox.guild().emojis[emoji.id]
    assert stored["name"] == "blob_ok" and stored["roles"] == [str(helper.id)]

    animated = await guild.create_custom_emoji(name="dance", image=GIF)
    assert animated.animated
    fetched = await guild.fetch_emojis()
    assert {e.id for e in fetched} == set(sandbox.guild().emojis)
    one = await guild.fetch_emoji(emoji.id)
    assert one.name == "blob_ok" and [r.id for r in one.roles] == [helper.id]

    renamed = await emoji.edit(name="blob_great", roles=[])
    assert renamed.name == "blob_great"
    await eventually(lambda: getattr(bot.get_emoji(emoji.id), "name", None) == "blob_great")
    assert sandbox.guild().emojis[emoji.id]["roles"] == []

    await emoji.delete()
    await eventually(lambda: bot.get_emoji(emoji.id) is None)
    assert emoji.id not in sandbox.guild().emojis
    assert len(guild.emojis) == before + 1


async def test_emoji_errors(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    with pytest.raises(discord.NotFound) as missing:
        await guild.fetch_emoji(1234567890123)
    assert missing.value.code == 10014
    with pytest.raises(discord.NotFound) as missing_delete:
        await bot.http.delete_custom_emoji(guild.id, 1234567890123)
    assert missing_delete.value.code == 10014

    with pytest.raises(discord.HTTPException) as bad_name:
        await guild.create_custom_emoji(name="no spaces!", image=PNG)
    assert (bad_name.value.status, bad_name.value.code) == (400, 50035)
    assert bad_name.value._errors == {  # type: ignore[attr-defined]
        "name": {
            "_errors": [
                {
                    "code": "STRING_TYPE_REGEX",
                    "message": "String value did not match validation regex.",
                }
            ]
        }
    }
    with pytest.raises(discord.HTTPException) as short:
        await guild.create_custom_emoji(name="x", image=PNG)
    assert short.value.code == 50035 and "name" in short.value._errors  # type: ignore[operator]
    with pytest.raises(discord.HTTPException) as bad_image:
        await bot.http.create_custom_emoji(guild.id, "fine_name", "data:image/png;base64,!!")
    assert bad_image.value.code == 50035 and "image" in bad_image.value._errors  # type: ignore[operator]
    with pytest.raises(discord.HTTPException) as no_image:
        await bot.http.request(
            discord.http.Route("POST", "/guilds/{guild_id}/emojis", guild_id=guild.id),
            json={"name": "fine_name"},
        )
    assert no_image.value.code == 50035 and "image" in no_image.value._errors  # type: ignore[operator]
    with pytest.raises(discord.HTTPException) as too_big:
        await guild.create_custom_emoji(name="huge", image=PNG + bytes(300 * 1024))
    assert too_big.value.code == 50138
    assert len(sandbox.guild().emojis) == 4

    existing = guild.emojis[0]
    await revoke_expressions(sandbox)
    await eventually(lambda: not guild.me.guild_permissions.manage_emojis)
    with pytest.raises(discord.Forbidden) as denied:
        await guild.create_custom_emoji(name="nope", image=PNG)
    assert denied.value.code == 50013
    with pytest.raises(discord.Forbidden) as denied_delete:
        await existing.delete()
    assert denied_delete.value.code == 50013
    assert existing.id in sandbox.guild().emojis


# -- stickers ----------------------------------------------------------------------------------
async def test_sticker_lifecycle(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]
    assert len(guild.stickers) == 1
    sticker = await guild.create_sticker(
        name="hello",
        description="waves at you",
        emoji="wave",
        file=discord.File(io.BytesIO(PNG), filename="hello.png"),
    )
    assert (sticker.name, sticker.description, sticker.emoji) == ("hello", "waves at you", "wave")
    assert sticker.format is discord.StickerFormatType.png
    await eventually(lambda: len(guild.stickers) == 2)
    assert bot.get_sticker(sticker.id) is not None
    stored = sandbox.guild().stickers[sticker.id]
    assert (stored["name"], stored["tags"], stored["format_type"]) == ("hello", "wave", 1)

    gif = await guild.create_sticker(
        name="spin", description="", emoji="cyclone", file=discord.File(io.BytesIO(GIF), "s.gif")
    )
    assert gif.format is discord.StickerFormatType.gif
    assert {s.id for s in await guild.fetch_stickers()} == set(sandbox.guild().stickers)
    assert (await guild.fetch_sticker(sticker.id)).name == "hello"
    anywhere = await bot.fetch_sticker(sticker.id)
    assert isinstance(anywhere, discord.GuildSticker) and anywhere.guild_id == guild.id

    edited = await sticker.edit(name="hello_again", description="still waving")
    assert edited.name == "hello_again"
    await eventually(lambda: getattr(bot.get_sticker(sticker.id), "name", "") == "hello_again")
    assert sandbox.guild().stickers[sticker.id]["description"] == "still waving"

    await sticker.delete()
    await eventually(lambda: bot.get_sticker(sticker.id) is None)
    assert sticker.id not in sandbox.guild().stickers


async def test_sticker_errors_and_limit(sandbox: Sandbox, bot: commands.Bot) -> None:
    guild = bot.guilds[0]

    def upload() -> discord.File:
        return discord.File(io.BytesIO(PNG), filename="s.png")

    with pytest.raises(discord.NotFound) as missing:
        await guild.fetch_sticker(1234567890123)
    assert missing.value.code == 10060
    with pytest.raises(discord.NotFound) as missing_global:
        await bot.fetch_sticker(1234567890123)
    assert missing_global.value.code == 10060
    with pytest.raises(discord.HTTPException) as short:
        await guild.create_sticker(name="x", description="", emoji="x", file=upload())
    assert short.value.code == 50035 and "name" in short.value._errors  # type: ignore[operator]
    with pytest.raises(discord.HTTPException) as not_image:
        await guild.create_sticker(
            name="texty", description="", emoji="x", file=discord.File(io.BytesIO(b"hi"), "a.txt")
        )
    assert not_image.value.code == 50046

    for i in range(4):  # a level-0 guild holds five stickers; the world has one
        await guild.create_sticker(name=f"fill{i}", description="", emoji="x", file=upload())
    with pytest.raises(discord.HTTPException) as full:
        await guild.create_sticker(name="sixth", description="", emoji="x", file=upload())
    assert full.value.code == 30039
    assert len(sandbox.guild().stickers) == 5

    victim = next(iter(guild.stickers))
    await revoke_expressions(sandbox)
    await eventually(lambda: not guild.me.guild_permissions.manage_emojis)
    with pytest.raises(discord.Forbidden) as denied:
        await victim.edit(name="renamed")
    assert denied.value.code == 50013
    with pytest.raises(discord.Forbidden):
        await victim.delete()
    assert victim.id in sandbox.guild().stickers
