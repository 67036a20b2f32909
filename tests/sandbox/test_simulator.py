"""The activity simulator: demo users chat, react, hop in voice and use the bot's commands."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox, demo_world
from zoryx.sandbox.permissions import channel_permissions
from zoryx.sandbox.simulator import CORPUS, ActivitySimulator
from zoryx.testing import run_bot


@pytest.fixture
def sandbox_world() -> str:
    return "demo"


def counting_bot() -> tuple[commands.Bot, dict[str, Any]]:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1)
    seen: dict[str, Any] = {"messages": 0, "commands": [], "slash": [], "needs": 0}

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if not message.author.bot:
            seen["messages"] += 1
        await bot.process_commands(message)

    @bot.event
    async def on_command(ctx: commands.Context[commands.Bot]) -> None:
        seen["commands"].append(ctx.command.name if ctx.command else "?")

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("pong")

    @bot.command()
    async def stats(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send(f"{len(bot.guilds)} guilds")

    @bot.tree.command(description="Say hello")
    async def hello(interaction: discord.Interaction, name: str | None = None) -> None:
        seen["slash"].append(interaction.user.name)
        await interaction.response.send_message(f"hello {name or interaction.user.name}")

    @bot.tree.command(description="Needs an option")
    async def needs(interaction: discord.Interaction, text: str) -> None:
        seen["needs"] += 1
        await interaction.response.send_message(text)

    return bot, seen


def human_messages(sb: Sandbox) -> int:
    return sum(
        1
        for store in list(sb.state.messages.values())
        for msg in list(store.values())
        if not msg["author"].get("bot")
    )


async def test_simulated_users_use_the_bot_and_stop_really_stops(sandbox: Sandbox) -> None:
    bot, seen = counting_bot()
    async with run_bot(bot, sandbox):
        sim = ActivitySimulator(sandbox, rate_per_minute=3000, seed=7)
        sim.start()
        await asyncio.sleep(2.0)
        sim.stop()
        await asyncio.sleep(0.2)  # an action already under way may finish
        stats = sim.stats()
        frozen = (human_messages(sandbox), sim.actions)
        await asyncio.sleep(0.6)
        assert (human_messages(sandbox), sim.actions) == frozen, "the simulator kept acting"
        assert stats["running"] is False
        assert 20 <= stats["actions"] <= 150, stats  # 50/s for 2 s, paced
        assert stats["errors"] == 0, stats["last_error"]
        kinds = set(stats["by_kind"])
        assert {"message", "command", "slash"} <= kinds and len(kinds) >= 5, stats["by_kind"]
        # The bot saw the activity through the gateway and ran its commands.
        assert seen["messages"] >= stats["by_kind"]["message"]
        assert {"ping", "stats", "help"} & set(seen["commands"])
        assert seen["slash"], "no slash command reached the bot"
        assert seen["needs"] == 0, "a command with a required option was invoked"


def test_same_seed_same_actions() -> None:
    def run(seed: int) -> list[dict[str, Any]]:
        sb = Sandbox(world=demo_world, deterministic=True)  # not started: state only
        sim = ActivitySimulator(sb.state, seed=seed)
        out = []
        for _ in range(60):
            record = sim.step()
            assert record is not None
            out.append({k: v for k, v in record.items() if k != "at"})
        return out

    first, again, other = run(11), run(11), run(12)
    assert first == again
    assert first != other
    assert {r["kind"] for r in first} >= {"message", "reaction", "typing", "command"}
    assert all(r["content"] in CORPUS for r in first if r["kind"] == "message")
    assert all(r["content"].startswith("!") for r in first if r["kind"] == "command")


def test_users_only_do_what_their_permissions_allow() -> None:
    sb = Sandbox(world=demo_world, deterministic=True)
    sim = ActivitySimulator(sb.state, seed=5, prefix="?", max_voice_per_guild=3, history=20)
    for _ in range(400):
        sim.step()
    assert sim.errors == 0, sim.last_error
    assert len(sim.recent) == 20  # bounded history
    for guild in sb.state.guilds.values():
        assert len(guild.voice_states) <= 3
        for channel in guild.channels.values():
            for msg in sb.state.messages.get(int(channel["id"]), {}).values():
                perms = channel_permissions(guild, channel, int(msg["author"]["id"]))
                assert perms & (1 << 11), f"{msg['author']['username']} wrote in #{channel['name']}"
    commands_sent = [r for r in sim.recent if r["kind"] == "command"]
    assert all(r["content"].startswith("?") for r in commands_sent)


async def test_errors_are_counted_and_the_loop_keeps_going(sandbox: Sandbox) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    sandbox.state.create_message = broken  # type: ignore[method-assign]
    sim = ActivitySimulator(sandbox, rate_per_minute=6000, seed=1)
    sim.start()
    try:
        await asyncio.sleep(0.5)
        assert sim.errors > 0 and sim.last_error == "RuntimeError: disk on fire"
        assert sim.running
        before = sim.errors + sim.actions
        await asyncio.sleep(0.3)
        assert sim.errors + sim.actions > before, "the loop died after an error"
        assert set(sim.by_kind) - {"message", "command"}  # other kinds still happen
    finally:
        sim.stop()


def test_rate_is_validated() -> None:
    sb = Sandbox(world=demo_world)
    with pytest.raises(ValueError):
        ActivitySimulator(sb.state, rate_per_minute=0)
    sim = ActivitySimulator(sb.state, rate_per_minute=10)
    with pytest.raises(ValueError):
        sim.set_rate(ActivitySimulator.MAX_RATE + 1)
    sim.set_rate(120)
    assert sim.stats()["rate_per_minute"] == 120
