"""One benchmark bot in its own process, connected to a running sandbox.

Builds the bot as ``running_bare`` / ``running_zoryx`` do, prints one JSON line
``{"ready": true, "pid", "kind"}`` on stdout once it is ready, and runs until stdin says
``stop`` or is closed; then it shuts the bot down and exits 0. Nothing else goes to stdout
(anything printed is sent to stderr).

Usage: python benchmarks/_bot_process.py --kind bare|zoryx [--no-framework] --url URL --token T
``ZORYX_BENCH_NO_FRAMEWORK=1`` has the same effect as ``--no-framework``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from _harness import running_bare, running_zoryx


@dataclass(frozen=True)
class Endpoint:
    url: str
    token: str


async def wait_for_stop() -> None:
    """Return once stdin has a ``stop`` line or reaches end of file."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    try:
        while True:
            line = await reader.readline()
            if not line or line.strip() == b"stop":
                return
    finally:
        transport.close()


async def run(kind: str, endpoint: Endpoint, ready_out: TextIO) -> None:
    runner = running_bare if kind == "bare" else running_zoryx
    bot: contextlib.AbstractAsyncContextManager[Any] = runner(endpoint)
    async with bot:
        ready_out.write(json.dumps({"ready": True, "pid": os.getpid(), "kind": kind}) + "\n")
        ready_out.flush()
        await wait_for_stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=("bare", "zoryx"), required=True)
    parser.add_argument(
        "--no-framework", action="store_true", help="Zoryx without the framework cogs"
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    if args.no_framework:
        if args.kind != "zoryx":
            parser.error("--no-framework applies to --kind zoryx only")
        os.environ["ZORYX_BENCH_NO_FRAMEWORK"] = "1"  # read by running_zoryx
    # Keep the real stdout for the ready line only; fd 1 (and sys.stdout) now go to stderr.
    ready_out = os.fdopen(os.dup(1), "w")
    sys.stdout.flush()
    os.dup2(2, 1)
    asyncio.run(run(args.kind, Endpoint(args.url, args.token), ready_out))
    ready_out.close()


if __name__ == "__main__":
    main()
