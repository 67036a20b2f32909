"""Runtimes on temporary bot directories for the framework-cog tests (hooks, registry)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from zoryx.runtime import Runtime
from zoryx.sandbox.views import SandboxMessage
from zoryx.testing import eventually as wait_until


class FakeClock:
    """A monotonic clock tests move by hand (breakers, throttles)."""

    def __init__(self, start: float = 10_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def write_bot_dir(
    root: Path, extensions: dict[str, str], framework: dict[str, bool] | None = None
) -> Path:
    """A bot directory (no hot reload) with the given ``extensions/<name>.py`` sources."""
    ext = root / "extensions"
    ext.mkdir(parents=True, exist_ok=True)
    # Only the cogs under test: the others are built concurrently and tested on their own.
    toggles = {"enable_framework_diagnostics": False, "enable_slash_command_limiter": False}
    config: dict[str, Any] = {"auto_reload": False, "framework": {**toggles, **(framework or {})}}
    config["cooldowns"] = {"error_reply_window": 0}  # every error answered (see test_refusals)
    (root / "config.json").write_text(json.dumps(config), encoding="utf-8")
    for name, source in extensions.items():
        (ext / f"{name}.py").write_text(source, encoding="utf-8")
    return root


async def start_runtime(bot_dir: Path, extra: dict[str, Any] | None = None) -> Runtime:
    """Build, seed ``services.extra`` (service options for tests), start."""
    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="demo")
    await rt.build()
    rt.services.extra.update(extra or {})
    await rt.start()
    return rt


@pytest.fixture
def runtime_factory() -> Callable[..., Awaitable[Runtime]]:
    return start_runtime


async def run(
    rt: Runtime, user: str, text: str, channel: str = "#general", timeout: float = 5.0
) -> SandboxMessage:
    """Post ``text`` as ``user`` and return the bot's next message in that channel."""
    await rt.sandbox.user(user).say(channel, text)
    return await rt.sandbox.expect_message(channel, timeout=timeout)


def title(msg: SandboxMessage) -> str:
    return str(msg.embeds[0].get("title") or "") if msg.embeds else ""


def mention(rt: Runtime, channel: str) -> str:
    return f"<#{rt.sandbox.channel_id(channel)}>"


async def eventually(predicate: Callable[[], object], timeout: float = 3.0) -> None:
    """Wait until ``predicate()`` is truthy (3 s by default in these tests)."""
    await wait_until(predicate, timeout)
