"""Backup actions of the operator API: roles, the server-administrator scope, error
messages and the two audit trails (main.db and the guild's audit_log.json)."""

from __future__ import annotations

import asyncio

import pytest

from cogs.backup_restore.canonical import decode_snapshot
from zoryx.operator import CONSOLE_OWNER, Actor, OperatorError, PermissionDenied, Role

from .conftest import Harness


def admin_of(guild_id: int) -> Actor:
    """A Discord server administrator who is not a bot owner (as the cog builds it)."""
    return Actor("admin#1", Role.OWNER, "discord", guild=guild_id)


async def test_server_admin_acts_on_its_own_server_only(harness: Harness) -> None:
    api = harness.bot.operator
    home, other = harness.guild(), harness.guild("Pixel Guild")
    admin = admin_of(home.id)

    info = await api.backup_create(admin, home.id, label="admin's")
    assert info.label == "admin's" and info.created_by == "admin#1"
    assert (await api.backup_pin(admin, home.id, info.id, True)).pinned
    assert (await api.backup_note(admin, home.id, info.id, "fine")).note == "fine"
    schedule = await api.backup_schedule(admin, home.id, 12)
    assert schedule.enabled and schedule.interval_hours == 12
    job = await api.backup_restore(admin, home.id, info.id, ["roles"], dry_run=True)
    assert job.guild_id == home.id and job.started_by == "admin#1"
    await harness.service.jobs_registry.wait(job.job_id)
    await api.backup_pin(admin, home.id, info.id, False)
    await api.backup_delete(admin, home.id, info.id)
    assert await harness.service.list(home.id) == []

    owner_copy = await api.backup_create(CONSOLE_OWNER, other.id)
    refused = [
        api.backup_create(admin, other.id),
        api.backup_pin(admin, other.id, owner_copy.id, True),
        api.backup_note(admin, other.id, owner_copy.id, "mine now"),
        api.backup_delete(admin, other.id, owner_copy.id),
        api.backup_schedule(admin, other.id, 1),
        api.backup_restore(admin, other.id, owner_copy.id, ["roles"]),
        api.backup_export(admin, home.id, owner_copy.id),  # bot owners only, even at home
    ]
    for pending in refused:
        with pytest.raises(PermissionDenied):
            await pending
    # Restoring another server's snapshot into its own server would leak that server.
    with pytest.raises(OperatorError, match="bot owner"):
        await api.backup_restore(admin, home.id, owner_copy.id, ["roles"], source_guild_id=other.id)
    assert [i.id for i in await harness.service.list(other.id)] == [owner_copy.id]
    assert (await harness.service.schedule(other.id)).enabled is False

    records = await api.audit.recent(50)
    mine = [(r.action, r.ok) for r in records if r.actor == "admin#1"]
    for action in ("backup_create", "backup_pin", "backup_note", "backup_schedule"):
        assert (action, True) in mine and (action, False) in mine
    assert ("backup_export", False) in mine and ("backup_restore", True) in mine
    guild_log = [(r["action"], r["actor"]) for r in await harness.service.audit(home.id)]
    assert ("create", "admin#1") in guild_log and ("delete", "admin#1") in guild_log
    assert ("restore (dry run)", "admin#1") in guild_log


async def test_owner_bypasses_the_cooldown_and_is_told(harness: Harness) -> None:
    api = harness.bot.operator
    guild = harness.guild()
    first = await api.backup_create(CONSOLE_OWNER, guild.id)
    assert not first.cooldown_bypassed
    second = await api.backup_create(CONSOLE_OWNER, guild.id)
    assert second.cooldown_bypassed
    with pytest.raises(OperatorError, match="try again in 300 s"):
        await api.backup_create(admin_of(guild.id), guild.id)
    helper = Actor("helper", Role.HELPER, "console")
    with pytest.raises(OperatorError, match="try again"):
        await api.backup_create(helper, guild.id)


async def test_export_and_errors_reach_the_operator_as_messages(
    harness: Harness, restore_gate: asyncio.Event
) -> None:
    api = harness.bot.operator
    guild = harness.guild()
    info = await api.backup_create(CONSOLE_OWNER, guild.id)
    raw = await api.backup_export(CONSOLE_OWNER, guild.id, info.id)
    assert decode_snapshot(raw, info.checksum)["guild_id"] == guild.id
    with pytest.raises(OperatorError, match="is not a backup ID") as caught:
        await api.backup_delete(CONSOLE_OWNER, guild.id, "../" * 3000)
    assert len(str(caught.value)) < 120
    await api.backup_pin(CONSOLE_OWNER, guild.id, info.id, True)
    with pytest.raises(OperatorError, match="pinned"):
        await api.backup_delete(CONSOLE_OWNER, guild.id, info.id)
    with pytest.raises(OperatorError, match="between 1 and 168"):
        await api.backup_schedule(CONSOLE_OWNER, guild.id, 169)
    with pytest.raises(OperatorError, match="unknown restore component"):
        await api.backup_restore(CONSOLE_OWNER, guild.id, info.id, ["roles", "everything"])
    with pytest.raises(OperatorError, match="no backup"):
        await api.backup_restore(CONSOLE_OWNER, guild.id, "20200101T000000Z-abcdef", ["roles"])
    job = await api.backup_restore(CONSOLE_OWNER, guild.id, info.id, ["roles"], dry_run=True)
    with pytest.raises(OperatorError, match="already running"):
        await api.backup_restore(CONSOLE_OWNER, guild.id, info.id, ["roles"])
    restore_gate.set()
    done = await harness.service.jobs_registry.wait(job.job_id)
    assert done is not None and done.report is not None and done.report.error is None
    visitor = Actor("guest", Role.VISITOR, "web")
    with pytest.raises(PermissionDenied):
        await api.backup_create(visitor, guild.id)
    failed = [r for r in await api.audit.recent(50) if not r.ok and r.actor == "console"]
    assert any("pinned" in r.detail for r in failed)


async def test_disabled_feature_is_a_clear_error(harness: Harness) -> None:
    api = harness.bot.operator
    harness.bot.services.extra.pop("backups")
    with pytest.raises(OperatorError, match="backup & restore is disabled"):
        await api.backup_create(CONSOLE_OWNER, harness.guild().id)
