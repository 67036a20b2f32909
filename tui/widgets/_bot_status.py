"""What the status line says about the bot: its ``status`` view and lifecycle events.

:class:`StatusFeed` holds no widget: it reads the view through the console's source and
turns it (or a pushed lifecycle event of an attached bot) into a :class:`BotStatus`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from zoryx.readmodel import SourceLost

from ._format import FROZEN, human_duration
from ._header import BotStatus

if TYPE_CHECKING:
    from zoryx.readmodel import Source

log = logging.getLogger("zoryx.console")

__all__ = ["StatusFeed"]

#: Seconds a status read may take before the line stops waiting for it.
READ_TIMEOUT = 10.0


class StatusFeed:
    """Reads the bot's ``status`` view for the status line.

    Args:
        source: The console's source.
        attached: The bot runs in another process (the line then says how, its pid and
            its uptime).
        frozen: Render placeholders for volatile values (the uptime).
    """

    def __init__(self, source: Source, *, attached: bool, frozen: bool) -> None:
        self.source = source
        self.attached = attached
        self.frozen = frozen
        self._error = ""

    async def read(self) -> dict[str, Any] | None:
        """The ``status`` view, or None while it cannot be read (an attached bot that does
        not answer; a failure, logged once per distinct error)."""
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                status: dict[str, Any] = await self.source.read("status")
        except (SourceLost, TimeoutError):
            return None
        except Exception as exc:
            text = f"{type(exc).__name__}: {exc}"
            if text != self._error:
                self._error = text
                log.warning("reading the bot's status failed: %s", text, exc_info=True)
            return None
        self._error = ""
        return status

    def ready(self, status: dict[str, Any] | None) -> BotStatus | None:
        """The line for a ready bot; None when ``status`` does not say it is ready."""
        if status is None or not status.get("ready"):
            return None
        attached = ""
        if self.attached:
            uptime = FROZEN if self.frozen else human_duration(float(status["uptime"]))
            attached = f"attached via {self.source.info.via} · pid {status['pid']} · up {uptime}"
        return BotStatus(
            "ready",
            user=str(status["user"]),
            sandbox=status["sandbox"] is not None,
            guilds=int(status["guilds"]),
            shards=int(status["shards"]),
            attached=attached,
        )

    @staticmethod
    def lifecycle(event: dict[str, Any]) -> BotStatus | None:
        """The line for an attached bot's lifecycle event (the connection lost, the bot
        stopping); None for the others (the next status read says it)."""
        state = event.get("state")
        if state == "lost":
            return BotStatus("lost", detail="the bot does not answer; reconnecting…")
        if state == "stopping":
            return BotStatus("stopping", detail="the bot is shutting down")
        return None
