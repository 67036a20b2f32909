"""Fixtures: a runtime in this process, and a real ``zoryx run --headless`` bot.

The headless bot lives in a directory every user may traverse (the tests that attach
as ``nobody`` need to reach the socket itself, so that its own mode is what refuses).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from zoryx.runtime import Runtime

ZORYX = [sys.executable, "-m", "zoryx"]
PING = """
from discord.ext import commands


@commands.command()
async def ping(ctx):
    await ctx.send("pong")


async def setup(bot):
    bot.add_command(ping)
"""


async def wait_for(condition: Callable[[], object], timeout: float = 60.0) -> None:
    """Wait until ``condition()`` is true (checked every loop turn, with a deadline)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - a condition of any kind, with a deadline
            await asyncio.sleep(0.01)


def make_bot_dir(path: Path) -> Path:
    (path / "extensions").mkdir(parents=True)
    (path / "extensions" / "ping.py").write_text(PING)
    (path / "config.json").write_text(json.dumps({"auto_reload": False}))
    return path


@pytest.fixture
def bot_dir(tmp_path: Path) -> Path:
    return make_bot_dir(tmp_path / "bot")


def new_runtime(bot_dir: Path, environ: dict[str, str] | None = None) -> Runtime:
    return Runtime(bot_dir, console_logging=False, environ=environ or {}, sandbox_world="empty")


@pytest.fixture
async def runtime(bot_dir: Path) -> AsyncIterator[Runtime]:
    rt = new_runtime(bot_dir)
    await rt.start()
    try:
        yield rt
    finally:
        await rt.shutdown("test done")


def zoryx(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the ``zoryx`` command line (blocking: call it through a thread from async tests)."""
    return subprocess.run(
        [*ZORYX, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@dataclass
class HeadlessBot:
    process: subprocess.Popen[bytes]
    bot_dir: Path
    output: Path  # the bot's stdout and stderr

    @property
    def socket(self) -> Path:
        return self.bot_dir / "data" / "zoryx.sock"

    def fd_count(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))


def start_headless(bot_dir: Path) -> HeadlessBot:
    """``zoryx run --headless`` on ``bot_dir``, once it printed its ready line."""
    output = bot_dir.parent / f"{bot_dir.name}.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [*ZORYX, "run", "--headless", "--world", "empty", "--dir", str(bot_dir)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    bot = HeadlessBot(process, bot_dir, output)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if "Zoryx ready" in output.read_text(errors="replace"):
            return bot
        time.sleep(0.1)  # polling the output file, not synchronising on time
    process.kill()
    raise AssertionError("the headless bot did not start:\n" + output.read_text(errors="replace"))


def stop_headless(bot: HeadlessBot) -> int:
    if bot.process.poll() is None:
        bot.process.terminate()
    return bot.process.wait(timeout=60)


def shared_dir() -> Path:
    """A fresh directory under /tmp that other users may traverse (not list)."""
    path = Path(tempfile.mkdtemp(prefix="zx-ctl-"))
    path.chmod(0o711)
    return path


@pytest.fixture(scope="module")
def headless() -> Iterator[HeadlessBot]:
    root = shared_dir()
    bot = start_headless(make_bot_dir(root / "bot"))
    try:
        yield bot
    finally:
        stop_headless(bot)
        shutil.rmtree(root, ignore_errors=True)
