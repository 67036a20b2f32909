"""``zoryx tui`` in a real pseudo-terminal: keys in, screen out, a clean exit.

Uses only the standard library (``pty``): the console runs as a child process whose
controlling terminal is the pty, exactly as over SSH.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

import psutil
import pytest

ANSI = re.compile(rb"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b[\]P_^][^\x1b\x07]*(?:\x07|\x1b\\)|\x1b.")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminals")


class Terminal:
    """A child process on a pty with a given size; read what it paints, type keys."""

    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int]) -> None:
        columns, rows = size
        pid, fd = pty.fork()
        if pid == 0:  # child: the pty is already its controlling terminal and stdio
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            os.execvpe(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        self.output = b""
        self._mark = 0
        self.status: int | None = None

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return
        try:
            chunk = os.read(self.fd, 65536)
        except OSError as exc:  # EIO: the child closed the terminal
            if exc.errno != errno.EIO:
                raise
            chunk = b""
        if chunk:
            self.output += chunk
        else:
            time.sleep(0.05)

    def text(self) -> str:
        return ANSI.sub(b"", self.output).decode("utf-8", "replace")

    def expect(self, needle: str, timeout: float = 20.0) -> None:
        """Wait until ``needle`` is painted after the previous match."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.text().find(needle, self._mark)
            if found >= 0:
                self._mark = found + len(needle)
                return
            if time.monotonic() > deadline or not self.alive():
                tail = self.text()[-3000:]
                raise AssertionError(f"{needle!r} never appeared; screen tail:\n{tail}")
            self._read(0.1)

    def send(self, data: str | bytes) -> None:
        os.write(self.fd, data.encode() if isinstance(data, str) else data)

    def type(self, text: str) -> None:
        for char in text:
            self.send(char)
            time.sleep(0.01)

    def alive(self) -> bool:
        if self.status is not None:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return True
        self.status = status
        return False

    def wait(self, timeout: float = 30.0) -> int:
        """The exit code (drains output meanwhile so the child never blocks on writes)."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError("the console did not exit")
            with contextlib.suppress(OSError):
                self._read(0.1)
        assert self.status is not None
        return os.waitstatus_to_exitcode(self.status)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def start(bot_dir: Path, term: str, size: tuple[int, int], **extra: str) -> Terminal:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "NO_COLOR"))}
    env.update(TERM=term, PYTHONUNBUFFERED="1", **extra)
    argv = [sys.executable, "-m", "zoryx", "tui", "--dir", str(bot_dir)]
    return Terminal(argv, env, size)


def leftovers(bot_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if str(bot_dir) in " ".join(proc.info["cmdline"] or []):
                found.append(proc)
    return found


def test_tui_in_a_real_terminal(bot_dir: Path) -> None:
    term = start(bot_dir, "xterm-256color", (100, 30))
    try:
        term.expect("SANDBOX")
        term.expect("● ready")
        term.send("3")  # Plugins
        term.expect("Reloads")
        term.send("4")  # Logs
        term.expect("Events — commands")
        term.send("1")  # Overview
        term.expect("Health")
        term.send(":")
        term.type("reload greetings")
        term.send("\r")
        term.expect("reloaded greetings")
        term.send("\x11")  # ctrl+q
        code = term.wait()
    finally:
        term.kill()
        term.close()
    assert code == 0, term.text()[-2000:]
    painted = term.text()
    assert "Traceback (most recent call last)" not in painted, "a traceback painted over"
    assert not re.search(r"\.py:\d+: \w*Warning", painted), "a warning printed on the terminal"
    log = (bot_dir / "botlogs" / "current_run.log").read_text(encoding="utf-8")
    assert "reloaded extension greetings" in log
    assert "shutting down (console quit)" in log
    assert not leftovers(bot_dir)


def test_a_lost_terminal_shuts_down_without_spinning(bot_dir: Path) -> None:
    term = start(bot_dir, "screen", (80, 24), NO_COLOR="1")
    try:
        term.expect("● ready")
        term.close()  # the SSH connection drops: the kernel hangs the terminal up
        deadline = time.monotonic() + 20
        while term.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not term.alive(), "the console kept running after its terminal went away"
    finally:
        term.kill()
    log = (bot_dir / "botlogs" / "current_run.log").read_text(encoding="utf-8")
    assert "shutting down (SIGHUP)" in log or "shutting down (terminal lost)" in log
    assert list((bot_dir / "data").rglob("main_*.db")), "the graceful shutdown backed up"
    assert not leftovers(bot_dir)
