"""Automatic backups: a per-guild interval (1–168 h) kept in the guild's ``schedule.json``.

``schedule.json`` holds ``interval_hours`` (an int; 0 = off; ``null`` = follow
``BACKUP_AUTO_INTERVAL``), ``next_run``, ``last_run`` and ``last_result``. A guild without
the file follows ``BACKUP_AUTO_INTERVAL`` (0 = off) and is due at once when that is on.

One task wakes every ``tick`` seconds and snapshots each due guild in turn. A run sets
``next_run`` to one interval after it started, so runs missed while the bot was down
collapse into one run at start-up. Retention pruning follows every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from .model import SCHEDULE_MAX_HOURS, SCHEDULE_MIN_HOURS, BackupError, ScheduleInfo

if TYPE_CHECKING:
    import discord

    from .service import BackupService

log = logging.getLogger("zoryx.backups")

HOUR = 3600.0
AUTOMATIC_BY = "automatic schedule"
AUTOMATIC_LABEL = "automatic backup"


def check_hours(hours: int | None) -> int:
    """The stored interval for ``hours`` (None disables: 0); BackupError outside 1–168."""
    if hours is None:
        return 0
    if isinstance(hours, bool) or not isinstance(hours, int):
        raise BackupError("the interval is a whole number of hours")
    if not SCHEDULE_MIN_HOURS <= hours <= SCHEDULE_MAX_HOURS:
        raise BackupError(
            f"the interval must be between {SCHEDULE_MIN_HOURS} and {SCHEDULE_MAX_HOURS} hours"
        )
    return hours


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def schedule_info(
    guild_id: int, raw: dict[str, Any] | None, default_hours: int, now: float
) -> ScheduleInfo:
    """The effective schedule of a guild from its stored ``schedule.json`` (or None)."""
    raw = raw or {}
    stored = raw.get("interval_hours")
    follows_default = isinstance(stored, bool) or not isinstance(stored, int)
    hours = default_hours
    if isinstance(stored, int) and not follows_default:
        hours = max(0, min(stored, SCHEDULE_MAX_HOURS))
    last_run = _number(raw.get("last_run"))
    next_run: float | None = None
    if hours > 0:
        next_run = _number(raw.get("next_run"))
        if follows_default:  # the default may have changed since next_run was stored
            next_run = now if last_run is None else last_run + hours * HOUR
        elif next_run is None:
            next_run = now
    return ScheduleInfo(
        guild_id=guild_id,
        enabled=hours > 0,
        interval_hours=hours,
        next_run=next_run,
        last_run=last_run,
        last_result=str(raw.get("last_result") or ""),
    )


class BackupScheduler:
    """The task that takes automatic snapshots for the service's guilds."""

    def __init__(self, service: BackupService, *, tick: float = 60.0) -> None:
        self.service = service
        self.tick = tick
        self.passes = 0
        """Completed passes over the guilds (tests wait on it)."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._loop(), name="backup-scheduler"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        await self.service.bot.wait_until_ready()
        while True:
            try:
                await self.run_due()
            except Exception:
                log.exception("the backup scheduler's pass failed; trying again next tick")
            self.passes += 1
            await asyncio.sleep(self.tick)

    async def _candidates(self) -> list[discord.Guild]:
        """Guilds that may have a schedule: all of them when the default is on, else the
        ones with a backup folder (where a schedule.json can be)."""
        guilds = list(self.service.bot.guilds)
        if self.service.limits().auto_interval > 0:
            return guilds
        with_folder = set(await self.service.store.guild_ids())
        return [g for g in guilds if g.id in with_folder]

    async def run_due(self) -> list[int]:
        """Snapshot every guild whose next run is due; the IDs of the guilds run."""
        ran: list[int] = []
        for guild in await self._candidates():
            info = await self.service.schedule(guild.id)
            if not info.enabled or info.next_run is None:
                continue
            if info.next_run <= self.service.clock():
                await self.run_guild(guild, info.interval_hours)
                ran.append(guild.id)
        return ran

    async def run_guild(self, guild: discord.Guild, hours: int) -> None:
        started = self.service.clock()
        try:
            created = await self.service.create(
                guild, by=AUTOMATIC_BY, label=AUTOMATIC_LABEL, automatic=True
            )
            result = f"ok {created.id}"
        except Exception as exc:
            log.warning("automatic backup of guild %s failed", guild.id, exc_info=True)
            result = str(exc) if isinstance(exc, BackupError) else f"{type(exc).__name__}: {exc}"
        await self.service.prune(guild.id)
        changes: dict[str, Any] = {
            "last_run": started,
            "next_run": started + hours * HOUR,
            "last_result": self.service.redact(result)[:300],
        }
        raw = await self.service.store.read_schedule(guild.id)
        if raw is None or "interval_hours" not in raw:
            changes["interval_hours"] = None  # still follows BACKUP_AUTO_INTERVAL
        await self.service.store.update_schedule(guild.id, changes)
