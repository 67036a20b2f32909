"""``zoryx sandbox`` and ``python -m zoryx.sandbox``: one option set, one-line errors."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest

ENTRY_POINTS = {
    "zoryx sandbox": [sys.executable, "-m", "zoryx", "sandbox"],
    "python -m zoryx.sandbox": [sys.executable, "-m", "zoryx.sandbox"],
}


def run(prog: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ENTRY_POINTS[prog], *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _options(help_text: str) -> list[str]:
    return sorted(set(re.findall(r"--[a-z][a-z-]+", help_text)))


def test_both_commands_accept_the_same_options() -> None:
    helps = {prog: run(prog, "--help") for prog in ENTRY_POINTS}
    assert all(r.returncode == 0 for r in helps.values()), helps
    options = {prog: _options(r.stdout) for prog, r in helps.items()}
    assert options["zoryx sandbox"] == options["python -m zoryx.sandbox"]
    assert {"--world", "--port", "--simulate", "--log-level"} <= set(options["zoryx sandbox"])


@pytest.mark.parametrize("prog", list(ENTRY_POINTS))
def test_errors_are_one_line_and_an_exit_code(prog: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        cases = [
            (("--world", "atlantis"), 2, "invalid choice: 'atlantis'"),
            (("--bogus",), 2, "unrecognized arguments: --bogus"),
            (("--port", "70000"), 2, "port must be between 0 and 65535"),
            (("--shards", "0"), 2, "shards must be 1 or more"),
            (("--world", "empty", "--port", port), 1, "address already in use"),
        ]
        for args, code, reason in cases:
            result = run(prog, *args)
            lines = result.stderr.splitlines()
            assert result.returncode == code, (args, result.stderr)
            assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), result.stderr
            assert reason in lines[0]
            assert result.stdout == ""
