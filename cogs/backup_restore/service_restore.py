"""Restores for :class:`~.service.BackupService`: one per guild at a time, run directly
or as a background job (``jobs.py``); every result goes to the guild's audit log."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .model import (
    BackupError,
    JobInfo,
    RestoreBusy,
    RestoreOptions,
    RestoreProgress,
    RestoreReport,
    check_snapshot_id,
)
from .restore import restore_snapshot

if TYPE_CHECKING:
    import discord

    from zoryx.bot import ZoryxBot

    from .jobs import RestoreJobs


class RestoreActions:
    """The restore half of the service (needs ``load``, ``_audit`` and the registries)."""

    if TYPE_CHECKING:
        bot: ZoryxBot
        jobs_registry: RestoreJobs
        _restoring: set[int]

        async def load(self, guild_id: int, snapshot_id: str) -> dict[str, Any]: ...

        async def _audit(
            self, guild_id: int, by: str, action: str, target: str, ok: bool, detail: str = ""
        ) -> None: ...

    def _reserve_restore(self, guild_id: int) -> None:
        if guild_id in self._restoring:
            raise RestoreBusy("a restore of this server is already running; wait for it to end")
        self._restoring.add(guild_id)

    async def restore(
        self,
        guild: discord.Guild,
        snapshot_id: str,
        options: RestoreOptions,
        *,
        by: str,
        source_guild_id: int | None = None,
        progress: Callable[[RestoreProgress], None] | None = None,
    ) -> RestoreReport:
        """Restore a snapshot (of ``source_guild_id``, default this guild) into ``guild``."""
        checked = check_snapshot_id(snapshot_id)
        self._reserve_restore(guild.id)
        try:
            return await self._restore(guild, checked, options, by, source_guild_id, progress)
        finally:
            self._restoring.discard(guild.id)

    def start_restore(
        self,
        guild: discord.Guild,
        snapshot_id: str,
        options: RestoreOptions,
        *,
        by: str,
        source_guild_id: int | None = None,
    ) -> JobInfo:
        """Start a restore in the background; :class:`RestoreBusy` is raised at once."""
        checked = check_snapshot_id(snapshot_id)
        self._reserve_restore(guild.id)

        async def work(publish: Callable[[RestoreProgress], None]) -> RestoreReport:
            return await self._restore(guild, checked, options, by, source_guild_id, publish)

        try:
            return self.jobs_registry.start(
                guild.id,
                checked,
                by,
                work,
                dry_run=options.dry_run,
                on_end=lambda: self._restoring.discard(guild.id),
            )
        except BaseException:
            self._restoring.discard(guild.id)
            raise

    async def _restore(
        self,
        guild: discord.Guild,
        snapshot_id: str,
        options: RestoreOptions,
        by: str,
        source_guild_id: int | None,
        progress: Callable[[RestoreProgress], None] | None,
    ) -> RestoreReport:

        source = guild.id if source_guild_id is None else source_guild_id
        action = "restore (dry run)" if options.dry_run else "restore"
        target = str(snapshot_id) + ("" if source == guild.id else f" of server {source}")
        try:
            document = await self.load(source, snapshot_id)
            report = await restore_snapshot(
                guild, document, options, bot=self.bot, progress=progress, snapshot_id=snapshot_id
            )
        except asyncio.CancelledError:
            await self._audit(guild.id, by, action, target, False, "stopped: the bot shut down")
            raise
        except Exception as exc:
            await self._audit(guild.id, by, action, target, False, reason_of(exc))
            raise
        await self._audit(guild.id, by, action, target, report.error is None, _summary(report))
        return report

    def job(self, job_id: str) -> JobInfo | None:
        return self.jobs_registry.get(job_id)

    def jobs(self) -> builtins.list[JobInfo]:
        """Restore jobs, newest first (the last 20 finished ones and any running)."""
        return self.jobs_registry.all()


def reason_of(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, BackupError) else f"{type(exc).__name__}: {exc}"


def _summary(report: RestoreReport) -> str:
    totals = report.totals()
    text = ", ".join(f"{key} {value}" for key, value in totals.items())
    return f"{text}; stopped: {report.error}" if report.error else text
