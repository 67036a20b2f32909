"""Shared pieces of the benchmarks: a sandbox subprocess, a bare bot, a Zoryx bot, and a bot
in its own process (``bot_process``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import discord
import psutil
from discord.ext import commands

HERE = Path(__file__).resolve().parent
PING_EXTENSION = """
from discord.ext import commands


@commands.command()
async def ping(ctx):
    await ctx.send("pong")


async def setup(bot):
    bot.add_command(ping)
"""


class SandboxEndpoint(Protocol):
    """Where a bot connects: all that ``running_bare``/``running_zoryx`` need."""

    @property
    def url(self) -> str: ...

    @property
    def token(self) -> str: ...


@dataclass
class SandboxProcess:
    proc: subprocess.Popen[str]
    url: str
    token: str
    channel_id: int

    async def load(
        self, total: int, in_flight: int, channel_id: int | None = None
    ) -> dict[str, Any]:
        body = {"total": total, "in_flight": in_flight}
        if channel_id is not None:
            body["channel_id"] = channel_id
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{self.url}/_bench/load", json=body, timeout=aiohttp.ClientTimeout(total=600)
            ) as resp,
        ):
            resp.raise_for_status()
            return await resp.json()  # type: ignore[no-any-return]

    async def paced(
        self, rate: float, seconds: float, raw: bool = False, poisson: bool = False
    ) -> dict[str, Any]:
        body = {"rate": rate, "seconds": seconds, "raw": raw, "poisson": poisson}
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{self.url}/_bench/paced",
                json=body,
                timeout=aiohttp.ClientTimeout(total=seconds + 60),
            ) as resp,
        ):
            resp.raise_for_status()
            return await resp.json()  # type: ignore[no-any-return]

    async def get(self, path: str) -> Any:
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}{path}") as resp:
            return await resp.json()


@contextlib.contextmanager
def sandbox_process(*args: str) -> Any:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_sandbox_server.py"), *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        info = json.loads(line)
        yield SandboxProcess(proc, info["url"], info["token"], info["channel_id"])
    finally:
        proc.terminate()
        proc.wait(10)


def bare_bot() -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.2)

    @bot.command()
    async def ping(ctx: commands.Context) -> None:
        await ctx.send("pong")

    return bot


@contextlib.asynccontextmanager
async def running_bare(sb: SandboxEndpoint) -> AsyncIterator[commands.Bot]:
    from zoryx.sandbox import use_sandbox

    bot = bare_bot()
    with use_sandbox(sb.url):
        task = asyncio.create_task(bot.start(sb.token))
        await asyncio.wait_for(bot.wait_until_ready(), 300)
        try:
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(BaseException):
                await task


@contextlib.asynccontextmanager
async def running_zoryx(sb: SandboxEndpoint) -> AsyncIterator[Any]:
    """A Zoryx bot (all framework cogs per its defaults) in a fresh bot directory."""
    from zoryx.runtime import Runtime
    from zoryx.sandbox import use_sandbox

    with tempfile.TemporaryDirectory() as tmp:
        bot_dir = Path(tmp)
        (bot_dir / "extensions").mkdir()
        (bot_dir / "extensions" / "ping.py").write_text(PING_EXTENSION)
        config: dict[str, Any] = {
            "logging": {"level": "WARNING"},
            "auto_reload": False,
            "cooldowns": {"default_rate": 10_000, "default_per": 1.0},
        }
        if os.environ.get("ZORYX_BENCH_NO_FRAMEWORK"):
            config["framework"] = {"load_cogs": False}  # core only: isolates framework cost
        (bot_dir / "config.json").write_text(json.dumps(config))
        with use_sandbox(sb.url):
            # tune_gc as the CLI faces do (zoryx run / zoryx tui); ZORYX_GC_TUNING=0 disables.
            runtime = Runtime(
                bot_dir, console_logging=False, tune_gc=True, environ={"DISCORD_TOKEN": sb.token}
            )
            await runtime.start(ready_timeout=300)
            try:
                yield runtime
            finally:
                await runtime.shutdown("benchmark done")


def process_stats(proc: psutil.Process | None = None) -> dict[str, Any]:
    """RSS, threads, open files and fds of ``proc`` (default: this process)."""
    proc = proc or psutil.Process(os.getpid())
    return {
        "rss_mb": round(proc.memory_info().rss / 2**20, 1),
        "threads": proc.num_threads(),
        "open_files": len(proc.open_files()),
        "fds": proc.num_fds() if hasattr(proc, "num_fds") else None,
    }


@dataclass
class BotProcess:
    """A bot started by ``bot_process``: its pid and cheap psutil reads of it."""

    pid: int
    kind: str
    proc: psutil.Process

    def cpu_seconds(self) -> float:
        """User + system CPU time of the bot process so far."""
        times = self.proc.cpu_times()
        return float(times.user + times.system)

    def stats(self) -> dict[str, Any]:
        return process_stats(self.proc)


async def _stop_bot(proc: asyncio.subprocess.Process, timeout: float = 30) -> int:
    """Ask the bot process to stop (``stop`` + EOF on stdin); kill it after ``timeout``."""
    if proc.returncode is None and proc.stdin is not None:
        with contextlib.suppress(ConnectionError):
            proc.stdin.write(b"stop\n")
            await proc.stdin.drain()
            proc.stdin.close()
    try:
        return await asyncio.wait_for(proc.wait(), timeout)
    except TimeoutError:
        proc.kill()
        return await proc.wait()


@contextlib.asynccontextmanager
async def bot_process(
    sb: SandboxEndpoint, kind: str, *, no_framework: bool = False
) -> AsyncIterator[BotProcess]:
    """One bot (``bare`` or ``zoryx``) in its own process (``_bot_process.py``), ready.

    The child gets its own heap and interpreter state, so runs do not leak into each other.
    ``no_framework`` alone decides the Zoryx variant: ``ZORYX_BENCH_NO_FRAMEWORK`` is not
    passed on to the child.
    """
    args = [str(HERE / "_bot_process.py"), "--kind", kind, "--url", sb.url, "--token", sb.token]
    if no_framework:
        args.append("--no-framework")
    env = {k: v for k, v in os.environ.items() if k != "ZORYX_BENCH_NO_FRAMEWORK"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 300)
        if not line:
            raise RuntimeError(f"{kind} bot process exited ({await proc.wait()}) before ready")
        info = json.loads(line)
        assert info["ready"] and info["pid"] == proc.pid, info
        yield BotProcess(proc.pid, kind, psutil.Process(proc.pid))
    finally:
        code = await _stop_bot(proc)
    if code != 0:
        raise RuntimeError(f"{kind} bot process exited with {code}")


def now() -> float:
    return time.perf_counter()
