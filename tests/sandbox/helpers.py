"""Helpers shared by the sandbox REST tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord.ext import commands

from zoryx.sandbox import Sandbox
from zoryx.testing import eventually

T = TypeVar("T")

__all__ = ["eventually", "on_sandbox", "text_channel"]


async def on_sandbox(sb: Sandbox, fn: Callable[[], T]) -> T:
    """Run a state mutation on the sandbox's own loop."""

    async def run() -> T:
        return fn()

    return await sb.call(run)


def text_channel(bot: commands.Bot, sb: Sandbox, name: str) -> discord.TextChannel:
    channel = bot.get_channel(sb.channel_id(name))
    assert isinstance(channel, discord.TextChannel)
    return channel
