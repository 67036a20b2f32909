"""Sync the slash command tree by itself after extensions change.

Every load, reload or unload (and every cog or command added or removed) "touches" the
syncer. ``debounce`` seconds after the last touch, while no extension operation is in
progress, it syncs the tree, but only when the tree's fingerprint changed (the check
:meth:`ZoryxBot.sync_commands` makes against the stored hash). Loading ten extensions
in a row therefore makes one sync. Nothing happens before the bot is ready (the runtime
syncs once at start-up), and sync errors are logged, never raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .bot import ZoryxBot

log = logging.getLogger("zoryx.autosync")


class AutoSync:
    """Debounced, fingerprint-checked slash command sync for one bot.

    Args:
        bot: The bot whose tree is synced.
        enabled: ``command_sync.auto_sync`` from config.json.
        debounce: Seconds of quiet after the last change before syncing.

    Attributes:
        syncs: How many times it pushed the tree to Discord.
        last_error: The last sync failure (``None`` after a good sync).
    """

    def __init__(self, bot: ZoryxBot, *, enabled: bool = True, debounce: float = 1.5) -> None:
        self.bot = bot
        self.enabled = enabled
        self.debounce = debounce
        self.syncs = 0
        self.last_error: str | None = None
        self._holds = 0
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._last_fingerprint: str | None = None
        self._generation = 0  # counts changes, to see one that lands during a sync
        self._force = False
        self._stopped = False

    @property
    def pending(self) -> bool:
        """Whether a sync is waiting for its quiet period or running."""
        return self._timer is not None or self._task is not None or self._holds > 0

    def touch(self) -> None:
        """Something may have changed the tree: (re)start the quiet period."""
        self._generation += 1
        if not self.enabled or self._stopped or not self.bot.is_ready() or self.bot.is_closed():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(self.debounce, self._due)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """No sync while inside (an extension operation in progress); touches on exit."""
        self._holds += 1
        self._generation += 1
        try:
            yield
        finally:
            self._holds -= 1
            self.touch()

    def stop(self) -> None:
        """Cancel a waiting or running sync (the bot is closing)."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            self._task.cancel()

    # -- internals -------------------------------------------------------------------------
    def _due(self) -> None:
        self._timer = None
        if self._holds:
            return  # the operation in progress touches again when it ends
        if self._task is not None:
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="zoryx-autosync")

    async def _run(self) -> None:
        try:
            while True:
                self._again = False
                if self._holds:
                    break  # the operation in progress touches again when it ends
                await self._sync_if_changed()
                if not self._again or self._stopped:
                    break
        finally:
            self._task = None

    async def _sync_if_changed(self) -> None:
        bot = self.bot
        if bot.is_closed() or not bot.is_ready():
            return
        generation, force = self._generation, self._force
        try:
            fingerprint = bot.tree_fingerprint()
            if fingerprint == self._last_fingerprint and not force:
                return
            count = await bot.sync_commands(force=force)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("automatic slash command sync failed: %s", self.last_error, exc_info=exc)
            return
        if self._generation != generation:
            # The tree changed while it was being sent: what Discord has is unknown, so
            # the next round syncs whatever the fingerprint says.
            self._force, self._last_fingerprint = True, None
        else:
            self._force, self._last_fingerprint = False, fingerprint
        self.last_error = None
        if count >= 0:
            self.syncs += 1
            log.info("slash commands synced automatically after extension changes (%d)", count)
