"""Fixtures for the backup tests: a fake clock, a runtime on the sandbox Discord and a
:class:`~cogs.backup_restore.service.BackupService` driven by that clock.

The harness turns the framework cog off and builds its own service (injected clock, short
scheduler tick), registered as ``bot.services.extra["backups"]`` like the cog's setup
does, so the operator API finds it. ``tests/backup/test_service.py`` also checks the real
set-up path once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import pytest

from cogs.backup_restore import service_restore
from cogs.backup_restore.service import BackupService
from zoryx.runtime import Runtime

START = 1_800_000_000.0  # 2027-01-15, UTC


class FakeClock:
    """Wall-clock time that moves only when a test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def wait_until(
    probe: Callable[[], bool | Awaitable[bool]], *, timeout: float = 30.0, what: str = ""
) -> None:
    """Poll ``probe`` until it is true (a condition, not a timing assumption)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = probe()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or probe}")
        await asyncio.sleep(0.01)


@dataclass
class Harness:
    runtime: Runtime
    service: BackupService
    clock: FakeClock
    services: list[BackupService] = field(default_factory=list)

    @property
    def bot(self) -> Any:
        return self.runtime.bot

    @property
    def root(self) -> Path:
        return Path(self.bot.services.data_dir) / "backups"

    def guild(self, name: str = "Zoryx Lounge") -> discord.Guild:
        found = discord.utils.get(self.bot.guilds, name=name)
        assert found is not None, f"no guild {name!r}"
        return found

    def snapshot_file(self, guild_id: int, snapshot_id: str) -> Path:
        return self.root / str(guild_id) / f"{snapshot_id}.json"

    def index_ids(self, guild_id: int) -> list[str]:
        raw = json.loads((self.root / str(guild_id) / "index.json").read_text("utf-8"))
        return [entry["id"] for entry in raw["snapshots"]]

    async def restart_service(self, **options: Any) -> BackupService:
        """Stop the service and start a new one on the same files (a bot restart)."""
        await self.service.stop()
        options.setdefault("clock", self.clock)
        options.setdefault("tick", 0.01)
        self.service = BackupService(self.bot, **options)
        self.services.append(self.service)
        self.bot.services.extra["backups"] = self.service
        await self.service.start()
        return self.service


def write_bot_dir(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps({"auto_reload": False}), encoding="utf-8")
    return root


@pytest.fixture
def restore_gate(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Restores wait for this event before the real restore runs (a job that is surely
    still running while a test acts)."""
    gate = asyncio.Event()
    real = service_restore.restore_snapshot

    async def gated(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(service_restore, "restore_snapshot", gated)
    return gate


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def backup_env() -> dict[str, str]:
    """``.env`` values of the harness; a test may change them before using ``harness``."""
    return {"ENABLE_BACKUP_RESTORE": "false", "BACKUP_COOLDOWN": "300"}


@pytest.fixture
async def harness(
    tmp_path: Path, clock: FakeClock, backup_env: dict[str, str]
) -> AsyncIterator[Harness]:
    rt = Runtime(
        write_bot_dir(tmp_path / "bot"),
        console_logging=False,
        environ=dict(backup_env),
        sandbox_world="demo",
    )
    await rt.start()
    service = BackupService(rt.bot, clock=clock, tick=0.01)
    rt.bot.services.extra["backups"] = service
    h = Harness(rt, service, clock, [service])
    try:
        await service.start()
        yield h
    finally:
        for started in h.services:
            await started.stop()
        await rt.shutdown("test done")
