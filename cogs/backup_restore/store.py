"""Where backups live: ``<root>/<guild_id>/`` with one file per snapshot, ``index.json``,
``audit_log.json`` and ``schedule.json``.

Every file is replaced atomically (temp file → fsync → rename → fsync dir). Snapshot
files are written as bytes in a worker thread, bypassing the atomic store's text cache;
the small JSON files go through :class:`~zoryx.storage.atomic.AtomicStore`.

Ordering rules that keep the folder consistent after a crash at any moment:

* a snapshot file is durable before its index entry is written (a kill in between
  leaves an unindexed file, re-indexed by :meth:`BackupStore.reconcile` if it verifies);
* a deletion first writes the index without the entry but with a tombstone for its ID
  (``"deleted"``), then deletes the file; the tombstone goes at the next index write once
  the file is gone. A kill in between leaves a file with a tombstone, which
  :meth:`BackupStore.reconcile` deletes: a deleted backup never comes back.

So after a kill at any moment every index entry names a complete snapshot file.

Index, audit and schedule updates are read-modify-write cycles under a per-guild lock.
A snapshot ID is checked (:func:`~.model.check_snapshot_id`) before it is part of a path.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

from zoryx.storage._atomic_io import read_bytes_or_none
from zoryx.storage.atomic import AtomicReadError, AtomicStore

from ._store_io import (
    SNAPSHOT_SUFFIX,
    GuildLocks,
    in_thread_to_the_end,
    snapshot_files,
    still_present,
    stored_checksum,
    unlink_if_present,
    write_private,
)
from .canonical import decode_snapshot
from .model import (
    AUDIT_MAX,
    BackupError,
    PinnedSnapshot,
    SnapshotInfo,
    SnapshotNotFound,
    check_snapshot_id,
    new_snapshot_id,
)
from .store_entries import describe, guild_folder_name, info_from_json, info_to_json

__all__ = ["AUDIT", "INDEX", "SCHEDULE", "BackupStore", "describe"]

log = logging.getLogger("zoryx.backups")

INDEX = "index.json"
AUDIT = "audit_log.json"
SCHEDULE = "schedule.json"
INDEX_FORMAT = 1


class BackupStore:
    """The backup files of every guild under ``root`` (``data/backups``)."""

    def __init__(self, store: AtomicStore, root: Path) -> None:
        self.store = store
        self.root = root
        self._locks = GuildLocks()
        self._reserved: set[tuple[int, str]] = set()

    # -- paths ---------------------------------------------------------------------------
    def guild_dir(self, guild_id: int) -> Path:
        return self.root / guild_folder_name(guild_id)

    def snapshot_path(self, guild_id: int, snapshot_id: str) -> Path:
        """The file of a snapshot; the ID is validated before it is joined to a path."""
        checked = check_snapshot_id(snapshot_id)
        return self.guild_dir(guild_id) / f"{checked}{SNAPSHOT_SUFFIX}"

    async def guild_ids(self) -> list[int]:
        """Guilds with a folder under the root (their index may be empty)."""

        def scan() -> list[int]:
            try:
                names = [e.name for e in os.scandir(self.root) if e.is_dir(follow_symlinks=False)]
            except FileNotFoundError:
                return []
            return sorted(int(n) for n in names if n.isascii() and n.isdigit() and n[0] != "0")

        return await asyncio.to_thread(scan)

    # -- index ---------------------------------------------------------------------------
    async def entries(self, guild_id: int) -> list[SnapshotInfo]:
        """The guild's index entries, oldest first (as stored)."""
        return (await self._read_index(guild_id))[0]

    async def _read_index(self, guild_id: int) -> tuple[list[SnapshotInfo], set[str]]:
        """Index entries and tombstones (IDs whose file is being deleted)."""
        path = self.guild_dir(guild_id) / INDEX
        try:
            raw = await self.store.read_json(path, default=None)
        except AtomicReadError as exc:
            log.error("backup index of guild %s is unreadable: %s", guild_id, exc)
            raise BackupError("the backup index of this server is damaged") from exc
        deleted = raw.get("deleted") if isinstance(raw, dict) else None
        tombstones = (
            {d for d in deleted if isinstance(d, str)} if isinstance(deleted, list) else set()
        )
        return self._parse_index(guild_id, raw), tombstones

    @staticmethod
    def _parse_index(guild_id: int, raw: Any) -> list[SnapshotInfo]:
        items = raw.get("snapshots") if isinstance(raw, dict) else None
        out: list[SnapshotInfo] = []
        for item in items if isinstance(items, list) else []:
            info = info_from_json(item)
            if info is None or info.guild_id != guild_id:
                log.warning("ignoring a malformed entry in the backup index of guild %s", guild_id)
                continue
            out.append(info)
        return out

    async def _write_index(
        self, guild_id: int, entries: list[SnapshotInfo], tombstones: set[str]
    ) -> None:
        """Write the index; tombstones whose file is already gone are dropped."""
        folder = self.guild_dir(guild_id)
        pending = await asyncio.to_thread(still_present, folder, tombstones)
        document = {
            "format": INDEX_FORMAT,
            "snapshots": [info_to_json(i) for i in entries],
            "deleted": sorted(pending),
        }
        await self.store.write_json(folder / INDEX, document, keep_in_cache=True)

    async def find(self, guild_id: int, snapshot_id: str) -> SnapshotInfo:
        checked = check_snapshot_id(snapshot_id)
        for info in await self.entries(guild_id):
            if info.id == checked:
                return info
        raise SnapshotNotFound(f"there is no backup `{checked}` for this server")

    async def reserve_id(self, guild_id: int, now: float) -> str:
        """A new snapshot ID not in use in this guild (released by :meth:`add`/:meth:`release`)."""
        folder = self.guild_dir(guild_id)
        while True:
            candidate = new_snapshot_id(now)
            if (guild_id, candidate) in self._reserved:
                continue
            self._reserved.add((guild_id, candidate))
            path = folder / f"{candidate}{SNAPSHOT_SUFFIX}"
            if not await asyncio.to_thread(os.path.lexists, path):
                return candidate
            self._reserved.discard((guild_id, candidate))

    def release(self, guild_id: int, snapshot_id: str) -> None:
        self._reserved.discard((guild_id, snapshot_id))

    async def add(self, info: SnapshotInfo, payload: bytes) -> None:
        """Write the snapshot file durably, then add its entry to the index."""
        path = self.snapshot_path(info.guild_id, info.id)
        try:
            await in_thread_to_the_end(write_private, path, payload)
            async with self._locks.hold(info.guild_id, INDEX):
                try:
                    entries, tombstones = await self._read_index(info.guild_id)
                except BackupError:  # damaged: rebuilt from the files that verify
                    entries, tombstones = await self.reconcile(info.guild_id, locked=True), set()
                entries = [e for e in entries if e.id != info.id] + [info]
                await self._write_index(info.guild_id, entries, tombstones - {info.id})
        finally:
            self.release(info.guild_id, info.id)

    async def update(self, guild_id: int, snapshot_id: str, **changes: Any) -> SnapshotInfo:
        """Change stored fields of an entry (``pinned``, ``note``); return the new entry."""
        checked = check_snapshot_id(snapshot_id)
        async with self._locks.hold(guild_id, INDEX):
            entries, tombstones = await self._read_index(guild_id)
            for position, info in enumerate(entries):
                if info.id == checked:
                    entries[position] = dataclasses.replace(info, **changes)
                    await self._write_index(guild_id, entries, tombstones)
                    return entries[position]
        raise SnapshotNotFound(f"there is no backup `{checked}` for this server")

    async def remove(self, guild_id: int, snapshot_id: str) -> SnapshotInfo:
        """Delete an unpinned snapshot (index entry → tombstone, then the file)."""
        checked = check_snapshot_id(snapshot_id)
        async with self._locks.hold(guild_id, INDEX):
            entries, tombstones = await self._read_index(guild_id)
            found = next((i for i in entries if i.id == checked), None)
            if found is None:
                raise SnapshotNotFound(f"there is no backup `{checked}` for this server")
            if found.pinned:
                raise PinnedSnapshot(f"backup `{checked}` is pinned; unpin it before deleting it")
            await self._delete(guild_id, entries, tombstones, [found])
        return found

    async def _delete(
        self,
        guild_id: int,
        entries: list[SnapshotInfo],
        tombstones: set[str],
        doomed: list[SnapshotInfo],
    ) -> None:
        """Drop ``doomed`` from the index (leaving tombstones), then delete their files."""
        gone = {i.id for i in doomed}
        await self._write_index(
            guild_id, [i for i in entries if i.id not in gone], tombstones | gone
        )
        for snapshot_id in sorted(gone):
            await in_thread_to_the_end(unlink_if_present, self.snapshot_path(guild_id, snapshot_id))

    async def prune(
        self,
        guild_id: int,
        *,
        max_count: int,
        retention_days: int,
        now: float,
        keep: frozenset[str] = frozenset(),
    ) -> list[SnapshotInfo]:
        """Delete unpinned snapshots older than ``retention_days`` (0: no age limit), then
        the oldest unpinned ones past ``max_count``; pinned ones and ``keep`` stay."""
        async with self._locks.hold(guild_id, INDEX):
            stored, tombstones = await self._read_index(guild_id)
            entries = sorted(stored, key=lambda i: (i.created_at, i.id))
            removable = [i for i in entries if not i.pinned and i.id not in keep]
            doomed: list[SnapshotInfo] = []
            if retention_days > 0:
                cutoff = now - retention_days * 86_400
                doomed = [i for i in removable if i.created_at < cutoff]
            excess = len(entries) - len(doomed) - max_count
            for info in removable:
                if excess <= 0:
                    break
                if info not in doomed:
                    doomed.append(info)
                    excess -= 1
            if not doomed:
                return []
            await self._delete(guild_id, stored, tombstones, doomed)
        for info in doomed:
            log.info("pruned backup %s of guild %s", info.id, guild_id)
        return doomed

    # -- snapshot files ------------------------------------------------------------------
    async def read_snapshot(self, guild_id: int, snapshot_id: str) -> bytes | None:
        """The bytes of a snapshot file, or None when it is missing (not cached)."""
        path = self.snapshot_path(guild_id, snapshot_id)
        result: bytes | None = await asyncio.to_thread(read_bytes_or_none, path)
        return result

    async def reconcile(self, guild_id: int, *, locked: bool = False) -> list[SnapshotInfo]:
        """Make the index match the files (run at start-up): drop entries whose file is
        missing, finish interrupted deletions (tombstones), re-index snapshot files that
        verify but have no entry, ignore others."""
        if not locked:
            async with self._locks.hold(guild_id, INDEX):
                return await self.reconcile(guild_id, locked=True)
        folder = self.guild_dir(guild_id)
        damaged = False
        try:
            entries, tombstones = await self._read_index(guild_id)
        except BackupError:
            entries, tombstones, damaged = [], set(), True
        files = await asyncio.to_thread(snapshot_files, folder)
        for snapshot_id in sorted(files & tombstones - {i.id for i in entries}):
            log.info("finishing the deletion of backup %s of guild %s", snapshot_id, guild_id)
            await in_thread_to_the_end(unlink_if_present, self.snapshot_path(guild_id, snapshot_id))
            files.discard(snapshot_id)
        kept = [i for i in entries if i.id in files]
        for info in entries:
            if info.id not in files:
                log.warning(
                    "backup %s of guild %s has no file any more; removed from the index",
                    info.id,
                    guild_id,
                )
        known = {i.id for i in kept}
        for snapshot_id in sorted(files - known):
            if (guild_id, snapshot_id) in self._reserved:
                continue  # being written right now
            found = await self._index_entry_from_file(guild_id, snapshot_id)
            if found is None:
                log.warning(
                    "ignoring backup file %s of guild %s: not indexed and does not verify",
                    snapshot_id,
                    guild_id,
                )
                continue
            log.warning("re-indexed backup %s of guild %s", snapshot_id, guild_id)
            kept.append(found)
        kept.sort(key=lambda i: (i.created_at, i.id))
        if damaged or kept != entries or tombstones:
            await self._write_index(guild_id, kept, tombstones)
        return kept

    async def _index_entry_from_file(self, guild_id: int, snapshot_id: str) -> SnapshotInfo | None:

        raw = await self.read_snapshot(guild_id, snapshot_id)
        if raw is None:
            return None
        try:
            document = await asyncio.to_thread(decode_snapshot, raw, None)
            checksum = str(await asyncio.to_thread(stored_checksum, raw))
            info = describe(snapshot_id, document, size=len(raw), checksum=checksum)
        except (BackupError, ValueError, TypeError, KeyError, AttributeError):
            return None
        return info if info.guild_id == guild_id else None

    # -- audit and schedule --------------------------------------------------------------
    async def append_audit(self, guild_id: int, record: dict[str, Any]) -> None:
        path = self.guild_dir(guild_id) / AUDIT
        async with self._locks.hold(guild_id, AUDIT):
            records = await self.read_audit(guild_id)
            records.append(record)
            await self.store.write_json(
                path, {"records": records[-AUDIT_MAX:]}, keep_in_cache=True, indent=None
            )

    async def read_audit(self, guild_id: int) -> list[dict[str, Any]]:
        """The guild's audit records, oldest first."""
        path = self.guild_dir(guild_id) / AUDIT
        try:
            raw = await self.store.read_json(path, default=None)
        except AtomicReadError:
            log.error("audit log of guild %s is unreadable; starting a new one", guild_id)
            return []
        records = raw.get("records") if isinstance(raw, dict) else None
        return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []

    async def read_schedule(self, guild_id: int) -> dict[str, Any] | None:
        path = self.guild_dir(guild_id) / SCHEDULE
        try:
            raw = await self.store.read_json(path, default=None)
        except AtomicReadError:
            log.error("schedule of guild %s is unreadable; using the default", guild_id)
            return None
        return raw if isinstance(raw, dict) else None

    async def update_schedule(self, guild_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge ``changes`` into the guild's ``schedule.json`` (under its lock)."""
        path = self.guild_dir(guild_id) / SCHEDULE
        async with self._locks.hold(guild_id, SCHEDULE):
            data = dict(await self.read_schedule(guild_id) or {})
            data.update(changes)
            await self.store.write_json(path, data, keep_in_cache=True)
        return data
