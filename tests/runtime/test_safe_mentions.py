"""The Zoryx bot cannot be made to mass-ping (issue #13), checked on the sandbox Discord.

The sandbox applies Discord's rules, and in the sandbox's guild the bot *may* ping
@everyone and every role: whatever stays silent below is silenced by the bot's own
``allowed_mentions``, exactly what a real server would show.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from zoryx.bootstrap import init_bot_dir
from zoryx.runtime import Runtime
from zoryx.sandbox.views import SandboxMessage

# Commands as an extension author might write them.
LOUD = """
import discord
from discord.ext import commands


@commands.command()
async def shout(ctx, *, text):
    await ctx.send(text)  # raw user text, no allowed_mentions


@commands.command()
async def announce(ctx, role: discord.Role, *, text):
    only_role = discord.AllowedMentions(roles=[role])
    await ctx.send(f"{role.mention} {text}", allowed_mentions=only_role)


async def setup(bot):
    bot.add_command(shout)
    bot.add_command(announce)
"""


def pings(message: SandboxMessage) -> dict[str, Any]:
    raw = message.raw
    return {
        "everyone": raw["mention_everyone"],
        "roles": [int(r) for r in raw["mention_roles"]],
        "users": [int(u["id"]) for u in raw["mentions"]],
    }


def make_bot_dir(path: Path, **config: Any) -> Path:
    init_bot_dir(path)  # ships the example extensions
    (path / "extensions" / "loud.py").write_text(LOUD, encoding="utf-8")
    if config:
        settings = json.loads((path / "config.json").read_text(encoding="utf-8"))
        (path / "config.json").write_text(json.dumps({**settings, **config}), encoding="utf-8")
    return path


@pytest.fixture
async def started(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Runtime]:
    config = getattr(request, "param", {})
    rt = Runtime(
        make_bot_dir(tmp_path, **config), console_logging=False, environ={}, sandbox_world="empty"
    )
    await rt.start()
    try:
        yield rt
    finally:
        await rt.shutdown("test done")


async def test_example_extensions_echo_user_text_without_pinging(started: Runtime) -> None:
    sb, bot = started.sandbox, started.bot
    assert sb is not None and bot is not None
    # Even with the bot's safe default removed, the examples ping nobody.
    bot.allowed_mentions = discord.AllowedMentions.all()
    alice, mod = sb.user("alice"), sb.role_id("Moderator")
    assert sb.guild().roles[mod]["mentionable"]
    payload = f"@everyone @here <@&{mod}> <@{alice.id}>"
    nobody = {"everyone": False, "roles": [], "users": []}

    await alice.say("#bot-commands", f"!hello {payload}")
    hello = await sb.expect_message("#bot-commands", contains="Hello")
    assert payload in hello.content and pings(hello) == nobody

    slash = await (await alice.slash("hello", "#bot-commands", name=payload)).response()
    assert slash.message is not None and payload in slash.content
    assert pings(slash.message) == nobody

    await alice.say("#bot-commands", f"!note add {payload}")
    await sb.expect_message("#bot-commands", contains="Saved note")
    await alice.say("#bot-commands", "!note")
    listed = await sb.expect_message("#bot-commands", contains="#1")
    assert payload in listed.content and pings(listed) == nobody

    # welcome: the server's name is not the newcomer's to choose, but it must not ping.
    guild = bot.get_guild(sb.guild().id)
    assert guild is not None
    await guild.edit(name="@everyone party")
    newcomer = await sb.create_user("newcomer")
    await sb.add_member("newcomer", sb.guild().id)
    welcome = await sb.expect_message("#welcome", contains="Welcome to **@everyone party**")
    assert pings(welcome) == {"everyone": False, "roles": [], "users": [newcomer.id]}


async def test_the_bot_default_silences_everyone_and_roles(started: Runtime) -> None:
    sb = started.sandbox
    assert sb is not None
    alice, mod = sb.user("alice"), sb.role_id("Moderator")
    await alice.say("#general", f"!shout @everyone <@&{mod}> hi <@{alice.id}>")
    shouted = await sb.expect_message("#general", contains="hi")
    # Users still ping; @everyone and the role do not.
    assert pings(shouted) == {"everyone": False, "roles": [], "users": [alice.id]}

    # A command that means to ping a role says so, and only that role pings.
    helper = sb.role_id("Helper")
    await alice.say("#general", f"!announce {mod} games at 8 @everyone <@&{helper}>")
    announced = await sb.expect_message("#general", contains="games at 8")
    assert pings(announced) == {"everyone": False, "roles": [mod], "users": []}


@pytest.mark.parametrize("started", [{"allow_mass_mentions": True}], indirect=True)
async def test_owners_can_opt_in_to_mass_mentions(started: Runtime) -> None:
    sb = started.sandbox
    assert sb is not None
    alice, mod = sb.user("alice"), sb.role_id("Moderator")
    await alice.say("#general", f"!shout @everyone <@&{mod}> hi")
    shouted = await sb.expect_message("#general", contains="hi")
    assert pings(shouted) == {"everyone": True, "roles": [mod], "users": []}
