"""``python -m zoryx.sandbox``: run the sandbox Discord as a standalone server."""

from __future__ import annotations

import argparse
import logging
import sys

from .standalone import run_standalone
from .worlds import WORLDS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m zoryx.sandbox",
        description="Run the Zoryx sandbox Discord: a local server discord.py can log in to.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (loopback)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port; 0 picks a free one")
    parser.add_argument("--world", default="demo", choices=sorted(WORLDS), help="world to build")
    parser.add_argument("--shards", type=int, default=1, help="recommended shard count")
    parser.add_argument("--strict", action="store_true", help="enforce rate limits (real 429s)")
    parser.add_argument(
        "--simulate",
        type=float,
        default=0.0,
        metavar="RATE",
        help="run the activity simulator at RATE actions per minute (0 = off)",
    )
    parser.add_argument("--guilds", type=int, default=0, help="generate this many guilds")
    parser.add_argument("--members", type=int, default=0, help="members per generated guild")
    parser.add_argument("--channels", type=int, default=3, help="channels per generated guild")
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="log level of the sandbox's own log lines (stderr)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        run_standalone(
            host=args.host,
            port=args.port,
            world=args.world,
            shards=args.shards,
            strict=args.strict,
            simulate=args.simulate,
            guilds=args.guilds,
            members=args.members,
            channels=args.channels,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
