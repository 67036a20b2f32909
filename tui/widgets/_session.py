"""The console's hold on a bot: start an in-process runtime and notice a crash, or wait for
an attached bot to answer.

:class:`RuntimeSession` and :func:`wait_for_bot` hold no widgets; the app shows what they
report (start-up steps, a :class:`Failure` to display).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zoryx.readmodel import SourceLost
from zoryx.readmodel.logtail import ConsoleLogHandler, LogBuffer, RecordCollector

if TYPE_CHECKING:
    from zoryx.readmodel import Source
    from zoryx.runtime import Runtime

__all__ = ["Failure", "RuntimeSession", "wait_for_bot"]

#: Seconds between two attempts to reach an attached bot that does not answer yet.
ATTACH_RETRY = 1.0


@dataclass(frozen=True)
class Failure(Exception):
    """Why the bot is not running: what to show, and the exit code it implies."""

    title: str
    message: str
    details: str = ""
    exit_code: int = 1


def _tail_handler(tail: LogBuffer) -> logging.Handler | None:
    """The runtime's log-tail handler, once attached to the root logger."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, ConsoleLogHandler) and handler.buffer is tail:
            return handler
    return None


class _EarlyRecords(RecordCollector):
    """Holds what is logged while the runtime builds, until its log tail takes over."""

    def __init__(self, tail: LogBuffer) -> None:
        super().__init__()
        self.tail = tail

    def emit(self, record: logging.LogRecord) -> None:
        if _tail_handler(self.tail) is None:  # otherwise the tail has it already
            super().emit(record)


class RuntimeSession:
    """Starts one in-process runtime and watches it for the console.

    Args:
        runtime: The runtime (built or not, started or not).
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.stopping = False

    async def start(self, step: Callable[[str], None]) -> None:
        """Build (if needed) and start the bot; ``step`` receives progress lines.

        What is logged before the runtime's log tail exists (while the build sets logging
        up) is handed to the tail afterwards, so the Logs pane starts complete.

        Raises:
            Failure: The configuration is invalid or the bot could not start.
        """
        from zoryx.config import ConfigError

        runtime = self.runtime
        early = _EarlyRecords(runtime.log_tail)
        try:
            if runtime.services is None:
                step("reading config.json and .env, opening the databases")
                logging.getLogger().addHandler(early)
                try:
                    await runtime.build()
                finally:
                    logging.getLogger().removeHandler(early)
            handler = _tail_handler(runtime.log_tail)
            if handler is not None:
                early.replay(handler)
            where = "the SANDBOX Discord" if runtime.on_sandbox else "Discord"
            step(f"starting the bot and connecting to {where}")
            if runtime.ready is None:
                await runtime.start()
        except ConfigError as exc:
            raise Failure("Configuration error", str(exc), exit_code=2) from exc
        except Exception as exc:
            raise Failure("The bot could not start", describe(exc), self.traceback(exc)) from exc

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

    def traceback(self, exc: BaseException) -> str:
        """The traceback of ``exc`` with secrets redacted, as the log files have it."""
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        services = self.runtime.services
        handles = services.logging if services is not None else None
        return handles.redactor.redact(text) if handles is not None else text


async def wait_for_bot(
    source: Source, step: Callable[[str], None], stopping: Callable[[], bool]
) -> dict[str, Any] | None:
    """Wait until the attached bot answers and is ready; its ``status`` view, or None when
    ``stopping()`` turned true first.

    Raises:
        Failure: The bot answered with an error (e.g. the view does not exist there).
    """
    info = source.info
    step(f"connecting to the bot in {info.bot_dir or 'its directory'} ({info.via})")
    waiting = ""
    while not stopping():
        try:
            status: dict[str, Any] = await source.read("status")
        except SourceLost as exc:
            note = f"the bot does not answer yet ({exc or 'no connection'}); retrying"
        except Exception as exc:
            raise Failure("Could not read the bot", describe(exc)) from exc
        else:
            if status.get("ready"):
                return status
            note = f"waiting for the bot to be ready (it is {status.get('state', 'starting')})"
        if note != waiting:
            waiting = note
            step(note)
        await asyncio.sleep(ATTACH_RETRY)
    return None


def describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
