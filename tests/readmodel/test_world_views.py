"""The world views (guilds, shards, system, files, sandbox) and the sandbox operator actions.

Every view is read through a :class:`LocalSource` on a running bot on the deterministic
demo sandbox, and must survive a JSON round trip unchanged: the control socket serves the
very same functions to an attached console. The sandbox actions (acting as its users)
need the owner role and leave an audit record.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.tui.conftest import CONFIG, make_bot_dir, make_runtime
from zoryx.extensions import HotReload
from zoryx.operator import CONSOLE_OWNER, Actor, Role
from zoryx.readmodel import ActionFailed
from zoryx.readmodel.local import LocalSource
from zoryx.runtime import Runtime

REPLY = 10.0  # seconds a test lets the bot answer on a busy machine
HOT_RELOAD = 30.0  # seconds for the folder watcher (debounce, then the reload)


async def started(bot_dir: Path) -> Runtime:
    runtime = make_runtime(bot_dir)
    await runtime.start()
    return runtime


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    rt = await started(make_bot_dir(tmp_path / "bot"))
    try:
        yield rt
    finally:
        await rt.shutdown("test done")


def round_trip(value: Any) -> Any:
    """``value`` after JSON encoding and decoding; equal only if it was plain JSON data."""
    text = json.dumps(value)
    decoded = json.loads(text)
    assert decoded == value, f"not plain JSON data: {value!r}"
    return decoded


async def audit_rows(runtime: Runtime, action: str) -> list[Any]:
    return [r for r in await runtime.bot.operator.audit.recent(200) if r.action == action]


async def test_every_world_view_is_plain_data_about_the_running_bot(runtime: Runtime) -> None:
    source = LocalSource(runtime, CONSOLE_OWNER)
    bot, sandbox = runtime.bot, runtime.sandbox

    guilds = round_trip(await source.read("guilds"))
    assert sorted(g["name"] for g in guilds) == sorted(g.name for g in bot.guilds)
    pixel = next(g for g in bot.guilds if g.name == "Pixel Guild")
    row = next(g for g in guilds if g["id"] == pixel.id)
    assert row["members"] == pixel.member_count and row["text"] == len(pixel.text_channels)
    assert row["owner"] == str(pixel.owner) and row["joined"] is not None

    detail = round_trip(await source.read("guild", guild_id=pixel.id))
    assert {c["name"] for c in detail["text_channels"]} == {c.name for c in pixel.text_channels}
    assert await source.read("guild", guild_id=1) is None

    shards = round_trip(await source.read("shards"))
    assert shards["shard_count"] == 1 and shards["guilds"] == len(bot.guilds)
    assert shards["shards"][0]["guilds"] == len(bot.guilds) and not shards["shards"][0]["closed"]

    system = round_trip(await source.read("system", lag_samples=5))
    assert system["process"]["threads"] >= 1 and system["process"]["rss"] > 0
    assert dict(system["versions"])["discord.py"].startswith("2.")
    assert len(system["lag"]["samples"]) <= 5

    info = round_trip(await source.read("file_info", path="extensions/greetings.py"))
    assert info["extension"] == "greetings" and info["state"] == "loaded"
    assert info["auto_reload"] is False
    plain_file = round_trip(await source.read("file_info", path="config.json"))
    assert plain_file["extension"] is None and plain_file["state"] is None
    nothing = await source.read("hot_reload", name="greetings", since=info["mark"])
    assert nothing is None, "no save, no outcome"

    world = round_trip(await source.read("sandbox"))
    assert world["bot_name"] == bot.user.name and world["simulator"] is None
    lounge = next(g for g in world["guilds"] if g["name"] == "Zoryx Lounge")
    form = round_trip(await source.read("sandbox_guild", guild_id=lounge["id"]))
    assert form["users"][0]["name"] == "owner", "the owner comes first"
    assert all(u["id"] != sandbox.bot_id for u in form["users"]), "no bots in the user list"
    assert "general" in [c["name"] for c in form["channels"]]
    general = sandbox.channel_id("#general", lounge["id"])
    assert round_trip(await source.read("sandbox_messages", channel_id=general)) == []
    assert await source.read("sandbox_interaction", interaction_id=1) is None


async def test_say_as_a_sandbox_user_is_audited_and_replies_are_read_after_a_cursor(
    runtime: Runtime,
) -> None:
    source = LocalSource(runtime, CONSOLE_OWNER)
    sandbox = runtime.sandbox
    general = sandbox.channel_id("#general")
    events: list[dict[str, Any]] = []
    source.subscribe("audit", events.append)
    alice = sandbox.user("alice").id

    sent = round_trip(
        await source.act("sandbox_say", user=alice, channel_id=general, text="!hello")
    )
    assert sent["user"] == "alice" and sent["channel"] == "#general"
    posted = next(m for m in sandbox.messages("#general") if m.id == sent["id"])
    assert posted.author_id == alice and posted.content == "!hello"

    replies = round_trip(
        await source.read("sandbox_messages", channel_id=general, after=sent["id"], wait=REPLY)
    )
    assert [r["text"] for r in replies] == ["👋 Hello, Alice!"]
    after_reply = await source.read("sandbox_messages", channel_id=general, after=replies[-1]["id"])
    assert after_reply == [], "nothing newer than the cursor"

    rows = await audit_rows(runtime, "sandbox_say")
    assert [(r.actor, r.target, r.ok) for r in rows] == [("console", "as alice in #general", True)]
    assert any(e["action"] == "sandbox_say" and e["ok"] for e in events)


async def test_slash_command_as_a_sandbox_user_and_its_answer(runtime: Runtime) -> None:
    source = LocalSource(runtime, CONSOLE_OWNER)
    general = runtime.sandbox.channel_id("#general")
    started_ = await source.act(
        "sandbox_slash",
        user="owner",
        channel_id=general,
        command="roll",
        options={"dice": "3", "sides": "2"},
    )
    answer = round_trip(
        await source.read(
            "sandbox_interaction", interaction_id=started_["interaction_id"], wait=REPLY
        )
    )
    assert answer["answered"]
    assert re.fullmatch(r"🎲 [12] \+ [12] \+ [12] = \*\*[3-6]\*\*", answer["text"])
    with pytest.raises(ActionFailed) as refused:
        await source.act("sandbox_slash", user="owner", channel_id=general, command="nope")
    assert refused.value.kind == "SandboxActionError" and "DiscordAPIError" in str(refused.value)
    outcomes = [(r.target, r.ok) for r in await audit_rows(runtime, "sandbox_slash")]
    assert ("/roll as owner in #general", True) in outcomes
    assert any(target.startswith("/nope") and not ok for target, ok in outcomes)


async def test_only_the_owner_acts_as_sandbox_users_or_runs_the_simulator(
    runtime: Runtime,
) -> None:
    sandbox = runtime.sandbox
    general = sandbox.channel_id("#general")
    before = len(sandbox.messages("#general"))
    for role in (Role.VISITOR, Role.HELPER):
        guest = LocalSource(runtime, Actor("guest", role, "console"))
        with pytest.raises(ActionFailed) as refused:
            await guest.act("sandbox_say", user="owner", channel_id=general, text="hi")
        assert refused.value.kind == "PermissionDenied"
        with pytest.raises(ActionFailed):
            await guest.act("sandbox_simulator", running=True, rate_per_minute=60)
    assert len(sandbox.messages("#general")) == before, "nothing was posted"
    assert getattr(sandbox, "simulator", None) is None, "no simulator was made"
    assert not [r for r in await audit_rows(runtime, "sandbox_say") if r.ok]

    owner = LocalSource(runtime, CONSOLE_OWNER)
    stats = round_trip(await owner.act("sandbox_simulator", running=True, rate_per_minute=600))
    assert stats["running"] and stats["rate_per_minute"] == 600
    assert sandbox.simulator.running
    with pytest.raises(ActionFailed) as too_fast:
        await owner.act("sandbox_simulator", rate_per_minute=10**6)
    assert "The rate must be 1 to 6000" in str(too_fast.value)
    stats = await owner.act("sandbox_simulator", running=False)
    assert not stats["running"] and not sandbox.simulator.running
    seen = (await owner.read("sandbox"))["simulator"]
    assert seen["running"] is False and seen["rate_per_minute"] == 600


async def test_hot_reload_view_reports_what_the_watcher_made_of_a_save(tmp_path: Path) -> None:
    bot_dir = make_bot_dir(tmp_path / "bot", {**CONFIG, "auto_reload": True})
    runtime = await started(bot_dir)
    try:
        source = LocalSource(runtime, CONSOLE_OWNER)
        manager = runtime.bot.extension_manager
        path = "extensions/greetings.py"
        text = await source.act("read_file", relative=path)

        # An outcome reported before the face asks for it is still found: file_info made
        # the bot listen before the write.
        info = await source.read("file_info", path=path)
        assert info["auto_reload"] is True and info["state"] == "loaded"
        heard: asyncio.Future[HotReload] = asyncio.get_running_loop().create_future()
        manager.hot_reload_listeners.append(
            lambda outcome: heard.done() or heard.set_result(outcome)
        )
        await source.act("write_file", relative=path, text=text.replace("Hello", "Howdy"))
        await asyncio.wait_for(heard, HOT_RELOAD)
        outcome = round_trip(await source.read("hot_reload", name="greetings", since=info["mark"]))
        assert outcome["state"] == "loaded" and outcome["error"] is None
        assert outcome["reloads"] == 1

        # A later mark ignores that outcome; waiting finds the next save's.
        info = await source.read("file_info", path=path)
        assert await source.read("hot_reload", name="greetings", since=info["mark"]) is None
        await source.act("write_file", relative=path, text=text + "\ndef (\n")
        broken = await source.read(
            "hot_reload", name="greetings", since=info["mark"], wait=HOT_RELOAD
        )
        assert broken["error"] is not None and "SyntaxError" in broken["traceback"]
        assert broken["state"] == "loaded", "the previous version keeps running"
        after = await source.read("file_info", path=path)
        assert after["reloads"] == 1 and after["state"] == "loaded"
    finally:
        await runtime.shutdown("test done")
