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
    # Discord's gateway send limit: ``send_limit`` frames (heartbeats included) per
    # ``send_window`` seconds per connection, else close 4008; 0 turns it off.
    send_limit: int = 120
    send_window: float = 60.0
    # IDENTIFY limits per application (see identify_limits.py).
    max_concurrency: int = 1
    session_start_total: int = 1_000
    # GUILD_CREATEs after READY are produced while the outbound queue holds fewer frames.
    stream_high_water: int = 500


@dataclass
class SendWindow:
    """Discord's gateway send limit for one connection: at most ``limit`` payloads from the
    client per ``window`` seconds (heartbeats included). The window is fixed: it starts
    with the first payload after the previous one ended, as discord.py's own limiter
    counts, so a client that paces itself that way never goes over. ``limit`` 0 = off."""

    limit: int = 120
    window: float = 60.0
    start: float = 0.0
    frames: int = 0

    def allow(self, now: float) -> bool:
        """Count a payload received at ``now``; False once the window holds too many."""
        if self.limit <= 0:
            return True
        if self.frames == 0 or now - self.start >= self.window:
            self.start, self.frames = now, 0
        self.frames += 1
        return self.frames <= self.limit


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
    # Guilds announced unavailable in READY whose GUILD_CREATE is not sent yet: their
    # events are held back (the GUILD_CREATE, built when it is sent, includes them).
    pending: set[int] = field(default_factory=set)

    def frame(self, name: str, data_json: str) -> tuple[int, str]:
        self.seq += 1
        text = f'{{"op":0,"s":{self.seq},"t":"{name}","d":{data_json}}}'
        self.buffer.append((self.seq, text))
        return self.seq, text


class Connection:
    """One websocket connection with its own compressor and ordered writer task."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        compress: str | None,
        cap: int,
        sends: SendWindow | None = None,
    ) -> None:
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
        self.sends = sends if sends is not None else SendWindow(limit=0)
        self._drained = asyncio.Event()
        self._drained.set()
        self._low_water = 0
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

    async def wait_drained(self, high: int) -> None:
        """Wait while the outbound queue holds ``high`` frames or more (until it is down to
        half of that), or until the connection closes."""
        if self.queue.qsize() < high or self.closed:
            return
        self._low_water = high // 2
        self._drained.clear()
        await self._drained.wait()

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
                if not self._drained.is_set() and self.queue.qsize() <= self._low_water:
                    self._drained.set()
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            return
        finally:
            self._drained.set()

    def close_soon(self, code: int, message: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        self._drained.set()
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
        self._drained.set()
        self.writer.cancel()
        transport = self.ws._req.transport if self.ws._req else None
        if transport is not None:
            transport.abort()


__all__ = ["Connection", "GatewayFaults", "GatewayOptions", "SendWindow", "Session"]
