"""``zoryx status`` / ``zoryx ctl`` against a real ``zoryx run --headless``, and peers of
another user."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from .conftest import HeadlessBot, make_bot_dir, start_headless, stop_headless, zoryx


def test_status_exit_codes(headless: HeadlessBot, tmp_path: Path) -> None:
    ready = zoryx("status", str(headless.bot_dir))
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert ready.stdout.startswith("ready: ") and "guild(s)" in ready.stdout
    report = json.loads(zoryx("status", str(headless.bot_dir), "--json").stdout)
    assert report["ready"] is True and report["pid"] == headless.process.pid

    no_bot = zoryx("status", str(tmp_path))  # a directory without a bot running
    assert no_bot.returncode == 2 and no_bot.stdout.startswith("no bot: ")
    nowhere = zoryx("status", str(tmp_path / "missing"))
    assert nowhere.returncode == 2

    stale = tmp_path / "data" / "zoryx.sock"  # the socket of a bot that crashed
    stale.parent.mkdir()
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(stale))
    leftover.close()
    unreachable = zoryx("status", str(tmp_path))
    assert unreachable.returncode == 1 and unreachable.stdout.startswith("unreachable: ")


def test_ctl_runs_actions_and_reports_refusals(headless: HeadlessBot) -> None:
    where = str(headless.bot_dir)
    reloaded = zoryx("ctl", where, "reload", "ping")
    assert reloaded.returncode == 0 and reloaded.stdout.strip() == "reloaded ping"
    failed = zoryx("ctl", where, "unload", "nothing_here")
    assert failed.returncode == 1 and "not loaded" in failed.stderr
    token = zoryx("token", "create", "--role", "visitor", "--name", "viewer", where).stdout.strip()
    refused = zoryx("ctl", where, "sync", env={"ZORYX_CONTROL_TOKEN": token})
    assert refused.returncode == 1 and "refused" in refused.stderr
    assert zoryx("ctl", where, "dance").returncode == 2  # a usage error


def test_ctl_shutdown_asks_then_stops_the_bot(tmp_path: Path) -> None:
    bot = start_headless(make_bot_dir(tmp_path / "bot"))
    try:
        declined = zoryx("ctl", str(bot.bot_dir), "shutdown")  # no terminal to say yes
        assert declined.returncode != 0 and bot.process.poll() is None
        done = zoryx("ctl", str(bot.bot_dir), "shutdown", "--yes")
        assert done.returncode == 0 and "shutting down" in done.stdout
        assert bot.process.wait(timeout=60) == 0
        assert not bot.socket.exists()
    finally:
        stop_headless(bot)


UPGRADE = (
    b"GET /control HTTP/1.1\r\nHost: zoryx\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
)


def _attach_attempt(path: Path) -> str:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    try:
        sock.connect(str(path))
    except OSError as exc:
        return f"connect {exc.errno}"
    sock.sendall(UPGRADE)
    return "http " + sock.recv(64).split(b" ")[1].decode()


def as_nobody(path: Path) -> str:
    """Try to attach to ``path`` from a child process running as ``nobody`` (uid 65534)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to nobody, try, report through the pipe, never return
        outcome = "child failed"
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            outcome = _attach_attempt(path)
        except BaseException as exc:
            outcome = f"child failed: {exc!r}"
        finally:
            os.write(write_end, outcome.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(pid, 0)
    return answer


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a client as another user")
def test_another_user_is_refused(headless: HeadlessBot) -> None:
    import errno

    # The bot's own log file: one record per line (the console output wraps long lines),
    # written by the logging thread a moment after the refusal was answered.
    log_file = headless.bot_dir / "botlogs" / "current_run.log"
    line = "control socket: refused a process of uid 65534"
    assert as_nobody(headless.socket) == f"connect {errno.EACCES}"  # the socket is 0600
    refused_before = log_file.read_text(errors="replace").count(line)
    os.chmod(headless.socket, 0o666)  # if the mode were lost, the peer check still holds
    try:
        assert as_nobody(headless.socket) == "http 403"
    finally:
        os.chmod(headless.socket, 0o600)
    deadline = time.monotonic() + 30
    while log_file.read_text(errors="replace").count(line) == refused_before:
        assert time.monotonic() < deadline, "the refusal was never logged"
        time.sleep(0.05)  # polling the log file, with a deadline
    assert log_file.read_text(errors="replace").count(line) == refused_before + 1
    assert zoryx("status", str(headless.bot_dir)).returncode == 0  # the owner still gets in
