"""Quitting (ctrl+q, ctrl+c, SIGTERM) shuts the bot down gracefully; a crash stays visible."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

from tui.app import ZoryxConsole

from .conftest import Console, make_runtime, screen_text, wait_for, wait_for_text


def usage_rows(bot_dir: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(bot_dir / "data" / "main.db") as conn:
        return conn.execute("SELECT * FROM command_stats").fetchall()


async def test_ctrl_q_shuts_down_gracefully_and_flushes_usage(
    console: Console, bot_dir: Path
) -> None:
    async with console() as pilot:
        app = pilot.app
        runtime = app.runtime
        for _ in range(2):
            await runtime.sandbox.user("alice").say("#general", "!hello")
            await runtime.sandbox.expect_message("#general", timeout=5)
        assert not any("hello" in map(str, row) for row in usage_rows(bot_dir))  # still buffered
        await pilot.press("ctrl+q")
        await wait_for_text(pilot, "● stopping")
        await wait_for(pilot, app.shutdown_finished.is_set, timeout=20, what="the shutdown")
        assert runtime.bot.is_closed() and runtime.services.logging.closed
        assert app.return_code == 0 and app.return_value == 0
    rows = usage_rows(bot_dir)
    assert any("hello" in map(str, row) and 2 in row for row in rows), rows
    assert list((bot_dir / "data").rglob("main_*.db")), "shutdown backs up main.db"


async def test_ctrl_c_asks_before_quitting(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        await pilot.press("ctrl+c")
        await wait_for_text(pilot, "Stop the bot and quit the console?")
        await pilot.press("n")
        await wait_for(pilot, lambda: "Stop the bot" not in screen_text(app))
        assert not app.runtime.bot.is_closed() and not app.shutdown_finished.is_set()
        await pilot.press("ctrl+c")
        await wait_for_text(pilot, "Stop the bot and quit the console?")
        await pilot.press("y")
        await wait_for(pilot, app.shutdown_finished.is_set, timeout=20, what="the shutdown")
        assert app.runtime.bot.is_closed() and app.return_code == 0


async def test_sigterm_shuts_down_gracefully(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None), "no handler"
        os.kill(os.getpid(), signal.SIGTERM)
        await wait_for(pilot, app.shutdown_finished.is_set, timeout=20, what="the shutdown")
        assert app.runtime.bot.is_closed() and app.return_code == 0
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None), "handler restored"


async def test_a_crash_inside_the_bot_is_shown_and_the_console_stays(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        sandbox = app.runtime.sandbox

        async def reject_the_token() -> None:  # Discord's "authentication failed" close
            for session in sandbox.gateway.live_sessions(None):
                session.conn.close_soon(4004, "Authentication failed.")

        await sandbox.call(reject_the_token)
        await wait_for_text(pilot, "The bot crashed", timeout=15)
        assert app.runtime.crash is not None
        assert "4004" in app.query_one("#error-details").text
        assert "● crashed" in screen_text(app)
        assert app.is_running and not app.shutdown_finished.is_set()
        await pilot.press("2")  # panes stay hidden behind the error panel
        assert "The bot crashed" in screen_text(app)
        await pilot.press("ctrl+q")
        await wait_for(pilot, app.shutdown_finished.is_set, timeout=20, what="the shutdown")
        assert app.return_code == 1


async def test_ctrl_q_during_start_up_stops_what_was_started(bot_dir: Path) -> None:
    runtime = make_runtime(bot_dir)
    app = ZoryxConsole(runtime=runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
        await wait_for(pilot, app.shutdown_finished.is_set, timeout=30, what="the shutdown")
    assert app.return_code == 0
    assert runtime.services is None or runtime.services.logging.closed
    thread = runtime.sandbox._thread if runtime.sandbox is not None else None
    assert thread is None or not thread.is_alive(), "the sandbox is stopped"
    assert runtime.bot is None or runtime.bot.is_closed()


async def test_a_bad_config_is_explained_and_quitting_returns_2(bot_dir: Path) -> None:
    (bot_dir / "config.json").write_text('{"prefix": "!",, }', encoding="utf-8")
    app = ZoryxConsole(runtime=make_runtime(bot_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "✗ Configuration error")
        assert "config.json" in screen_text(app)
        await pilot.press("ctrl+q")
        await wait_for(pilot, app.shutdown_finished.is_set, timeout=20, what="the exit")
    assert app.return_code == 2
