"""The zoryx command line, run as a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import zoryx

ZORYX = [sys.executable, "-m", "zoryx"]


def run(
    *args: str, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ZORYX, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"zoryx {zoryx.__version__}"


def test_init_creates_everything_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "mybot"
    first = run("init", str(target))
    assert first.returncode == 0, first.stderr
    for name in (
        "config.json",
        ".env.example",
        ".env",
        "data",
        "botlogs",
        "extensions",
        "extensions/greetings.py",
        "extensions/notes.py",
        "extensions/welcome.py",
    ):
        assert (target / name).exists(), name
    assert (target / ".env").read_text() == (target / ".env.example").read_text()
    (target / "config.json").write_text(json.dumps({"prefix": "?"}))
    (target / "extensions" / "notes.py").write_text("# mine\n")
    second = run("init", str(target))
    assert second.returncode == 0 and "kept     config.json" in second.stdout
    assert json.loads((target / "config.json").read_text()) == {"prefix": "?"}
    assert (target / "extensions" / "notes.py").read_text() == "# mine\n"


def test_doctor_passes_on_a_fresh_dir_and_fails_on_a_bad_config(tmp_path: Path) -> None:
    run("init", str(tmp_path))
    ok = run("doctor", "--dir", str(tmp_path))
    assert ok.returncode == 0, ok.stdout
    assert "sandbox" in ok.stdout and "All checks passed" in ok.stdout
    (tmp_path / "config.json").write_text('{"prefix": 5}')
    bad = run("doctor", "--dir", str(tmp_path))
    assert bad.returncode == 1 and "prefix" in bad.stdout


def _start(tmp_path: Path) -> subprocess.Popen[str]:
    run("init", str(tmp_path))
    proc = subprocess.Popen(
        [*ZORYX, "run", "--headless", "--dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("Zoryx ready"):
            assert "SANDBOX" in line and "3 guild" in line
            return proc
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"no ready line; stderr: {proc.stderr.read() if proc.stderr else ''}")


def test_run_headless_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    log = (tmp_path / "botlogs" / "current_run.log").read_text()
    assert "shutting down (SIGTERM)" in log and "backed up" in log
    assert "garbage collector tuned" in log  # the CLI face tunes the collector once ready
    assert list((tmp_path / "data").rglob("main_*.db"))


def test_second_signal_forces_exit(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(30) in (0, 1)
    assert proc.stderr is not None and "shutting down gracefully" in proc.stderr.read()


def test_corrupt_config_exits_with_a_clear_reason(tmp_path: Path) -> None:
    run("init", str(tmp_path))
    (tmp_path / "config.json").write_text("{nope")
    result = run("run", "--headless", "--dir", str(tmp_path))
    assert result.returncode == 2
    assert "Configuration error" in result.stderr and "config.json" in result.stderr
    assert (tmp_path / "config.json").read_text() == "{nope"
