"""A blocking, deliberately unforgiving WebSocket client for the control socket tests.

It writes whatever frames it is told to (wrong lengths, bad UTF-8, truncated ones),
which no real client library would, and reads the server's frames as they are.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from pathlib import Path
from typing import Any

from zoryx.control.unixsock import connect_blocking

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class Closed(Exception):
    """The server closed the connection (``code`` from its close frame, if any)."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"closed with {code}")
        self.code = code


class RawWS:
    """One connection to a control socket; ``status`` is the handshake's HTTP status."""

    def __init__(
        self, path: Path, headers: dict[str, str] | None = None, timeout: float = 30.0
    ) -> None:
        self.sock = connect_blocking(path, timeout=timeout)
        self.sock.settimeout(timeout)
        self._buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            "GET /control HTTP/1.1",
            "Host: zoryx",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
        ]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._read_until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Closed(None)
        self._buffer += chunk

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            self._fill()
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def _read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def send_frame(
        self, opcode: int, payload: bytes, *, fin: bool = True, declared: int | None = None
    ) -> None:
        """Send one masked frame; ``declared`` lies about the payload's length."""
        length = len(payload) if declared is None else declared
        head = bytes([(0x80 if fin else 0) | opcode])
        if length < 126:
            head += bytes([0x80 | length])
        elif length < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", length)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send_text(self, text: str) -> None:
        self.send_frame(TEXT, text.encode())

    def recv_frame(self) -> tuple[int, bytes]:
        first, second = self._read_exactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read_exactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read_exactly(8))
        return first & 0x0F, self._read_exactly(length)

    def recv_message(self) -> dict[str, Any]:
        """The next JSON message (answering pings); raises :class:`Closed` on a close frame."""
        while True:
            opcode, payload = self.recv_frame()
            if opcode == PING:
                self.send_frame(PONG, payload)
            elif opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed(code)
            elif opcode == TEXT:
                message: dict[str, Any] = json.loads(payload)
                return message

    def request(self, request_id: int, method: str, **params: Any) -> dict[str, Any]:
        self.send_text(json.dumps({"id": request_id, "method": method, "params": params}))
        return self.recv_message()

    def drain(self) -> bytes:
        """Everything the server sends until it closes the connection."""
        out = self._buffer
        self._buffer = b""
        try:
            while chunk := self.sock.recv(65536):
                out += chunk
        except (ConnectionResetError, TimeoutError):
            pass
        return out

    def close(self) -> None:
        self.sock.close()


def raw_connect(path: Path) -> socket.socket:
    return connect_blocking(path, timeout=30.0)
