"""The console's hold on the runtime: start it, feed its log to the console, notice a crash.

:class:`RuntimeSession` holds no widgets; the app shows what it reports (start-up steps, a
:class:`Failure` to display, guild joins and leaves for the log pane).
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._logbuffer import RecordCollector

if TYPE_CHECKING:
    from zoryx.runtime import Runtime

__all__ = ["Failure", "RuntimeSession"]


@dataclass(frozen=True)
class Failure(Exception):
    """Why the bot is not running: what to show, and the exit code it implies."""

    title: str
    message: str
    details: str = ""
    exit_code: int = 1


class RuntimeSession:
    """Starts one runtime and watches it for the console.

    Args:
        runtime: The runtime (built or not, started or not).
        log_handler: Attached behind the runtime's redaction filter once logging exists;
            records logged before that (while building) are replayed into it.
    """

    def __init__(self, runtime: Runtime, log_handler: logging.Handler) -> None:
        self.runtime = runtime
        self.log_handler = log_handler
        self.guild_events: deque[tuple[float, str, str]] = deque(maxlen=200)
        self.stopping = False
        self._attached = False

    async def start(self, step: Callable[[str], None]) -> None:
        """Build (if needed) and start the bot; ``step`` receives progress lines.

        Raises:
            Failure: The configuration is invalid or the bot could not start.
        """
        from zoryx.config import ConfigError

        runtime = self.runtime
        early = RecordCollector()
        try:
            if runtime.services is None:
                step("reading config.json and .env, opening the databases")
                logging.getLogger().addHandler(early)
                try:
                    await runtime.build()
                finally:
                    logging.getLogger().removeHandler(early)
            self._attach_logging()
            early.replay(self.log_handler)
            where = "the SANDBOX Discord" if runtime.on_sandbox else "Discord"
            step(f"starting the bot and connecting to {where}")
            if runtime.ready is None:
                await runtime.start()
        except ConfigError as exc:
            raise Failure("Configuration error", str(exc), exit_code=2) from exc
        except Exception as exc:
            raise Failure("The bot could not start", describe(exc), self.traceback(exc)) from exc
        runtime.bot.add_listener(self._guild_joined, "on_guild_join")
        runtime.bot.add_listener(self._guild_left, "on_guild_remove")

    def _attach_logging(self) -> None:
        handles = self.runtime.services.logging
        if handles is not None and not self._attached:
            handles.add_handler(self.log_handler)
            self._attached = True

    async def watch(self) -> Failure | None:
        """Wait until the bot stops; a :class:`Failure` unless the console stopped it."""
        runtime = self.runtime
        await runtime.wait_stopped()
        if self.stopping:
            return None
        crash = runtime.crash
        with contextlib.suppress(Exception):
            await runtime.shutdown("bot stopped")
        if crash is not None:
            return Failure("The bot crashed", describe(crash), self.traceback(crash))
        return Failure(
            "The bot stopped",
            "The bot was shut down outside this console (e.g. by an owner command).",
        )

    def detach(self) -> None:
        bot = self.runtime.bot
        if bot is not None:
            with contextlib.suppress(Exception):
                bot.remove_listener(self._guild_joined, "on_guild_join")
                bot.remove_listener(self._guild_left, "on_guild_remove")

    def traceback(self, exc: BaseException) -> str:
        """The traceback of ``exc`` with secrets redacted, as the log files have it."""
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        services = self.runtime.services
        handles = services.logging if services is not None else None
        return handles.redactor.redact(text) if handles is not None else text

    async def _guild_joined(self, guild: Any) -> None:
        self.guild_events.append((time.time(), "joined", f"{guild.name} ({guild.id})"))

    async def _guild_left(self, guild: Any) -> None:
        self.guild_events.append((time.time(), "left", f"{guild.name} ({guild.id})"))


def describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
