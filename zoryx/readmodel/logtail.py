"""The runtime's log tail: a bounded, thread-safe buffer of the latest log lines.

The runtime attaches a :class:`ConsoleLogHandler` with ``services.logging.add_handler``
(behind the redaction filter), so records arrive already free of secrets, from any
thread. Faces read it through the ``logs`` view (:meth:`LogBuffer.since` a sequence
number): one batch per refresh instead of one message per record keeps a console cheap
when the bot logs a lot, in-process or over the control socket. With a hub, each line
is also published as a ``"log"`` event.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .hub import EventHub

__all__ = ["ConsoleLogHandler", "LogBuffer", "LogEntry"]


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    created: float
    levelno: int
    levelname: str
    logger: str
    message: str

    def haystack(self) -> str:
        return f"{self.levelname} {self.logger} {self.message}"


class LogBuffer:
    """The last ``capacity`` log entries, each with an increasing sequence number."""

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._entries: deque[LogEntry] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = 0

    def add(
        self, created: float, levelno: int, levelname: str, logger: str, message: str
    ) -> LogEntry:
        with self._lock:
            self._seq += 1
            entry = LogEntry(self._seq, created, levelno, levelname, logger, message)
            self._entries.append(entry)
        return entry

    def since(self, seq: int) -> list[LogEntry]:
        """Entries with a sequence number above ``seq``, oldest first."""
        with self._lock:
            if not self._entries or self._entries[-1].seq <= seq:
                return []
            return [entry for entry in self._entries if entry.seq > seq]

    def all(self) -> list[LogEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def last_seq(self) -> int:
        return self._seq

    def __len__(self) -> int:
        return len(self._entries)


class ConsoleLogHandler(logging.Handler):
    """Copies log records into a :class:`LogBuffer` (never raises, never blocks for long)."""

    def __init__(
        self, buffer: LogBuffer, level: int = logging.NOTSET, hub: EventHub | None = None
    ) -> None:
        super().__init__(level)
        self.buffer = buffer
        self.hub = hub

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_text:
                message = f"{message}\n{record.exc_text}"
            entry = self.buffer.add(
                record.created, record.levelno, record.levelname, record.name, message
            )
            if self.hub is not None and self.hub.has_subscribers("log"):
                self.hub.publish("log", asdict(entry))
        except Exception:  # a logging handler must never raise into the caller
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """Swallow: the default prints to stderr, which would paint over the console."""


class RecordCollector(logging.Handler):
    """Holds the records logged while the runtime sets logging up, to replay them later.

    The console's handler can only be attached (behind the redaction filter) once the
    runtime has built its logging; this keeps what came before (config warnings, the
    sandbox notice) so the log pane starts complete. Bounded; never prints.
    """

    def __init__(self, capacity: int = 500) -> None:
        super().__init__(logging.NOTSET)
        self.records: deque[logging.LogRecord] = deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """Never print to the terminal."""

    def replay(self, handler: logging.Handler) -> None:
        """Pass every held record through ``handler`` (its filters apply), then forget them."""
        while self.records:
            handler.handle(self.records.popleft())
