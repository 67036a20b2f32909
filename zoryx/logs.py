"""Log files, secret redaction and the console handler.

:func:`setup_logging` installs on the root logger one non-blocking
:class:`~logging.handlers.QueueHandler`; a :class:`~logging.handlers.QueueListener`
thread writes the records to

* ``botlogs/permanent.log`` - rotating by size (``logging.max_bytes`` /
  ``logging.backup_count`` of config.json),
* ``botlogs/current_run.log`` - truncated at every start,
* the console (rich), unless ``console=False`` (the TUI adds its own handler
  with :meth:`LoggingHandles.add_handler`).

Every handler carries the same :class:`RedactingFilter`, so records of any
logger (``discord.*`` included) lose secrets, bot-token-shaped strings and
Google API keys from their message, arguments and traceback before anything
is written. The log files are created with mode 0600.
"""

from __future__ import annotations

import atexit
import io
import logging
import queue
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from logging.handlers import QueueHandler, QueueListener, RotatingFileHandler
from pathlib import Path

from zoryx.config import LoggingConfig
from zoryx.redaction import MIN_SECRET_LENGTH, REDACTED, Redactor
from zoryx.storage.private_files import open_private, tighten_tree

__all__ = [
    "CONSOLE_EXTRA",
    "CURRENT_RUN_LOG",
    "LOG_DIR",
    "LOG_RETENTION_DAYS",
    "MIN_SECRET_LENGTH",
    "PERMANENT_LOG",
    "REDACTED",
    "LoggingHandles",
    "RedactingFilter",
    "remove_old_logs",
    "setup_logging",
]

LOG_DIR = "botlogs"
PERMANENT_LOG = "permanent.log"
CURRENT_RUN_LOG = "current_run.log"
#: Files in botlogs/ not modified for this many days are deleted at start-up.
LOG_RETENTION_DAYS = 30
#: ``log.info(msg, extra={CONSOLE_EXTRA: False})`` writes to the log files, not the
#: console (for lines the face prints itself, like the ready line).
CONSOLE_EXTRA = "zoryx_console"
_QUEUE_SIZE = 10_000
_FILE_FORMAT = "%(asctime)s | %(levelname)-8s | %(name)s | %(message)s"
_exc_formatter = logging.Formatter()


class RedactingFilter(Redactor, logging.Filter):
    """Replace secrets and token-shaped strings with ``[REDACTED]`` in log records.

    It is also the bot's shared :class:`~zoryx.redaction.Redactor` (``handles.redactor``):
    services redact error texts with it before storing or showing them.

    The record is changed in place (message merged with its args, traceback
    rendered to text and redacted, raw ``exc_info`` dropped) so that every later
    handler, whichever formatter it uses, sees only the redacted text.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        logging.Filter.__init__(self)
        Redactor.__init__(self, secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not leak the args either
            message = f"{record.msg} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _exc_formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class _PrivateFileMixin:
    """Opens the log file with mode 0600: it may hold error texts of extensions."""

    baseFilename: str
    mode: str
    encoding: str | None
    errors: str | None

    def _open(self) -> io.TextIOWrapper:
        return open_private(self.baseFilename, self.mode, self.encoding, self.errors)


class _PrivateRotatingFileHandler(_PrivateFileMixin, RotatingFileHandler):
    pass


class _PrivateFileHandler(_PrivateFileMixin, logging.FileHandler):
    pass


class _DroppingQueueHandler(QueueHandler):
    """Never blocks the caller: when the queue is full the record is counted and dropped."""

    def __init__(self, q: queue.Queue[logging.LogRecord | None]) -> None:
        super().__init__(q)
        self.dropped = 0

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1


class _Listener(QueueListener):
    def enqueue_sentinel(self) -> None:
        self.queue.put(self._sentinel)  # type: ignore[attr-defined]  # waits for room


def remove_old_logs(
    log_dir: Path, *, max_age_days: int = LOG_RETENTION_DAYS, now: float | None = None
) -> list[Path]:
    """Delete regular files in ``log_dir`` not modified for ``max_age_days``.

    Hidden files (``.gitkeep``) and sub-directories are left alone.

    Returns:
        The deleted paths.
    """
    cutoff = (time.time() if now is None else now) - max_age_days * 86_400
    removed: list[Path] = []
    if not log_dir.is_dir():
        return removed
    for path in log_dir.iterdir():
        if path.name.startswith("."):
            continue
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


@dataclass(eq=False)
class LoggingHandles:
    """What :func:`setup_logging` installed; use it to extend or undo the setup."""

    log_dir: Path
    permanent_path: Path
    current_run_path: Path
    redactor: RedactingFilter
    removed_files: list[Path]
    _queue_handler: _DroppingQueueHandler
    _listener: QueueListener
    _owned: list[logging.Handler]
    _previous_level: int
    _extra: list[logging.Handler] = field(default_factory=list)
    closed: bool = False

    @property
    def dropped(self) -> int:
        """Records dropped because the file writer fell behind by 10,000 records."""
        return self._queue_handler.dropped

    def add_handler(self, handler: logging.Handler) -> None:
        """Attach ``handler`` to the root logger behind the redaction filter.

        It runs on the thread that logs (not through the queue) and is removed
        and closed by :meth:`teardown`.
        """
        handler.addFilter(self.redactor)
        logging.getLogger().addHandler(handler)
        self._extra.append(handler)

    def remove_handler(self, handler: logging.Handler) -> None:
        """Detach a handler added with :meth:`add_handler` (it is not closed)."""
        logging.getLogger().removeHandler(handler)
        handler.removeFilter(self.redactor)
        if handler in self._extra:
            self._extra.remove(handler)

    def set_level(self, level: str | int) -> None:
        """Change the root level, e.g. ``"DEBUG"``."""
        logging.getLogger().setLevel(level.upper() if isinstance(level, str) else level)

    def flush(self) -> None:
        """Block until every queued record is written (for tests and log viewers)."""
        if self.closed:
            return
        self._listener.stop()
        for handler in self._owned:
            handler.flush()
        self._listener.start()

    def teardown(self) -> None:
        """Remove and close every handler installed here; idempotent."""
        global _active
        if self.closed:
            return
        self.closed = True
        root = logging.getLogger()
        root.removeHandler(self._queue_handler)
        for handler in list(self._extra):
            self.remove_handler(handler)
            handler.close()
        self._listener.stop()
        for handler in self._owned:
            handler.close()
        self._queue_handler.close()
        root.setLevel(self._previous_level)
        if _active is self:
            _active = None


_active: LoggingHandles | None = None


def _for_console(record: logging.LogRecord) -> bool:
    return getattr(record, CONSOLE_EXTRA, True) is not False


def _console_handler() -> logging.Handler:
    from rich.logging import RichHandler

    handler = RichHandler(markup=False, rich_tracebacks=False, show_path=False)
    handler.addFilter(_for_console)
    return handler


def setup_logging(
    bot_dir: Path,
    config: LoggingConfig,
    secrets: list[str],
    *,
    console: bool = True,
    retention_days: int = LOG_RETENTION_DAYS,
) -> LoggingHandles:
    """Install Zoryx logging on the root logger.

    A previous setup still active is torn down first, so calling this again
    (tests, restarts inside one process) never duplicates handlers.

    Args:
        bot_dir: the bot's root directory; logs go to ``bot_dir/botlogs``.
        config: ``config.logging`` (level, max_bytes, backup_count).
        secrets: literal values to redact (see :func:`zoryx.config.secrets`).
        console: also print to the terminal with rich.
        retention_days: age after which files in botlogs/ are deleted.
    """
    if _active is not None:
        _active.teardown()
    log_dir = bot_dir / LOG_DIR
    log_dir.mkdir(parents=True, exist_ok=True)
    removed = remove_old_logs(log_dir, max_age_days=retention_days)
    redactor = RedactingFilter(secrets)
    formatter = logging.Formatter(_FILE_FORMAT)

    permanent = _PrivateRotatingFileHandler(
        log_dir / PERMANENT_LOG,
        maxBytes=config.max_bytes,
        backupCount=config.backup_count,
        encoding="utf-8",
    )
    current = _PrivateFileHandler(log_dir / CURRENT_RUN_LOG, mode="w", encoding="utf-8")
    permanent.setFormatter(formatter)
    current.setFormatter(formatter)
    owned: list[logging.Handler] = [permanent, current]
    if console:
        owned.append(_console_handler())
    for handler in owned:
        handler.addFilter(redactor)

    record_queue: queue.Queue[logging.LogRecord | None] = queue.Queue(_QUEUE_SIZE)
    queue_handler = _DroppingQueueHandler(record_queue)
    queue_handler.addFilter(redactor)
    listener = _Listener(record_queue, *owned, respect_handler_level=True)
    listener.start()

    root = logging.getLogger()
    handles = LoggingHandles(
        log_dir=log_dir,
        permanent_path=log_dir / PERMANENT_LOG,
        current_run_path=log_dir / CURRENT_RUN_LOG,
        redactor=redactor,
        removed_files=removed,
        _queue_handler=queue_handler,
        _listener=listener,
        _owned=owned,
        _previous_level=root.level,
    )
    root.addHandler(queue_handler)
    root.setLevel(config.level.upper())
    _set_active(handles)
    tighten_tree([log_dir], recursive=False)  # rotated logs of older versions were 0644
    return handles


def _set_active(handles: LoggingHandles) -> None:
    global _active, _atexit_registered
    _active = handles
    if not _atexit_registered:
        atexit.register(_teardown_active)
        _atexit_registered = True


def _teardown_active() -> None:
    """At interpreter exit, drain the queue so the last records reach the files."""
    if _active is not None:
        _active.teardown()


_atexit_registered = False
