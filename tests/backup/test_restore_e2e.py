"""Restore end to end through the sandbox: snapshot "Backup Lab", raid it, restore, and
compare a new snapshot with the first by names (roles, order, overwrites, settings, member
roles, image bytes…); restore into the empty "Restore Target"; restore under strict rate
limits (real 429s)."""

from __future__ import annotations

import discord
import pytest

from cogs.backup_restore.model import COMPONENTS, RestoreProgress
from zoryx.runtime import Runtime

from ._restore_helpers import (
    DELETED_CHANNELS,
    DELETED_ROLES,
    TARGET,
    damage,
    guild,
    restore,
    rt,
    snap,
    snap_when,
    structure,
)

__all__ = ["rt"]

pytestmark = pytest.mark.timeout(240)


def assert_same(after: dict[str, object], before: dict[str, object]) -> None:
    """Key by key, so a failure names what differs."""
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key


async def test_a_raided_guild_comes_back(rt: Runtime) -> None:
    lab = guild(rt)
    db = rt.bot.services.db
    helper = discord.utils.get(lab.roles, name="Helper")
    assert helper is not None
    await db.set_prefix(lab.id, "?")
    await db.set_command_roles(lab.id, "ping", [helper.id])
    before = await snap(rt, lab)
    await damage(rt)
    await db.set_prefix(lab.id, None)
    await db.set_command_roles(lab.id, "ping", [])
    damaged = await snap(rt, lab)
    assert structure(damaged) != structure(before)  # the raid did change things

    progress: list[RestoreProgress] = []
    report = await restore(rt, lab, before, progress=progress)

    want = structure(before)
    after = await snap_when(rt, lab, lambda doc: structure(doc) == want)
    assert_same(structure(after), want)
    assert report.error is None and not report.dry_run
    assert report.totals()["failed"] == 0, report.components
    created = report.components
    assert {f"role {n}" for n in DELETED_ROLES} <= set(created["roles"].created)
    channel_names = {line.rsplit(" (", 1)[0] for line in created["channels"].created}
    assert {f"#{n}" for n in DELETED_CHANNELS if n != "Community"} <= channel_names
    assert created["categories"].created == ["category Community"]
    assert sorted(created["emojis"].created) == ["emoji :lab_dance:", "emoji :lab_ok:"]
    assert created["stickers"].created == ["sticker lab_wave"]
    assert created["bans"].created == ["ban spammer"]
    assert "role rule ping" in created["bot_settings"].created
    # The new Helper role is a new object: the rule follows it, not the dead ID.
    new_helper = discord.utils.get(lab.roles, name="Helper")
    assert new_helper is not None and new_helper.id != helper.id
    assert await db.get_command_roles(lab.id, "ping") == [new_helper.id]

    # Progress: after every step, never backwards, ends done at the total.
    assert len(progress) > 30
    steps = [p.done_steps for p in progress]
    assert steps == sorted(steps)
    last = progress[-1]
    assert last.done and last.done_steps == last.total_steps > 0
    assert not any(p.done for p in progress[:-1])
    assert {p.component for p in progress} >= {"roles", "channels", "member_roles"}

    # Restoring again finds everything in place: nothing created or changed.
    again = await restore(rt, lab, before)
    assert again.totals() == {"created": 0, "updated": 0, "skipped": 0, "failed": 0}


async def test_restore_into_the_empty_target_guild(rt: Runtime) -> None:
    lab = guild(rt)
    target = guild(rt, TARGET)
    assert len(target.roles) == 2 and not target.channels
    before = await snap(rt, lab)
    bot_role = target.me.top_role.name  # the bot's own (integration) role
    report = await restore(rt, target, before, frozenset(COMPONENTS) - {"messages"})

    # The bot cannot recreate roles above its own (the snapshot's order puts Admin and
    # Founders there) nor an integration's role; its own role is the target's.
    unrestorable = ("Admin", "Founders", "Twitch Subscriber", bot_role)
    want = structure(before, skip_roles=unrestorable)
    after = await snap_when(rt, target, lambda d: structure(d, skip_roles=unrestorable) == want)
    got = structure(after, skip_roles=unrestorable)
    assert_same(got, want)
    assert after["guild"]["name"] == "Backup Lab"
    skipped = report.components["roles"].skipped
    assert "role Admin: above the bot's top role" in skipped
    assert "role Founders: above the bot's top role" in skipped
    assert "role Twitch Subscriber: managed by an integration, cannot be created" in skipped
    assert report.totals()["failed"] == 0, report.components
    # Member overwrites follow the members, who are members of the target too.
    general = next(c for c in got["channels"] if c[0] == "general")
    assert ("member", "bob", 0, int(discord.Permissions(attach_files=True).value)) in general[-1]


async def test_restore_completes_under_strict_rate_limits(rt: Runtime) -> None:
    lab = guild(rt)
    before = await snap(rt, lab)
    await damage(rt)
    # Strict mode answers real 429s; a low global limit makes sure some are answered.
    await rt.sandbox.set_rate_limits(strict=True, global_limit=5)
    refused_before = rt.sandbox.limiter.refused
    try:
        report = await restore(rt, lab, before)
    finally:
        await rt.sandbox.set_rate_limits(strict=False, global_limit=50)
    assert rt.sandbox.limiter.refused > refused_before  # 429s really happened
    assert report.totals()["failed"] == 0, report.components
    want = structure(before)
    after = await snap_when(rt, lab, lambda doc: structure(doc) == want)
    assert_same(structure(after), want)
