"""What a console face reads from: the :class:`Source` interface."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ActionFailed", "BotInfo", "Source", "SourceLost"]


@dataclass(frozen=True)
class BotInfo:
    """Who the console is looking at (shown in its header)."""

    name: str  # the bot user's name, or the bot directory's name before ready
    pid: int
    started_at: float  # time.time() when the process started
    bot_dir: str
    on_sandbox: bool
    via: str  # "in-process", "socket" or "tcp"
    role: str  # the console's operator role: "owner", "helper" or "visitor"


class SourceLost(ConnectionError):
    """The bot went away (remote sources only); the last data is still valid to show."""


class ActionFailed(Exception):
    """An operator action was refused or failed; ``kind`` names why.

    ``kind`` is the operator API's exception class name (``PermissionDenied``,
    ``OperatorError``, ``PathRefused``…); ``str(exc)`` is the message to show.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


Topic = str
"""Pushed updates: ``"log"`` (a log line), ``"audit"`` (an operator action, from any
face or console), ``"guild"`` (joined/left), ``"lifecycle"`` (ready, stopping)."""


class Source(abc.ABC):
    """Read views and run operator actions on one bot, in-process or remote."""

    @property
    @abc.abstractmethod
    def info(self) -> BotInfo:
        """The bot being looked at."""

    @property
    @abc.abstractmethod
    def connected(self) -> bool:
        """False while a remote source has lost the bot (it reconnects by itself)."""

    @abc.abstractmethod
    async def read(self, view: str, **params: Any) -> Any:
        """The view ``view`` as plain data.

        Raises:
            UnknownView: no such view.
            SourceLost: the bot is unreachable (remote).
        """

    @abc.abstractmethod
    async def act(self, action: str, **params: Any) -> Any:
        """Run the operator action ``action`` (an :data:`zoryx.operator.ACTIONS` name)
        as this console's operator, with ``params`` as its keyword arguments; the result
        as plain data.

        Raises:
            ActionFailed: refused by role, a path rule, or failed.
            SourceLost: the bot is unreachable (remote).
        """

    @abc.abstractmethod
    def subscribe(
        self, topic: Topic, callback: Callable[[dict[str, Any]], None]
    ) -> Callable[[], None]:
        """Call ``callback(event)`` on the console's loop for each pushed ``topic`` event;
        returns a function that unsubscribes."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release the connection (remote); the bot keeps running."""
