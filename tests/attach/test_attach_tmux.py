"""``zoryx tui --attach`` in a real terminal (tmux) beside a real ``zoryx run --headless``.

One scenario, as an operator lives it: attach, see the bot, reload an extension and send a
message from the console while a second console watches, detach (the bot keeps answering),
attach again, then lose the bot and get it back without restarting the consoles.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.control.conftest import (
    HeadlessBot,
    make_bot_dir,
    shared_dir,
    start_headless,
    stop_headless,
)
from zoryx.control.client import RemoteSource

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="needs tmux (.ci/run installs it)"
)

SIZE = (120, 40)


class Tmux:
    """One tmux server of our own; each console is a session in it."""

    def __init__(self) -> None:
        self.server = f"zoryx-test-{uuid.uuid4().hex[:8]}"

    def _tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.server, *args], capture_output=True, text=True, timeout=30
        )

    def start(self, name: str, argv: list[str]) -> None:
        columns, rows = SIZE
        env = {**os.environ, "TERM": "xterm-256color", "PYTHONUNBUFFERED": "1"}
        command = " ".join(f"'{a}'" for a in argv)
        result = subprocess.run(
            ["tmux", "-L", self.server, "new-session", "-d", "-s", name,
             "-x", str(columns), "-y", str(rows), command],
            capture_output=True, text=True, timeout=30, env=env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr

    def screen(self, name: str) -> str:
        return self._tmux("capture-pane", "-p", "-t", name).stdout

    def alive(self, name: str) -> bool:
        return self._tmux("has-session", "-t", name).returncode == 0

    def keys(self, name: str, *keys: str) -> None:
        assert self._tmux("send-keys", "-t", name, *keys).returncode == 0

    def type(self, name: str, text: str) -> None:
        assert self._tmux("send-keys", "-t", name, "-l", text).returncode == 0

    def wait_for(self, name: str, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen(name)
            if text in screen:
                return screen
            time.sleep(0.1)  # polling the terminal's contents, with a deadline
        raise AssertionError(f"{text!r} never appeared in {name}:\n{screen}")

    def wait_gone(self, name: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive(name):
            time.sleep(0.1)
        assert not self.alive(name), f"{name} is still running:\n{self.screen(name)}"

    def kill_session(self, name: str) -> None:
        """Close the session's terminal: the console gets SIGHUP, as when SSH drops."""
        assert self._tmux("kill-session", "-t", name).returncode == 0

    def stop(self) -> None:
        self._tmux("kill-server")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    server = Tmux()
    try:
        yield server
    finally:
        server.stop()


def remote(bot: HeadlessBot, coro_factory):  # type: ignore[no-untyped-def]
    """Run ``coro_factory(source)`` against the bot over its socket (a second client)."""

    async def run():  # type: ignore[no-untyped-def]
        source = await RemoteSource.open(bot.bot_dir, reconnect=False)
        try:
            return await coro_factory(source)
        finally:
            await source.close()

    return asyncio.run(run())


def general_channel(bot: HeadlessBot) -> int:
    async def read(source: RemoteSource) -> int:
        targets = await source.read("targets")
        channels = targets["guilds"][0]["channels"]
        return int(next(c["id"] for c in channels if c["name"] == "general"))

    return remote(bot, read)


def bot_messages(bot: HeadlessBot, channel_id: int) -> list[str]:
    async def read(source: RemoteSource) -> list[str]:
        messages = await source.read("sandbox_messages", channel_id=channel_id, limit=100)
        return [m["text"] for m in messages]

    return remote(bot, read)


def ping_answers(bot: HeadlessBot, channel_id: int) -> bool:
    """A member's ``!ping`` gets the bot's ``pong`` (the bot answers commands)."""

    async def ask(source: RemoteSource) -> bool:
        sent = await source.act("sandbox_say", user="owner", channel_id=channel_id, text="!ping")
        replies = await source.read(
            "sandbox_messages", channel_id=channel_id, after=int(sent["id"]), wait=30
        )
        return any(m["text"] == "pong" for m in replies)

    return remote(bot, ask)


def audit_actions(bot: HeadlessBot) -> list[tuple[str, str, bool]]:
    async def read(source: RemoteSource) -> list[tuple[str, str, bool]]:
        return [(r["action"], r["source"], r["ok"]) for r in await source.read("audit")]

    return remote(bot, read)


def test_attach_act_detach_and_survive_the_bot_restarting(tmux: Tmux) -> None:
    bot_dir = make_bot_dir(shared_dir() / "bot")
    bot = start_headless(bot_dir)
    attach = [sys.executable, "-m", "zoryx", "tui", "--attach", str(bot_dir)]
    try:
        name = remote(bot, lambda source: asyncio.sleep(0, source.info.name))
        tmux.start("a", attach)
        screen = tmux.wait_for("a", "attached via socket")
        assert f"pid {bot.process.pid}" in screen
        tmux.wait_for("a", name)  # the overview shows the bot it is attached to
        tmux.start("b", attach)
        tmux.wait_for("b", "attached via socket")
        tmux.keys("b", "4")  # b watches the Logs pane
        tmux.wait_for("b", "Zoryx ready")

        # a reloads an extension; b sees it happen.
        tmux.keys("a", ":")
        tmux.type("a", "reload ping")
        tmux.keys("a", "Enter")
        tmux.wait_for("b", "reloaded extension ping")
        assert ("reload_extension", "console-attach", True) in audit_actions(bot)

        # a sends a message as the bot.
        channel = general_channel(bot)
        tmux.keys("a", ":")
        tmux.type("a", "say #general hello from an attached console")
        tmux.keys("a", "Enter")
        deadline = time.monotonic() + 30
        while "hello from an attached console" not in bot_messages(bot, channel):
            assert time.monotonic() < deadline, tmux.screen("a")
            time.sleep(0.2)

        # a detaches: the bot keeps running and answering.
        tmux.keys("a", "C-q")
        tmux.wait_gone("a")
        assert bot.process.poll() is None
        assert ping_answers(bot, channel)

        # attach again; a dropped terminal (the SSH session hangs up) detaches as well.
        tmux.start("c", attach)
        tmux.wait_for("c", "attached via socket")
        tmux.start("d", attach)
        tmux.wait_for("d", "attached via socket")
        tmux.kill_session("d")
        assert ping_answers(bot, channel)
        assert bot.process.poll() is None

        # the bot dies under the attached consoles: they say so and stay up…
        os.kill(bot.process.pid, signal.SIGKILL)
        bot.process.wait(timeout=30)
        tmux.wait_for("b", "lost")
        tmux.wait_for("c", "lost")
        assert tmux.alive("b") and tmux.alive("c")
        assert "Traceback" not in tmux.screen("b") + tmux.screen("c")

        # …and reconnect by themselves when it is back (a new process, a new pid).
        bot = start_headless(bot_dir)
        tmux.wait_for("c", f"pid {bot.process.pid}", timeout=90)
        tmux.wait_for("b", f"pid {bot.process.pid}", timeout=90)
        assert ping_answers(bot, general_channel(bot))
    finally:
        stop_headless(bot)
        shutil.rmtree(bot_dir.parent, ignore_errors=True)
