"""Pushed updates of one runtime: log lines, operator actions, guild joins, lifecycle.

The runtime owns one :class:`EventHub`. Publishers (the log tail handler, the operator
API's audit trail, guild listeners, the runtime itself) call :meth:`EventHub.publish`
from any thread; subscribers (the in-process console, the control server's connections)
are called on the runtime's event loop. Publishing with no subscriber costs a dict lookup.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["EventHub", "Subscriber"]

log = logging.getLogger("zoryx.readmodel")

Subscriber = Callable[[dict[str, Any]], None]


class EventHub:
    """Topic → subscribers; events are plain dicts (see :data:`zoryx.readmodel.source.Topic`)."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Subscriber]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop subscribers run on (the runtime's); events from other threads hop to it."""
        self._loop = loop

    def subscribe(self, topic: str, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` for each ``topic`` event; returns the unsubscribe function."""
        with self._lock:
            self._subscribers[topic] = [*self._subscribers.get(topic, []), callback]

        def unsubscribe() -> None:
            with self._lock:
                current = self._subscribers.get(topic, [])
                self._subscribers[topic] = [cb for cb in current if cb is not callback]

        return unsubscribe

    def has_subscribers(self, topic: str) -> bool:
        return bool(self._subscribers.get(topic))

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Deliver ``event`` to ``topic``'s subscribers (on the bound loop; never raises)."""
        callbacks = self._subscribers.get(topic)
        if not callbacks:
            return
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
                loop.call_soon_threadsafe(self._deliver, callbacks, event)
            return
        self._deliver(callbacks, event)

    @staticmethod
    def _deliver(callbacks: list[Subscriber], event: dict[str, Any]) -> None:
        for callback in callbacks:
            try:
                callback(event)
            except Exception:  # one bad subscriber must not starve the others
                log.exception("event subscriber %r failed", callback)
