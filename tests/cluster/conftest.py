"""A real ``redis-server`` for the cluster tests (no fake Redis).

``redis_server`` is one server for the whole session on a free loopback port, in a temp
dir, with persistence off. ``redis_server_auth`` is a second one that requires a
password. Both can be killed and restarted on the same port (``.kill()``, ``.restart()``);
a test that kills one restarts it before it ends (``restarted`` does it in a finally).
Tests share a server, so each uses its own key namespace (``namespace`` fixture).

Other test packages reuse these by importing them into their conftest::

    from tests.cluster.conftest import (  # noqa: F401
        redis_server, redis_session_server, namespace,
    )
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
_START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process on 127.0.0.1.

    Attributes:
        port: The TCP port (kept across restarts).
        password: The ``requirepass`` value, or None.
        url: ``redis://[:password@]127.0.0.1:<port>/0``.
    """

    def __init__(self, workdir: Path, *, password: str | None = None) -> None:
        self.workdir = workdir
        self.password = password
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def _command(self) -> list[str]:
        cmd = [
            REDIS_SERVER,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.workdir),
            "--logfile", str(self.workdir / "redis.log"),
            "--daemonize", "no",
        ]  # fmt: skip
        if self.password:
            cmd += ["--requirepass", self.password]
        return cmd

    def start(self) -> None:
        """Start the server and wait until it answers (fails the test with its log)."""
        if self.process is not None and self.process.poll() is None:
            return
        self.process = subprocess.Popen(
            self._command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self._answers():
                return
            time.sleep(0.05)
        log = (self.workdir / "redis.log").read_text(errors="replace")[-2000:]
        self.kill()
        pytest.fail(f"redis-server did not start on port {self.port}:\n{log}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                reply = sock.recv(64)
        except OSError:
            return False
        # +PONG, or -NOAUTH when a password is required: either way it is serving.
        return reply.startswith((b"+PONG", b"-NOAUTH"))

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the server (its data is gone: persistence is off)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def restart(self) -> None:
        """Start it again on the same port, empty."""
        self.kill()
        self.start()

    def ensure_running(self) -> None:
        if not self.running:
            self.start()

    @contextlib.contextmanager
    def restarted(self) -> Iterator[RedisServer]:
        """For tests that kill the server: it runs again (empty) when the block ends."""
        try:
            yield self
        finally:
            self.ensure_running()


def _serve(password: str | None) -> Iterator[RedisServer]:
    if not Path(REDIS_SERVER).exists():
        pytest.fail("redis-server is not installed (Debian package redis-server)")
    with tempfile.TemporaryDirectory(prefix="zoryx-redis-") as tmp:
        server = RedisServer(Path(tmp), password=password)
        server.start()
        try:
            yield server
        finally:
            server.kill()


@pytest.fixture(scope="session")
def redis_session_server() -> Iterator[RedisServer]:
    yield from _serve(None)


@pytest.fixture(scope="session")
def redis_session_server_auth() -> Iterator[RedisServer]:
    yield from _serve("pw-" + secrets.token_hex(12))


@pytest.fixture
def redis_server(redis_session_server: RedisServer) -> RedisServer:
    """The session's real redis-server (no password), running."""
    redis_session_server.ensure_running()
    return redis_session_server


@pytest.fixture
def redis_server_auth(redis_session_server_auth: RedisServer) -> RedisServer:
    """The session's real redis-server that requires ``.password``, running."""
    redis_session_server_auth.ensure_running()
    return redis_session_server_auth


@pytest.fixture
def namespace() -> str:
    """A Redis key namespace of the test's own (servers are shared by the session)."""
    return "zoryx-test:" + secrets.token_hex(6)
