"""Remove what a killed process left behind: atomic-write temp files and partial backups.

Only our own leftovers are touched: files named exactly like the atomic store's temp
files (``.<name>.<12 hex>.tmp``, see :mod:`zoryx.storage._atomic_io`) or config.json's
writer (``.<name>.<8 of [a-z0-9_]>.tmp``, from :func:`tempfile.mkstemp` in
:mod:`zoryx.config._io`), and backup copies in progress (``*.db.part``, see
:func:`zoryx.storage.sqlite_base.online_backup`) with the rollback journal or WAL files
SQLite keeps beside them while it writes; and only when they are older than this
process, so nothing a running write or backup is still using. Blocking: run in a thread.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import time
from collections.abc import Iterable
from pathlib import Path

from ._atomic_io import original_name_of_temp

__all__ = ["PART_SUFFIX", "is_leftover_name", "process_started_at", "remove_leftovers"]

log = logging.getLogger(__name__)

PART_SUFFIX = ".db.part"
"""Suffix of a database copy still being written (renamed away when complete)."""
_PART_SIDE_FILES = tuple(PART_SUFFIX + s for s in ("", "-journal", "-wal", "-shm"))
_MKSTEMP_TEMP_RE = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp", re.DOTALL)
"""Temp file names of ``mkstemp(prefix=".<name>.", suffix=".tmp")`` (config.json's writer)."""
_SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__"})
_MAX_ENTRIES = 50_000


def _started_linux() -> float:
    """This process's start, from its start tick and the boot-time clock (Linux only).

    psutil adds the start tick to the boot time of ``/proc/stat``, which is in whole
    seconds: its answer can be up to a second early, and then files that a process killed
    just before this one started look too recent to remove. Here the age of the process
    is measured on the same clock as the start tick instead; the result is rounded up to
    the next tick so no file written before the start is taken for one of ours.
    """
    with open("/proc/self/stat", "rb") as handle:
        fields = handle.read().rsplit(b")", 1)[1].split()
    tick = 1.0 / os.sysconf("SC_CLK_TCK")
    start_ticks = int(fields[19])  # field 22 of proc(5), counted after the command name
    age = time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks * tick
    return time.time() - age + tick


def _started() -> float:
    try:
        return _started_linux()
    except (OSError, ValueError, IndexError, AttributeError):  # not Linux
        pass
    try:
        import psutil

        return float(psutil.Process().create_time())
    except Exception:  # no psutil, or no access to the process table
        return time.time()


_PROCESS_STARTED = _started()


def process_started_at() -> float:
    """When this process started (seconds since the epoch)."""
    return _PROCESS_STARTED


def is_leftover_name(name: str) -> bool:
    """Whether ``name`` is an atomic-write temp file or (a side file of) a partial backup."""
    return (
        name.endswith(_PART_SIDE_FILES)
        or original_name_of_temp(name) is not None
        or _MKSTEMP_TEMP_RE.fullmatch(name) is not None
    )


def remove_leftovers(
    folders: Iterable[Path], *, older_than: float | None = None, recursive: bool = True
) -> list[Path]:
    """Delete our leftover files under ``folders`` that are older than ``older_than``
    (default: this process's start); return what was deleted.

    Links are never followed nor deleted; folders such as ``.git`` and ``.venv`` are not
    searched; the walk stops after a bounded number of entries.
    """
    cutoff = process_started_at() if older_than is None else older_than
    removed: list[Path] = []
    pending = [Path(f) for f in folders]
    visited: set[tuple[int, int]] = set()
    seen = 0
    while pending and seen < _MAX_ENTRIES:
        folder = pending.pop()
        try:
            info = folder.stat()
            if (info.st_dev, info.st_ino) in visited:
                continue
            visited.add((info.st_dev, info.st_ino))
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            try:
                if entry.is_dir(follow_symlinks=False):
                    if recursive and entry.name not in _SKIPPED_DIRS:
                        pending.append(Path(entry.path))
                    continue
                if not is_leftover_name(entry.name):
                    continue
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except OSError:
                continue
    for path in removed:
        log.info("removed %s left behind by an interrupted write or backup", path)
    return removed
