"""Fixtures for the console tests: a bot directory and a console on the sandbox Discord.

Every console runs a real :class:`~zoryx.runtime.Runtime` on a deterministic demo world
(reproducible ids), so panes show the same guilds, users and commands every run.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tui.app import ZoryxConsole
from zoryx.runtime import Runtime

#: Hot reload off (the tests reload on purpose) and no optional framework cogs, so the
#: screens do not change whenever a new framework feature lands. Every error is answered
#: (the reply throttle is tested in tests/core/test_refusals.py).
CONFIG = {
    "auto_reload": False,
    "framework": {"load_cogs": False},
    "cooldowns": {"error_reply_window": 0},
}
SANDBOX = {"sandbox_world": "demo", "sandbox_options": {"deterministic": True}}
Console = Callable[..., AbstractAsyncContextManager[Pilot[int]]]


def make_bot_dir(root: Path, config: dict[str, Any] | None = None) -> Path:
    """A bot directory with config.json (``CONFIG`` unless given) and the example extensions.

    Tests that need the framework cogs (hooks, plugin registry…) pass
    ``{**CONFIG, "framework": {}}`` or rewrite config.json before entering ``console()``.
    """
    (root / "extensions").mkdir(parents=True, exist_ok=True)
    text = json.dumps(CONFIG if config is None else config)
    (root / "config.json").write_text(text, encoding="utf-8")
    templates = resources.files("zoryx") / "templates" / "extensions"
    for item in templates.iterdir():
        if item.name.endswith(".py"):
            with resources.as_file(item) as source:
                shutil.copyfile(source, root / "extensions" / item.name)
    return root


def make_runtime(bot_dir: Path) -> Runtime:
    return Runtime(bot_dir, console_logging=False, environ={}, **SANDBOX)  # type: ignore[arg-type]


@pytest.fixture
def bot_dir(tmp_path: Path) -> Path:
    return make_bot_dir(tmp_path / "bot")


@pytest.fixture
def console(bot_dir: Path) -> Console:
    """Start a console (and its bot) with ``async with console(size=...) as pilot``.

    The runtime is built here and handed to the app, which starts it from its own worker
    exactly as ``zoryx tui`` does; the context waits until the bot is ready and shuts the
    runtime down at the end unless the test already quit.
    """

    @asynccontextmanager
    async def run(size: tuple[int, int] = (120, 40), **options: Any) -> AsyncIterator[Pilot[int]]:
        runtime = make_runtime(bot_dir)
        app = ZoryxConsole(runtime=runtime, **options)
        async with app.run_test(size=size, notifications=True) as pilot:
            try:
                await asyncio.wait_for(app.ready_event.wait(), 30)
                await pilot.pause()
                yield pilot
            finally:
                if not app.shutdown_finished.is_set():  # quit as the operator would
                    await app.action_quit()
                    await asyncio.wait_for(app.shutdown_finished.wait(), 30)

    return run


# -- helpers ---------------------------------------------------------------------------------
def screen_text(app: Any) -> str:
    """The characters on the terminal right now (the top screen, dialogs included)."""
    update = app.screen._compositor.render_full_update()
    return "\n".join("".join(segment.text for segment in strip) for strip in update.strips)


def pane_key(app: Any, pane_id: str) -> str:
    """The key that shows a pane (panes may be added before it)."""
    from tui.widgets._header import PANE_KEY_NAMES, pane_key

    key = pane_key(app.pane_ids.index(pane_id) + 1)
    return PANE_KEY_NAMES.get(key, key)


async def show(pilot: Pilot[int], pane_id: str) -> Any:
    """Press the pane's number key and wait for its first refresh."""
    app = pilot.app
    await pilot.press(pane_key(app, pane_id))
    await wait_for(pilot, lambda: app.current_pane().pane_id == pane_id)
    pane = app.current_pane()
    await pane.refresh_data()
    await pilot.pause()
    return pane


async def wait_for(
    pilot: Pilot[int], predicate: Callable[[], object], timeout: float = 8.0, what: str = ""
) -> None:
    """Let the app run until ``predicate()`` is true (fails the test after ``timeout``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)


async def wait_for_text(pilot: Pilot[int], text: str, timeout: float = 8.0) -> None:
    try:
        await wait_for(pilot, lambda: text in screen_text(pilot.app), timeout)
    except AssertionError:
        raise AssertionError(f"{text!r} not on screen:\n{screen_text(pilot.app)}") from None


async def type_text(pilot: Pilot[int], text: str) -> None:
    await pilot.press(*[_key(ch) for ch in text])


def _key(char: str) -> str:
    return {" ": "space"}.get(char, char)


async def paste_command(pilot: Pilot[int], line: str) -> None:
    """Open the ``:`` line, paste ``line`` into it (one event, like a terminal paste), run it."""
    await pilot.press("colon")
    field = pilot.app.query_one("#command-input")
    field.insert_text_at_cursor(line)
    await pilot.press("enter")
