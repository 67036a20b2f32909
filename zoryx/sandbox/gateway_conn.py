"""Gateway sessions and connections: timing options, the resumable session, and one
websocket connection with its compressor and ordered writer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .constants import Close

if TYPE_CHECKING:
    from .state import Application

log = logging.getLogger("zoryx.sandbox.gateway")


@dataclass
class GatewayFaults:
    """Knobs for fault injection on heartbeats."""

    ack_delay: float = 0.0
    drop_acks: int = 0


@dataclass
class GatewayOptions:
    """Timing options (shortened in tests)."""

    heartbeat_interval_ms: int = 41_250
    # A heartbeat ACK travels back after a network round trip, as from Discord. It must not
    # be instant: discord.py's heartbeat thread stamps its send time only once the send has
    # completed on the event loop, so an ACK that beats the thread to it is measured against
    # the previous heartbeat and the bot reports a whole interval as latency.
    heartbeat_ack_latency_ms: float = 25.0
    resume_window: float = 120.0
    replay_buffer: int = 5_000
    outbound_cap: int = 50_000
    chunk_size: int = 1_000


@dataclass(eq=False)
class Session:
    """A gateway session; it outlives its connection so that it can be resumed."""

    id: str
    app: Application
    shard_id: int
    shard_count: int
    intents: int
    seq: int = 0
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=5_000))
    conn: Connection | None = None
    detached_at: float | None = None
    presence: dict[str, Any] | None = None

    def frame(self, name: str, data_json: str) -> tuple[int, str]:
        self.seq += 1
        text = f'{{"op":0,"s":{self.seq},"t":"{name}","d":{data_json}}}'
        self.buffer.append((self.seq, text))
        return self.seq, text


class Connection:
    """One websocket connection with its own compressor and ordered writer task."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None, cap: int) -> None:
        self.ws = ws
        self.compress = compress
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd: Any = None
        if compress == "zstd-stream":
            try:
                import zstandard  # type: ignore[import-not-found]

                self._zstd = zstandard.ZstdCompressor().compressobj()
            except ImportError:
                self.compress = None
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.cap = cap
        self.session: Session | None = None
        self.last_heartbeat = time.monotonic()
        self.closed = False
        self.close_task: asyncio.Task[None] | None = None
        self.writer = asyncio.get_running_loop().create_task(self._write_loop())

    def send(self, text: str) -> None:
        if self.closed:
            return
        if self.queue.qsize() >= self.cap:
            log.warning("gateway client too slow; closing its connection")
            self.close_soon(Close.RATE_LIMITED)
            return
        self.queue.put_nowait(text)

    def send_op(self, op: int, d: Any) -> None:
        self.send(json.dumps({"op": op, "d": d, "s": None, "t": None}))

    def _encode(self, text: str) -> bytes | str:
        if self._zlib is not None:
            return self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        if self._zstd is not None:
            import zstandard

            return self._zstd.compress(text.encode()) + self._zstd.flush(
                zstandard.COMPRESSOBJ_FLUSH_BLOCK
            )
        return text

    async def _write_loop(self) -> None:
        try:
            while True:
                text = await self.queue.get()
                if text is None:
                    return
                payload = self._encode(text)
                if isinstance(payload, bytes):
                    await self.ws.send_bytes(payload)
                else:
                    await self.ws.send_str(payload)
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            return

    def close_soon(self, code: int, message: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        self.queue.put_nowait(None)

        async def _close() -> None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self.writer, 2)
            with contextlib.suppress(Exception):
                await self.ws.close(code=code, message=message.encode())

        self.close_task = asyncio.get_running_loop().create_task(_close())

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (a network failure)."""
        self.closed = True
        self.writer.cancel()
        transport = self.ws._req.transport if self.ws._req else None
        if transport is not None:
            transport.abort()


__all__ = ["Connection", "GatewayFaults", "GatewayOptions", "Session"]
