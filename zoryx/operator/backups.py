"""Operator actions on guild backups (a mixin of :class:`~zoryx.operator.api.OperatorAPI`).

The Discord cog and the console both call these. Each goes through ``_act`` (role check,
guild scope, audit record in main.db); the backup service keeps the guild's own audit
log as well. A server administrator who is not a bot owner acts with ``Actor.guild`` set:
every action here but :meth:`BackupActions.backup_export` is allowed to them, on their
own server only. A :class:`~cogs.backup_restore.model.BackupError` reaches the operator
as an :class:`~zoryx.operator.api.OperatorError` with the same message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from cogs.backup_restore.model import JobInfo, ScheduleInfo, SnapshotInfo

    from ..bot import ZoryxBot
    from .api import Actor

T = TypeVar("T")


class BackupActions:
    """Backup actions; needs ``bot`` and ``_act`` from :class:`OperatorAPI`."""

    if TYPE_CHECKING:
        bot: ZoryxBot

        async def _act(
            self,
            actor: Actor,
            action: str,
            target: Any,
            work: Callable[[], Awaitable[T]],
            audit: bool = True,
            guild: int | None = None,
        ) -> T: ...

    def _backups(self) -> Any:
        from .api import OperatorError

        service = self.bot.services.extra.get("backups")
        if service is None:
            raise OperatorError("backup & restore is disabled")
        return service

    def _backup_guild(self, guild_id: int) -> Any:
        from .api import OperatorError

        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise OperatorError(f"the bot is not in server {guild_id}")
        return guild

    async def _backup_call(self, service: Any, call: Callable[[], Awaitable[T]]) -> T:
        """Run a service call; its BackupError becomes an OperatorError (same message).

        The service names the error class it raises (``service.Error``): after the
        extension was reloaded, a fresh import here could give another class object.
        """
        from cogs.backup_restore.model import BackupError

        from .api import OperatorError

        errors = (BackupError, getattr(service, "Error", BackupError))
        try:
            return await call()
        except errors as exc:
            raise OperatorError(str(exc)) from exc

    async def backup_create(
        self, actor: Actor, guild_id: int, label: str = "", messages: int = 0
    ) -> SnapshotInfo:
        """Snapshot a server; a bot owner (not server-scoped) skips the cooldown."""
        from .api import Role

        bypass = actor.role == Role.OWNER and actor.guild is None

        async def work() -> SnapshotInfo:
            guild = self._backup_guild(guild_id)
            service = self._backups()
            result: SnapshotInfo = await self._backup_call(
                service,
                lambda: service.create(
                    guild, by=actor.name, label=label, messages=messages, bypass_cooldown=bypass
                ),
            )
            return result

        return await self._act(actor, "backup_create", str(guild_id), work, guild=guild_id)

    async def backup_restore(
        self,
        actor: Actor,
        guild_id: int,
        snapshot_id: str,
        components: list[str],
        update_existing: bool = False,
        role_sync: bool = False,
        dry_run: bool = False,
        source_guild_id: int | None = None,
    ) -> JobInfo:
        """Start a restore into ``guild_id``; returns at once (poll the job)."""
        from cogs.backup_restore.model import RestoreOptions

        from .api import OperatorError

        source = guild_id if source_guild_id is None else source_guild_id
        where = f"{guild_id}: {str(snapshot_id)[:40]}" + (
            "" if source == guild_id else f" of server {source}"
        )

        async def work() -> JobInfo:
            if actor.guild is not None and source != actor.guild:
                raise OperatorError("restoring another server's backup needs a bot owner")
            guild = self._backup_guild(guild_id)
            service = self._backups()

            async def start() -> JobInfo:
                options = RestoreOptions(
                    components=frozenset(components),
                    update_existing=update_existing,
                    role_sync=role_sync,
                    dry_run=dry_run,
                )
                await service.get(source, snapshot_id)  # not found: said now, not in the job
                job: JobInfo = service.start_restore(
                    guild,
                    snapshot_id,
                    options,
                    by=actor.name,
                    source_guild_id=source_guild_id,
                )
                return job

            return await self._backup_call(service, start)

        return await self._act(actor, "backup_restore", where, work, guild=guild_id)

    async def backup_delete(self, actor: Actor, guild_id: int, snapshot_id: str) -> None:
        async def work() -> None:
            service = self._backups()
            await self._backup_call(
                service, lambda: service.delete(guild_id, snapshot_id, by=actor.name)
            )

        where = f"{guild_id}: {str(snapshot_id)[:40]}"
        await self._act(actor, "backup_delete", where, work, guild=guild_id)

    async def backup_pin(
        self, actor: Actor, guild_id: int, snapshot_id: str, pinned: bool
    ) -> SnapshotInfo:
        async def work() -> SnapshotInfo:
            service = self._backups()
            result: SnapshotInfo = await self._backup_call(
                service, lambda: service.set_pinned(guild_id, snapshot_id, pinned, by=actor.name)
            )
            return result

        where = f"{guild_id}: {str(snapshot_id)[:40]} pinned={bool(pinned)}"
        return await self._act(actor, "backup_pin", where, work, guild=guild_id)

    async def backup_note(
        self, actor: Actor, guild_id: int, snapshot_id: str, note: str
    ) -> SnapshotInfo:
        async def work() -> SnapshotInfo:
            service = self._backups()
            result: SnapshotInfo = await self._backup_call(
                service, lambda: service.set_note(guild_id, snapshot_id, note, by=actor.name)
            )
            return result

        where = f"{guild_id}: {str(snapshot_id)[:40]}"
        return await self._act(actor, "backup_note", where, work, guild=guild_id)

    async def backup_schedule(self, actor: Actor, guild_id: int, hours: int | None) -> ScheduleInfo:
        async def work() -> ScheduleInfo:
            service = self._backups()
            result: ScheduleInfo = await self._backup_call(
                service, lambda: service.set_schedule(guild_id, hours, by=actor.name)
            )
            return result

        where = f"{guild_id}: " + ("off" if hours is None else f"every {hours} h")
        return await self._act(actor, "backup_schedule", where, work, guild=guild_id)

    async def backup_export(self, actor: Actor, guild_id: int, snapshot_id: str) -> bytes:
        """The verified snapshot file (bot owners only: it holds member lists and messages)."""

        async def work() -> bytes:
            service = self._backups()
            result: bytes = await self._backup_call(
                service, lambda: service.export_bytes(guild_id, snapshot_id)
            )
            return result

        where = f"{guild_id}: {str(snapshot_id)[:40]}"
        return await self._act(actor, "backup_export", where, work, guild=guild_id)
