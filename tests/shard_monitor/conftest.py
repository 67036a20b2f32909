"""A two-shard bot on the sandbox with the shard monitor, a hand-moved clock and helpers."""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest_asyncio

from cogs.shard_monitor.service import ShardMonitorService
from zoryx.runtime import Runtime
from zoryx.sandbox.snowflake import shard_for
from zoryx.sandbox.views import SandboxMessage
from zoryx.sandbox.worlds import build_guild
from zoryx.testing import eventually

SHARDS = 2
# Only the feature under test: the other framework cogs are tested on their own.
OTHERS_OFF = {
    "enable_event_hooks": False,
    "enable_plugin_registry": False,
    "enable_framework_diagnostics": False,
    "enable_slash_command_limiter": False,
    "enable_backup_restore": False,
}
HOUR = 3600.0
WAIT = 30.0  # generous: a busy machine


class Clock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def two_shard_world(state: Any, app: Any) -> None:
    """An owner, a few members and guilds until each of the two shards has one."""
    owner = state.create_user("owner", global_name="Sandbox Owner")
    owner_id = int(owner["id"])
    state.owner_user_id = owner_id
    members = [int(state.create_user(name)["id"]) for name in ("alice", "bob", "carol")]
    rng = random.Random(7)
    covered: set[int] = set()
    for n in range(40):
        guild = build_guild(state, app, f"Guild {n}", owner_id, [owner_id, *members], rng=rng)
        covered.add(shard_for(int(guild.id), SHARDS))
        if len(covered) == SHARDS:
            return
    raise RuntimeError("could not place a guild on every shard")


def bot_dir(root: Path, framework: dict[str, bool] | None = None) -> Path:
    (root / "extensions").mkdir(parents=True, exist_ok=True)
    config = {
        "auto_reload": False,
        "framework": {**OTHERS_OFF, **(framework or {})},
        "cooldowns": {"error_reply_window": 0},
    }
    (root / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return root


async def start(
    root: Path,
    *,
    options: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
    heartbeat_ms: int = 1000,
    wait: bool = True,
) -> Runtime:
    """A runtime with two shards; ``options`` go to the shard monitor service (``wait``:
    until the monitor has seen every shard connect)."""
    sandbox: dict[str, Any] = {
        "shards": SHARDS,
        "world": two_shard_world,
        "deterministic": True,
        "heartbeat_interval_ms": heartbeat_ms,
    }
    rt = Runtime(
        root,
        console_logging=False,
        environ={"SHARD_COUNT": str(SHARDS), **(environ or {})},
        sandbox_options=sandbox,
    )
    await rt.build()
    rt.services.extra["shard_monitor_options"] = options or {}
    await rt.start()
    # Every shard has its session, and a latency measured after the busy start-up (the
    # first ACK can be measured against an earlier send), before a test looks at it.
    if wait:
        await eventually(lambda: len(connected(rt)) == SHARDS, WAIT)
    await eventually(lambda: all(0 <= i.latency < 0.5 for i in rt.bot.shards.values()), WAIT)
    return rt


def service(rt: Runtime) -> ShardMonitorService:
    svc: ShardMonitorService = rt.services.extra["shard_monitor"]
    return svc


def connected(rt: Runtime) -> list[int]:
    svc = rt.services.extra.get("shard_monitor")
    if svc is None:
        return []
    return [sid for sid in svc.shard_ids() if svc.shard(sid).connected]


def guild_on(rt: Runtime, shard_id: int) -> int:
    """The first guild (by ID) that lives on ``shard_id``."""
    return min(g.id for g in rt.bot.guilds if g.shard_id == shard_id)


async def say(
    rt: Runtime, shard_id: int, text: str, user: str = "owner", channel: str = "#general"
) -> None:
    await rt.sandbox.user(user).say(channel, text, guild=guild_on(rt, shard_id))


async def ask(
    rt: Runtime, text: str, user: str = "owner", shard_id: int = 0, channel: str = "#general"
) -> SandboxMessage:
    """Run a command in the guild on ``shard_id``; the bot's reply."""
    await say(rt, shard_id, text, user, channel)
    return await rt.sandbox.expect_message(channel, guild=guild_on(rt, shard_id), timeout=WAIT)


def alert_messages(rt: Runtime, channel: str = "#off-topic", shard_id: int = 0) -> list[Any]:
    """The bot's messages in the alert channel (alerts are sent before ``check`` returns)."""
    sb = rt.sandbox
    bot_id = sb.bot_id
    msgs = sb.messages(channel, guild=guild_on(rt, shard_id))
    return [m for m in msgs if m.author_id == bot_id]


def title(msg: Any) -> str:
    return str(msg.embeds[0].get("title") or "") if msg.embeds else ""


def text_of(msg: Any) -> str:
    return str(msg.text())


async def wait_for(predicate: Callable[[], object], timeout: float = WAIT) -> None:
    await eventually(predicate, timeout)


@pytest_asyncio.fixture
async def clock() -> AsyncIterator[Clock]:
    yield Clock()


@pytest_asyncio.fixture
async def rt(tmp_path: Path, clock: Clock) -> AsyncIterator[Runtime]:
    """Two shards, the monitor on the test's clock; loops too slow to interfere."""
    options = {
        "clock": clock,
        "collect_interval": HOUR,
        "health_interval": HOUR,
        "persist_interval": HOUR,
    }
    runtime = await start(bot_dir(tmp_path), options=options)
    try:
        yield runtime
    finally:
        await runtime.shutdown()
