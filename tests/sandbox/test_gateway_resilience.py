"""Sharding, resume, reconnect, invalid sessions, dropped connections and 429 storms."""

from __future__ import annotations

import asyncio
from collections import Counter

import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox, scale_world
from zoryx.sandbox.snowflake import shard_for
from zoryx.testing import run_bot


def counting_bot(cls: type[commands.Bot] = commands.Bot, **kwargs: object) -> commands.Bot:
    bot = cls(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1, **kwargs)
    bot.handled = Counter()  # type: ignore[attr-defined]

    @bot.command()
    async def echo(ctx: commands.Context, *, text: str) -> None:
        bot.handled[text] += 1  # type: ignore[attr-defined]
        await ctx.send(f"echo {text}")

    return bot


async def _roundtrips(sandbox: Sandbox, bot: commands.Bot, labels: list[str], channel: str) -> None:
    alice = sandbox.user("alice")
    for label in labels:
        await alice.say(channel, f"!echo {label}")
        await sandbox.expect_message(channel, content=f"echo {label}", timeout=15)


@pytest.fixture
def sandbox_options() -> dict[str, object]:
    # max_concurrency 4: the four shards identify at once (one per bucket per 5 s).
    return {
        "shards": 4,
        "world": scale_world(12, 5, 1),
        "heartbeat_interval_ms": 1000,
        "max_concurrency": 4,
    }


async def test_four_shards_route_guild_events(sandbox: Sandbox) -> None:
    bot = counting_bot(commands.AutoShardedBot)
    seen: dict[int, set[int | None]] = {}

    @bot.event
    async def on_message(message: discord.Message) -> None:
        assert message.guild is not None
        seen.setdefault(message.guild.id, set()).add(message.guild.shard_id)

    async with run_bot(bot, sandbox):
        assert bot.shard_count == 4
        assert len(sandbox.gateway.live_sessions()) == 4
        assert {g.shard_id for g in bot.guilds} == {0, 1, 2, 3} or len(bot.guilds) < 4
        await sandbox.add_member("owner", sandbox.guild().id)  # no-op safety: owner already in
        for guild in list(sandbox.state.guilds.values()):
            channel = next(iter(guild.channels))
            await sandbox.create_user(f"u{guild.id}")
            await sandbox.add_member(f"u{guild.id}", guild.id)
            await sandbox.user(f"u{guild.id}").say(channel, "hello")
        await sandbox.wait_until(lambda: len(seen) == len(sandbox.state.guilds), timeout=10)
    for guild_id, shards in seen.items():
        assert shards == {shard_for(guild_id, 4)}
    for session in sandbox.gateway.sessions.values():
        assert session.shard_count == 4


@pytest.fixture
def resilience_options() -> dict[str, object]:
    return {}


@pytest.mark.parametrize("fault", ["reconnect", "invalid_resumable", "invalid_fresh", "drop"])
async def test_bot_survives_gateway_faults_without_losing_commands(
    sandbox_world: str, fault: str
) -> None:
    from zoryx.sandbox import WORLDS

    sandbox = Sandbox(world=WORLDS["empty"], heartbeat_interval_ms=1000)
    sandbox.start_in_thread()
    try:
        bot = counting_bot()
        async with run_bot(bot, sandbox):
            await _roundtrips(sandbox, bot, ["a1", "a2"], "#general")
            identifies = sandbox.gateway.identify_count
            resumes = sandbox.gateway.resume_count
            # Inject the fault, then keep talking while the bot recovers.
            if fault == "reconnect":
                assert await sandbox.send_reconnect() == 1
            elif fault == "invalid_resumable":
                assert await sandbox.send_invalid_session(True) == 1
            elif fault == "invalid_fresh":
                assert await sandbox.send_invalid_session(False) == 1
                # A non-resumable session is gone: events before the new IDENTIFY are not
                # delivered (as on Discord), so wait for the new session first.
                await sandbox.wait_until(
                    lambda: (
                        sandbox.gateway.identify_count == identifies + 1
                        and len(sandbox.gateway.live_sessions()) == 1
                    ),
                    timeout=10,
                )
                await asyncio.sleep(0.3)
            else:
                assert await sandbox.drop_connections() == 1
            alice = sandbox.user("alice")
            for label in ("b1", "b2", "b3"):
                await alice.say("#general", f"!echo {label}")
            for label in ("b1", "b2", "b3"):
                await sandbox.expect_message("#general", content=f"echo {label}", timeout=20)
            await _roundtrips(sandbox, bot, ["c1"], "#general")
            if fault == "invalid_fresh":
                assert sandbox.gateway.identify_count == identifies + 1
            else:
                assert sandbox.gateway.resume_count == resumes + 1
                assert sandbox.gateway.identify_count == identifies
            await asyncio.sleep(0.2)
            # Every command ran exactly once: nothing lost, nothing replayed twice.
            handled = bot.handled  # type: ignore[attr-defined]
            assert handled == Counter({k: 1 for k in ["a1", "a2", "b1", "b2", "b3", "c1"]})
            replies = [
                m.content for m in sandbox.messages("#general") if m.author_id == sandbox.bot_id
            ]
            assert len(replies) == len(set(replies))
    finally:
        sandbox.stop_thread()


async def test_heartbeat_faults_delay_latency_and_trigger_zombie_reconnect() -> None:
    from zoryx.sandbox import WORLDS

    sandbox = Sandbox(world=WORLDS["empty"], heartbeat_interval_ms=300)
    sandbox.start_in_thread()
    try:
        # discord.py declares the connection dead after ``heartbeat_timeout`` seconds
        # without receiving anything; lost ACKs on an idle connection cause exactly that.
        bot = counting_bot(heartbeat_timeout=1.5)
        async with run_bot(bot, sandbox):
            await sandbox.set_heartbeat_faults(ack_delay=0.25)
            await asyncio.sleep(1.0)
            assert bot.latency >= 0.2
            await sandbox.set_heartbeat_faults(ack_delay=0.0, drop_acks=30)
            resumes = sandbox.gateway.resume_count
            await sandbox.wait_until(lambda: sandbox.gateway.resume_count > resumes, timeout=15)
            await sandbox.set_heartbeat_faults()
            await _roundtrips(sandbox, bot, ["after-zombie"], "#general")
    finally:
        sandbox.stop_thread()


async def test_429_storm_in_strict_mode_loses_nothing() -> None:
    from zoryx.sandbox import WORLDS

    sandbox = Sandbox(world=WORLDS["empty"], strict_rate_limits=True)
    sandbox.start_in_thread()
    try:
        bot = counting_bot()
        async with run_bot(bot, sandbox):
            # discord.py retries a request up to 5 times: 3 route 429s then 1 global 429.
            await sandbox.fail_requests(429, 3, "/messages", retry_after=0.05)
            await sandbox.fail_requests(429, 1, "/messages", retry_after=0.05, is_global=True)
            alice = sandbox.user("alice")
            labels = [f"s{i}" for i in range(12)]
            for label in labels:
                await alice.say("#general", f"!echo {label}")
            for label in labels:
                await sandbox.expect_message("#general", content=f"echo {label}", timeout=30)
            # 12 sends in one channel exceed the 5-per-5s route limit: discord.py had to
            # respect the headers (or absorb real 429s) to get every reply through.
            bucket_hits = [b for b in sandbox.limiter.buckets.values() if b.limit == 5]
            assert bucket_hits
            assert bot.handled == Counter({k: 1 for k in labels})  # type: ignore[attr-defined]
            replies = [
                m.content for m in sandbox.messages("#general") if m.author_id == sandbox.bot_id
            ]
            assert sorted(replies) == sorted(f"echo {x}" for x in labels)
    finally:
        sandbox.stop_thread()
