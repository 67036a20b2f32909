"""Runs the visible pane's ``refresh_data`` on its own rhythm, one refresh at a time."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from zoryx.readmodel import SourceLost

if TYPE_CHECKING:
    from textual.app import App

    from tui.panes.base import Pane

log = logging.getLogger("zoryx.console")

__all__ = ["PaneRefresher"]

#: No pane refreshes more often than this, whatever it asks for.
MIN_INTERVAL = 0.5


class PaneRefresher:
    """Schedules pane refreshes in workers of ``app``.

    Only the visible pane refreshes on its timer; a refresh still running is never
    stacked with another; a failing refresh is logged once per distinct error (not every
    tick) and retried on the next one; a lost attached bot is not an error to log.
    """

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.stopped = False
        self._last: dict[str, float] = {}
        self._running: set[str] = set()
        self._errors: dict[str, str] = {}

    def tick(self, pane: Pane) -> None:
        """Call periodically with the visible pane; refreshes it when it is due."""
        if pane.refresh_seconds <= 0:
            return
        due = self._last.get(pane.pane_id, 0.0) + max(pane.refresh_seconds, MIN_INTERVAL)
        if time.monotonic() >= due:
            self.refresh(pane)

    def refresh(self, pane: Pane) -> None:
        """Refresh ``pane`` now (in a worker) unless a refresh of it is still running."""
        if pane.pane_id in self._running or self.stopped:
            return
        self._running.add(pane.pane_id)
        self._last[pane.pane_id] = time.monotonic()
        self.app.run_worker(self._run(pane), group="refresh", exit_on_error=False)

    async def _run(self, pane: Pane) -> None:
        try:
            await pane.refresh_data()
            self._errors.pop(pane.pane_id, None)
        except SourceLost:
            pass  # an attached bot went away: the pane keeps its last data, the header says so
        except Exception as exc:
            text = f"{type(exc).__name__}: {exc}"
            if self._errors.get(pane.pane_id) != text:
                self._errors[pane.pane_id] = text
                log.warning("refreshing the %s pane failed: %s", pane.title, text, exc_info=True)
        finally:
            self._running.discard(pane.pane_id)
