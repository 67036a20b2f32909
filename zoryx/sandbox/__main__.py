"""``python -m zoryx.sandbox`` (and ``zoryx sandbox``): run the sandbox Discord standalone.

Both commands use :func:`main` with the one parser below, so they accept the same options
and fail the same way: a one-line reason on stderr and an exit code (2 for a bad option,
1 when the server cannot run, e.g. its port is taken), never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import NoReturn

from .simulator import ActivitySimulator
from .standalone import run_standalone
from .worlds import WORLDS

log = logging.getLogger("zoryx.sandbox")


class _OneLineParser(argparse.ArgumentParser):
    """Reports a bad option in one line (argparse prints the whole usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _ranged(
    kind: type[int] | type[float], name: str, lo: float, hi: float | None = None
) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            bound = f"between {lo:g} and {hi:g}" if hi is not None else f"{lo:g} or more"
            raise argparse.ArgumentTypeError(f"{name} must be {bound}")
        return value

    return parse


def build_parser(prog: str = "python -m zoryx.sandbox") -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog=prog,
        description="Run the Zoryx sandbox Discord: a local server discord.py can log in to.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (loopback)")
    parser.add_argument(
        "--port",
        type=_ranged(int, "port", 0, 65535),
        default=8765,
        help="TCP port; 0 picks a free one",
    )
    parser.add_argument("--world", default="demo", choices=sorted(WORLDS), help="world to build")
    parser.add_argument(
        "--shards", type=_ranged(int, "shards", 1), default=1, help="recommended shard count"
    )
    parser.add_argument(
        "--max-concurrency",
        type=_ranged(int, "max-concurrency", 1),
        default=1,
        metavar="K",
        help="identifies allowed at once (bucket shard_id %% K, one per 5 s each)",
    )
    parser.add_argument("--strict", action="store_true", help="enforce rate limits (real 429s)")
    parser.add_argument(
        "--simulate",
        type=_ranged(float, "simulate", 0, ActivitySimulator.MAX_RATE),
        default=0.0,
        metavar="RATE",
        help="run the activity simulator at RATE actions per minute (0 = off)",
    )
    parser.add_argument(
        "--guilds", type=_ranged(int, "guilds", 0), default=0, help="generate this many guilds"
    )
    parser.add_argument(
        "--members", type=_ranged(int, "members", 0), default=0, help="members per generated guild"
    )
    parser.add_argument(
        "--channels",
        type=_ranged(int, "channels", 1),
        default=3,
        help="channels per generated guild",
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="log level of the sandbox's own log lines (stderr)",
    )
    return parser


def main(argv: list[str] | None = None, prog: str = "python -m zoryx.sandbox") -> int:
    """Parse ``argv``, serve until SIGINT/SIGTERM; returns the exit code."""
    try:
        args = build_parser(prog).parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad option (2), already reported
        return exc.code if isinstance(exc.code, int) else 2
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        run_standalone(
            host=args.host,
            port=args.port,
            world=args.world,
            shards=args.shards,
            max_concurrency=args.max_concurrency,
            strict=args.strict,
            simulate=args.simulate,
            guilds=args.guilds,
            members=args.members,
            channels=args.channels,
        )
    except ValueError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{prog}: error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # one line for the user; the traceback at --log-level debug
        log.debug("the sandbox failed", exc_info=True)
        print(f"{prog}: error: the sandbox failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
