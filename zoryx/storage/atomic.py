"""Crash-safe JSON and text files with an LRU read cache.

Every write replaces the whole file atomically: the new content goes to a temp file in
the same directory, is flushed and fsynced, renamed over the target with ``os.replace``
and the directory is fsynced. A process killed at any moment leaves either the old or the
new file, never a truncated one. All blocking work runs in worker threads.

Example:
    >>> store = AtomicStore()
    >>> await store.write_json("data/settings.json", {"prefix": "!"})
    >>> await store.read_json("data/settings.json", default={})
    {'prefix': '!'}
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from ._atomic_cache import TextCache
from ._atomic_io import read_bytes_or_none, read_json_text, replace_atomically
from ._atomic_selftest import SelfTestResult, run_self_test
from ._atomic_types import (
    AtomicMetrics,
    AtomicReadError,
    AtomicStoreError,
    AtomicWriteError,
    HealthTier,
    health_tier,
)

__all__ = [
    "AtomicMetrics",
    "AtomicReadError",
    "AtomicStore",
    "AtomicStoreError",
    "AtomicWriteError",
    "HealthTier",
    "SelfTestResult",
    "health_tier",
    "self_test",
]

log = logging.getLogger(__name__)

StrPath = str | os.PathLike[str]
_T = TypeVar("_T")

# Cached text up to this many characters is parsed on the event loop; anything larger
# is parsed in a worker thread so a big document never stalls the loop.
_INLINE_PARSE_LIMIT = 64 * 1024


class _PathLock:
    """An asyncio lock plus the number of tasks holding or waiting for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


async def _finish_in_thread(func: Callable[..., _T], *args: Any) -> _T:
    """Run ``func(*args)`` in a worker thread and return its result.

    If the caller is cancelled, keep waiting until the thread is done before re-raising
    the cancellation. A thread cannot be stopped, so returning early would let it rename
    a file after the per-path lock was released and race the next write.
    """
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
            task.exception()  # mark retrieved; the cancellation wins
        raise


class AtomicStore:
    """Crash-safe JSON/text file store with an LRU read cache and per-path write locks.

    Args:
        cache_ttl: Seconds a cached read stays valid. Changes made to a file by other
            programs become visible after this time or after :meth:`invalidate`.
        cache_size: Maximum number of cached files (least recently used is evicted).
        max_idle_locks: When more per-path locks than this exist, the idle ones are
            dropped.
        retries: Total number of attempts for a write before
            :class:`AtomicWriteError` is raised.
        retry_base_delay: Delay in seconds before the second attempt; it doubles for
            every further attempt.
        clock: Monotonic time source for cache expiry (injectable for tests).
        private_dirs: Files written anywhere under these folders get mode 0600 (the
            runtime passes ``data/``: its files can hold error texts); other files are
            created like ``open(..., "w")`` would and keep the mode of the file they
            replace.
    """

    def __init__(
        self,
        *,
        private_dirs: Iterable[StrPath] = (),
        cache_ttl: float = 300.0,
        cache_size: int = 1000,
        max_idle_locks: int = 500,
        retries: int = 3,
        retry_base_delay: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if retries < 1:
            raise ValueError("retries must be >= 1 (it counts the first attempt)")
        if retry_base_delay < 0:
            raise ValueError("retry_base_delay must be >= 0")
        if max_idle_locks < 0:
            raise ValueError("max_idle_locks must be >= 0")
        self._config: dict[str, Any] = {
            "cache_ttl": cache_ttl,
            "cache_size": cache_size,
            "max_idle_locks": max_idle_locks,
            "retries": retries,
            "retry_base_delay": retry_base_delay,
            "clock": clock,
        }
        self._cache = TextCache(ttl=cache_ttl, max_entries=cache_size, clock=clock)
        self.private_dirs = tuple(Path(os.path.realpath(d)) for d in private_dirs)
        self._max_idle_locks = max_idle_locks
        self._attempts = retries
        self._retry_base_delay = retry_base_delay
        self._locks: dict[str, _PathLock] = {}
        self._reads = 0
        self._writes = 0
        self._hits = 0
        self._misses = 0
        self._read_failures = 0
        self._write_failures = 0
        self._retries = 0

    # ------------------------------------------------------------------ reading

    async def read_json(self, path: StrPath, default: Any = None, *, use_cache: bool = True) -> Any:
        """Read and parse a JSON file.

        Each call returns a fresh object: mutating it never affects the cache or other
        callers.

        Args:
            path: The file to read.
            default: Returned as is when the file does not exist.
            use_cache: ``False`` always reads the disk, and neither consults nor fills
                the cache.

        Raises:
            AtomicReadError: The file exists but is unreadable, not UTF-8 or not valid
                JSON. The file is not modified.
        """
        key = _key(path)
        self._reads += 1
        if not use_cache:
            found = await self._read_json_from_disk(key)
            return default if found is None else found[1]

        cached = self._cache.get(key)
        if cached is not None:
            self._hits += 1
            if len(cached) <= _INLINE_PARSE_LIMIT:
                return json.loads(cached)
            return await asyncio.to_thread(json.loads, cached)

        self._misses += 1
        ticket = self._cache.issue_ticket(key)
        found = None
        try:
            found = await self._read_json_from_disk(key)
        finally:
            self._cache.redeem(ticket, None if found is None else found[0])
        return default if found is None else found[1]

    async def _read_json_from_disk(self, key: str) -> tuple[str, Any] | None:
        try:
            return await asyncio.to_thread(read_json_text, key)
        except json.JSONDecodeError as exc:
            self._read_failures += 1
            raise AtomicReadError(
                f"corrupt JSON in {key}: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                key,
            ) from exc
        except UnicodeDecodeError as exc:
            self._read_failures += 1
            raise AtomicReadError(f"{key} is not valid UTF-8 text", key) from exc
        except OSError as exc:
            self._read_failures += 1
            raise AtomicReadError(f"cannot read {key}: {exc.strerror or exc}", key) from exc

    async def read_text(self, path: StrPath) -> str:
        """Read a UTF-8 text file exactly as stored (line endings untouched, no cache).

        Args:
            path: The file to read.

        Raises:
            FileNotFoundError: The file does not exist.
            AtomicReadError: The file is unreadable or not UTF-8.
        """
        key = _key(path)
        self._reads += 1
        try:
            raw = await asyncio.to_thread(read_bytes_or_none, key)
            if raw is None:
                raise FileNotFoundError(errno.ENOENT, "No such file", key)
            return raw.decode("utf-8")
        except FileNotFoundError:
            raise
        except UnicodeDecodeError as exc:
            self._read_failures += 1
            raise AtomicReadError(f"{key} is not valid UTF-8 text", key) from exc
        except OSError as exc:
            self._read_failures += 1
            raise AtomicReadError(f"cannot read {key}: {exc.strerror or exc}", key) from exc

    # ------------------------------------------------------------------ writing

    async def write_json(
        self,
        path: StrPath,
        data: Any,
        *,
        keep_in_cache: bool = False,
        indent: int | None = 2,
    ) -> None:
        """Atomically replace ``path`` with ``data`` serialized as UTF-8 JSON.

        ``data`` is serialized before this coroutine first yields, so later changes to it
        do not affect what is written. Writes to the same path run one at a time, in the
        order they were called.

        Args:
            path: The file to write; missing parent directories are created.
            data: Any JSON-serializable value.
            keep_in_cache: Store the written value in the read cache (otherwise the
                cache entry for ``path`` is dropped).
            indent: JSON indentation; ``None`` writes a compact single line.

        Raises:
            AtomicWriteError: ``data`` is not serializable, or every attempt failed.
        """
        key = _key(path)
        self._writes += 1
        try:
            text = json.dumps(data, ensure_ascii=False, indent=indent)
        except (TypeError, ValueError) as exc:
            self._write_failures += 1
            raise AtomicWriteError(
                f"cannot serialize data for {key}: {exc}", key, attempts=0
            ) from exc
        await self._write(key, (text + "\n").encode("utf-8"), text if keep_in_cache else None)

    async def write_text(self, path: StrPath, text: str) -> None:
        """Atomically replace ``path`` with ``text`` encoded as UTF-8 (written verbatim).

        Drops any cached JSON for ``path``.

        Args:
            path: The file to write; missing parent directories are created.
            text: The complete new content.

        Raises:
            AtomicWriteError: ``text`` cannot be encoded (lone surrogates), or every
                attempt failed.
        """
        key = _key(path)
        self._writes += 1
        try:
            payload = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            self._write_failures += 1
            raise AtomicWriteError(f"cannot encode text for {key}: {exc}", key, attempts=0) from exc
        await self._write(key, payload, None)

    async def _write(self, key: str, payload: bytes, cache_text: str | None) -> None:
        async with self._path_lock(key):
            succeeded = False
            try:
                await self._replace_with_retries(key, payload)
                succeeded = True
            finally:
                # Voids reads still in flight: they may have seen the old content.
                self._cache.discard(key)
                if succeeded and cache_text is not None:
                    self._cache.put(key, cache_text)

    async def _replace_with_retries(self, key: str, payload: bytes) -> None:
        attempt = 1
        while True:
            try:
                replace = replace_atomically
                if self._is_private(key):
                    replace = partial(replace_atomically, private=True)
                await _finish_in_thread(replace, key, payload)
                return
            except OSError as exc:
                if attempt >= self._attempts:
                    self._write_failures += 1
                    log.error("atomic write to %s failed after %d attempt(s)", key, attempt)
                    raise AtomicWriteError(
                        f"could not write {key} after {attempt} attempt(s): {exc.strerror or exc}",
                        key,
                        attempts=attempt,
                    ) from exc
                delay = self._retry_base_delay * 2 ** (attempt - 1)
                log.warning(
                    "atomic write to %s failed (attempt %d/%d): %s; retrying in %.3fs",
                    key,
                    attempt,
                    self._attempts,
                    exc,
                    delay,
                )
                self._retries += 1
                attempt += 1
                await asyncio.sleep(delay)

    def _is_private(self, key: str) -> bool:
        path = Path(key)
        return any(path.is_relative_to(folder) for folder in self.private_dirs)

    @asynccontextmanager
    async def _path_lock(self, key: str) -> AsyncIterator[None]:
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = _PathLock()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if len(self._locks) > self._max_idle_locks:
                self._drop_idle_locks()

    def _drop_idle_locks(self) -> None:
        idle = [key for key, entry in self._locks.items() if entry.users == 0]
        for key in idle:
            del self._locks[key]

    # ------------------------------------------------------------------ cache & stats

    def invalidate(self, path: StrPath) -> None:
        """Forget the cached content of ``path``; the next read goes to disk."""
        self._cache.discard(_key(path))

    def clear_cache(self) -> None:
        """Forget every cached file."""
        self._cache.clear()

    @property
    def cache_capacity(self) -> int:
        """How many files the read cache holds at most."""
        return int(self._config["cache_size"])

    def metrics(self) -> AtomicMetrics:
        """Return a snapshot of this store's counters."""
        return AtomicMetrics(
            reads=self._reads,
            writes=self._writes,
            cache_hits=self._hits,
            cache_misses=self._misses,
            read_failures=self._read_failures,
            write_failures=self._write_failures,
            retries=self._retries,
            cache_size=len(self._cache),
            lock_count=len(self._locks),
        )

    def health(self) -> HealthTier:
        """Return the health tier of the failure rate over all operations so far."""
        return self.metrics().health

    async def self_test(self, directory: StrPath) -> list[SelfTestResult]:
        """Exercise a store configured like this one inside a temp dir under ``directory``.

        The checks run on a separate store instance, so this store's cache and
        counters are left untouched. The temp dir is removed afterwards.

        Returns:
            One result per check: write, read, cached_read, concurrent_writes,
            integrity and invalidation.
        """
        return await run_self_test(AtomicStore(**self._config), Path(directory))


def _key(path: StrPath) -> str:
    """Normalize ``path`` into the absolute, symlink-free form used as cache/lock key.

    Same result as ``str(Path(path).resolve())`` (which is built on ``realpath``), at
    half the cost: on a cache hit, key normalization is a large share of the work.
    """
    return os.path.realpath(path)


async def self_test(directory: Path) -> list[SelfTestResult]:
    """Run :meth:`AtomicStore.self_test` on a store with the default settings."""
    return await AtomicStore().self_test(directory)
