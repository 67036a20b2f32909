"""Shared by the compat tests: a bot directory with given extensions, and talking to it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from zoryx.runtime import Runtime


@asynccontextmanager
async def running_bot(
    root: Path, extensions: dict[str, str], config: dict[str, Any]
) -> AsyncIterator[Runtime]:
    """Start a bot (demo world, no hot reload) on ``root`` with ``extensions`` and ``config``."""
    (root / "extensions").mkdir(parents=True)
    for name, source in extensions.items():
        (root / "extensions" / f"{name}.py").write_text(source, encoding="utf-8")
    framework = {"enable_framework_diagnostics": False, "enable_slash_command_limiter": False}
    data = {"auto_reload": False, "framework": framework, **config}
    (root / "config.json").write_text(json.dumps(data), encoding="utf-8")
    runtime = Runtime(root, console_logging=False, environ={}, sandbox_world="demo")
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.shutdown("test done")


async def reply(rt: Runtime, text: str, user: str = "alice") -> Any:
    """Post ``text`` in #general as ``user``; the bot's next message there."""
    assert rt.sandbox is not None
    rt.sandbox.skip_existing("#general")
    await rt.sandbox.user(user).say("#general", text)
    return await rt.sandbox.expect_message("#general", timeout=10)


async def say(rt: Runtime, text: str, user: str = "alice") -> str:
    """Like :func:`reply`, returning the reply's text."""
    return str((await reply(rt, text, user)).content)
