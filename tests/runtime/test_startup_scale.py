"""Start-up at scale, end to end on the sandbox: a bot in thousands of large guilds with the
members intent reaches ready, chunking follows ``members.chunking``, the bot answers in
guilds that arrived while others are still being chunked, progress is reported, and only
a start-up that makes no progress fails.

The worlds hold large guilds (more than 250 members): their GUILD_CREATE carries only the
bot's member, so each one needs a member request, paced by the gateway send limit.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.conftest import PING
from zoryx.chunking import load_members
from zoryx.readmodel.registry import read_view
from zoryx.runtime import Runtime
from zoryx.sandbox.world_startup import many_guilds_world
from zoryx.startup import ShardProgress, StartupStalled, progress_lines

REPLY = 30.0  # seconds the bot gets to answer on a busy machine
START = 300.0  # seconds a start-up may take here before the test gives up


def make_bot_dir(root: Path, **config: Any) -> Path:
    (root / "extensions").mkdir(parents=True)
    (root / "extensions" / "ping.py").write_text(PING, encoding="utf-8")
    settings = {"auto_reload": False, "cooldowns": {"error_reply_window": 0}, **config}
    (root / "config.json").write_text(json.dumps(settings), encoding="utf-8")
    return root


def make_runtime(bot_dir: Path, guilds: int) -> Runtime:
    return Runtime(
        bot_dir,
        console_logging=False,
        environ={},
        sandbox_options={"world": many_guilds_world(guilds)},
    )


@pytest.fixture
async def runtimes() -> AsyncIterator[list[Runtime]]:
    made: list[Runtime] = []
    yield made
    for rt in made:
        await rt.shutdown("test done")


async def wait_for(probe: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.05)


def log_lines(rt: Runtime) -> list[str]:
    return [entry.message for entry in rt.log_tail.all()]


async def shard_row(rt: Runtime) -> dict[str, Any]:
    view = await read_view(rt, "shards")
    assert len(view["shards"]) == 1
    row: dict[str, Any] = view["shards"][0]
    return row


async def ping(rt: Runtime, guild: str) -> None:
    """``!ping`` as the owner in ``guild``'s #general; the bot must answer."""
    sandbox = rt.sandbox
    await sandbox.user("owner").say("#general", "!ping", guild=guild)
    reply = await sandbox.expect_message("#general", guild=guild, timeout=REPLY)
    assert reply.content == "pong v1"


async def test_2500_large_guilds_reach_ready_with_the_default_strategy(
    tmp_path: Path, runtimes: list[Runtime]
) -> None:
    rt = make_runtime(make_bot_dir(tmp_path / "bot"), 2_500)
    runtimes.append(rt)
    ready = await asyncio.wait_for(rt.start(), START)

    assert ready.guilds == 2_500
    view = await read_view(rt, "shards")
    assert view["startup"]["chunking"] == "auto" and view["startup"]["done"] is True
    row = view["shards"][0]
    assert row["ready"] is True and row["startup_state"] == "ready"
    assert row["guilds"] == row["guilds_ready"] == 2_500
    # One shard of 2,500 guilds is past members.auto_limit: nothing chunked at start-up.
    assert row["guilds_chunked"] == 0
    # Log records reach the tail through the logging thread: wait for the line, do not race it.
    await wait_for(
        lambda: any("shard 0 ready: 2,500 guilds, 0 chunked" in m for m in log_lines(rt)),
        REPLY,
        "the shard-ready log line",
    )
    await ping(rt, "Guild 2499")

    # A guild's member list is loaded on first use.
    guild = next(g for g in rt.bot.guilds if g.name == "Guild 0042")
    assert await load_members(rt.bot, guild, timeout=REPLY) == (True, "")
    assert len(guild.members) == guild.member_count == 260
    assert (await shard_row(rt))["guilds_chunked"] == 1


async def test_commands_answer_in_ready_guilds_while_startup_chunking_waits_on_the_limit(
    tmp_path: Path, runtimes: list[Runtime]
) -> None:
    # 120 member requests do not fit in one minute's budget of gateway sends: the last
    # ones wait about 60 s. A watchdog of 20 s must not take that wait for a stall.
    config = {
        "members": {"chunking": "startup"},
        "startup": {"stall_timeout": 20, "progress_interval": 1},
    }
    rt = make_runtime(make_bot_dir(tmp_path / "bot", **config), 120)
    runtimes.append(rt)
    start = asyncio.create_task(rt.start())

    def waiting() -> bool:
        tracker = rt.bot.startup if rt.bot is not None else None
        if tracker is None or start.done():
            return start.done()
        (shard,) = tracker.progress()
        return shard.rate_limited and 0 < shard.guilds_chunked < shard.guilds

    await wait_for(waiting, START, "chunking to wait on the gateway send limit")
    assert not start.done(), start
    chunked = next(g for g in rt.bot.guilds if g.chunked)
    await ping(rt, chunked.name)
    row = await shard_row(rt)
    assert row["ready"] is False and row["guilds_ready"] == 120
    assert row["guilds_chunked"] < 120  # the reply came before the last guild was chunked
    assert not start.done()

    ready = await asyncio.wait_for(start, START)
    assert ready.guilds == 120
    row = await shard_row(rt)
    assert row["ready"] is True and row["guilds_chunked"] == 120
    lines = log_lines(rt)
    assert any(
        line.startswith("shard 0: 120/120 guilds ready, ")
        and line.endswith(" chunked (waiting on the gateway send limit)")
        for line in lines
    ), lines
    assert any("shard 0 ready: 120 guilds, 120 chunked" in line for line in lines)


async def test_auto_chunks_a_small_shard_at_startup_and_off_never_chunks(
    tmp_path: Path, runtimes: list[Runtime]
) -> None:
    small = make_runtime(make_bot_dir(tmp_path / "auto"), 5)
    runtimes.append(small)
    await small.start()
    row = await shard_row(small)
    assert row["guilds"] == row["guilds_chunked"] == 5  # full member lists at ready
    await small.shutdown("next")

    off = make_runtime(make_bot_dir(tmp_path / "off", members={"chunking": "off"}), 5)
    runtimes.append(off)
    await off.start()
    assert (await shard_row(off))["guilds_chunked"] == 0
    guild = off.bot.guilds[0]
    loaded, reason = await load_members(off.bot, guild, timeout=REPLY)
    assert not loaded and "members.chunking is off" in reason
    assert not guild.chunked
    await ping(off, guild.name)  # the bot serves the guild all the same


async def test_a_startup_without_progress_fails_with_the_reason(
    tmp_path: Path, runtimes: list[Runtime]
) -> None:
    rt = make_runtime(make_bot_dir(tmp_path / "bot"), 3)
    runtimes.append(rt)
    await rt.build()
    gateway = rt.sandbox.gateway
    assert hasattr(gateway, "_identify")
    gateway._identify = lambda conn, d: None  # the gateway never answers IDENTIFY

    with pytest.raises(StartupStalled) as caught:
        await asyncio.wait_for(rt.start(stall_timeout=3), START)
    text = str(caught.value)
    assert text.startswith("start-up stalled: no new guild, member chunk or ready shard for 3 s")
    assert "shard 0: connecting" in text and "startup.stall_timeout" in text
    assert isinstance(caught.value, TimeoutError)  # `zoryx run` prints "Could not start: …"
    assert rt.bot.is_closed()


def test_progress_lines_name_each_starting_shard_or_sum_many_up() -> None:
    one = ShardProgress(0, "loading", 2_500, 1_200, 300, False)
    assert one.line() == "shard 0: 1,200/2,500 guilds ready, 300 chunked"
    waiting = ShardProgress(1, "loading", 2_500, 2_500, 300, True)
    assert progress_lines([one, waiting]) == [
        "shard 0: 1,200/2,500 guilds ready, 300 chunked",
        "shard 1: 2,500/2,500 guilds ready, 300 chunked (waiting on the gateway send limit)",
    ]
    assert progress_lines([ShardProgress(0, "connecting", 0, 0, 0, False)]) == [
        "shard 0: connecting"
    ]
    many = [ShardProgress(i, "ready", 1_000, 1_000, 10, False) for i in range(10)]
    many += [ShardProgress(10 + i, "loading", 1_000, 500, 0, False) for i in range(10)]
    assert progress_lines(many) == ["shards: 10/20 ready; 15,000/20,000 guilds ready, 100 chunked"]
    assert progress_lines(many[:10]) == []  # nothing left starting: nothing to say
