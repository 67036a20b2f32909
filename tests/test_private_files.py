"""Files that can hold error texts are readable by the bot's user only (mode 0600):
``data/`` JSON files, the SQLite databases with their -wal/-shm files, backups and logs."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from zoryx.config import LoggingConfig
from zoryx.logs import setup_logging
from zoryx.storage.atomic import AtomicStore
from zoryx.storage.databases import Databases

PRIVATE = 0o600


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """A umask that lets others read new files (as most systems have), so 0600 is our doing."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


async def test_store_writes_under_private_dirs_with_mode_0600(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = AtomicStore(private_dirs=[data])
    await store.write_json(data / "plugin_registry.json", {"error": "x"})
    assert mode(data / "plugin_registry.json") == PRIVATE
    loose = data / "sub" / "old.json"
    loose.parent.mkdir()
    loose.write_text("{}")
    loose.chmod(0o644)
    await store.write_json(loose, {"a": 1})  # an existing readable file is tightened
    assert mode(loose) == PRIVATE
    outside = tmp_path / "extensions" / "mine.py"
    await store.write_text(outside, "x = 1\n")  # elsewhere: like open(..., "w")
    assert mode(outside) == 0o644


async def test_databases_wal_files_and_backups_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    old = data / "diagnostics.json"  # written by an older version: world-readable
    old.write_text("{}")
    old.chmod(0o644)
    db = Databases(data, pool_size=2, flush_interval=3600)
    await db.open()
    try:
        await db.set_prefix(42, "?")  # creates data/42/guild.db
        await db.set_global_stat("k", "v")
        backups = await db.backup()
        files = [
            data / "main.db",
            data / "main.db-wal",
            data / "main.db-shm",
            data / "42" / "guild.db",
            data / "42" / "guild.db-wal",
            *backups,
        ]
        assert len(backups) == 2
        for path in files:
            assert mode(path) == PRIVATE, path
        assert mode(old) == PRIVATE
    finally:
        await db.close()


def test_log_files_are_private_and_old_ones_tightened(tmp_path: Path) -> None:
    logs = tmp_path / "botlogs"
    logs.mkdir()
    rotated = logs / "permanent.log.1"
    rotated.write_text("old\n")
    rotated.chmod(0o644)
    handles = setup_logging(tmp_path, LoggingConfig(max_bytes=2000), [], console=False)
    try:
        log = logging.getLogger("zoryx.test")
        for number in range(60):  # more than max_bytes: the permanent log rotates
            log.warning("line %d %s", number, "x" * 60)
        handles.flush()
    finally:
        handles.teardown()
    names = {p.name for p in logs.iterdir()}
    assert {"permanent.log", "permanent.log.1", "permanent.log.2", "current_run.log"} <= names
    for path in logs.iterdir():
        assert mode(path) == PRIVATE, path
    assert "readable by their owner only" in handles.current_run_path.read_text()
