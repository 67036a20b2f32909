"""Cost of redacting secrets from an error text: 4 kB of traceback-like text, 10 secrets.

Usage::

    python benchmarks/bench_redaction.py [--repeat 7] [--number 500] [--json PATH]

Cases: a text without any secret (the usual case), and one holding a key cut by a
truncated URL, a key wrapped over two lines and a token part. The secrets are random
at every run (a bot token, a Google-style key and 8 others of 16 to 48 characters).
Prints the best of ``--repeat`` rounds of ``--number`` calls, in microseconds per call;
``--json PATH`` also writes them as JSON (``-`` for stdout).
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import string
import timeit
import traceback
from pathlib import Path

from zoryx.redaction import Redactor

_ALPHABET = string.ascii_letters + string.digits + "_-"
TEXT_BYTES = 4096


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def make_secrets() -> tuple[str, str, list[str]]:
    """A bot token, a Google-style key, and all 10 secrets."""
    bot_id = str(10**17 + secrets.randbelow(9 * 10**17))
    token = f"{base64.b64encode(bot_id.encode()).decode().rstrip('=')}.{_random(6)}.{_random(38)}"
    key = "AIza" + _random(35)
    others = [_random(16 + secrets.randbelow(33)) for _ in range(8)]
    return token, key, [token, key, *others]


def traceback_text(size: int = TEXT_BYTES) -> str:
    """Realistic filler: formatted tracebacks of a nested failure, cut to ``size``."""

    def inner(depth: int) -> None:
        if depth == 0:
            raise RuntimeError("request to https://example.invalid/v1/models failed: 400")
        inner(depth - 1)

    chunks: list[str] = []
    while sum(map(len, chunks)) < size:
        try:
            inner(8)
        except RuntimeError as exc:
            chunks.append("".join(traceback.format_exception(exc)))
    return "".join(chunks)[:size]


def run(repeat: int, number: int) -> dict[str, float]:
    token, key, values = make_secrets()
    redactor = Redactor(values)
    clean = traceback_text()
    half = len(clean) // 2
    leaky = (
        clean[: half - 200]
        + f"?key={key[:20]}"
        + f"\n{key[:9]}\n    {key[9:]} "
        + token.split(".")[2]
        + clean[half - 120 :]
    )[:TEXT_BYTES]
    assert key[:20] not in redactor.redact(leaky)
    results: dict[str, float] = {}
    for name, text in (("4 kB, no secret", clean), ("4 kB, three leaks", leaky)):
        best = min(timeit.repeat(lambda t=text: redactor.redact(t), number=number, repeat=repeat))
        results[name] = best / number * 1e6
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=500)
    parser.add_argument("--json", help="also write the results as JSON (- for stdout)")
    args = parser.parse_args(argv)
    results = run(args.repeat, args.number)
    for name, micros in results.items():
        print(f"{name:20} {micros:8.1f} µs per redact() (10 secrets)")
    if args.json:
        text = json.dumps({"us_per_call": results, "secrets": 10, "bytes": TEXT_BYTES}, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
