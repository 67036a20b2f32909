"""The control server: the bot's read model and operator API over a WebSocket.

It listens on ``<data_dir>/zoryx.sock`` (mode 0600) and, when configured, on TCP with
TLS (see :mod:`zoryx.control.settings`). Who may attach:

- on the Unix socket, a process of the bot's own user or root (``SO_PEERCRED``), as
  owner; a token (``Authorization: Bearer zxc_…``) replaces that role with its own;
- on TCP, only a token holder, with the token's role.

Anyone else gets HTTP 403/401 before the WebSocket upgrade; refusals are counted and
logged at most once a minute. See :mod:`zoryx.control.protocol` for the messages.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, web

from zoryx.config import ConfigError
from zoryx.operator import Role

from . import protocol
from .connection import Connection, Peer, user_name
from .settings import CERT_KEY, ControlSettings
from .tokens import TokenStore
from .unixsock import bind_private, peer_uid, remove_if_ours

if TYPE_CHECKING:
    from zoryx.runtime import Runtime

__all__ = ["ControlServer"]

log = logging.getLogger("zoryx.control")
MAX_CONNECTIONS = 64
HEARTBEAT_SECONDS = 20.0
REFUSAL_LOG_SECONDS = 60.0


class ControlServer:
    """Serves one runtime's control socket (see the module doc).

    Args:
        runtime: The built runtime (its bot, views and event hub).
        settings: Where to listen.
        heartbeat: Seconds between pings; a peer silent for half of it more is dropped.
    """

    def __init__(
        self,
        runtime: Runtime,
        settings: ControlSettings,
        *,
        heartbeat: float = HEARTBEAT_SECONDS,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.runtime = runtime
        self.settings = settings
        self.tokens = TokenStore(settings.tokens_path)
        self.heartbeat = heartbeat
        self.max_connections = max_connections
        self.refused = 0
        self.tcp_address: tuple[str, int] | None = None
        self._runner: web.AppRunner | None = None
        self._connections: set[Connection] = set()
        self._actions: set[asyncio.Task[None]] = set()
        self._inode: int | None = None
        self._names: dict[int, str] = {}
        self._uid = os.geteuid()
        self._unreported = 0
        self._last_report = float("-inf")

    @property
    def connections(self) -> int:
        return len(self._connections)

    # -- life --------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen; raises ControlSocketError (socket path taken) or ConfigError (TLS)."""
        ssl_context = await self._tls_context() if self.settings.tcp else None
        for uid in {self._uid, 0}:
            self._names[uid] = await asyncio.to_thread(user_name, uid)
        app = web.Application()
        app.router.add_get(protocol.PATH, self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        self._runner = runner
        try:
            path = self.settings.socket_path
            sock, self._inode = await asyncio.to_thread(bind_private, path)
            await web.SockSite(runner, sock).start()
            if self.settings.tcp:
                site = web.TCPSite(
                    runner,
                    self.settings.tcp_host,
                    self.settings.tcp_port,
                    ssl_context=ssl_context,
                )
                await site.start()
                address = next(a for a in runner.addresses if isinstance(a, tuple))
                self.tcp_address = (str(address[0]), int(address[1]))
        except BaseException:
            await self.stop()
            raise
        shown = self.tcp_address and f" and tls://{self.tcp_address[0]}:{self.tcp_address[1]}"
        log.info("control socket at %s%s", path, shown or "")

    async def _tls_context(self) -> ssl.SSLContext:
        cert, key = self.settings.tls_cert, self.settings.tls_key

        def load() -> ssl.SSLContext:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(str(cert), str(key))
            return context

        try:
            return await asyncio.to_thread(load)
        except (OSError, ssl.SSLError) as exc:
            reason = f"cannot load the TLS certificate or key: {exc}"
            raise ConfigError(reason, key=CERT_KEY) from None

    async def stop(self) -> None:
        """Close every connection and stop listening (actions under way finish on their own)."""
        runner, self._runner = self._runner, None
        closing = [
            c.close(WSCloseCode.GOING_AWAY, b"the bot is shutting down") for c in self._connections
        ]
        if closing:
            await asyncio.gather(*closing)
        if runner is not None:
            await runner.cleanup()
        if self._inode is not None:
            await asyncio.to_thread(remove_if_ours, self.settings.socket_path, self._inode)
            self._inode = None

    def keep(self, task: asyncio.Task[None]) -> None:
        """Hold a reference to an action's task until it ends."""
        self._actions.add(task)
        task.add_done_callback(self._actions.discard)

    # -- what connections ask ----------------------------------------------------------
    def hello(self, peer: Peer) -> dict[str, Any]:
        runtime = self.runtime
        bot = runtime.bot
        known = bot is not None and runtime.ready is not None and bot.user is not None
        return {  # BotInfo's fields, as LocalSource gives them, and a little more
            "name": str(bot.user) if known else runtime.bot_dir.name,
            "pid": os.getpid(),
            "started_at": runtime.started_at,
            "bot_dir": str(runtime.bot_dir),
            "on_sandbox": runtime.on_sandbox,
            "via": peer.via,
            "role": peer.role.name.lower(),
            "operator": peer.name,
            "ready": known and not bot.is_closed(),
            "protocol": protocol.PROTOCOL_VERSION,
        }

    def redact(self, text: str) -> str:
        services = self.runtime.services
        handles = getattr(services, "logging", None)
        return str(handles.redactor.redact(text)) if handles is not None else text

    # -- the handshake -------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        transport = request.transport
        raw = transport.get_extra_info("socket") if transport is not None else None
        via = "socket" if raw is not None and raw.family == socket.AF_UNIX else "tcp"
        peer = await self._authenticate(request, raw, via)
        if isinstance(peer, web.Response):
            return peer
        if len(self._connections) >= self.max_connections:
            return web.Response(status=503, text="too many control connections\n")
        ws = web.WebSocketResponse(
            heartbeat=self.heartbeat,
            max_msg_size=protocol.MAX_MSG_SIZE,
            compress=False,
            timeout=2.0,
        )
        if not ws.can_prepare(request).ok:
            return web.Response(status=400, text="this is a Zoryx control socket: use WebSocket\n")
        await ws.prepare(request)
        connection = Connection(self, ws, peer)
        self._connections.add(connection)
        try:
            await connection.serve()
        finally:
            self._connections.discard(connection)
        return ws

    async def _authenticate(self, request: web.Request, raw: Any, via: str) -> Peer | web.Response:
        token = _bearer(request.headers.get("Authorization", ""))
        peer: Peer | None = None
        if via == "socket":
            uid = peer_uid(raw)
            if uid is None or uid not in (self._uid, 0):
                return self._refuse(403, f"a process of uid {uid}")
            peer = Peer(self._names.get(uid, f"uid {uid}"), Role.OWNER, via)
        if token is not None:
            record = await self.tokens.lookup(token)
            if record is None:
                return self._refuse(401, "an unknown or revoked token")
            return Peer(record.name, record.level, via, record)
        if peer is None:
            return self._refuse(401, "a TCP peer without a token")
        return peer

    def _refuse(self, status: int, who: str) -> web.Response:
        self.refused += 1
        self._unreported += 1
        now = time.monotonic()
        if now - self._last_report >= REFUSAL_LOG_SECONDS:
            log.warning(
                "control socket: refused %s (%d refusal(s) since the last report)",
                who,
                self._unreported,
            )
            self._unreported = 0
            self._last_report = now
        text = "not allowed\n" if status == 403 else "a valid control token is required\n"
        return web.Response(status=status, text=text)


def _bearer(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
