"""Crash leftovers (issue 13): temp files and partial backups a kill left behind are
removed at start-up and when backups are pruned; a shutdown backup has a time limit;
a non-ASCII digit folder in data/ does not break orphan cleanup.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from zoryx.operator import CONSOLE_OWNER
from zoryx.runtime import Runtime
from zoryx.storage import sqlite_base as sql

LONG_AGO = 1_000_000_000.0  # 2001: older than any test process


def plant(path: Path, *, mtime: float = LONG_AGO) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"partial")
    os.utime(path, (mtime, mtime))
    return path


async def test_startup_removes_only_our_old_leftovers(bot_dir: Path) -> None:
    data = bot_dir / "data"
    ours = [
        plant(bot_dir / ".config.json.0123456789ab.tmp"),
        plant(data / ".plugin_registry.json.a1b2c3d4e5f6.tmp"),
        plant(data / "backups" / "db" / "main_20240101T000000_000000Z.db.part"),
        plant(data / "123456789012345678" / "guild_backup_20240101T000000Z.db.part"),
    ]
    kept = [
        plant(bot_dir / "notes.tmp"),  # not the store's name pattern
        plant(bot_dir / ".config.json.tmp"),
        plant(data / ".x.json.0123456789AB.tmp"),  # upper-case hex: not ours
        plant(bot_dir / "extensions" / "work.db.partial"),
        plant(data / ".fresh.json.0123456789ab.tmp", mtime=time.time() + 3600),  # not older
    ]
    os.symlink(bot_dir / "notes.tmp", bot_dir / ".link.json.0123456789ab.tmp")

    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="empty")
    await rt.start()
    try:  # checked before shutdown: the shutdown backup prunes its own folder too
        assert [p for p in ours if p.exists()] == []
        assert [p for p in kept if not p.exists()] == []
        assert (bot_dir / ".link.json.0123456789ab.tmp").is_symlink()
    finally:
        await rt.shutdown("test done")


async def test_backup_pruning_removes_partial_copies(runtime: Runtime) -> None:
    folder = runtime.services.db.data_dir / "backups" / "db"
    old_part = plant(folder / "main_20200101T000000_000000Z.db.part")
    paths = await runtime.bot.operator.backup_databases(CONSOLE_OWNER)
    assert paths and all(p.exists() for p in paths)
    assert not old_part.exists()
    assert not list(folder.glob("*.part"))


def _database(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.executemany("INSERT INTO t VALUES (?)", [(b"x" * 4000,) for _ in range(600)])
    conn.commit()
    conn.close()
    return path


def test_backup_out_of_time_is_skipped_and_leaves_no_part(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    source = _database(data / "main.db")
    dest = tmp_path / "copy.db"
    with pytest.raises(sql.BackupTimedOut):
        sql.online_backup(source, dest, deadline=time.monotonic() - 1)
    assert not dest.exists() and not dest.with_name("copy.db.part").exists()
    with caplog.at_level(logging.WARNING):
        made = sql.backup_databases(data, "s", None, 5, deadline=time.monotonic() - 1)
    assert made == []
    assert "backup of main.db skipped" in caplog.text
    assert not list(data.rglob("*.part")) and not list(data.rglob("main_*.db"))
    # without a deadline the same copy completes
    assert sql.online_backup(source, dest).exists()


async def test_shutdown_backup_has_a_time_limit(bot_dir: Path) -> None:
    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="empty")
    await rt.start()
    db = rt.services.db
    calls: list[dict[str, Any]] = []
    real_backup = db.backup

    async def recording_backup(*args: Any, **kwargs: Any) -> list[Path]:
        calls.append(kwargs)
        return await real_backup(*args, **kwargs)

    db.backup = recording_backup  # type: ignore[method-assign]
    await rt.shutdown("test done")
    assert len(calls) == 1 and 0 < calls[0]["time_limit"] <= 30


async def test_non_ascii_digit_folder_does_not_break_orphan_cleanup(runtime: Runtime) -> None:
    data = runtime.services.db.data_dir
    odd = data / "²"
    odd.mkdir()
    (odd / "keep.txt").write_text("not a guild\n", encoding="utf-8")
    assert await runtime.bot.operator.cleanup_orphans(CONSOLE_OWNER) == []
    assert (odd / "keep.txt").exists()
    assert await runtime.services.db.backup()  # the backup walk copes as well
