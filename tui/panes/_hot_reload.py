"""Waiting for the hot reload of one extension: what the Files pane shows after a save."""

from __future__ import annotations

import asyncio
from typing import Any

from zoryx.readmodel import Source

__all__ = ["describe", "wait_for_hot_reload"]

#: Longest single wait asked of the ``hot_reload`` view (a long wait is several asks, so
#: a remote bot is never held on one request for long).
ASK_SECONDS = 5.0


async def wait_for_hot_reload(
    source: Source, name: str, mark: float, timeout: float
) -> dict[str, Any] | None:
    """The folder watcher's outcome for ``name`` after a save, or None after ``timeout`` s.

    Args:
        source: Where to read the ``hot_reload`` view.
        name: The extension the saved file belongs to.
        mark: The ``mark`` of the ``file_info`` view read before the save (outcomes of
            changes the watcher saw before it are ignored).
        timeout: Seconds to wait in all.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        wait = max(0.0, min(ASK_SECONDS, remaining))
        outcome: dict[str, Any] | None = await source.read(
            "hot_reload", name=name, since=mark, wait=wait
        )
        if outcome is not None or remaining <= ASK_SECONDS:
            return outcome


def describe(outcome: dict[str, Any], was_loaded: bool) -> tuple[str, bool]:
    """A one-line summary of ``outcome`` and whether it is a failure.

    Args:
        outcome: What the watcher left the extension as (the ``hot_reload`` view: ``name``,
            ``state`` (None: gone), ``error``, ``reloads``).
        was_loaded: Whether the extension was loaded before the save (a reload, not a load).
    """
    name, state, error = outcome["name"], outcome["state"], outcome["error"]
    if state is None:
        return f"✓ {name} is gone: hot reload unloaded it", False
    if error is None and state == "loaded":
        if was_loaded:
            return f"✓ hot reload: reloaded {name} (reload #{outcome['reloads']})", False
        return f"✓ hot reload: loaded {name}", False
    verb = "reload" if was_loaded else "load"
    summary = f"✗ hot {verb} of {name} failed: {error or state}"
    if was_loaded and state == "loaded" and "previous version" not in summary:
        summary += " — the previous version keeps running"
    return summary, True
