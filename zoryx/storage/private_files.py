"""Files readable by the bot's user only (mode 0600).

Data files can hold error texts (extension load errors, audit details, command errors),
so ``data/`` files, the SQLite databases (with their ``-wal``/``-shm`` files), their
backups and the logs under ``botlogs/`` are created with :data:`PRIVATE_MODE`:

* :func:`open_private` opens a text file for the log handlers;
* :func:`create_private` creates an empty file (SQLite keeps the mode of an existing
  database and gives its ``-wal``/``-shm`` files the same mode);
* the atomic store writes files under its ``private_dirs`` with that mode;
* :func:`tighten_tree` removes group/other bits from files made by older versions,
  once at start-up.

Everything here blocks: call it from a worker thread, except during start-up.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import cast

__all__ = [
    "PRIVATE_MODE",
    "create_private",
    "make_private",
    "open_private",
    "tighten_tree",
]

log = logging.getLogger(__name__)

PRIVATE_MODE = 0o600
_LOOSE_BITS = stat.S_IRWXG | stat.S_IRWXO
_SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__"})
_MAX_ENTRIES = 50_000


def make_private(fd: int) -> None:
    """Set the open file ``fd`` to mode 0600 (where the platform supports it)."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, PRIVATE_MODE)


def open_private(
    path: str | Path, mode: str = "a", encoding: str | None = None, errors: str | None = None
) -> io.TextIOWrapper:
    """``open(path, mode)`` for text, creating the file with mode 0600 (and tightening an
    existing one). ``mode`` is ``"a"`` (append) or ``"w"`` (truncate)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if "w" in mode else os.O_APPEND)
    fd = os.open(path, flags, PRIVATE_MODE)
    try:
        make_private(fd)
        return cast(io.TextIOWrapper, open(fd, mode, encoding=encoding, errors=errors))
    except BaseException:
        os.close(fd)
        raise


def create_private(path: Path) -> None:
    """Make sure ``path`` exists with mode 0600 (an existing file keeps its content)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_MODE)
    try:
        make_private(fd)
    finally:
        os.close(fd)


def tighten_tree(folders: Iterable[Path], *, recursive: bool = True) -> list[Path]:
    """Set regular files under ``folders`` that others can read to mode 0600.

    Links are neither followed nor changed; hidden files (``.gitkeep``) and folders such
    as ``.git`` are skipped; the walk stops after a bounded number of entries. Logs one
    line when something was changed.

    Returns:
        The files whose mode was changed.
    """
    changed: list[Path] = []
    seen = 0
    pending = [f for f in folders if f.is_dir()]
    while pending and seen < _MAX_ENTRIES:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if entry.name.startswith("."):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                if recursive and entry.name not in _SKIPPED_DIRS:
                    pending.append(Path(entry.path))
            elif stat.S_ISREG(info.st_mode) and info.st_mode & _LOOSE_BITS:
                with contextlib.suppress(OSError):
                    os.chmod(entry.path, PRIVATE_MODE)
                    changed.append(Path(entry.path))
    if changed:
        shown = ", ".join(p.name for p in changed[:5])
        more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        log.warning(
            "made %d file(s) readable by their owner only (mode 0600): %s%s",
            len(changed),
            shown,
            more,
        )
    return changed
