"""Fixtures: a fresh bot directory and a started runtime on the sandbox Discord."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from zoryx.runtime import Runtime

PING = """
from discord.ext import commands

__version__ = "1.0.0"


@commands.command()
async def ping(ctx):
    await ctx.send("pong v1")


async def setup(bot):
    bot.add_command(ping)
"""


@pytest.fixture
def bot_dir(tmp_path: Path) -> Path:
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "ping.py").write_text(PING)
    # Every error is answered here; the reply throttle is tested in tests/core/test_refusals.py.
    config = {"auto_reload": True, "cooldowns": {"error_reply_window": 0}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    return tmp_path


@pytest.fixture
async def runtime(bot_dir: Path) -> AsyncIterator[Runtime]:
    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="empty")
    await rt.start()
    try:
        yield rt
    finally:
        await rt.shutdown("test done")
