"""SVG snapshots of the Hooks, Files, Guilds, Shards and Sandbox panes at 80×24 and 120×40.

Same rules as ``test_snapshots.py``: the deterministic demo world, and ``frozen_clock=True``
so latencies, hook timings, join dates and times render as placeholders. Each pane is shown
with representative content (hooks registered, a file open, a conversation). Update them
with ``pytest tests/tui/test_snapshots_more.py --snapshot-update``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tui.app import ZoryxConsole

from .conftest import SANDBOX, show, wait_for

PANES = ("hooks", "files", "guilds", "shards", "sandbox")
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


async def audit_commands(bot: Any, **event: Any) -> None:
    """A hook that works."""


async def flaky_hook(bot: Any, **event: Any) -> None:
    raise RuntimeError("boom")


async def with_hooks(pilot: Any) -> None:
    bot = pilot.app.runtime.bot
    await bot.load_extension("cogs.event_hooks")
    service = pilot.app.runtime.services.extra["hooks"]
    bot.register_hook("command_executed", audit_commands, priority=10)
    bot.register_hook("guild_joined", flaky_hook)
    await bot.emit_hook("command_executed", command="hello", user_id=1, guild_id=None)
    for _ in range(2):
        await bot.emit_hook("guild_joined", guild_id=1)
    await service.drain()


async def prepare(pilot: Any, pane_id: str) -> None:
    app = pilot.app
    await asyncio.wait_for(app.ready_event.wait(), 30)
    if pane_id == "hooks":
        await with_hooks(pilot)
    pane = await show(pilot, pane_id)
    if pane_id == "files":
        await pane.file_tree.reveal("extensions/greetings.py")
        await pane.open_file("extensions/greetings.py")
        pane.file_tree.focus()  # no blinking cursor in the picture
    elif pane_id == "sandbox":
        await wait_for(pilot, lambda: pane._value("channel") is not None, what="the form")
        await pane.send("!hello")
    await pane.refresh_data()
    await pilot.pause()


def _console(bot_dir: Path) -> ZoryxConsole:
    return ZoryxConsole(bot_dir, environ={}, frozen_clock=True, **SANDBOX)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("pane_id", PANES)
def test_pane_snapshot(
    snap_compare: Any, bot_dir: Path, pane_id: str, size: tuple[int, int]
) -> None:
    app = _console(bot_dir)

    async def run_before(pilot: Any) -> None:
        await prepare(pilot, pane_id)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
    assert app.runtime.bot.is_closed(), "the console shuts down the runtime it owns"


def test_hooks_off_snapshot(snap_compare: Any, bot_dir: Path) -> None:
    """Without the hook feature the pane explains how to turn it on."""
    app = _console(bot_dir)

    async def prepare_off(pilot: Any) -> None:
        await asyncio.wait_for(pilot.app.ready_event.wait(), 30)
        await show(pilot, "hooks")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=prepare_off)
