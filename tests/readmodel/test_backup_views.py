"""The backup views (``backups``, ``backup``, ``backup_diff``, ``backup_jobs``, ``backup_job``,
``backup_audit``): plain data about the backup service, refusals as ``{"error": …}``.

Read through a :class:`LocalSource` on a running bot (demo sandbox, backup feature on) and
compared after a JSON round trip, since the control socket serves the same functions.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.readmodel.test_world_views import round_trip
from tests.tui.conftest import make_bot_dir, make_runtime
from tests.tui.test_backups_pane import BACKUP_CONFIG
from zoryx.operator import CONSOLE_OWNER
from zoryx.readmodel.local import LocalSource
from zoryx.readmodel.views_backups import DIFF_MAX, ITEMS_MAX
from zoryx.runtime import Runtime

GUILD = "Pixel Guild"


async def wait_until(probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll ``probe`` (sync or async) until it returns something true; returns it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = probe()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {probe}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    rt = make_runtime(make_bot_dir(tmp_path / "bot", BACKUP_CONFIG))
    await rt.start()
    try:
        yield rt
    finally:
        await rt.shutdown("test done")


def guild_named(runtime: Runtime, name: str = GUILD) -> Any:
    return next(g for g in runtime.bot.guilds if g.name == name)


async def test_guilds_snapshots_and_one_snapshot_with_its_verification(runtime: Runtime) -> None:
    source = LocalSource(runtime, CONSOLE_OWNER)
    guild = guild_named(runtime)

    empty = round_trip(await source.read("backups"))
    assert empty["on"] and [g["name"] for g in empty["guilds"]] == sorted(
        g.name for g in runtime.bot.guilds
    )
    assert empty["guild"]["name"] == GUILD and empty["guild"]["snapshots"] == []
    assert empty["guild"]["schedule"]["enabled"] is False
    assert empty["limits"]["max_per_guild"] == 25 and empty["limits"]["cooldown"] == 300
    assert "roles" in empty["default_components"] and "messages" not in empty["default_components"]
    assert empty["components"][0] == "roles" and "messages" in empty["components"]

    made = await source.act("backup_create", guild_id=guild.id, label="nightly")
    await source.act("backup_pin", guild_id=guild.id, snapshot_id=made["id"], pinned=True)
    data = round_trip(await source.read("backups", guild_id=guild.id))
    row = next(g for g in data["guilds"] if g["id"] == guild.id)
    assert row["snapshots"] == 1 and row["bytes"] == made["size"] and row["present"]
    [listed] = data["guild"]["snapshots"]
    assert (listed["id"], listed["label"], listed["pinned"]) == (made["id"], "nightly", True)
    assert listed["members"] == made["counts"]["members"] > 0
    assert data["guild"]["cooldown_left"] > 0, "a manual backup starts the cooldown"

    one = round_trip(await source.read("backup", guild_id=guild.id, snapshot_id=made["id"]))
    assert one["info"]["id"] == made["id"] and one["counts"]["roles"] == len(guild.roles)
    assert one["verify"]["ok"] is True and one["verify"]["checksum"] == made["checksum"]

    refused = await source.read("backup", guild_id=guild.id, snapshot_id="../x")
    assert "is not a backup ID" in refused["error"]
    unknown = await source.read("backup", guild_id=guild.id, snapshot_id="20200101T000000Z-abcdef")
    assert set(unknown) == {"error"} and unknown["error"]

    audit = round_trip(await source.read("backup_audit", guild_id=guild.id))
    assert [e["action"] for e in audit["entries"]][:2] == ["pin", "create"], "newest first"


async def test_diff_between_snapshots_and_against_the_live_guild(runtime: Runtime) -> None:
    source = LocalSource(runtime, CONSOLE_OWNER)
    guild = guild_named(runtime)
    first = await source.act("backup_create", guild_id=guild.id, label="a")
    await guild.create_role(name="Added Later")
    await wait_until(lambda: any(r.name == "Added Later" for r in guild.roles))

    drift = round_trip(await source.read("backup_diff", guild_id=guild.id, a=first["id"]))
    assert {"kind": "added", "what": "role", "name": "Added Later"}.items() <= next(
        c for c in drift["changes"] if c["name"] == "Added Later"
    ).items()
    assert drift["total"] == len(drift["changes"]) <= DIFF_MAX
    assert drift["summary"]["role added"] == 1

    second = await source.act("backup_create", guild_id=guild.id, label="b")
    await guild.create_role(name="After Both")  # in neither snapshot: only drift shows it
    await wait_until(lambda: any(r.name == "After Both" for r in guild.roles))
    between = round_trip(
        await source.read("backup_diff", guild_id=guild.id, a=first["id"], b=second["id"])
    )
    assert [c["name"] for c in between["changes"] if c["kind"] == "added"] == ["Added Later"]
    latest = await source.read("backup_diff", guild_id=guild.id)  # newest snapshot → now
    assert [c["name"] for c in latest["changes"] if c["kind"] == "added"] == ["After Both"]

    gone = await source.read("backup_diff", guild_id=123, a=first["id"])
    assert "the bot is not in guild 123" in gone["error"]


async def test_a_restore_job_is_followed_to_its_report(runtime: Runtime) -> None:
    source = LocalSource(runtime, CONSOLE_OWNER)
    guild = guild_named(runtime)
    made = await source.act("backup_create", guild_id=guild.id)
    await runtime.sandbox.delete_role("Helper", guild.id)
    await wait_until(lambda: all(r.name != "Helper" for r in guild.roles))
    job = await source.act(
        "backup_restore",
        guild_id=guild.id,
        snapshot_id=made["id"],
        components=["roles"],
        dry_run=True,
    )
    assert round_trip(await source.read("backup_jobs"))[0]["job_id"] == job["job_id"]

    async def finished() -> dict[str, Any]:
        state = await source.read("backup_job", job_id=job["job_id"])
        return state if state["done"] else {}

    done = round_trip(await wait_until(finished))
    progress, report = done["progress"], done["report"]
    assert progress["done"] and progress["fraction"] == 1.0
    assert report["dry_run"] is True and list(report["components"]) == ["roles"]
    roles = report["components"]["roles"]
    assert roles["counts"]["created"] == 1 and any("Helper" in i for i in roles["created"])
    assert all(len(roles[outcome]) <= ITEMS_MAX for outcome in roles["counts"])
    assert report["totals"]["created"] == 1
    assert all(r.name != "Helper" for r in guild.roles), "a dry run changes nothing"
    assert await source.read("backup_job", job_id="no-such-job") is None


async def test_with_the_feature_off_the_views_say_so(tmp_path: Path) -> None:
    rt = make_runtime(make_bot_dir(tmp_path / "bot"))  # framework cogs off
    await rt.start()
    try:
        source = LocalSource(rt, CONSOLE_OWNER)
        off = round_trip(await source.read("backups"))
        assert off["on"] is False and off["switched_on"] is False
        assert off["load_cogs"] is False and off["failure"] is None
        assert await source.read("backups", details=False) == {**off}
        gid = rt.bot.guilds[0].id
        for view, params in (
            ("backup", {"guild_id": gid, "snapshot_id": "x"}),
            ("backup_diff", {"guild_id": gid}),
            ("backup_audit", {"guild_id": gid}),
        ):
            assert (await source.read(view, **params)) == {"error": "backup & restore is disabled"}
        assert await source.read("backup_jobs") == []
        assert await source.read("backup_job", job_id="x") is None
    finally:
        await rt.shutdown("test done")
