"""The socket file at start-up (stale, live, foreign), deep paths, idle and slow peers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zoryx.control import ControlSocketError, RemoteSource
from zoryx.control.connection import PUSH_QUEUE, Connection, Peer
from zoryx.control.unixsock import reachable_path
from zoryx.operator import Role
from zoryx.runtime import Runtime

from .conftest import make_bot_dir, new_runtime, wait_for
from .rawws import RawWS


@contextlib.contextmanager
def socket_file(path: Path, *, listening: bool) -> Iterator[None]:
    """A socket file at ``path``: a live listener, or (closed) a stale leftover."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with reachable_path(path) as where:
        sock.bind(where)
    if listening:
        sock.listen(1)
        try:
            yield
        finally:
            sock.close()
    else:
        sock.close()
        yield


async def test_a_stale_socket_is_replaced_at_start(bot_dir: Path) -> None:
    path = bot_dir / "data" / "zoryx.sock"
    with socket_file(path, listening=False):
        pass  # left behind, as by a bot that crashed
    rt = new_runtime(bot_dir)
    await rt.start()  # binding over it would fail: it was removed first
    try:
        source = await RemoteSource.open(bot_dir)
        assert source.info.role == "owner"
        await source.close()
    finally:
        await rt.shutdown("test done")


async def test_a_socket_another_process_answers_on_is_refused(bot_dir: Path) -> None:
    path = bot_dir / "data" / "zoryx.sock"
    with socket_file(path, listening=True):
        rt = new_runtime(bot_dir)
        with pytest.raises(ControlSocketError, match="another process already answers"):
            await rt.start()
        await asyncio.wait_for(rt.wait_stopped(), 30)  # what it had started was shut down
        assert path.exists()  # and the other process's socket is left alone


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another user")
async def test_a_socket_path_owned_by_another_user_is_refused(bot_dir: Path) -> None:
    path = bot_dir / "data" / "zoryx.sock"
    with socket_file(path, listening=False):
        os.chown(path, 65534, 65534, follow_symlinks=False)
    rt = new_runtime(bot_dir)
    with pytest.raises(ControlSocketError, match="belongs to another user"):
        await rt.start()
    assert os.lstat(path).st_uid == 65534


async def test_a_bot_directory_deeper_than_a_socket_path_allows(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 5)
    bot_dir = make_bot_dir(deep / "bot")
    assert len(str(bot_dir / "data" / "zoryx.sock")) > 108
    rt = new_runtime(bot_dir)
    await rt.start()
    try:
        source = await RemoteSource.open(bot_dir)
        assert (await source.read("status"))["ready"] is True
        await source.close()
    finally:
        await rt.shutdown("test done")


async def test_peers_that_never_speak_do_not_block_others(runtime: Runtime) -> None:
    path = runtime.bot_dir / "data" / "zoryx.sock"

    def idle_peers() -> list[Any]:
        silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        silent.connect(str(path))  # connected, not a byte sent
        half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        half.connect(str(path))
        half.sendall(b"GET /control HTTP/1.1\r\nHost: zoryx\r\n")  # never finished
        upgraded = RawWS(path)  # a WebSocket that never sends a request
        assert upgraded.status == 101
        return [silent, half, upgraded]

    peers = await asyncio.to_thread(idle_peers)
    try:
        sources = [await RemoteSource.open(runtime.bot_dir) for _ in range(3)]
        for source in sources:
            assert (await source.read("status"))["ready"] is True
            await source.close()
    finally:
        for peer in peers:
            peer.close()


class _StuckSocket:
    """A WebSocketResponse whose peer reads nothing until released."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.release = asyncio.Event()

    async def send_str(self, text: str) -> None:
        await self.release.wait()
        self.sent.append(text)


async def test_a_slow_peer_loses_the_oldest_events_never_blocks_the_bot(
    runtime: Runtime,
) -> None:
    stuck = _StuckSocket()
    connection = Connection(runtime.control, stuck, Peer("slow", Role.OWNER, "socket"))  # type: ignore[arg-type]
    writer = asyncio.get_running_loop().create_task(connection._write_loop())
    try:
        total = PUSH_QUEUE * 3
        for n in range(total):  # the publisher never waits
            connection.push("log", {"n": n})
        assert connection.dropped_total >= total - PUSH_QUEUE - 1
        stuck.release.set()
        await wait_for(lambda: len(stuck.sent) >= PUSH_QUEUE)
        numbers = [m for m in stuck.sent if '"log"' in m]
        assert '"n":' + str(total - 1) in numbers[-1]  # the newest survived
        assert any('"dropped"' in m for m in stuck.sent)  # and the peer is told
    finally:
        writer.cancel()
