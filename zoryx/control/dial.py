"""Reaching a bot's control server: targets and the WebSocket handshake (client side).

A target is a bot directory (its ``data/zoryx.sock``), ``unix:PATH`` or
``tcp://host:port`` (always TLS: the system's CAs, or ``ZORYX_CONTROL_CA``).
Failures become one-line errors: :class:`NoBot` (nothing there), :class:`Unreachable`
(a socket nobody answers on, or one we may not open) and :class:`ControlRefused`.
"""

from __future__ import annotations

import asyncio
import errno
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from . import protocol
from .errors import ControlRefused, NoBot, Unreachable
from .settings import SOCKET_NAME, data_dir_of
from .unixsock import reachable_path

__all__ = ["CA_ENV", "TOKEN_ENV", "Target", "dial", "parse_target"]

CA_ENV = "ZORYX_CONTROL_CA"
TOKEN_ENV = "ZORYX_CONTROL_TOKEN"
_CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Target:
    """Where a bot is: ``kind`` is ``"dir"``, ``"unix"`` or ``"tcp"``."""

    kind: str
    where: str  # the bot directory, the socket path, or host:port
    host: str = ""
    port: int = 0

    def socket_path(self) -> Path:
        """The Unix socket (for a directory, looked up again at every connection)."""
        if self.kind == "unix":
            return Path(self.where)
        bot_dir = Path(self.where)
        if not bot_dir.is_dir():
            raise NoBot(f"no bot directory at {bot_dir}")
        return data_dir_of(bot_dir) / SOCKET_NAME

    def __str__(self) -> str:
        return f"tls://{self.where}" if self.kind == "tcp" else self.where


def parse_target(target: str | os.PathLike[str]) -> Target:
    """``target`` (a bot directory, ``unix:PATH`` or ``tcp://host:port``) as a :class:`Target`.

    Raises:
        ValueError: a ``tcp://`` target without a port.
    """
    text = os.fspath(target)
    if text.startswith("unix:"):
        return Target("unix", str(Path(text.removeprefix("unix:")).expanduser().absolute()))
    if text.startswith("tcp://"):
        host, sep, port = text.removeprefix("tcp://").rstrip("/").rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise ValueError(f"a TCP target is tcp://host:port, got {text!r}")
        host = host.strip("[]")
        return Target("tcp", f"{host}:{port}", host, int(port))
    return Target("dir", str(Path(text).expanduser().resolve()))


def _tls_context(cafile: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile or os.environ.get(CA_ENV) or None)


async def dial(
    target: Target,
    token: str | None,
    *,
    heartbeat: float,
    cafile: str | None = None,
) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    """Open a WebSocket to ``target``'s control server.

    Raises:
        NoBot, Unreachable, ControlRefused: see the module doc.
    """
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    timeout = aiohttp.ClientTimeout(total=None, connect=_CONNECT_TIMEOUT)
    if target.kind == "tcp":
        connector: aiohttp.BaseConnector = aiohttp.TCPConnector(ssl=_tls_context(cafile))
        url = f"https://{target.where}{protocol.PATH}"
        return await _handshake(connector, url, headers, timeout, heartbeat, str(target))
    path = await asyncio.to_thread(_existing_socket, target)
    with reachable_path(path) as where:
        connector = aiohttp.UnixConnector(path=where)
        return await _handshake(
            connector, f"http://zoryx{protocol.PATH}", headers, timeout, heartbeat, str(path)
        )


async def _handshake(
    connector: aiohttp.BaseConnector,
    url: str,
    headers: dict[str, str],
    timeout: aiohttp.ClientTimeout,
    heartbeat: float,
    shown: str,
) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    session = aiohttp.ClientSession(connector=connector, timeout=timeout)
    try:
        ws = await session.ws_connect(
            url,
            headers=headers,
            heartbeat=heartbeat,
            max_msg_size=protocol.MAX_MSG_SIZE,
            compress=0,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=2.0),
        )
    except aiohttp.WSServerHandshakeError as exc:
        await session.close()
        raise ControlRefused(_refusal(exc.status, shown), exc.status) from None
    except aiohttp.ClientConnectorError as exc:
        await session.close()
        if exc.os_error.errno == errno.ENOENT:
            raise NoBot(f"no bot is running there (no control socket at {shown})") from None
        raise Unreachable(_unreachable(exc.os_error, shown)) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        await session.close()
        raise Unreachable(f"cannot reach the bot at {shown}: {exc or type(exc).__name__}") from None
    except BaseException:
        await session.close()
        raise
    return session, ws


def _existing_socket(target: Target) -> Path:
    path = target.socket_path()
    if not os.path.lexists(path):
        raise NoBot(f"no bot is running there (no control socket at {path})")
    return path


def _refusal(status: int, shown: str) -> str:
    if status == 403:
        return f"the bot at {shown} refused this user (only its own user or root may attach)"
    if status == 401:
        return f"the bot at {shown} refused the control token ({TOKEN_ENV}): unknown or revoked"
    if status == 503:
        return f"the bot at {shown} has too many control connections open"
    return f"the bot at {shown} refused the connection (HTTP {status})"


def _unreachable(error: OSError, shown: str) -> str:
    if error.errno == errno.ECONNREFUSED:
        return f"nobody answers on {shown} (the bot is not running; a stale socket?)"
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"cannot open {shown}: permission denied (it belongs to another user)"
    return f"cannot reach the bot at {shown}: {error.strerror or error}"
