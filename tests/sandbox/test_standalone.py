"""``python -m zoryx.sandbox``: a standalone sandbox another process's bot can log in to."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys

import aiohttp
import discord
from discord.ext import commands

from zoryx.sandbox import use_sandbox


async def start_server(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "zoryx.sandbox",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    banner = ""
    try:
        while "Press Ctrl+C" not in banner:
            line = await asyncio.wait_for(proc.stdout.readline(), 20)
            if not line:
                assert proc.stderr is not None
                raise AssertionError(f"server exited: {(await proc.stderr.read()).decode()}")
            banner += line.decode()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    return proc, banner


def field(banner: str, pattern: str) -> str:
    match = re.search(pattern, banner)
    assert match, f"{pattern!r} not in:\n{banner}"
    return match.group(1)


async def test_standalone_server_serves_a_bot_and_stops_cleanly_on_sigint() -> None:
    proc, banner = await start_server("--port", "0", "--world", "empty", "--simulate", "1")
    try:
        url = field(banner, r"running at (http://127\.0\.0\.1:\d+)")
        assert not url.endswith(":0")
        token = field(banner, r"bot token:\s+(\S+)")
        control_token = field(banner, r"control token:\s+(\S+)")
        assert f'use_sandbox("{url}")' in banner and f'bot.run("{token}")' in banner

        bot = commands.Bot(
            command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1
        )

        @bot.command()
        async def ping(ctx: commands.Context[commands.Bot]) -> None:
            await ctx.reply("pong")

        headers = {"Authorization": f"Sandbox {control_token}"}
        with use_sandbox(url):
            task = asyncio.create_task(bot.start(token))
            try:
                await asyncio.wait_for(bot.wait_until_ready(), 15)
                assert [g.name for g in bot.guilds] == ["Test Guild"]
                async with aiohttp.ClientSession(headers=headers) as http:
                    body = {"user": "alice", "channel": "#general", "content": "!ping"}
                    async with http.post(f"{url}/_sandbox/act/say", json=body) as resp:
                        assert resp.status == 200
                        said = await resp.json()
                    params = {"after": said["id"], "wait": "5"}
                    messages_url = f"{url}/_sandbox/channels/{said['channel_id']}/messages"
                    async with http.get(messages_url, params=params) as resp:
                        replies = await resp.json()
                    assert replies[0]["content"] == "pong"
                    assert replies[0]["message_reference"]["message_id"] == said["id"]
                    async with http.get(f"{url}/_sandbox/simulator") as resp:
                        sim = await resp.json()
                    assert sim["running"] is True and sim["rate_per_minute"] == 1
                # Stop the server while the bot is still connected.
                proc.send_signal(signal.SIGINT)
                code = await asyncio.wait_for(proc.wait(), 15)
                assert code == 0
            finally:
                await bot.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, 10)
        assert proc.stdout is not None
        rest = (await proc.stdout.read()).decode()
        assert "Stopping the sandbox" in rest
        assert proc.stderr is not None
        errors = (await proc.stderr.read()).decode()
        assert "Traceback" not in errors, errors
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_bad_options_exit_with_a_reason() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "zoryx.sandbox",
        "--port",
        "0",
        "--shards",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 2
    assert "shards must be 1 or more" in err.decode()
    assert out == b""
