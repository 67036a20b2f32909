"""The in-process source and the bot views (status, overview, commands, plugins, hooks,
logs, audit, targets).

Every view is read through a :class:`LocalSource` on a running bot on the deterministic
demo sandbox and must survive a JSON round trip unchanged: the control socket serves the
very same functions to an attached console. Actions go through the operator API as the
source's actor: they are audited, pushed as "audit" events, and refused by role.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.tui.conftest import make_bot_dir, make_runtime
from zoryx.metrics import BotMetrics
from zoryx.operator import CONSOLE_OWNER, Actor, Role
from zoryx.readmodel import ActionFailed, BotInfo, UnknownView
from zoryx.readmodel.guildlog import GuildLog
from zoryx.readmodel.local import LocalSource
from zoryx.readmodel.views_bot import recent_commands
from zoryx.runtime import Runtime

GUEST = Actor("guest", Role.VISITOR, "console")


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    rt = make_runtime(make_bot_dir(tmp_path / "bot"))
    await rt.start()
    try:
        yield rt
    finally:
        await rt.shutdown("test done")


def round_trip(value: Any) -> Any:
    """``value`` after JSON encoding and decoding; equal only if it was plain JSON data."""
    decoded = json.loads(json.dumps(value, allow_nan=False))
    assert decoded == value, f"not plain JSON data: {value!r}"
    return decoded


async def test_the_status_overview_and_logs_views_are_plain_data(runtime: Runtime) -> None:
    source = LocalSource(runtime, CONSOLE_OWNER)
    bot, metrics = runtime.bot, runtime.services.metrics
    info = source.info
    assert info == BotInfo(
        str(bot.user),
        os.getpid(),
        runtime.started_at,
        str(runtime.bot_dir),
        True,
        "in-process",
        "owner",
    )
    assert source.connected

    status = round_trip(await source.read("status"))
    assert status["ready"] and status["state"] == "ready" and status["pid"] == os.getpid()
    assert status["user"] == str(bot.user) and status["guilds"] == len(bot.guilds) == 3
    assert status["sandbox"] == "embedded" and status["tier"] == "healthy"

    metrics.record_command("hello", user="alice", guild="Pixel Guild")
    metrics.record_command("roll", user="bob", error="ValueError: bad dice")
    status = round_trip(await source.read("status", errors=3))
    assert [(e["name"], e["error"]) for e in status["errors"]] == [("roll", "ValueError: bad dice")]

    overview = round_trip(await source.read("overview", minutes=10))
    assert overview["user"] == str(bot.user) and overview["guilds"] == 3
    assert overview["commands"] == 2 and overview["command_errors"] == 1
    assert overview["tier"] == "critical" and overview["basis"] == "lifetime"
    assert len(overview["commands_per_minute"]) == 10 and overview["rss"] > 0
    recent = overview["recent"]
    assert [(r["seq"], r["name"], r["guild"]) for r in recent["items"]] == [
        (1, "hello", "Pixel Guild"),
        (2, "roll", None),
    ]
    later = await source.read("overview", recent_after=recent["last_seq"], process=False)
    assert later["recent"] == {"items": [], "last_seq": 2, "continuous": True}
    assert later["cpu_percent"] is None, "no psutil reading unless asked"

    logging.getLogger("zoryx.test").warning("a line for the logs view")
    logs = round_trip(await source.read("logs", commands_after=1, guilds_after=0))
    line = next(e for e in logs["entries"] if e["message"] == "a line for the logs view")
    assert line["levelname"] == "WARNING" and line["logger"] == "zoryx.test"
    assert logs["capacity"] == 2000 and logs["last_seq"] >= line["seq"]
    assert [r["name"] for r in logs["commands"]["items"]] == ["roll"], "after the cursor only"
    assert logs["guilds"] == {"items": [], "last_seq": 0, "continuous": True}
    newer = await source.read("logs", after=logs["last_seq"])
    assert all(e["seq"] > logs["last_seq"] for e in newer["entries"])
    assert "commands" not in newer and "guilds" not in newer

    targets = round_trip(await source.read("targets"))
    assert targets["ready"] and "greetings" in targets["extensions"]
    assert [g["name"] for g in targets["guilds"]] == [g.name for g in bot.guilds]
    first = bot.guilds[0]
    assert {c["name"] for c in targets["guilds"][0]["channels"]} == {
        c.name for c in first.text_channels
    }
    with pytest.raises(UnknownView):
        await source.read("no_such_view")


async def test_the_feature_views_are_plain_data(runtime: Runtime) -> None:
    source = LocalSource(runtime, CONSOLE_OWNER)
    bot = runtime.bot

    commands = round_trip(await source.read("commands", target=True))
    kinds = {(row["name"], row["kind"]) for row in commands["rows"]}
    assert {("hello", "hybrid"), ("roll", "slash"), ("note add", "hybrid")} <= kinds
    target = commands["target"]
    assert commands["sandbox"] == "embedded" and target["prefix"] == "!"
    assert target["channel_id"] in {c.id for c in bot.guilds[0].text_channels}
    usage = round_trip(await source.read("command_usage", names=["hello"]))
    assert usage == {"hello": {"count": 0, "errors": 0, "last_used": None}}

    plugins = round_trip(await source.read("plugins"))
    rows = {row["name"]: row for row in plugins["rows"]}
    assert rows["greetings"]["kind"] == "ext" and rows["greetings"]["state"] == "loaded"
    assert rows["Admin"]["kind"] == "cog"
    extension = round_trip(await source.read("extension", name="greetings"))
    assert extension["state"] == "loaded" and extension["traceback"] is None
    assert await source.read("extension", name="nowhere") is None

    hooks = round_trip(await source.read("hooks"))
    assert hooks == {
        "on": False,
        "failure": None,
        "load_cogs": False,
        "enable_event_hooks": True,
    }, "the test bot runs without the framework cogs"

    async def flaky(bot: Any, **event: Any) -> None:
        raise RuntimeError("boom")

    await bot.load_extension("cogs.event_hooks")
    hook_id = bot.register_hook("demo_event", flaky)
    await bot.emit_hook("demo_event")
    await runtime.services.extra["hooks"].drain()
    hooks = round_trip(await source.read("hooks", history=5))
    assert hooks["on"] and hooks["stats"]["hooks"] == 1
    assert [(h["hook_id"], h["failures"]) for h in hooks["hooks"]] == [(hook_id, 1)]
    assert hooks["history"][0]["error"] == "RuntimeError: boom"


async def test_an_action_is_audited_and_pushed_as_an_audit_event(runtime: Runtime) -> None:
    source = LocalSource(runtime, CONSOLE_OWNER)
    audit_events: list[dict[str, Any]] = []
    guild_events: list[dict[str, Any]] = []
    guild_changed = asyncio.Event()
    source.subscribe("audit", audit_events.append)
    source.subscribe("guild", lambda event: (guild_events.append(event), guild_changed.set()))

    info = round_trip(await source.act("reload_extension", name="greetings"))
    assert (info["name"], info["state"], info["reloads"]) == ("greetings", "loaded", 1)
    assert [(e["action"], e["actor"], e["ok"]) for e in audit_events] == [
        ("reload_extension", "console", True)
    ]
    records = round_trip(await source.read("audit", limit=5))
    assert records[0]["action"] == "reload_extension" and records[0]["target"] == "greetings"
    assert records[0]["ok"] and records[0]["source"] == "console"

    study = next(g for g in runtime.bot.guilds if g.name == "Study Hall")
    assert await source.act("leave_guild", guild_id=study.id) == "Study Hall"
    await asyncio.wait_for(guild_changed.wait(), 10)  # the gateway's GUILD_DELETE came
    changes = (await source.read("logs", guilds_after=0))["guilds"]["items"]
    assert [(c["kind"], c["name"]) for c in changes] == [("left", "Study Hall")]
    assert [(e["kind"], e["guild_id"]) for e in guild_events] == [("left", study.id)]

    with pytest.raises(ActionFailed) as failed:
        await source.act("unload_extension", name="nowhere")
    assert failed.value.kind == "OperatorError" and "not loaded" in str(failed.value)
    assert audit_events[-1]["action"] == "unload_extension" and not audit_events[-1]["ok"]

    await source.close()
    await source.act("sync_commands")
    assert audit_events[-1]["action"] == "unload_extension", "closed: no more events"


async def test_a_visitor_source_is_refused_an_owner_action(runtime: Runtime) -> None:
    source = LocalSource(runtime, GUEST)
    assert source.info.role == "visitor"
    with pytest.raises(ActionFailed) as refused:
        await source.act("shutdown")
    assert refused.value.kind == "PermissionDenied" and "owner" in str(refused.value)
    assert not runtime.bot.is_closed()
    assert (await source.read("status"))["ready"]
    records = await source.read("audit", limit=5)
    assert (records[0]["action"], records[0]["actor"], records[0]["ok"]) == (
        "shutdown",
        "guest",
        False,
    )


@pytest.mark.parametrize("name", ["audit", "_record", "role_for_user", "no_such_action"])
async def test_only_operator_actions_can_be_called(runtime: Runtime, name: str) -> None:
    with pytest.raises(ActionFailed) as refused:
        await LocalSource(runtime, CONSOLE_OWNER).act(name)
    assert refused.value.kind == "UnknownAction"


def test_recent_commands_follow_a_cursor_and_say_when_it_fell_out() -> None:
    metrics = BotMetrics(recent=3)
    assert recent_commands(metrics, 0, 10) == {"items": [], "last_seq": 0, "continuous": True}
    for name in "abcde":
        metrics.record_command(name)
    kept = recent_commands(metrics, 3, 10)
    assert [(r["seq"], r["name"]) for r in kept["items"]] == [(4, "d"), (5, "e")]
    assert kept["continuous"]
    gone = recent_commands(metrics, 1, 10)
    assert [r["name"] for r in gone["items"]] == ["c", "d", "e"] and not gone["continuous"]
    other_run = recent_commands(metrics, 99, 2)
    assert [r["seq"] for r in other_run["items"]] == [4, 5] and not other_run["continuous"]


def test_the_guild_log_is_bounded_and_follows_a_cursor() -> None:
    log = GuildLog(capacity=2)
    assert log.since(0) == ([], True)
    for name in ("one", "two", "three"):
        log.add("joined", len(name), name)
    assert len(log) == 2
    fresh, continuous = log.since(2)
    assert [c.name for c in fresh] == ["three"] and continuous
    fresh, continuous = log.since(0)
    assert [c.name for c in fresh] == ["two", "three"] and not continuous
