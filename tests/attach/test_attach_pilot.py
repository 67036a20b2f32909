"""A console attached over the control socket to a bot running in this process (Pilot).

The bot is a real :class:`~zoryx.runtime.Runtime` whose ``start`` serves the control
socket at ``<bot_dir>/data/zoryx.sock``; the console gets a :class:`RemoteSource` on that
socket, so every read and action goes over the wire exactly as ``zoryx tui --attach``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import (
    make_bot_dir,
    make_runtime,
    paste_command,
    screen_text,
    show,
    wait_for,
    wait_for_text,
)
from tests.tui.test_files_pane import open_from_tree, replace_in_editor, wait_for_question
from tui.app import ZoryxConsole
from zoryx.control.client import RemoteSource
from zoryx.runtime import Runtime

Attached = Callable[[], AbstractAsyncContextManager[Pilot[int]]]


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    """A started bot (demo sandbox world, the example extensions) with its control socket."""
    rt = make_runtime(make_bot_dir(tmp_path / "bot"))
    await rt.start()
    try:
        yield rt
    finally:
        await rt.shutdown("test done")


@pytest.fixture
def attached(runtime: Runtime) -> Attached:
    """``async with attached() as pilot``: a console attached to ``runtime`` over its socket."""

    @asynccontextmanager
    async def run() -> AsyncIterator[Pilot[int]]:
        assert (runtime.bot_dir / "data" / "zoryx.sock").exists()
        source = await RemoteSource.open(runtime.bot_dir)
        app = ZoryxConsole(source=source, handle_signals=False)
        try:
            async with app.run_test(size=(120, 40), notifications=True) as pilot:
                await asyncio.wait_for(app.ready_event.wait(), 30)
                await wait_for_text(pilot, "attached via socket")
                yield pilot
                if not app.shutdown_finished.is_set():
                    await app.action_quit()
                    await asyncio.wait_for(app.shutdown_finished.wait(), 30)
        finally:
            await source.close()

    return run


async def audit(runtime: Runtime) -> list[dict[str, Any]]:
    """The bot's operator audit records, newest first (read in-process, beside the console)."""
    return list(await runtime.bot.operator.audit.recent(50))


async def test_edit_save_and_reload_an_extension_from_an_attached_console(
    runtime: Runtime, attached: Attached
) -> None:
    path = runtime.bot_dir / "extensions" / "greetings.py"
    info = runtime.bot.extension_manager.get("greetings")
    assert info is not None and info.reloads == 0
    async with attached() as pilot:
        app = pilot.app
        assert app.runtime is None and app.attached
        await show(pilot, "files")
        await open_from_tree(pilot, "extensions/greetings.py")
        await wait_for_text(pilot, "extensions/greetings.py · python")
        await replace_in_editor(pilot, "Hello", "Howdy")
        await wait_for_text(pilot, "● modified")
        await pilot.press("ctrl+s")
        await wait_for_question(pilot, "Reload the extension greetings now?")
        saved = path.read_text(encoding="utf-8")
        assert "👋 Howdy," in saved and "Hello," not in saved
        assert info.reloads == 0, "nothing reloads before the operator says yes"
        await pilot.press("y")
        await wait_for_text(pilot, "✓ reloaded greetings (reload #1)", timeout=30)
        assert "saved" in screen_text(app)

    extension = await RemoteSource.open(runtime.bot_dir, reconnect=False)
    try:
        assert (await extension.read("extension", name="greetings"))["reloads"] == 1
    finally:
        await extension.close()
    sandbox = runtime.sandbox
    sandbox.skip_existing("#general")
    await sandbox.user("alice").say("#general", "!hello")
    reply = await sandbox.expect_message("#general", timeout=30)
    assert reply.content == "👋 Howdy, Alice!", "the bot answers with the saved code"
    records = {(r.action, r.target): r for r in await audit(runtime)}
    for key in (("write_file", "extensions/greetings.py"), ("reload_extension", "greetings")):
        assert key in records, sorted(records)
        assert records[key].source == "console-attach" and records[key].ok, records[key]


async def ask_shutdown(pilot: Pilot[int]) -> None:
    await paste_command(pilot, "shutdown")


async def test_shutting_the_bot_down_asks_twice_and_declining_keeps_it(
    runtime: Runtime, attached: Attached
) -> None:
    name = str(runtime.bot.user)
    async with attached() as pilot:
        app = pilot.app
        await ask_shutdown(pilot)
        await wait_for_question(
            pilot,
            f"Shut down the bot {name} (pid {os.getpid()})? Attached consoles lose it; "
            "it will not restart by itself.",
        )
        await pilot.press("n")  # declining the first question
        await wait_for(pilot, lambda: "cancelled" in notices(app), what="the cancellation")
        await ask_shutdown(pilot)
        await wait_for_question(pilot, f"Shut down the bot {name}")
        await pilot.press("y")
        await wait_for_question(pilot, "Really shut it down?")
        await pilot.press("n")  # declining the second one
        await wait_for(pilot, lambda: notices(app).count("cancelled") == 2, what="cancelled")
        assert not runtime.bot.is_closed() and app.source.connected
        assert (await app.source.read("status"))["ready"]
        assert not any(r.action == "shutdown" for r in await audit(runtime))


async def test_accepting_both_questions_shuts_the_bot_down_and_the_console_exits(
    runtime: Runtime, attached: Attached
) -> None:
    audited: list[dict[str, Any]] = []  # the DB closes with the bot: watch the pushed records
    runtime.events.subscribe("audit", audited.append)
    async with attached() as pilot:
        app = pilot.app
        await ask_shutdown(pilot)
        await wait_for_question(pilot, "Shut down the bot")
        await pilot.press("y")
        await wait_for_question(pilot, "Really shut it down?")
        await pilot.press("y")
        await asyncio.wait_for(runtime.wait_stopped(), 60)
        await wait_for(pilot, app.shutdown_finished.is_set, timeout=30, what="the console exit")
    assert app.return_code == 0
    assert runtime.bot.is_closed()
    assert not (runtime.bot_dir / "data" / "zoryx.sock").exists()
    shutdowns = [r for r in audited if r["action"] == "shutdown"]
    assert [(r["source"], r["ok"]) for r in shutdowns] == [("console-attach", True)]


def notices(app: Any) -> str:
    return "\n".join(text for _, text in app.notices)


async def test_in_process_shutdown_is_the_quit_path_with_one_question(tmp_path: Path) -> None:
    runtime = make_runtime(make_bot_dir(tmp_path / "bot"))
    app = ZoryxConsole(runtime=runtime, handle_signals=False)
    try:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await asyncio.wait_for(app.ready_event.wait(), 30)
            await ask_shutdown(pilot)
            await wait_for_question(pilot, "Stop the bot and quit the console?")
            await pilot.press("n")
            await wait_for(pilot, lambda: "cancelled" in notices(app), what="the cancellation")
            assert not runtime.bot.is_closed()
            await ask_shutdown(pilot)
            await wait_for_question(pilot, "Stop the bot and quit the console?")
            await pilot.press("y")
            await wait_for(pilot, app.shutdown_finished.is_set, timeout=30, what="the exit")
        assert app.return_code == 0 and runtime.bot.is_closed()
    finally:
        await runtime.shutdown("test done")
