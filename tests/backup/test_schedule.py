"""Automatic backups: interval bounds, status, persistence across restarts, a missed
run happening once at start-up, retention after each run and the default interval
(``BACKUP_AUTO_INTERVAL``); the scheduler runs with a fake clock and a short tick."""

from __future__ import annotations

import pytest

from cogs.backup_restore.model import BackupError
from cogs.backup_restore.schedule import check_hours, schedule_info
from cogs.backup_restore.service import BackupService

from .conftest import START, Harness, wait_until

HOUR = 3600.0


@pytest.mark.parametrize("bad", [0, 169, -1, 2.5, True, "6"])
def test_interval_bounds(bad: object) -> None:
    with pytest.raises(BackupError):
        check_hours(bad)  # type: ignore[arg-type]
    assert check_hours(None) == 0 and check_hours(1) == 1 and check_hours(168) == 168


def test_schedule_info_from_the_stored_file() -> None:
    off = schedule_info(7, None, 0, START)
    assert not off.enabled and off.next_run is None and off.last_run is None
    due_now = schedule_info(7, None, 24, START)  # default on, never ran: due at once
    assert due_now.enabled and due_now.interval_hours == 24 and due_now.next_run == START
    follows = schedule_info(7, {"interval_hours": None, "last_run": START}, 6, START + 1)
    assert follows.interval_hours == 6 and follows.next_run == START + 6 * HOUR
    explicit = {"interval_hours": 12, "next_run": START + 5, "last_result": "ok x"}
    info = schedule_info(7, explicit, 0, START)
    assert info.interval_hours == 12 and info.next_run == START + 5 and info.last_result == "ok x"
    disabled = schedule_info(7, {"interval_hours": 0, "next_run": START}, 24, START)
    assert not disabled.enabled and disabled.next_run is None, "opting out beats the default"


async def test_schedule_status_bounds_and_persistence(harness: Harness) -> None:
    guild_id = harness.guild().id
    service = harness.service
    status = await service.schedule(guild_id)
    assert not status.enabled and status.interval_hours == 0 and status.next_run is None
    for bad in (0, 169, -1):
        with pytest.raises(BackupError, match="between 1 and 168"):
            await service.set_schedule(guild_id, bad, by="alice")
    enabled = await service.set_schedule(guild_id, 6, by="alice")
    assert enabled.enabled and enabled.interval_hours == 6
    assert enabled.next_run == harness.clock.now + 6 * HOUR
    restarted = await harness.restart_service()
    assert await restarted.schedule(guild_id) == enabled
    disabled = await restarted.set_schedule(guild_id, None, by="alice")
    assert not disabled.enabled and disabled.next_run is None
    assert await restarted.list(guild_id) == [], "no run happened"
    records = [r for r in await restarted.audit(guild_id) if r["action"] == "schedule"]
    assert [(r["target"], r["ok"]) for r in records] == [
        ("off", True),
        ("every 6 h", True),
        ("every -1 h", False),
        ("every 169 h", False),
        ("every 0 h", False),
    ]


@pytest.fixture
def retention_env(backup_env: dict[str, str]) -> dict[str, str]:
    backup_env.update(BACKUP_RETENTION_DAYS="1")
    return backup_env


async def test_missed_runs_happen_once_at_start_and_prune(
    retention_env: object, harness: Harness
) -> None:
    guild = harness.guild()
    clock = harness.clock
    service = harness.service
    old = await service.create(guild, by="alice")  # past retention when the run comes
    clock.advance(2 * 24 * HOUR)
    await service.set_schedule(guild.id, 1, by="alice")
    await service.stop()
    clock.advance(5 * HOUR + 30 * 60)  # five runs missed while the bot was down
    started_at = clock.now
    service = await harness.restart_service()
    await wait_until(lambda: service.scheduler.passes >= 1, what="the first pass")
    first_pass = service.scheduler.passes
    await wait_until(lambda: service.scheduler.passes >= first_pass + 3, what="more passes")
    snapshots = await service.list(guild.id)
    automatic = [s for s in snapshots if s.automatic]
    assert len(automatic) == 1, "one run for all the missed ones"
    assert automatic[0].created_by == "automatic schedule"
    status = await service.schedule(guild.id)
    assert status.last_run == started_at and status.next_run == started_at + HOUR
    assert status.last_result == f"ok {automatic[0].id}"
    assert old.id not in {s.id for s in snapshots}, "retention pruning after the run"
    # An hour later the next run is due.
    clock.advance(HOUR)
    await wait_until(lambda: _count_automatic(service, guild.id, 2), what="the next scheduled run")
    assert len(await service.list(guild.id)) == 2


async def _count_automatic(service: BackupService, guild_id: int, wanted: int) -> bool:
    return sum(s.automatic for s in await service.list(guild_id)) == wanted


async def _last_run(service: BackupService, guild_id: int) -> bool:
    return (await service.schedule(guild_id)).last_run is not None


@pytest.fixture
def auto_env(backup_env: dict[str, str]) -> dict[str, str]:
    backup_env.update(BACKUP_AUTO_INTERVAL="24")
    return backup_env


async def test_default_interval_applies_to_guilds_without_a_schedule(
    auto_env: object, harness: Harness
) -> None:
    """BACKUP_AUTO_INTERVAL: every guild is backed up (due at once) unless it opted out."""
    service = harness.service
    guild = harness.guild()
    await wait_until(lambda: _last_run(service, guild.id), what="the default run")
    assert sum(s.automatic for s in await service.list(guild.id)) == 1
    status = await service.schedule(guild.id)
    assert status.enabled and status.interval_hours == 24
    assert status.next_run == status.last_run + 24 * HOUR
    opted_out = harness.guild("Study Hall").id
    await service.set_schedule(opted_out, None, by="alice")
    before = service.scheduler.passes
    await wait_until(lambda: service.scheduler.passes >= before + 2, what="two passes")
    opted_out_runs = sum(s.automatic for s in await service.list(opted_out))
    harness.clock.advance(25 * HOUR)
    await wait_until(lambda: _count_automatic(service, guild.id, 2), what="the next run")
    after = service.scheduler.passes
    await wait_until(lambda: service.scheduler.passes >= after + 2, what="two more passes")
    assert not (await service.schedule(opted_out)).enabled
    assert sum(s.automatic for s in await service.list(opted_out)) == opted_out_runs
