"""Process-level guards for the console: signals, a lost terminal, stray output.

While the console runs, nothing may write to the terminal but Textual: Python warnings and
uncaught thread exceptions are routed to logging (the log pane and the files), and SIGTERM,
SIGHUP and SIGINT start the same graceful shutdown as ctrl+q. A terminal that disappears
(SSH drop without SIGHUP, stdin closed) is noticed within a second by a watcher thread, and
once a stop has been requested a last-resort timer ends the process if the graceful path
ever hangs, so a console never outlives its terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("zoryx.console")

__all__ = ["ProcessGuard"]

#: Seconds a requested stop may take before the process is ended the hard way.
HARD_EXIT_AFTER = 45.0
SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name)
)


class ProcessGuard:
    """Installs the handlers on :meth:`install` and restores everything on :meth:`restore`.

    Args:
        on_stop: Called with a reason (``"SIGTERM"``, ``"terminal lost"``…) to start a
            graceful shutdown; called again on a second signal with ``force=True``.
    """

    def __init__(self, on_stop: Callable[[str, bool], None]) -> None:
        self._on_stop = on_stop
        self._signals: dict[int, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._seen = 0
        self._captured_warnings = False
        self._previous_thread_hook: Any = None
        self._tty_fd: int | None = None
        self.terminal_lost = False
        self._closing = threading.Event()
        self._watcher: threading.Thread | None = None
        self._deadline: threading.Timer | None = None

    def install(self, *, signals: bool, watch_terminal: bool) -> None:
        self._loop = asyncio.get_running_loop()
        if signals and threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                previous = signal.getsignal(sig)
                try:
                    self._loop.add_signal_handler(sig, self._signal, sig)
                except (NotImplementedError, RuntimeError, ValueError):
                    continue
                self._signals[sig] = previous
        logging.captureWarnings(True)
        self._captured_warnings = True
        self._previous_thread_hook = threading.excepthook
        threading.excepthook = _log_thread_exception
        if watch_terminal:
            with contextlib.suppress(AttributeError, ValueError, OSError):
                fd = sys.__stdin__.fileno() if sys.__stdin__ is not None else -1
                if fd >= 0 and os.isatty(fd):
                    self._tty_fd = fd
            if self._tty_fd is not None:
                self._watcher = threading.Thread(
                    target=self._watch, name="zoryx-terminal-watch", daemon=True
                )
                self._watcher.start()

    def restore(self) -> None:
        self._closing.set()
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        loop = self._loop
        for sig, previous in self._signals.items():
            if loop is not None:
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(sig)
            with contextlib.suppress(Exception):
                signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
        self._signals.clear()
        if self._captured_warnings:
            logging.captureWarnings(False)
            self._captured_warnings = False
        if self._previous_thread_hook is not None:
            threading.excepthook = self._previous_thread_hook
            self._previous_thread_hook = None

    def _signal(self, sig: int) -> None:
        self._seen += 1
        name = signal.Signals(sig).name
        if sig == getattr(signal, "SIGHUP", None) and not self._terminal_alive():
            self.terminal_lost = True
        log.warning("%s received: shutting down gracefully", name)
        self._on_stop(name, self._seen > 1)

    def arm_deadline(self, seconds: float = HARD_EXIT_AFTER) -> None:
        """End the process with status 1 if it is still alive ``seconds`` from now."""
        if self._deadline is None:
            self._deadline = threading.Timer(seconds, _hard_exit)
            self._deadline.daemon = True
            self._deadline.start()

    def _terminal_alive(self) -> bool:
        if self._tty_fd is None:
            return True
        import termios

        try:
            termios.tcgetattr(self._tty_fd)
        except (termios.error, OSError, ValueError):
            return False
        return True

    def _watch(self) -> None:
        """Thread: poll the terminal once a second (works even if the loop is stuck)."""
        while not self._closing.wait(1.0):
            if self._terminal_alive():
                continue
            self.terminal_lost = True
            self.arm_deadline()
            loop = self._loop
            if loop is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(self._lost)
            return

    def _lost(self) -> None:
        log.warning("the terminal went away: shutting down gracefully")
        self._on_stop("terminal lost", False)


def _hard_exit() -> None:
    log.error("graceful shutdown did not finish in time: exiting now")
    os._exit(1)


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    log.error(
        "uncaught exception in thread %s",
        args.thread.name if args.thread is not None else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
    )


class TerminalStream:
    """The terminal output stream, minus the exceptions once the terminal has gone.

    Textual writes the screen from a thread that dies on the first ``EIO`` of a hung-up
    terminal, after which the UI blocks on a full queue. Wrapping the stream makes a lost
    terminal a silent sink, so the graceful shutdown can still run to the end.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return int(self._stream.write(text))
            except (OSError, ValueError):
                self.broken = True
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self.broken = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded_terminal_stream() -> Any:
    """Swap ``sys.__stderr__`` (Textual's output) for a :class:`TerminalStream` meanwhile."""
    original = sys.__stderr__
    if original is None:
        yield None
        return
    wrapped = TerminalStream(original)
    sys.__stderr__ = wrapped  # type: ignore[misc, assignment]
    try:
        yield wrapped
    finally:
        sys.__stderr__ = original  # type: ignore[misc]
