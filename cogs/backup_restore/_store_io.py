"""Blocking file helpers and per-guild locks of the backup store (the blocking helpers
run in worker threads)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from zoryx.storage._atomic_io import replace_atomically

from .model import BackupError, check_snapshot_id

SNAPSHOT_SUFFIX = ".json"
_IDLE_LOCKS_KEPT = 256


class GuildLocks:
    """One asyncio lock per (guild, purpose); idle ones are dropped past a bound."""

    def __init__(self) -> None:
        self._locks: dict[tuple[int, str], tuple[asyncio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def hold(self, guild_id: int, purpose: str) -> AsyncIterator[None]:
        key = (guild_id, purpose)
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = (asyncio.Lock(), [0])
        lock, users = entry
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if len(self._locks) > _IDLE_LOCKS_KEPT:
                for idle in [k for k, (_, u) in self._locks.items() if u[0] == 0]:
                    del self._locks[idle]


async def in_thread_to_the_end(func: Callable[..., Any], *args: Any) -> Any:
    """Run blocking file work in a thread; if cancelled, let the thread finish first so
    no file changes after the caller's lock was released."""
    task = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            try:
                await asyncio.wait({task})
            except asyncio.CancelledError:
                continue
        if not task.cancelled():
            task.exception()
        raise


def unlink_if_present(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def write_private(path: Path, payload: bytes) -> None:
    replace_atomically(path, payload, private=True)


def still_present(folder: Path, snapshot_ids: set[str]) -> set[str]:
    """The IDs whose snapshot file still exists in ``folder`` (IDs already validated)."""
    return {i for i in snapshot_ids if os.path.lexists(folder / f"{i}{SNAPSHOT_SUFFIX}")}


def snapshot_files(folder: Path) -> set[str]:
    """IDs of the snapshot files in ``folder`` (names that are valid IDs only)."""
    try:
        names = [e.name for e in os.scandir(folder) if e.is_file(follow_symlinks=False)]
    except FileNotFoundError:
        return set()
    found: set[str] = set()
    for name in names:
        if not name.endswith(SNAPSHOT_SUFFIX):
            continue
        try:
            found.add(check_snapshot_id(name[: -len(SNAPSHOT_SUFFIX)]))
        except BackupError:
            continue
    return found


def stored_checksum(raw: bytes) -> str:
    return str(json.loads(raw)["checksum"])
