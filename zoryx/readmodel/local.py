"""The in-process source: views and operator actions as direct calls on the bot's loop."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .registry import plain, read_view
from .source import ActionFailed, BotInfo, Source

if TYPE_CHECKING:
    from zoryx.operator import Actor
    from zoryx.runtime import Runtime

__all__ = ["LocalSource"]


class LocalSource(Source):
    """Reads and acts on ``runtime`` in the same process, as ``actor``.

    A view is one function call (no copies beyond what the view returns); an action is
    the operator API method of that name, so the role check and the audit record are the
    same as over the control socket.

    Args:
        runtime: The runtime (built or not, started or not: views answer what exists).
        actor: Who acts (the console's operator and role).
    """

    def __init__(self, runtime: Runtime, actor: Actor) -> None:
        self.runtime = runtime
        self.actor = actor
        self._unsubscribers: list[Callable[[], None]] = []

    @property
    def info(self) -> BotInfo:
        runtime = self.runtime
        bot = runtime.bot
        ready = bot is not None and runtime.ready is not None and bot.user is not None
        return BotInfo(
            name=str(bot.user) if ready else runtime.bot_dir.name,
            pid=os.getpid(),
            started_at=runtime.started_at,
            bot_dir=str(runtime.bot_dir),
            on_sandbox=runtime.on_sandbox,
            via="in-process",
            role=self.actor.role.name.lower(),
        )

    @property
    def connected(self) -> bool:
        return True

    async def read(self, view: str, **params: Any) -> Any:
        return await read_view(self.runtime, view, params)

    async def act(self, action: str, **params: Any) -> Any:
        from zoryx.operator import ACTIONS

        if action not in ACTIONS:
            raise ActionFailed("UnknownAction", f"no operator action named {action!r}")
        bot = self.runtime.bot
        operator = None if bot is None else bot.operator
        if operator is None:
            raise ActionFailed("OperatorError", "the bot is not running")
        try:
            result = await getattr(operator, action)(self.actor, **params)
        except Exception as exc:
            raise ActionFailed(type(exc).__name__, str(exc)) from exc
        return plain(result)

    def subscribe(
        self, topic: str, callback: Callable[[dict[str, Any]], None]
    ) -> Callable[[], None]:
        unsubscribe = self.runtime.events.subscribe(topic, callback)

        def undo() -> None:
            unsubscribe()
            with contextlib.suppress(ValueError):
                self._unsubscribers.remove(undo)

        self._unsubscribers.append(undo)
        return undo

    async def close(self) -> None:
        """Drop this source's subscriptions; the bot keeps running."""
        unsubscribers, self._unsubscribers = self._unsubscribers, []
        for unsubscribe in unsubscribers:
            unsubscribe()
