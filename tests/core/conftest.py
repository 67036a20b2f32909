"""A Zoryx runtime on a temporary bot directory with the demo sandbox world.

One runtime per test module (start ~1 s); each module's tests share it, so tests undo
the server settings they change. Helpers drive the sandbox as Discord users.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from zoryx.runtime import Runtime
from zoryx.sandbox.views import SandboxMessage

GREETER = '''
"""Test extension: a prefix command, a converted command and a slash-only command."""
from discord import app_commands
from discord.ext import commands

__version__ = "1.2.3"
REPLY = "{reply}"


class Greeter(commands.Cog):
    """Greetings for the tests."""

    @commands.command(description="Say hello")
    async def hello(self, ctx):
        await ctx.send(REPLY)

    @commands.command(description="Wave at someone", extras={{"zoryx_converted": True}})
    async def wave(self, ctx):
        await ctx.send("wave")

    @app_commands.command(description="Slash-only ping")
    async def ping(self, interaction):
        await interaction.response.send_message("pong")


async def setup(bot):
    await bot.add_cog(Greeter(bot))
'''

TOOLBOX = '''
"""Test extension with seven commands (two help pages)."""
from discord.ext import commands

__version__ = "0.9"


class Toolbox(commands.Cog):
    """Seven tools."""

{commands}

async def setup(bot):
    await bot.add_cog(Toolbox(bot))
'''

BROKEN = 'raise RuntimeError("broken on purpose")\n'
SLEEPY = "from discord.ext import commands\n\n\nasync def setup(bot):\n    pass\n"


def greeter_source(reply: str) -> str:
    return GREETER.format(reply=reply)


def make_bot_dir(root: Path) -> Path:
    """A bot directory with config.json and four extensions (one broken, one blacklisted)."""
    ext = root / "extensions"
    ext.mkdir(parents=True)
    # Every error is answered here; the reply throttle is tested in tests/core/test_refusals.py.
    config = {
        "auto_reload": False,
        "extensions": {"blacklist": ["sleepy"]},
        "cooldowns": {"error_reply_window": 0},
    }
    (root / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (ext / "greeter.py").write_text(greeter_source("Hello v1"), encoding="utf-8")
    tools = "\n".join(
        f"    @commands.command(description='Tool number {i}')\n"
        f"    async def tool{i}(self, ctx):\n        await ctx.send('tool {i}')\n"
        for i in range(1, 8)
    )
    (ext / "toolbox.py").write_text(TOOLBOX.format(commands=tools), encoding="utf-8")
    (ext / "broken.py").write_text(BROKEN, encoding="utf-8")
    (ext / "sleepy.py").write_text(SLEEPY, encoding="utf-8")
    return root


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime(tmp_path_factory: Any) -> AsyncIterator[Runtime]:
    bot_dir = make_bot_dir(tmp_path_factory.mktemp("bot"))
    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="demo")
    await rt.start()
    try:
        yield rt
    finally:
        await rt.shutdown()


async def run(
    rt: Runtime,
    user: str,
    text: str,
    channel: str = "#general",
    *,
    guild: str | None = None,
    timeout: float = 5.0,
) -> SandboxMessage:
    """Post ``text`` as ``user`` and return the bot's next message in that channel."""
    sb = rt.sandbox
    await sb.user(user).say(channel, text, guild=guild)
    return await sb.expect_message(channel, guild=guild, timeout=timeout)


async def silent(
    rt: Runtime, user: str, text: str, channel: str = "#general", *, guild: str | None = None
) -> None:
    """Post ``text`` as ``user`` and assert the bot does not answer."""
    sb = rt.sandbox
    await sb.user(user).say(channel, text, guild=guild)
    await sb.expect_no_message(sb.channel_id(channel, guild), within=0.6)


def title(msg: SandboxMessage) -> str:
    return str(msg.embeds[0].get("title") or "") if msg.embeds else ""


def role_mention(rt: Runtime, name: str, guild: str | None = None) -> str:
    return f"<@&{rt.sandbox.role_id(name, guild)}>"
