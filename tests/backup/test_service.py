"""The backup service against the sandbox Discord: snapshots, verification, cooldown,
pins, limits, restore jobs and their lock, and the schedule (with a fake clock)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cogs.backup_restore.canonical import decode_snapshot, encode_snapshot
from cogs.backup_restore.model import (
    BackupError,
    CooldownActive,
    InvalidSnapshotId,
    PinnedSnapshot,
    RestoreBusy,
    RestoreOptions,
    RestoreProgress,
    SnapshotCorrupt,
    SnapshotNotFound,
)
from cogs.backup_restore.service import BackupService
from zoryx.runtime import Runtime

from .conftest import FakeClock, Harness, wait_until, write_bot_dir

HOUR = 3600.0
ROLES_ONLY = RestoreOptions(components=frozenset({"roles"}))


async def test_create_list_load_verify_round_trip(harness: Harness) -> None:
    guild = harness.guild()
    service = harness.service
    info = await service.create(guild, by="alice", label="  before the raid  ")
    assert info.label == "before the raid" and info.created_by == "alice"
    assert info.created_at == harness.clock.now and not info.automatic
    assert info.counts["roles"] == len(guild.roles)
    assert info.counts["channels"] + info.counts["categories"] == len(guild.channels)
    assert info.members_captured and info.counts["members"] > 0
    assert await service.list(guild.id) == [info]
    assert await service.get(guild.id, info.id) == info
    document = await service.load(guild.id, info.id)
    assert document["guild_id"] == guild.id and document["label"] == "before the raid"
    assert (await service.verify(guild.id, info.id)).ok
    raw = await service.export_bytes(guild.id, info.id)
    assert raw == harness.snapshot_file(guild.id, info.id).read_bytes()
    assert decode_snapshot(raw, info.checksum) == document
    assert await service.guild_ids() == [guild.id]
    stats = await service.stats()
    assert stats["guilds"] == 1 and stats["snapshots"] == 1 and stats["bytes"] == info.size
    assert stats["per_guild"][0]["latest"] == info.created_at
    [record] = await service.audit(guild.id)
    assert record["action"] == "create" and record["target"] == info.id and record["ok"]


async def test_bad_input_is_refused_with_a_short_message(harness: Harness) -> None:
    guild = harness.guild()
    service = harness.service
    await service.create(guild, by="alice")
    before = sorted(p for p in harness.runtime.bot_dir.rglob("*") if p.is_file())
    for bad in ("../x", "x" * 10_000, "..", "/etc/passwd"):
        for pending in (
            service.get(guild.id, bad),
            service.load(guild.id, bad),
            service.verify(guild.id, bad),
            service.export_bytes(guild.id, bad),
            service.delete(guild.id, bad, by="alice"),
            service.set_pinned(guild.id, bad, True, by="alice"),
            service.set_note(guild.id, bad, "n", by="alice"),
            service.restore(guild, bad, ROLES_ONLY, by="alice"),
        ):
            with pytest.raises(InvalidSnapshotId) as caught:
                await pending
            assert len(str(caught.value)) < 120
        with pytest.raises(InvalidSnapshotId):
            service.start_restore(guild, bad, ROLES_ONLY, by="alice")
    with pytest.raises(SnapshotNotFound):
        await service.get(guild.id, "20200101T000000Z-abcdef")
    with pytest.raises(BackupError, match="100"):
        await service.create(guild, by="alice", label="x" * 101, bypass_cooldown=True)
    with pytest.raises(BackupError, match="500"):
        await service.create(guild, by="alice", messages=501, bypass_cooldown=True)
    info = (await service.list(guild.id))[0]
    with pytest.raises(BackupError, match="500"):
        await service.set_note(guild.id, info.id, "n" * 501, by="alice")
    after = sorted(p for p in harness.runtime.bot_dir.rglob("*") if p.is_file())
    assert [p for p in after if p not in before] == []


@pytest.mark.parametrize("damage", ["one byte", "truncated", "re-signed"])
async def test_tampered_snapshot_is_reported_and_never_used(harness: Harness, damage: str) -> None:
    guild = harness.guild()
    service = harness.service
    info = await service.create(guild, by="alice")
    path = harness.snapshot_file(guild.id, info.id)
    raw = path.read_bytes()
    if damage == "one byte":
        at = raw.index(b'"name":"') + len(b'"name":"')
        path.write_bytes(raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :])
        reason = "checksum mismatch"
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
        reason = "truncated"
    else:  # edited, with a checksum recomputed to match: the index still knows better
        document = json.loads(raw)["snapshot"]
        document["label"] = "forged"
        path.write_bytes((await encode_snapshot(document))[0])
        reason = "checksum mismatch"
    result = await service.verify(guild.id, info.id)
    assert not result.ok and reason in result.reason
    for call in (
        lambda: service.load(guild.id, info.id),
        lambda: service.export_bytes(guild.id, info.id),
        lambda: service.restore(guild, info.id, ROLES_ONLY, by="alice"),
    ):
        with pytest.raises(SnapshotCorrupt, match=reason):
            await call()
    record = (await service.audit(guild.id))[0]
    assert record["action"] == "restore" and not record["ok"] and reason in record["detail"]
    path.unlink()
    assert (await service.verify(guild.id, info.id)).reason == "the file is missing"


async def test_cooldown_and_owner_bypass(harness: Harness) -> None:
    guild = harness.guild()
    service, clock = harness.service, harness.clock
    first = await service.create(guild, by="alice")
    assert not first.cooldown_bypassed
    assert service.cooldown_left(guild.id) == 300
    clock.advance(100)
    with pytest.raises(CooldownActive) as caught:
        await service.create(guild, by="alice")
    assert caught.value.retry_after == 200 and "200 s" in str(caught.value)
    bypassed = await service.create(guild, by="owner", bypass_cooldown=True)
    assert bypassed.cooldown_bypassed
    assert service.cooldown_left(harness.guild("Pixel Guild").id) == 0, "per guild"
    automatic = await service.create(guild, by="schedule", automatic=True)
    assert automatic.automatic and not automatic.cooldown_bypassed
    clock.advance(301)
    assert service.cooldown_left(guild.id) == 0
    assert not (await service.create(guild, by="alice")).cooldown_bypassed
    clock.advance(-3 * HOUR)  # the wall clock jumps back: wait at most one cooldown
    assert service.cooldown_left(guild.id) == 300
    refusals = [r for r in await service.audit(guild.id) if not r["ok"]]
    assert [r["detail"] for r in refusals] == ["cooldown active"]


async def test_cooldown_survives_a_restart(harness: Harness) -> None:
    guild = harness.guild()
    await harness.service.create(guild, by="alice")
    harness.clock.advance(60)
    service = await harness.restart_service()
    assert service.cooldown_left(guild.id) == 240
    with pytest.raises(CooldownActive):
        await service.create(guild, by="alice")


async def test_pins_protect_from_delete(harness: Harness) -> None:
    guild = harness.guild()
    service = harness.service
    info = await service.create(guild, by="alice")
    assert (await service.set_pinned(guild.id, info.id, True, by="alice")).pinned
    with pytest.raises(PinnedSnapshot):
        await service.delete(guild.id, info.id, by="alice")
    assert harness.snapshot_file(guild.id, info.id).exists()
    noted = await service.set_note(guild.id, info.id, "keep this one", by="bob")
    assert noted.note == "keep this one" and noted.pinned
    await service.set_pinned(guild.id, info.id, False, by="alice")
    await service.delete(guild.id, info.id, by="alice")
    assert not harness.snapshot_file(guild.id, info.id).exists()
    assert await service.list(guild.id) == []
    actions = [(r["action"], r["ok"], r["actor"]) for r in await service.audit(guild.id)]
    assert actions[:5] == [
        ("delete", True, "alice"),
        ("unpin", True, "alice"),
        ("note", True, "bob"),
        ("delete", False, "alice"),
        ("pin", True, "alice"),
    ]


@pytest.fixture
def limited_env(backup_env: dict[str, str]) -> dict[str, str]:
    backup_env.update(BACKUP_MAX_PER_GUILD="2", BACKUP_COOLDOWN="0")
    return backup_env


async def test_max_per_guild_prunes_oldest_unpinned(limited_env: object, harness: Harness) -> None:
    guild = harness.guild()
    service = harness.service
    pinned = await service.create(guild, by="alice")
    await service.set_pinned(guild.id, pinned.id, True, by="alice")
    created = []
    for _ in range(3):
        harness.clock.advance(60)
        created.append(await service.create(guild, by="alice"))
    assert [i.id for i in await service.list(guild.id)] == [created[2].id, pinned.id]
    assert not harness.snapshot_file(guild.id, created[0].id).exists()
    pruned = [r["target"] for r in await service.audit(guild.id) if r["action"] == "prune"]
    assert sorted(pruned) == sorted([created[0].id, created[1].id])


async def test_one_restore_per_guild(harness: Harness) -> None:
    guild = harness.guild()
    other = harness.guild("Pixel Guild")
    service = harness.service
    info = await service.create(guild, by="alice")
    job = service.start_restore(guild, info.id, RestoreOptions(dry_run=True), by="alice")
    with pytest.raises(RestoreBusy):
        service.start_restore(guild, info.id, ROLES_ONLY, by="bob")
    with pytest.raises(RestoreBusy):
        await service.restore(guild, info.id, ROLES_ONLY, by="bob")
    # Another guild is not held up (a snapshot of one guild restored into another).
    foreign = await service.restore(
        other, info.id, RestoreOptions(dry_run=True), by="owner", source_guild_id=guild.id
    )
    assert foreign.error is None and foreign.dry_run
    done = await service.jobs_registry.wait(job.job_id)
    assert done is not None and done.report is not None and done.report.error is None
    assert done.progress.done and service.job(job.job_id) == done
    assert service.jobs()[0].job_id == job.job_id
    # Once the job ended, the guild is free again.
    seen: list[RestoreProgress] = []
    report = await service.restore(guild, info.id, ROLES_ONLY, by="bob", progress=seen.append)
    assert report.error is None and report.snapshot_id == info.id and not report.dry_run
    assert seen and seen[-1].done and {p.snapshot_id for p in seen} == {info.id}
    assert done.progress.snapshot_id == info.id and done.report.snapshot_id == info.id
    restores = [r for r in await service.audit(guild.id) if r["action"].startswith("restore")]
    assert [(r["action"], r["actor"], r["ok"]) for r in restores] == [
        ("restore", "bob", True),
        ("restore (dry run)", "alice", True),
    ]
    assert [r["action"] for r in await service.audit(other.id)] == ["restore (dry run)"]


async def test_a_failing_job_keeps_its_error(harness: Harness) -> None:
    guild = harness.guild()
    service = harness.service
    info = await service.create(guild, by="alice")
    harness.snapshot_file(guild.id, info.id).write_bytes(b"{")
    job = service.start_restore(guild, info.id, ROLES_ONLY, by="alice")
    done = await service.jobs_registry.wait(job.job_id)
    assert done is not None and done.report is not None
    assert done.report.error is not None and "truncated" in done.report.error
    assert done.progress.done and "truncated" in done.progress.message
    assert service.start_restore(guild, info.id, ROLES_ONLY, by="alice"), "lock released"


async def test_the_framework_cog_registers_the_service(tmp_path: Path) -> None:
    """``cogs.backup_restore`` loads as a framework cog: service in ``extra``, commands
    added, scheduler running with the options tests pass."""
    clock = FakeClock()
    rt = Runtime(
        write_bot_dir(tmp_path / "bot"),
        console_logging=False,
        environ={"BACKUP_COOLDOWN": "300"},
        sandbox_world="empty",
    )
    await rt.build()
    rt.services.extra["backup_options"] = {"clock": clock, "tick": 0.01}
    try:
        await rt.start()
        assert "cogs.backup_restore" not in rt.bot.framework_failures
        service = rt.services.extra["backups"]
        # discord.py drops cogs.backup_restore.* from sys.modules when an earlier test's bot
        # unloaded it, so this module's BackupService may be an older class object.
        assert type(service).__qualname__ == BackupService.__qualname__
        assert service.clock is clock
        assert rt.bot.get_cog("Backups") is not None
        await wait_until(lambda: service.scheduler.passes >= 1, what="a scheduler pass")
        await rt.bot.unload_extension("cogs.backup_restore")  # teardown stops the service
        assert "backups" not in rt.services.extra
        assert service.scheduler._task is None and rt.bot.get_cog("Backups") is None
    finally:
        await rt.shutdown("test done")
