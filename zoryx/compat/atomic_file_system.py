"""``from atomic_file_system import global_file_handler``, backed by Zoryx's atomic store.

The earlier framework shipped a top-level module ``atomic_file_system`` whose
``global_file_handler`` extensions used for JSON files. While a Zoryx bot runs, that
import name refers to this module (see :func:`zoryx.compat.install`), and the handler
writes through the bot's :class:`zoryx.AtomicStore`: temp file, fsync, ``os.replace``,
fsync of the folder. Relative paths are relative to the bot directory (so
``./data/x.json`` lands in the bot's ``data/`` even when started with ``--dir``).

Differences from the earlier module, on purpose:

* a file that exists but holds invalid JSON raises :class:`zoryx.AtomicReadError`
  instead of reading as None, so an extension cannot overwrite a damaged file with
  an empty one by accident;
* ``atomic_write_json`` returns False (and logs why) when the data is not JSON or the
  disk refuses every attempt; it never leaves a partial file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from zoryx.storage.atomic import AtomicStore, AtomicWriteError

__all__ = ["AtomicFileHandler", "global_file_handler"]

log = logging.getLogger("zoryx.compat")


class AtomicFileHandler:
    """The earlier framework's file-handler API over an :class:`AtomicStore`.

    Args:
        store: The store to use (the running bot's, once bound).
        base_dir: Folder that relative paths are resolved against (default: the current
            directory).
    """

    def __init__(self, store: AtomicStore | None = None, base_dir: Path | None = None) -> None:
        self._store = store or AtomicStore()
        self._base_dir = base_dir

    def bind(self, store: AtomicStore, base_dir: Path) -> None:
        """Use ``store`` and resolve relative paths against ``base_dir`` from now on."""
        self._store = store
        self._base_dir = base_dir

    @property
    def store(self) -> AtomicStore:
        return self._store

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """The absolute path ``path`` stands for."""
        p = Path(path).expanduser()
        if not p.is_absolute() and self._base_dir is not None:
            p = self._base_dir / p
        return p

    async def atomic_read_json(
        self, file_path: str | os.PathLike[str], use_cache: bool = True, default: Any = None
    ) -> Any:
        """The parsed JSON of ``file_path``; ``default`` (None) when it does not exist.

        Raises:
            AtomicReadError: the file exists but is not valid JSON or cannot be read.
        """
        return await self._store.read_json(self.resolve(file_path), default, use_cache=use_cache)

    async def atomic_write_json(
        self,
        file_path: str | os.PathLike[str],
        data: Any,
        invalidate_cache_after: bool = True,
        indent: int | None = 2,
    ) -> bool:
        """Atomically replace ``file_path`` with ``data`` as JSON; True when written.

        With ``invalidate_cache_after=False`` the written value stays in the read cache.
        """
        try:
            await self._store.write_json(
                self.resolve(file_path),
                data,
                keep_in_cache=not invalidate_cache_after,
                indent=indent,
            )
        except AtomicWriteError as exc:
            log.error("atomic_write_json(%s) failed: %s", file_path, exc)
            return False
        return True

    def invalidate_cache(self, file_path: str | os.PathLike[str]) -> None:
        """Forget the cached content of ``file_path``."""
        self._store.invalidate(self.resolve(file_path))

    def clear_all_cache(self) -> None:
        """Forget every cached file."""
        self._store.clear_cache()

    def get_cache_stats(self) -> dict[str, Any]:
        """Counters in the earlier framework's shape (``hit_rate`` in per cent)."""
        m = self._store.metrics()
        return {
            "cache_size": m.cache_size,
            "max_cache_size": self._store.cache_capacity,
            "hit_rate": round(m.hit_rate * 100, 2),
            "cache_hits": m.cache_hits,
            "cache_misses": m.cache_misses,
            "total_reads": m.reads,
            "total_writes": m.writes,
            "read_failures": m.read_failures,
            "write_failures": m.write_failures,
            "active_locks": m.lock_count,
            "failure_rate": round(m.failure_rate * 100, 2),
            "health": m.health,
        }


global_file_handler = AtomicFileHandler()
"""The process-wide handler; bound to the running bot's store and directory."""
