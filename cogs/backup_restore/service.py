"""The backup service: the one API the Discord cog, the console and the operator API use.

It joins the pieces: capture (``snapshot.py``), the canonical file format
(``canonical.py``), the files (``store.py``), diffs (``diff.py``), restores
(``restore.py``, one per guild at a time: ``service_restore.py``), background restore
jobs (``jobs.py``) and automatic backups (``schedule.py``). Every mutating call and every
restore result is appended to the guild's ``audit_log.json``. Registered as
``bot.services.extra["backups"]``.
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from zoryx.redaction import redactor_of

from .canonical import checksum, decode_snapshot, encode_snapshot
from .diff import diff_snapshots
from .jobs import RestoreJobs
from .model import (
    LABEL_MAX,
    MESSAGES_MAX,
    NOTE_MAX,
    BackupError,
    CooldownActive,
    Diff,
    ScheduleInfo,
    SnapshotCorrupt,
    SnapshotInfo,
    SnapshotNotFound,
    VerifyResult,
    check_snapshot_id,
)
from .schedule import BackupScheduler, check_hours, schedule_info
from .service_restore import RestoreActions, reason_of
from .snapshot import capture
from .store import BackupStore, describe

if TYPE_CHECKING:
    import discord

    from zoryx.bot import ZoryxBot

log = logging.getLogger("zoryx.backups")
T = TypeVar("T")
_COOLDOWNS_KEPT = 1000


@dataclass(frozen=True)
class Limits:
    """The ``BACKUP_*`` settings of ``.env``."""

    max_per_guild: int
    cooldown: float
    auto_interval: int
    retention_days: int


class BackupService(RestoreActions):
    """Snapshots, restores and schedules of every guild (see the module docstring).

    Args:
        bot: The bot (its services give the atomic store, data folder and ``.env``).
        clock: Wall-clock time (snapshot times, cooldowns, schedules); injectable.
        tick: Seconds between two passes of the scheduler.
    """

    #: The base class of every error this service raises for the user to read. The
    #: operator API catches this class object: once discord.py unloaded the extension,
    #: importing ``model`` again gives new classes that this service's errors are not.
    Error = BackupError

    def __init__(
        self, bot: ZoryxBot, *, clock: Callable[[], float] = time.time, tick: float = 60.0
    ) -> None:
        self.bot = bot
        self.clock = clock
        self.store = BackupStore(bot.services.store, bot.services.data_dir / "backups")
        self.jobs_registry = RestoreJobs(clock=clock)
        self.scheduler = BackupScheduler(self, tick=tick)
        self.redact: Callable[[str], str] = redactor_of(bot).redact
        self._last_manual: dict[int, float] = {}
        self._restoring: set[int] = set()

    def limits(self) -> Limits:
        env = self.bot.services.env
        return Limits(
            max_per_guild=int(env.backup_max_per_guild),
            cooldown=float(env.backup_cooldown),
            auto_interval=int(env.backup_auto_interval),
            retention_days=int(env.backup_retention_days),
        )

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Bring every guild's index in line with its files, then start the scheduler."""
        for guild_id in await self.store.guild_ids():
            try:
                entries = await self.store.reconcile(guild_id)
            except Exception:
                log.exception("could not check the backups of guild %s", guild_id)
                continue
            manual = [e.created_at for e in entries if not e.automatic]
            if manual:
                self._last_manual[guild_id] = max(manual)
        self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.jobs_registry.stop()

    # -- audit ---------------------------------------------------------------------------
    async def _audit(
        self, guild_id: int, by: str, action: str, target: str, ok: bool, detail: str = ""
    ) -> None:
        record = {
            "time": self.clock(),
            "actor": by,
            "action": action,
            "target": target[:120],
            "ok": ok,
            "detail": self.redact(detail)[:500],
        }
        try:
            await self.store.append_audit(guild_id, record)
        except Exception:  # the audit must never hide the action's own result
            log.exception("could not write the backup audit record of guild %s", guild_id)

    async def _audited(
        self,
        guild_id: int,
        by: str,
        action: str,
        target: str,
        work: Callable[[], Awaitable[T]],
        detail: Callable[[T], str] = lambda _: "",
    ) -> T:
        try:
            result = await work()
        except Exception as exc:
            await self._audit(guild_id, by, action, target, False, reason_of(exc))
            raise
        await self._audit(guild_id, by, action, target, True, detail(result))
        return result

    async def audit(self, guild_id: int, limit: int = 200) -> builtins.list[dict[str, Any]]:
        """The guild's audit records, newest first."""
        records = await self.store.read_audit(guild_id)
        return list(reversed(records))[: max(0, limit)]

    # -- snapshots -----------------------------------------------------------------------
    def cooldown_left(self, guild_id: int) -> float:
        """Seconds until a (manual) backup of this guild is allowed again."""
        cooldown = self.limits().cooldown
        last = self._last_manual.get(guild_id)
        if last is None or cooldown <= 0:
            return 0.0
        now = self.clock()
        if now < last:  # the clock went back: count from now, never longer than a cooldown
            self._last_manual[guild_id] = last = now
        return max(0.0, min(cooldown, cooldown - (now - last)))

    def _stamp_cooldown(self, guild_id: int, when: float) -> None:
        self._last_manual[guild_id] = when
        if len(self._last_manual) > _COOLDOWNS_KEPT:
            cooldown = self.limits().cooldown
            for key in [k for k, t in self._last_manual.items() if when - t > cooldown]:
                del self._last_manual[key]

    async def create(
        self,
        guild: discord.Guild,
        *,
        by: str,
        label: str = "",
        messages: int = 0,
        bypass_cooldown: bool = False,
        automatic: bool = False,
    ) -> SnapshotInfo:
        """Snapshot ``guild``; prune past the limits; audit. Raises :class:`CooldownActive`
        unless ``bypass_cooldown`` (then ``cooldown_bypassed`` says it was skipped)."""
        label = label.strip() if isinstance(label, str) else ""
        if len(label) > LABEL_MAX:
            raise BackupError(f"a label can be at most {LABEL_MAX} characters")
        if isinstance(messages, bool) or not isinstance(messages, int):
            raise BackupError("the message count is a whole number")
        if not 0 <= messages <= MESSAGES_MAX:
            raise BackupError(f"the message count must be between 0 and {MESSAGES_MAX}")
        bypassed = False
        previous = self._last_manual.get(guild.id)
        if not automatic:
            left = self.cooldown_left(guild.id)
            if left > 0 and not bypass_cooldown:
                await self._audit(guild.id, by, "create", label, False, "cooldown active")
                raise CooldownActive(left)
            bypassed = left > 0
            self._stamp_cooldown(guild.id, self.clock())  # before any await: no twin creates
        try:
            info = await self._capture_and_store(guild, by, label, messages, automatic)
        except BaseException as exc:
            if not automatic:  # a failed backup does not start the cooldown
                if previous is None:
                    self._last_manual.pop(guild.id, None)
                else:
                    self._last_manual[guild.id] = previous
            if isinstance(exc, Exception):
                await self._audit(guild.id, by, "create", label, False, reason_of(exc))
            raise
        extra = " (cooldown bypassed by a bot owner)" if bypassed else ""
        await self._audit(guild.id, by, "create", info.id, True, f"{label}{extra}".strip())
        await self.prune(guild.id, keep=frozenset({info.id}))
        return dataclasses.replace(info, cooldown_bypassed=bypassed)

    async def _capture_and_store(
        self, guild: discord.Guild, by: str, label: str, messages: int, automatic: bool
    ) -> SnapshotInfo:

        now = self.clock()
        document = await capture(guild, bot=self.bot, by=by, label=label, messages=messages)
        payload, checksum = await encode_snapshot(document)
        snapshot_id = await self.store.reserve_id(guild.id, now)
        info = describe(
            snapshot_id,
            document,
            size=len(payload),
            checksum=checksum,
            created_at=now,
            created_by=by,
            automatic=automatic,
        )
        await self.store.add(info, payload)
        return info

    async def prune(self, guild_id: int, keep: frozenset[str] = frozenset()) -> builtins.list[str]:
        """Apply ``BACKUP_MAX_PER_GUILD`` and ``BACKUP_RETENTION_DAYS`` (pins protect)."""
        limits = self.limits()
        try:
            removed = await self.store.prune(
                guild_id,
                max_count=limits.max_per_guild,
                retention_days=limits.retention_days,
                now=self.clock(),
                keep=keep,
            )
        except Exception:
            log.exception("could not prune the backups of guild %s", guild_id)
            return []
        for info in removed:
            await self._audit(guild_id, "retention", "prune", info.id, True, "")
        return [info.id for info in removed]

    async def list(self, guild_id: int) -> builtins.list[SnapshotInfo]:
        """The guild's snapshots, newest first."""
        entries = await self.store.entries(guild_id)
        return sorted(entries, key=lambda i: (i.created_at, i.id), reverse=True)

    async def get(self, guild_id: int, snapshot_id: str) -> SnapshotInfo:
        return await self.store.find(guild_id, snapshot_id)

    async def _read_verified(self, guild_id: int, snapshot_id: str) -> tuple[bytes, dict[str, Any]]:

        info = await self.get(guild_id, snapshot_id)
        raw = await self.store.read_snapshot(guild_id, info.id)
        if raw is None:
            raise SnapshotCorrupt(f"the file of backup `{info.id}` is missing")
        try:
            document = await asyncio.to_thread(decode_snapshot, raw, info.checksum)
        except SnapshotCorrupt as exc:
            raise SnapshotCorrupt(
                f"backup `{info.id}` is damaged ({exc}); it cannot be used"
            ) from exc
        return raw, document

    async def load(self, guild_id: int, snapshot_id: str) -> dict[str, Any]:
        """The verified snapshot document (:class:`SnapshotCorrupt` when it does not verify)."""
        return (await self._read_verified(guild_id, snapshot_id))[1]

    async def verify(self, guild_id: int, snapshot_id: str) -> VerifyResult:

        info = await self.get(guild_id, snapshot_id)
        raw = await self.store.read_snapshot(guild_id, info.id)
        if raw is None:
            return VerifyResult(False, "the file is missing", "")
        try:
            await asyncio.to_thread(decode_snapshot, raw, info.checksum)
        except SnapshotCorrupt as exc:
            return VerifyResult(False, str(exc), await asyncio.to_thread(_recompute, raw))
        return VerifyResult(True, "checksum matches", info.checksum)

    async def export_bytes(self, guild_id: int, snapshot_id: str) -> bytes:
        """The snapshot file's bytes, once they verified."""
        return (await self._read_verified(guild_id, snapshot_id))[0]

    async def delete(self, guild_id: int, snapshot_id: str, *, by: str) -> None:
        async def work() -> None:
            await self.store.remove(guild_id, snapshot_id)

        await self._audited(guild_id, by, "delete", str(snapshot_id), work)

    async def set_pinned(
        self, guild_id: int, snapshot_id: str, pinned: bool, *, by: str
    ) -> SnapshotInfo:
        async def work() -> SnapshotInfo:
            return await self.store.update(guild_id, snapshot_id, pinned=bool(pinned))

        action = "pin" if pinned else "unpin"
        return await self._audited(guild_id, by, action, str(snapshot_id), work)

    async def set_note(
        self, guild_id: int, snapshot_id: str, note: str, *, by: str
    ) -> SnapshotInfo:
        async def work() -> SnapshotInfo:
            text = note.strip() if isinstance(note, str) else ""
            if len(text) > NOTE_MAX:
                raise BackupError(f"a note can be at most {NOTE_MAX} characters")
            return await self.store.update(guild_id, snapshot_id, note=text)

        return await self._audited(
            guild_id, by, "note", str(snapshot_id), work, lambda info: info.note[:100]
        )

    async def guild_ids(self) -> builtins.list[int]:
        """Guilds that have at least one backup."""
        return [g for g in await self.store.guild_ids() if await self._entries_or_empty(g)]

    async def _entries_or_empty(self, guild_id: int) -> builtins.list[SnapshotInfo]:
        try:
            return await self.store.entries(guild_id)
        except BackupError:
            return []

    async def stats(self) -> dict[str, Any]:
        per_guild: builtins.list[dict[str, Any]] = []
        for guild_id in await self.store.guild_ids():
            entries = await self._entries_or_empty(guild_id)
            if entries:
                per_guild.append(
                    {
                        "guild_id": guild_id,
                        "snapshots": len(entries),
                        "bytes": sum(e.size for e in entries),
                        "latest": max(e.created_at for e in entries),
                    }
                )
        return {
            "guilds": len(per_guild),
            "snapshots": sum(g["snapshots"] for g in per_guild),
            "bytes": sum(g["bytes"] for g in per_guild),
            "per_guild": per_guild,
        }

    # -- comparisons ---------------------------------------------------------------------
    async def diff(self, guild_id: int, a: str, b: str) -> Diff:

        before = await self.load(guild_id, a)
        after = await self.load(guild_id, b)
        return await asyncio.to_thread(
            diff_snapshots, before, after, check_snapshot_id(a), check_snapshot_id(b)
        )

    async def drift(self, guild: discord.Guild, snapshot_id: str | None = None) -> Diff:
        """Changes from a snapshot (the latest when None) to the guild as it is now."""

        if snapshot_id is None:
            newest = await self.list(guild.id)
            if not newest:
                raise SnapshotNotFound("this server has no backups yet")
            snapshot_id = newest[0].id
        before = await self.load(guild.id, snapshot_id)
        now = await capture(guild, bot=self.bot, by="drift check", assets=False)
        checked = check_snapshot_id(snapshot_id)
        return await asyncio.to_thread(diff_snapshots, before, now, checked, "current state")

    # -- schedule ------------------------------------------------------------------------
    async def schedule(self, guild_id: int) -> ScheduleInfo:
        raw = await self.store.read_schedule(guild_id)
        return schedule_info(guild_id, raw, self.limits().auto_interval, self.clock())

    async def set_schedule(self, guild_id: int, hours: int | None, *, by: str) -> ScheduleInfo:
        """Back this guild up every ``hours`` hours (1–168); None turns it off."""

        async def work() -> ScheduleInfo:
            interval = check_hours(hours)
            next_run = self.clock() + interval * 3600.0 if interval else None
            await self.store.update_schedule(
                guild_id, {"interval_hours": interval, "next_run": next_run}
            )
            return await self.schedule(guild_id)

        target = "off" if hours is None else f"every {hours} h"
        return await self._audited(guild_id, by, "schedule", target, work)


def _recompute(raw: bytes) -> str:
    """The checksum of the snapshot inside a file that did not verify ("" if unparsable)."""
    import json

    try:
        document = json.loads(raw.decode("utf-8"))
        return checksum(document["snapshot"])
    except (ValueError, TypeError, KeyError, RecursionError):
        return ""
