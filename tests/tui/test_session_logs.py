"""The Logs pane starts complete: what is logged while the runtime sets logging up reaches
the bot's log tail (once), whatever came after the tail took over is not doubled."""

from __future__ import annotations

import logging
from pathlib import Path

from tui.widgets._session import RuntimeSession
from zoryx.operator import CONSOLE_OWNER
from zoryx.readmodel.local import LocalSource
from zoryx.runtime import Runtime

from .conftest import SANDBOX


class LogsWhileBuilding(Runtime):
    async def build(self) -> None:
        logging.getLogger("zoryx.test").warning("logged before logging is set up")
        await super().build()
        logging.getLogger("zoryx.test").warning("logged once the tail is attached")


async def test_lines_logged_during_the_build_reach_the_tail_once(bot_dir: Path) -> None:
    runtime = LogsWhileBuilding(bot_dir, console_logging=False, environ={}, **SANDBOX)  # type: ignore[arg-type]
    steps: list[str] = []
    try:
        await RuntimeSession(runtime).start(steps.append)
        logs = await LocalSource(runtime, CONSOLE_OWNER).read("logs")
        messages = [entry["message"] for entry in logs["entries"]]
        assert messages.count("logged before logging is set up") == 1
        assert messages.count("logged once the tail is attached") == 1
        assert steps[-1] == "starting the bot and connecting to the SANDBOX Discord"
    finally:
        await runtime.shutdown("test done")
