"""One process per bot directory: an advisory lock on ``data/zoryx.lock``.

``zoryx run`` and ``zoryx tui`` hold the lock for their whole life, so a second process
on the same directory is refused instead of writing the same databases and logs. The
lock is an ``flock`` on the open file: the kernel releases it when the process exits,
however it exits, so a crashed process never leaves a lock that blocks the next start.
The file holds the pid of the process that holds it, for the refusal message; it is
never deleted (deleting it would let two processes lock two different files).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, no lock
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "zoryx.lock"


class BotDirLocked(Exception):
    """Another process holds the bot directory's lock."""

    def __init__(self, bot_dir: Path, pid: int | None) -> None:
        self.bot_dir = bot_dir
        self.pid = pid
        holder = f"process {pid}" if pid is not None else "another process"
        super().__init__(
            f"{bot_dir} is already in use by {holder} (zoryx run or zoryx tui); "
            "stop it first, or use another directory"
        )


def lock_path(bot_dir: Path) -> Path:
    return bot_dir / "data" / LOCK_FILE


def _read_pid(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 64).decode("ascii", errors="replace").strip()
    return int(text) if text.isascii() and text.isdigit() else None


@contextlib.contextmanager
def hold_bot_dir(bot_dir: Path) -> Iterator[Path]:
    """Hold ``bot_dir``'s lock for the body of the ``with``; raise :class:`BotDirLocked`."""
    path = lock_path(bot_dir)
    if fcntl is None:
        yield path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BotDirLocked(bot_dir, _read_pid(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
