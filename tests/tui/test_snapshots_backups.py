"""SVG snapshots of the Backups pane at 80×24 and 120×40, and of its restore dialog.

Same rules as ``test_snapshots.py``: the deterministic demo world and ``frozen_clock=True``,
so creation times, snapshot IDs, the cooldown and the next scheduled run render as
placeholders. The pane shows two backups of the first guild (one labelled, pinned and
annotated) and the result of verifying it. Update them with
``pytest tests/tui/test_snapshots_backups.py --snapshot-update``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tui.app import ZoryxConsole

from .conftest import SANDBOX, make_bot_dir, show, wait_for_text
from .test_backups_pane import BACKUP_CONFIG, GUILD

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.fixture
def bot_dir(tmp_path: Path) -> Path:
    return make_bot_dir(tmp_path / "bot", BACKUP_CONFIG)


def _console(bot_dir: Path) -> ZoryxConsole:
    return ZoryxConsole(bot_dir, environ={}, frozen_clock=True, **SANDBOX)  # type: ignore[arg-type]


async def with_backups(pilot: Any) -> Any:
    """Two backups of the first guild, the older one pinned with a note; the pane shown."""
    app = pilot.app
    await asyncio.wait_for(app.ready_event.wait(), 30)
    service = app.runtime.services.extra["backups"]
    guild = next(g for g in app.runtime.bot.guilds if g.name == GUILD)
    kept = await service.create(guild, by="console", label="before the raid")
    await service.create(guild, by="console", label="nightly", bypass_cooldown=True)
    await service.set_pinned(guild.id, kept.id, True, by="console")
    await service.set_note(guild.id, kept.id, "known good", by="console")
    pane = await show(pilot, "backups")
    await wait_for_text(pilot, f"{GUILD}: 2 backups")
    pane.table.focus()
    pane.table.move_cursor(row=pane.table.get_row_index(kept.id), animate=False)
    await pilot.pause()
    return pane


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_backups_pane_snapshot(snap_compare: Any, bot_dir: Path, size: tuple[int, int]) -> None:
    app = _console(bot_dir)

    async def run_before(pilot: Any) -> None:
        await with_backups(pilot)
        await pilot.press("v")
        await wait_for_text(pilot, "checksum matches")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
    assert app.runtime.bot.is_closed(), "the console shuts down the runtime it owns"


def test_restore_dialog_snapshot(snap_compare: Any, bot_dir: Path) -> None:
    """The restore dialog fits 80×24: every component and switch, ticked in words."""
    app = _console(bot_dir)

    async def run_before(pilot: Any) -> None:
        await with_backups(pilot)
        await pilot.press("r")
        await wait_for_text(pilot, "[x] roles")
        await pilot.press("tab", "down", "down", "space")  # dry run
        await wait_for_text(pilot, "[x] dry run")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
