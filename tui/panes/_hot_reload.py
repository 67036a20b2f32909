"""Waiting for the hot reload of one extension: what the Files pane shows after a save."""

from __future__ import annotations

import asyncio
import time
from types import TracebackType

from zoryx.extensions import ExtensionManager, HotReload

__all__ = ["HotReloadWaiter", "describe"]


class HotReloadWaiter:
    """Listens for the folder watcher's outcome for ``name`` from now on.

    Create it *before* writing the file, so an outcome that comes quickly is not missed;
    outcomes of changes the watcher saw before that are ignored. Use as a context manager
    (or call :meth:`close`) so the listener is removed.

    Args:
        manager: The extension manager whose watcher reloads ``name``.
        name: The extension the saved file belongs to.
    """

    def __init__(self, manager: ExtensionManager, name: str) -> None:
        self.manager = manager
        self.name = name
        self.since = time.monotonic()
        self._outcome: asyncio.Future[HotReload] = asyncio.get_running_loop().create_future()
        manager.hot_reload_listeners.append(self._heard)

    def _heard(self, outcome: HotReload) -> None:
        if outcome.name == self.name and outcome.seen_at >= self.since:
            if not self._outcome.done():
                self._outcome.set_result(outcome)

    async def wait(self, timeout: float) -> HotReload | None:
        """The outcome, or None when the watcher reported nothing within ``timeout`` s."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._outcome), timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        if self._heard in self.manager.hot_reload_listeners:
            self.manager.hot_reload_listeners.remove(self._heard)
        self._outcome.cancel()

    def __enter__(self) -> HotReloadWaiter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def describe(outcome: HotReload, was_loaded: bool) -> tuple[str, bool]:
    """A one-line summary of ``outcome`` and whether it is a failure.

    Args:
        outcome: What the watcher left the extension as.
        was_loaded: Whether the extension was loaded before the save (a reload, not a load).
    """
    name = outcome.name
    if outcome.state is None:
        return f"✓ {name} is gone: hot reload unloaded it", False
    if outcome.error is None and outcome.state == "loaded":
        if was_loaded:
            return f"✓ hot reload: reloaded {name} (reload #{outcome.reloads})", False
        return f"✓ hot reload: loaded {name}", False
    verb = "reload" if was_loaded else "load"
    summary = f"✗ hot {verb} of {name} failed: {outcome.error or outcome.state}"
    if was_loaded and outcome.state == "loaded" and "previous version" not in summary:
        summary += " — the previous version keeps running"
    return summary, True
