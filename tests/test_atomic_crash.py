"""Crash test: SIGKILL a process mid-write and check no JSON file is ever torn.

A helper process (tests/helpers/atomic_writer_proc.py) rewrites several JSON files of
up to ~200 KB through AtomicStore in a tight loop. We kill it at random moments ~30
times; after every kill each ``*.json`` file must parse and hold a complete record whose
payload matches its SHA-256 checksum.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

REPO = Path(__file__).resolve().parents[1]
HELPER = REPO / "tests" / "helpers" / "atomic_writer_proc.py"
KILLS = 30
TIME_BUDGET_S = 20.0


def checksum(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verify_directory(directory: Path) -> dict[str, dict[str, Any]]:
    """Assert every JSON file in ``directory`` is a complete record; return them by file."""
    records: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        raw = path.read_bytes()
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            pytest.fail(f"{path.name} is torn ({len(raw)} bytes): {exc}")
        assert record["file"] == path.stem, f"{path.name} holds another file's record"
        assert isinstance(record["seq"], int) and record["seq"] >= 1
        assert checksum(record["payload"]) == record["sha256"], f"{path.name}: checksum mismatch"
        records[path.stem] = record
    return records


def start_writer(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen(
        [sys.executable, str(HELPER), str(directory)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().split()
    if len(line) != 2 or line[0] != "ready":
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"writer did not start: {line!r}\n{err.decode(errors='replace')}")
    return proc, line[1]


def test_sigkill_mid_write_never_leaves_a_torn_file(tmp_path: Path) -> None:
    rng = random.Random()
    started = time.monotonic()
    kills = 0
    runs_that_wrote = 0
    kills_mid_write = 0
    temp_files_before = 0

    while kills < KILLS and time.monotonic() - started < TIME_BUDGET_S:
        proc, run = start_writer(tmp_path)
        try:
            time.sleep(rng.uniform(0.020, 0.150))
            assert proc.poll() is None, "writer exited on its own"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=10)
        kills += 1

        records = verify_directory(tmp_path)
        if any(record["run"] == run for record in records.values()):
            runs_that_wrote += 1
        # A killed write leaves its temp file behind: proof we hit the dangerous window.
        temp_files_now = len(list(tmp_path.glob(".*.tmp")))
        if temp_files_now > temp_files_before:
            kills_mid_write += 1
        temp_files_before = temp_files_now

    assert kills >= 20, f"only {kills} kills fit in the time budget"
    assert runs_that_wrote >= kills // 3, f"the writer made progress in {runs_that_wrote} runs"
    assert kills_mid_write >= 1, "no kill landed during a write"
    assert len(verify_directory(tmp_path)) == 5
