"""A finished prefix command leaves no cyclic garbage, unless someone still holds it.

discord.py keeps a command's context in its own ``ctx.args``; the bot breaks that cycle
once a command is done and nothing else references the context, so reference counting
frees it at once (no work piles up for the garbage collector, whose collections stop the
bot). A listener that keeps the context still sees it whole.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from discord.ext import commands

from .conftest import run

LOOP = pytest.mark.asyncio(loop_scope="module")


def cyclic_contexts() -> list[commands.Context[Any]]:
    """Contexts that only the cyclic collector could free (collected, then returned)."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return [obj for obj in gc.garbage if isinstance(obj, commands.Context)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


@LOOP
async def test_finished_commands_are_freed_without_the_garbage_collector(runtime: Any) -> None:
    cyclic_contexts()  # start clean
    for _ in range(10):
        assert (await run(runtime, "owner", "!hello")).content == "Hello v1"
    await asyncio.sleep(0.05)  # the release runs on the next loop iteration
    assert cyclic_contexts() == []


@LOOP
async def test_a_listener_that_keeps_the_context_sees_it_whole(runtime: Any) -> None:
    bot = runtime.bot
    kept: list[commands.Context[Any]] = []

    async def on_command_completion(ctx: commands.Context[Any]) -> None:
        await asyncio.sleep(0.1)  # still holding ctx after the command finished
        kept.append(ctx)

    bot.add_listener(on_command_completion)
    try:
        assert (await run(runtime, "owner", "!hello")).content == "Hello v1"
        for _ in range(50):
            if kept:
                break
            await asyncio.sleep(0.02)
    finally:
        bot.remove_listener(on_command_completion)
    assert kept and kept[0].command is not None and kept[0].command.name == "hello"
    assert kept[0].args and kept[0].args[-1] is kept[0], "ctx.args left as discord.py made it"
