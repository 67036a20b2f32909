"""An attached console in its own process, with the bytes on its control socket counted.

Connects a real ``ZoryxConsole(source=RemoteSource(...))`` (what ``zoryx tui --attach``
runs) to a bot's control socket, under Textual's headless driver at 120x40 with the
Overview pane (the default) showing. The connection goes through a byte-counting relay
in this process: a private Unix socket whose every connection is piped to the bot's
socket, so the counts are the bytes on the wire in each direction (WebSocket framing,
heartbeats and the HTTP upgrade included) and nothing is hooked inside the client.

Protocol on stdin/stdout (one JSON line per answer):
- once the console has shown its panes and settled: ``{"ready": true, "pid": …}``;
- ``bytes``: ``{"to_console": n, "to_bot": n}`` (totals so far);
- ``stop`` or end of file: the console quits and the process exits 0.

Usage: python benchmarks/_console_process.py --socket PATH [--settle 2.0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO


class ByteRelay:
    """A Unix socket that relays every connection to ``target``, counting bytes."""

    def __init__(self, target: Path, path: Path) -> None:
        self.target, self.path = target, path
        self.counts = {"to_console": 0, "to_bot": 0}
        self._server: asyncio.AbstractServer | None = None
        self._relays: set[asyncio.Task[object]] = set()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, key: str
    ) -> None:
        try:
            while data := await reader.read(65536):
                self.counts[key] += len(data)
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._relays.add(task)
        bot_reader, bot_writer = await asyncio.open_unix_connection(str(self.target))
        await asyncio.gather(
            self._pipe(reader, bot_writer, "to_bot"),
            self._pipe(bot_reader, writer, "to_console"),
            return_exceptions=True,
        )

    async def __aenter__(self) -> ByteRelay:
        self._server = await asyncio.start_unix_server(self._relay, str(self.path))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._relays:
            task.cancel()
        await asyncio.gather(*self._relays, return_exceptions=True)


async def serve_commands(relay: ByteRelay, out: TextIO) -> None:
    """Answer ``bytes`` lines on stdin; return on ``stop`` or end of file."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    try:
        while line := (await reader.readline()).strip():
            if line == b"stop":
                return
            if line == b"bytes":
                out.write(json.dumps(relay.counts) + "\n")
                out.flush()
    finally:
        transport.close()


async def run(socket_path: Path, settle: float, out: TextIO) -> None:
    from tui.app import ZoryxConsole
    from zoryx.control.client import RemoteSource

    with tempfile.TemporaryDirectory(prefix="zoryx-relay-") as tmp:
        async with ByteRelay(socket_path, Path(tmp) / "relay.sock") as relay:
            source = await RemoteSource.open(f"unix:{relay.path}", reconnect=False)
            try:
                app = ZoryxConsole(source=source)
                async with app.run_test(size=(120, 40)) as pilot:
                    await pilot.pause(settle)
                    out.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
                    out.flush()
                    await serve_commands(relay, out)
                    with contextlib.suppress(Exception):
                        app.exit(0)
            finally:
                await source.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--socket", type=Path, required=True, help="the bot's control socket")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before ready")
    args = parser.parse_args()
    # Keep the real stdout for the protocol only; fd 1 (and sys.stdout) now go to stderr.
    out = os.fdopen(os.dup(1), "w")
    sys.stdout.flush()
    os.dup2(2, 1)
    asyncio.run(run(args.socket, args.settle, out))
    out.close()


if __name__ == "__main__":
    main()
