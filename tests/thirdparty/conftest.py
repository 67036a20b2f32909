"""Bot directories with third-party-style extensions, a running runtime, and the log.

The template cogs in ``template_cogs/`` are copied into ``extensions/`` unmodified.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from zoryx.runtime import Runtime
from zoryx.sandbox import Sandbox
from zoryx.sandbox.views import SandboxMessage

TEMPLATE_COGS = Path(__file__).parent / "template_cogs"
DEBOUNCE = 0.2  # seconds; short so the auto-sync tests do not wait long


class LogRecords(logging.Handler):
    """Every log record emitted while attached (to the root logger)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, level: int = logging.WARNING, logger: str = "") -> list[str]:
        return [
            r.getMessage() for r in self.records if r.levelno >= level and r.name.startswith(logger)
        ]


@pytest.fixture
def logs() -> Iterator[LogRecords]:
    handler = LogRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def make_bot_dir(
    root: Path,
    *,
    templates: tuple[str, ...] = ("general", "owner"),
    extensions: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
) -> Path:
    """A bot directory with the template cogs (copied as they are) and other sources."""
    ext = root / "extensions"
    ext.mkdir(parents=True, exist_ok=True)
    for name in templates:
        shutil.copyfile(TEMPLATE_COGS / f"{name}.py", ext / f"{name}.py")
    for name, source in (extensions or {}).items():
        (ext / f"{name}.py").write_text(source, encoding="utf-8")
    settings: dict[str, Any] = {"auto_reload": False, "command_sync": {"debounce": DEBOUNCE}}
    settings.update(config or {})
    (root / "config.json").write_text(json.dumps(settings), encoding="utf-8")
    return root


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Any]:
    """``await start(**make_bot_dir options)``: a started runtime, shut down after the test."""
    started: list[Runtime] = []

    async def _start(**options: Any) -> Runtime:
        bot_dir = make_bot_dir(tmp_path / f"bot{len(started)}", **options)
        rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="demo")
        started.append(rt)
        await rt.start()
        return rt

    try:
        yield _start
    finally:
        for rt in started:
            await rt.shutdown("test done")


def sandbox(rt: Runtime) -> Sandbox:
    assert rt.sandbox is not None
    return rt.sandbox


async def say(rt: Runtime, user: str, text: str, channel: str = "#general") -> SandboxMessage:
    """Post ``text`` as ``user`` and return the bot's next message there."""
    sb = sandbox(rt)
    await sb.user(user).say(channel, text)
    return await sb.expect_message(channel, timeout=10)


async def slash(rt: Runtime, user: str, command: str, **options: Any) -> SandboxMessage | str:
    """Run ``/command`` as ``user``; the answer's message (or its text)."""
    handle = await sandbox(rt).user(user).slash(command, "#general", **options)
    result = await handle.response(timeout=10)
    return result.message if result.message is not None else result.text()


def title(msg: SandboxMessage | str) -> str:
    if isinstance(msg, str) or not msg.embeds:
        return ""
    return str(msg.embeds[0].get("title") or "")


def text(msg: SandboxMessage | str) -> str:
    return msg if isinstance(msg, str) else msg.text()


async def wait_registered(rt: Runtime, name: str, present: bool = True) -> None:
    """Wait until Discord (the sandbox) has (or no longer has) the global ``/name``."""
    sb = sandbox(rt)

    def check() -> bool:
        names = {c["name"] for c in sb.app_info.commands.values()}
        return (name in names) is present

    await sb.wait_until(check, timeout=15, what=f"/{name} {'registered' if present else 'gone'}")
