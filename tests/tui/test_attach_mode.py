"""Attach mode: the console shows a bot it did not start, and quitting leaves it running.

The console gets a source instead of a runtime. A :class:`LocalSource` that says it is
attached over a socket (and can play a lost connection) stands in for the control
socket's client: the app must treat it exactly as a remote bot.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from pathlib import Path
from typing import Any

from tui.app import ZoryxConsole
from zoryx.operator import CONSOLE_OWNER
from zoryx.readmodel import BotInfo, SourceLost
from zoryx.readmodel.local import LocalSource

from .conftest import make_runtime, screen_text, show, wait_for, wait_for_text


class SocketSource(LocalSource):
    """A bot in "another process": via ``socket``; ``lost`` makes every read fail."""

    lost = False
    closed = False

    @property
    def info(self) -> BotInfo:
        return dataclasses.replace(super().info, via="socket")

    async def read(self, view: str, **params: Any) -> Any:
        if self.lost:
            raise SourceLost("connection refused")
        return await super().read(view, **params)

    async def close(self) -> None:
        self.closed = True
        await super().close()


async def test_an_attached_console_shows_the_bot_and_quitting_leaves_it_running(
    bot_dir: Path,
) -> None:
    runtime = make_runtime(bot_dir)
    await runtime.start()
    try:
        source = SocketSource(runtime, CONSOLE_OWNER)
        source.lost = True
        app = ZoryxConsole(source=source)
        assert app.runtime is None
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_text(pilot, "the bot does not answer yet")
            assert not app.ready_event.is_set()
            source.lost = False
            await asyncio.wait_for(app.ready_event.wait(), 30)
            await wait_for_text(pilot, f"attached via socket · pid {os.getpid()}")
            text = screen_text(app)
            assert "zoryx-sandbox-bot" in text and "3 guilds" in text and "● ready" in text
            assert "sandbox" in app.pane_ids, "the bot runs the embedded sandbox"
            await show(pilot, "overview")
            await wait_for_text(pilot, "HEALTHY")

            source.lost = True  # as a remote client: reads fail, then it says so
            runtime.events.publish("lifecycle", {"state": "lost"})
            await wait_for_text(pilot, "● lost")
            await wait_for_text(pilot, "the bot does not answer; reconnecting…")
            body = app.query_one("#body")
            assert body.has_class("-lost") and "HEALTHY" in screen_text(app), "kept, greyed"
            source.lost = False
            runtime.events.publish("lifecycle", {"state": "connected"})
            await wait_for_text(pilot, "● ready")
            assert not body.has_class("-lost")

            await pilot.press("ctrl+c")
            await wait_for_text(pilot, "Quit the console? The bot keeps running.")
            await pilot.press("y")
            await wait_for(pilot, app.shutdown_finished.is_set, timeout=20, what="the exit")
        assert app.return_code == 0 and source.closed
        assert not runtime.bot.is_closed(), "quitting an attached console never stops the bot"
        assert (await LocalSource(runtime, CONSOLE_OWNER).read("status"))["ready"]
    finally:
        await runtime.shutdown("test done")
