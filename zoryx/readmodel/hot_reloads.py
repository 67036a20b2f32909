"""The latest hot-reload outcomes of one extension manager, for faces that wait for one.

A face that saves an extension's file wants to show what the folder watcher made of the
save. It cannot listen on :attr:`ExtensionManager.hot_reload_listeners` from another
process, so the ``file_info`` view installs one :class:`HotReloadLog` per manager (before
the face writes) and the ``hot_reload`` view waits on it: outcomes are kept (bounded)
with the watcher's ``seen_at`` time, so one reported before the face starts waiting is
still found.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoryx.extensions import ExtensionManager, HotReload

__all__ = ["HotReloadLog", "hot_reload_log"]


class HotReloadLog:
    """The last ``capacity`` hot-reload outcomes, and waiting for the next one.

    Runs on the manager's event loop (the watcher reports there, views read there).
    """

    def __init__(self, capacity: int = 64) -> None:
        self.outcomes: deque[HotReload] = deque(maxlen=capacity)
        self._waiters: list[asyncio.Future[None]] = []

    def heard(self, outcome: HotReload) -> None:
        """The manager's listener: keep ``outcome`` and wake whoever waits."""
        self.outcomes.append(outcome)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def find(self, name: str, since: float) -> HotReload | None:
        """The first outcome for ``name`` of a change seen at ``since`` (monotonic) or later."""
        return next((o for o in self.outcomes if o.name == name and o.seen_at >= since), None)

    async def wait(self, name: str, since: float, timeout: float) -> HotReload | None:
        """:meth:`find`, waiting up to ``timeout`` seconds for it; None if nothing came."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            found = self.find(name, since)
            remaining = deadline - time.monotonic()
            if found is not None or remaining <= 0:
                return found
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter, remaining)
            finally:
                if waiter in self._waiters:  # timed out or cancelled: keep the list short
                    self._waiters.remove(waiter)


_LOGS: weakref.WeakKeyDictionary[ExtensionManager, HotReloadLog] = weakref.WeakKeyDictionary()


def hot_reload_log(manager: ExtensionManager) -> HotReloadLog:
    """The log of ``manager``'s hot reloads, listening from the first call on."""
    log = _LOGS.get(manager)
    if log is None:
        log = _LOGS[manager] = HotReloadLog()
        manager.hot_reload_listeners.append(log.heard)
    return log
