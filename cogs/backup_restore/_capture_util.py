"""Shared pieces of a capture: pacing (yield to the loop, report progress) and downloads."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import aiohttp
import discord

log = logging.getLogger(__name__)

#: Yield to the event loop after this many captured items.
YIELD_EVERY = 200
#: Parallel asset downloads per capture.
DOWNLOADS = 4
#: Seconds one asset download may take before it counts as failed.
DOWNLOAD_TIMEOUT = 30.0


class Readable(Protocol):
    """An image on the CDN: :class:`discord.Asset`, an emoji or a sticker."""

    async def read(self) -> bytes: ...


class Pacer:
    """Counts captured items: every :data:`YIELD_EVERY` it reports progress and lets other
    tasks run (``await asyncio.sleep(0)``), so a large guild never blocks the loop."""

    def __init__(self, progress: Callable[[str], None] | None, every: int = YIELD_EVERY) -> None:
        self.progress = progress
        self.every = every
        self._since = 0

    def report(self, message: str) -> None:
        if self.progress is None:
            return
        try:
            self.progress(message)
        except Exception:  # a broken progress display must not lose the backup
            log.exception("backup progress callback failed")

    async def tick(self, stage: str, done: int, total: int) -> None:
        """One more item of ``stage`` (``done`` of ``total``; 0 = unknown) captured."""
        self._since += 1
        if self._since >= self.every:
            self._since = 0
            self.report(f"{stage} {done}/{total}" if total else f"{stage} {done}")
            await asyncio.sleep(0)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"HTTP {exc.status}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return type(exc).__name__


class AssetFetcher:
    """Downloads images (emojis, stickers, icons, avatars) as base64 text.

    A failed download gives None and a line in ``notes``, never an exception: a snapshot
    without one sticker image is worth more than no snapshot. With ``enabled=False``
    nothing is downloaded and every image is None (the drift check does not need them).
    """

    def __init__(self, *, enabled: bool, notes: list[str]) -> None:
        self.enabled = enabled
        self.notes = notes
        self._slots = asyncio.Semaphore(DOWNLOADS)

    async def fetch(self, asset: Readable | None, what: str) -> str | None:
        if asset is None or not self.enabled:
            return None
        async with self._slots:
            try:
                data = await asyncio.wait_for(asset.read(), DOWNLOAD_TIMEOUT)
            except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
                self.notes.append(f"{what}: image not saved ({_reason(exc)})")
                return None
        return base64.b64encode(data).decode("ascii")

    async def fetch_all(
        self, jobs: Iterable[tuple[dict[str, Any], str, Readable | None, str]]
    ) -> None:
        """For each ``(item, key, asset, what)`` set ``item[key]`` to the downloaded image."""
        pending = list(jobs)

        async def one(item: dict[str, Any], key: str, asset: Readable | None, what: str) -> None:
            item[key] = await self.fetch(asset, what)

        if self.enabled and pending:
            await asyncio.gather(*(one(*job) for job in pending))
        else:
            for item, key, _, _ in pending:
                item[key] = None
