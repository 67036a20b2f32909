"""Log files: redaction, rotation, per-run truncation, age cleanup, handler lifecycle."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from logging.handlers import QueueHandler
from pathlib import Path

import pytest

from zoryx.config import LoggingConfig
from zoryx.logs import REDACTED, LoggingHandles, RedactingFilter, setup_logging

# Built in pieces so no token-shaped literal sits in the repository.
FAKE_TOKEN = "Q" + "x" * 25 + ".GaBcDe." + "y" * 30
SHAPED_TOKEN = "R" + "a" * 23 + ".Hq1-_z." + "b" * 27  # not in the secrets list
FAKE_GEMINI = "AIza" + "k" * 35
IPC_SECRET = "my-private-ipc-secret"


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[list[LoggingHandles]]:
    created: list[LoggingHandles] = []
    yield created
    for handles in created:
        handles.teardown()


def start(
    tmp_path: Path,
    created: list[LoggingHandles],
    config: LoggingConfig | None = None,
    secrets: list[str] | None = None,
) -> LoggingHandles:
    handles = setup_logging(
        tmp_path, config or LoggingConfig(), secrets or [FAKE_TOKEN, IPC_SECRET], console=False
    )
    created.append(handles)
    return handles


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_secrets_redacted_from_message_args_and_traceback(
    tmp_path: Path, setup: list[LoggingHandles]
) -> None:
    handles = start(tmp_path, setup)
    extra = ListHandler()
    extra.setFormatter(logging.Formatter("%(message)s"))
    handles.add_handler(extra)
    log = logging.getLogger("discord.gateway")
    log.warning(f"identify with {FAKE_TOKEN}")
    log.warning("ipc secret is %s, shaped %s", IPC_SECRET, SHAPED_TOKEN)
    log.warning("mapping args %(key)s", {"key": FAKE_GEMINI})
    try:
        raise RuntimeError(f"login failed for {FAKE_TOKEN}")
    except RuntimeError:
        log.exception("gateway crashed")
    handles.teardown()

    outputs = {
        "permanent": read(handles.permanent_path),
        "current": read(handles.current_run_path),
        "extra": "\n".join(extra.lines),
    }
    for name, text in outputs.items():
        for secret in (FAKE_TOKEN, SHAPED_TOKEN, FAKE_GEMINI, IPC_SECRET):
            assert secret not in text, f"{secret!r} leaked into {name}"
        assert text.count(REDACTED) >= 5, name
        assert "Traceback (most recent call last)" in text, name
        assert "RuntimeError: login failed for [REDACTED]" in text, name
        assert "identify with [REDACTED]" in text, name


def test_redactor_keeps_ordinary_text() -> None:
    redactor = RedactingFilter(["abc", "longer-secret"])  # "abc" is too short to redact
    text = "loaded extensions.music.cog in 0.2s abc; key longer-secret"
    assert redactor.redact(text) == "loaded extensions.music.cog in 0.2s abc; key [REDACTED]"


def test_rotation_uses_configured_size_and_count(
    tmp_path: Path, setup: list[LoggingHandles]
) -> None:
    config = LoggingConfig(level="INFO", max_bytes=2048, backup_count=2)
    handles = start(tmp_path, setup, config)
    log = logging.getLogger("zoryx.test.rotation")
    for i in range(200):
        log.info("line %04d %s", i, "x" * 60)
    handles.teardown()
    names = sorted(p.name for p in handles.log_dir.iterdir())
    assert names == ["current_run.log", "permanent.log", "permanent.log.1", "permanent.log.2"]
    for name in ("permanent.log", "permanent.log.1", "permanent.log.2"):
        assert 0 < (handles.log_dir / name).stat().st_size <= 2048
    assert "line 0199" in read(handles.permanent_path)
    current = read(handles.current_run_path)
    assert "line 0000" in current and "line 0199" in current  # never rotated


def test_current_run_truncated_permanent_kept(tmp_path: Path, setup: list[LoggingHandles]) -> None:
    first = start(tmp_path, setup)
    logging.getLogger("zoryx.test").warning("first run marker")
    first.teardown()
    second = start(tmp_path, setup)
    logging.getLogger("zoryx.test").warning("second run marker")
    second.teardown()
    current = read(second.current_run_path)
    assert "second run marker" in current and "first run marker" not in current
    permanent = read(second.permanent_path)
    assert "first run marker" in permanent and "second run marker" in permanent


def test_old_files_deleted_by_age(tmp_path: Path, setup: list[LoggingHandles]) -> None:
    log_dir = tmp_path / "botlogs"
    log_dir.mkdir()
    day = 86_400
    ages = {"old.log": 31, "permanent.log.4": 45, "recent.log": 29, ".gitkeep": 100}
    for name, days in ages.items():
        path = log_dir / name
        path.write_text("x", encoding="utf-8")
        stamp = time.time() - days * day
        os.utime(path, (stamp, stamp))
    handles = start(tmp_path, setup)
    remaining = {p.name for p in log_dir.iterdir()}
    assert "old.log" not in remaining and "permanent.log.4" not in remaining
    assert {"recent.log", ".gitkeep"} <= remaining
    assert sorted(p.name for p in handles.removed_files) == ["old.log", "permanent.log.4"]


def test_level_comes_from_config(tmp_path: Path, setup: list[LoggingHandles]) -> None:
    handles = start(tmp_path, setup, LoggingConfig(level="WARNING"))
    log = logging.getLogger("zoryx.test.level")
    log.info("quiet info")
    log.warning("loud warning")
    handles.flush()
    text = read(handles.current_run_path)
    assert "loud warning" in text and "quiet info" not in text
    handles.set_level("DEBUG")
    log.debug("now visible")
    handles.flush()
    assert "now visible" in read(handles.current_run_path)


def test_setup_twice_and_teardown_leave_no_handlers(
    tmp_path: Path, setup: list[LoggingHandles]
) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    start(tmp_path, setup)
    handles = start(tmp_path, setup)  # tears the first one down
    ours = [h for h in root.handlers if h not in before]
    assert len(ours) == 1 and isinstance(ours[0], QueueHandler)  # files are off-thread
    extra = ListHandler()
    handles.add_handler(extra)
    handles.teardown()
    handles.teardown()  # idempotent
    assert root.handlers == before
    assert root.level == level
    logging.getLogger("zoryx.test").error("after teardown")
    assert extra.lines == []
