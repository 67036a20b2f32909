"""Naming what blocked the event loop, so a lag alert can say where to look.

Two sources feed one bounded :class:`SlowCallbackLog`:

* **asyncio debug mode** (``PYTHONASYNCIODEBUG=1``, ``python -X dev`` or
  ``loop.set_debug(True)``): asyncio itself logs ``Executing <Handle or Task ...> took N
  seconds`` on the ``asyncio`` logger for every callback slower than
  ``loop.slow_callback_duration``. :class:`AsyncioSlowCallbackCapture` is a logging handler
  on that logger keeping those records (the callback's or task's repr).
* **a stall watchdog**, for when debug mode is off (its checks cost too much to leave on in
  production). :class:`StallWatchdog` is one daemon thread that asks the loop for a no-op
  every ``poll`` seconds (``call_soon_threadsafe``); if the loop has not run it within
  ``threshold`` seconds, the loop is blocked right now, and the thread reads the loop
  thread's current Python stack (``sys._current_frames``) to name the function and line
  that is blocking. Its cost is one loop wake-up per ``poll`` and a stack read only while
  the loop is stuck.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import sysconfig
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

log = logging.getLogger("zoryx.diagnostics")

KEPT = 20
_LIBRARY_DIRS = tuple(
    str(Path(p).resolve())
    for key in ("stdlib", "platstdlib", "purelib", "platlib")
    if (p := sysconfig.get_paths().get(key))
)


@dataclass(slots=True)
class SlowCallback:
    """One slow callback or blocked stretch of the loop (``seconds`` grows while ongoing)."""

    at: float  # time.monotonic() when it was seen
    seconds: float
    what: str
    source: str  # "asyncio debug" | "stack sample"
    ongoing: bool = False

    def describe(self) -> str:
        took = f"at least {self.seconds:.1f} s so far" if self.ongoing else f"{self.seconds:.1f} s"
        if self.source == "asyncio debug":
            return f"slowest callback (asyncio debug): {self.what} took {took}"
        return f"blocked in {self.what} for {took} (stack sample)"

    def as_dict(self) -> dict[str, object]:
        return {
            "seconds": round(self.seconds, 3),
            "what": self.what,
            "source": self.source,
            "ongoing": self.ongoing,
        }


class SlowCallbackLog:
    """The last :data:`KEPT` slow callbacks, shared by the loop and the watchdog thread."""

    def __init__(self, size: int = KEPT) -> None:
        self._items: deque[SlowCallback] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, item: SlowCallback) -> SlowCallback:
        with self._lock:
            self._items.append(item)
        return item

    def finish(self, item: SlowCallback, seconds: float) -> None:
        with self._lock:
            item.seconds = max(item.seconds, seconds)
            item.ongoing = False

    def recent(self, since: float) -> list[SlowCallback]:
        """Entries seen at or after ``since`` (monotonic), slowest first."""
        with self._lock:
            items = [i for i in self._items if i.at >= since]
        return sorted(items, key=lambda i: -i.seconds)

    def items(self) -> list[SlowCallback]:
        with self._lock:
            return list(self._items)


class AsyncioSlowCallbackCapture(logging.Handler):
    """Keeps asyncio's "Executing ... took N seconds" records from one loop thread."""

    def __init__(self, sink: SlowCallbackLog, thread_id: int) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink
        self.thread_id = thread_id

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if (
            record.thread != self.thread_id
            or not str(record.msg).startswith("Executing ")
            or not isinstance(args, tuple)
            or len(args) != 2
            or not isinstance(args[1], int | float)
        ):
            return
        what = str(args[0])
        self.sink.add(SlowCallback(time.monotonic(), float(args[1]), what[:300], "asyncio debug"))

    def install(self) -> None:
        logging.getLogger("asyncio").addHandler(self)

    def remove(self) -> None:
        logging.getLogger("asyncio").removeHandler(self)


def describe_stack(frame: FrameType) -> str:
    """``function (file:line)`` of the innermost frame in the bot's own code (not the
    standard library or an installed package), plus the innermost frame when it differs."""
    frames = traceback.extract_stack(frame)
    if not frames:
        return "unknown code"
    own = [f for f in frames if not _is_library(f.filename)]
    culprit = own[-1] if own else frames[-1]
    text = f"{culprit.name} ({_short(culprit.filename)}:{culprit.lineno})"
    inner = frames[-1]
    if inner is not culprit:
        text += f", inside {inner.name} ({_short(inner.filename)}:{inner.lineno})"
    return text


def _is_library(filename: str) -> bool:
    try:
        path = str(Path(filename).resolve())
    except (OSError, ValueError):
        return True
    return filename.startswith("<") or path.startswith(_LIBRARY_DIRS)


def _short(filename: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(Path.cwd()))
    except (OSError, ValueError):
        return Path(filename).name


class StallWatchdog:
    """A daemon thread that names the code blocking ``loop`` (see the module docstring).

    Args:
        loop: the loop to watch; :meth:`start` must be called on its thread.
        sink: where stalls are recorded.
        threshold: seconds without an answer from the loop that count as a stall.
        poll: seconds between two probes.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sink: SlowCallbackLog,
        threshold: float,
        poll: float,
    ) -> None:
        self.loop = loop
        self.sink = sink
        self.threshold = threshold
        self.poll = poll
        self._stop = threading.Event()
        self._loop_thread = threading.get_ident()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._loop_thread = threading.get_ident()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="zoryx-fw-stalls", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None:
            await asyncio.to_thread(thread.join, 5.0)

    def _run(self) -> None:
        while not self._stop.wait(self.poll):
            answered = threading.Event()
            sent = time.monotonic()
            try:
                self.loop.call_soon_threadsafe(answered.set)
            except RuntimeError:  # the loop is closed
                return
            if answered.wait(self.threshold):
                continue
            if not self.loop.is_running():  # stopped, not blocked
                continue
            item = self._sample(sent)
            while not answered.wait(0.05):
                if self._stop.is_set() or self.loop.is_closed():
                    return
                if not self.loop.is_running():
                    break
            if item is not None:
                self.sink.finish(item, time.monotonic() - sent)

    def _sample(self, sent: float) -> SlowCallback | None:
        frame = sys._current_frames().get(self._loop_thread)
        if frame is None:
            return None
        try:
            what = describe_stack(frame)
        except Exception:  # never let diagnostics break the bot
            log.debug("could not describe the blocked loop's stack", exc_info=True)
            return None
        finally:
            del frame
        stall = SlowCallback(sent, time.monotonic() - sent, what, "stack sample", ongoing=True)
        return self.sink.add(stall)
