"""Snapshot-writing process for tests/backup/test_snapshot_kill.py: write until killed.

Usage: ``python backup_snapshot_proc.py BOT_DIR``

Starts a real :class:`~zoryx.runtime.Runtime` on the sandbox Discord (the backup feature
loads as a framework cog: its start-up reconciles every index with its files), prints
``ready <json>`` with what it found on disk before writing anything, then snapshots the
guild three at a time, forever, through the service (so index updates, pruning past
``BACKUP_MAX_PER_GUILD`` and deletions all run concurrently). Each snapshot prints
``w`` before and ``a <guild id> <snapshot id>`` once acknowledged. With ``--once`` it
stops after ``ready``.

The ``ready`` state: ``leftovers`` (files under data/backups that are neither a snapshot,
an index, an audit log nor a schedule: temp files a kill left and the runtime's start-up
cleanup missed), ``missing`` (index entries without a file), ``unindexed`` (snapshot
files without an entry) and ``bad`` (indexed snapshots that do not verify).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from zoryx.runtime import Runtime

ENVIRON = {"BACKUP_COOLDOWN": "0", "BACKUP_MAX_PER_GUILD": "6"}
CONCURRENT = 3
KNOWN = re.compile(r"(index|audit_log|schedule)\.json|\d{8}T\d{6}Z-[0-9a-f]{6}\.json")


def say(*words: object) -> None:
    print(*words, flush=True)


def files_on_disk(root: Path) -> tuple[list[str], dict[str, set[str]]]:
    """Leftover files in guild folders, and the snapshot IDs with a file per guild."""
    leftovers: list[str] = []
    snapshots: dict[str, set[str]] = {}
    for folder in root.glob("[1-9]*"):
        if not folder.name.isdigit():
            continue
        for path in folder.iterdir():
            if not KNOWN.fullmatch(path.name):
                leftovers.append(str(path.relative_to(root)))
            elif "Z-" in path.name:
                snapshots.setdefault(folder.name, set()).add(path.stem)
    return sorted(leftovers), snapshots


async def disk_state(service: Any) -> dict[str, Any]:
    leftovers, snapshots = await asyncio.to_thread(files_on_disk, Path(service.store.root))
    state: dict[str, Any] = {"leftovers": leftovers, "missing": [], "unindexed": [], "bad": []}
    for guild_id in await service.store.guild_ids():
        indexed = {info.id for info in await service.store.entries(guild_id)}
        files = snapshots.get(str(guild_id), set())
        state["missing"] += sorted(indexed - files)
        state["unindexed"] += sorted(files - indexed)
        for snapshot_id in sorted(indexed & files):
            result = await service.verify(guild_id, snapshot_id)
            if not result.ok:
                state["bad"].append(f"{snapshot_id}: {result.reason}")
    return state


async def snapshot_forever(service: Any, guild: Any) -> None:
    while True:
        say("w")
        info = await service.create(guild, by="kill test", label="x" * 40)
        say("a", guild.id, info.id)


async def main(bot_dir: Path, once: bool) -> None:
    say("start")
    rt = Runtime(bot_dir, console_logging=False, environ=dict(ENVIRON), sandbox_world="empty")
    await rt.start()
    try:
        service = rt.services.extra["backups"]
        say("ready", json.dumps(await disk_state(service)))
        if once:
            return
        guild = rt.bot.guilds[0]
        await asyncio.gather(*(snapshot_forever(service, guild) for _ in range(CONCURRENT)))
    finally:
        await rt.shutdown("done")
        say("closed")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), "--once" in sys.argv[2:]))
