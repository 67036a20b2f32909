"""Start a discord.py bot against a sandbox and wait until it is ready."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import discord

from ..sandbox import Sandbox, use_sandbox


class BotRunner:
    """A bot running as a task on the current loop, connected to a sandbox."""

    def __init__(self, bot: discord.Client, sandbox: Sandbox) -> None:
        self.bot = bot
        self.sandbox = sandbox
        self.task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 20.0) -> None:
        self.task = asyncio.create_task(self.bot.start(self.sandbox.token), name="sandbox-bot")
        waiter = asyncio.create_task(self.bot.wait_until_ready())
        done, _ = await asyncio.wait(
            {self.task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if self.task in done:
            waiter.cancel()
            self.task.result()  # raises the bot's start-up error
            raise RuntimeError("the bot stopped before it was ready")
        if waiter not in done:
            waiter.cancel()
            raise TimeoutError(f"the bot was not ready within {timeout}s")

    async def stop(self) -> None:
        if not self.bot.is_closed():
            await self.bot.close()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, 10)


@contextlib.asynccontextmanager
async def run_bot(
    bot: discord.Client, sandbox: Sandbox, *, timeout: float = 20.0, **_: Any
) -> AsyncIterator[BotRunner]:
    """Run ``bot`` against ``sandbox`` for the body of the ``async with``.

    discord.py is pointed at the sandbox for the duration (see :func:`use_sandbox`).
    """
    with use_sandbox(sandbox.url):
        runner = BotRunner(bot, sandbox)
        try:
            await runner.start(timeout)
            yield runner
        finally:
            await runner.stop()
