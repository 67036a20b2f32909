"""The status rotator (real presence updates) and the owner's `status` commands."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from .conftest import run, title

LOOP = pytest.mark.asyncio(loop_scope="module")
PLAYING, WATCHING, LISTENING = 0, 3, 2


def presence(rt: Any) -> tuple[int, str] | None:
    sb = rt.sandbox
    data = sb.guild().presences.get(sb.bot_id)
    if not data or not data.get("activities"):
        return None
    activity = data["activities"][0]
    return int(activity["type"]), str(activity["name"])


def saved_status(rt: Any) -> dict[str, Any]:
    return json.loads((rt.bot_dir / "config.json").read_text("utf-8"))["status"]


async def wait_presence(rt: Any, expected: tuple[int, str], timeout: float = 5) -> None:
    await rt.sandbox.wait_until(
        lambda: presence(rt) == expected, timeout=timeout, what=f"presence {expected}"
    )


@LOOP
async def test_rotator_sets_the_first_status_when_ready(runtime: Any) -> None:
    await wait_presence(runtime, (WATCHING, "3 servers"))
    assert runtime.bot.get_cog("Status").rotate.is_running()


@LOOP
async def test_status_commands_are_owner_only(runtime: Any) -> None:
    msg = await run(runtime, "carol", "!status")
    assert title(msg) == "❌ Owner only"
    msg = await run(runtime, "carol", "!status add playing hi")
    assert title(msg) == "❌ Owner only"
    assert "status" not in json.loads((runtime.bot_dir / "config.json").read_text("utf-8"))


@LOOP
async def test_add_rotates_and_persists(runtime: Any) -> None:
    msg = await run(runtime, "owner", "!status add playing with {users} users")
    assert title(msg) == "✅ Status added"
    assert saved_status(runtime)["rotation"] == [{"type": "playing", "text": "with {users} users"}]
    res = await (
        await runtime.sandbox.user("owner").slash(
            "status add", activity="listening", text="{commands} commands"
        )
    ).response()
    assert title(res.message) == "✅ Status added"
    assert len(saved_status(runtime)["rotation"]) == 2

    listing = await run(runtime, "owner", "!status list")
    text = listing.text()
    assert "**1.** 👀 watching `{guilds} servers` → 3 servers" in text
    assert "**2.** 🎮 playing `with {users} users` → with " in text
    assert "**3.** 🎧 listening" in text

    cog = runtime.bot.get_cog("Status")
    # {users}: distinct human members across the guilds (zoryx.metrics.user_count)
    users = len({m.id for g in runtime.bot.guilds for m in g.members if not m.bot})
    commands = int(
        listing.text().split("**3.** 🎧 listening `{commands} commands` → ")[1].split()[0]
    )
    assert commands >= 20
    cog.rotate.change_interval(seconds=0.2)  # speed the real loop up for the test
    try:
        await wait_presence(runtime, (PLAYING, f"with {users} users"))
        await wait_presence(runtime, (LISTENING, f"{commands} commands"))
        await wait_presence(runtime, (WATCHING, "3 servers"))
    finally:
        cog.rotate.change_interval(seconds=60)


@LOOP
async def test_bad_arguments(runtime: Any) -> None:
    for text in (
        "!status add dancing to music",
        "!status add playing {nope}",
        "!status interval 5",
        "!status interval soon",
        "!status remove abc",
        "!status remove 9",
    ):
        msg = await run(runtime, "owner", text)
        assert title(msg) == "❌ Bad argument", text
    assert len(saved_status(runtime)["rotation"]) == 2


@LOOP
async def test_interval_and_remove(runtime: Any) -> None:
    cog = runtime.bot.get_cog("Status")
    msg = await run(runtime, "owner", "!status interval 20")
    assert title(msg) == "✅ Interval changed"
    assert saved_status(runtime)["interval"] == 20
    assert cog.rotate.seconds == 20
    assert runtime.services.config.status.interval == 20

    res = await (await runtime.sandbox.user("owner").slash("status remove", number=1)).response()
    assert title(res.message) == "✅ Status removed"
    saved = saved_status(runtime)
    assert (saved["type"], saved["text"]) == ("playing", "with {users} users")
    assert len(saved["rotation"]) == 1
    msg = await run(runtime, "owner", "!status remove 2")
    assert title(msg) == "✅ Status removed"
    msg = await run(runtime, "owner", "!status remove 1")
    assert title(msg) == "❌ Bad argument" and "at least one" in msg.text()
    assert saved_status(runtime)["rotation"] == []


@LOOP
async def test_unloading_the_cog_stops_the_loop(runtime: Any) -> None:
    cog = runtime.bot.get_cog("Status")
    await runtime.bot.remove_cog("Status")
    for _ in range(50):
        if not cog.rotate.is_running():
            break
        await asyncio.sleep(0.02)
    assert not cog.rotate.is_running()
