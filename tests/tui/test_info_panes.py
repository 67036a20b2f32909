"""Overview, Logs and System panes show the bot's real state."""

from __future__ import annotations

import logging
import os
import platform
import re
import warnings

from tui.widgets import short_name

from .conftest import Console, screen_text, show, type_text, wait_for, wait_for_text


async def test_overview_shows_identity_counts_and_activity(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        sandbox = app.runtime.sandbox
        await sandbox.user("alice").say("#general", "!hello")
        await sandbox.expect_message("#general", timeout=5)
        pane = await show(pilot, "overview")
        await pane.refresh_data()
        await wait_for_text(pilot, "hello ×1")
        text = screen_text(app)
        bot = app.runtime.bot
        assert "zoryx-sandbox-bot" in text and "SANDBOX" in text
        humans = {m.id for g in bot.guilds for m in g.members if not m.bot}
        assert f"Users   {len(humans)} " in text and "Guilds  3" in text
        assert "● HEALTHY" in text and "of 1 commands" in text
        assert "hello ×1" in text
        assert re.search(r"CPU +\d+\.\d %", text), "live CPU reading (clock not frozen)"
        assert re.search(r"Memory +\d+\.\d MiB", text)


async def test_logs_pane_level_filter_search_and_events(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        pane = await show(pilot, "logs")
        logging.getLogger("zoryx.test").info("an info line for the console")
        logging.getLogger("zoryx.test").warning("a warning line for the console")
        await wait_for_text(pilot, "a warning line for the console")
        assert "an info line for the console" in screen_text(app)
        await pilot.press("v")  # INFO -> WARNING
        await wait_for(pilot, lambda: "an info line" not in screen_text(app), what="level")
        assert "a warning line for the console" in screen_text(app)
        assert "level ≥ WARNING" in screen_text(app)
        await pilot.press("v", "v", "v")  # ERROR -> DEBUG -> INFO
        await wait_for_text(pilot, "an info line for the console")
        await pilot.press("slash")
        await type_text(pilot, "warning line")
        await wait_for(pilot, lambda: "an info line" not in screen_text(app), what="search")
        assert "a warning line for the console" in screen_text(app)
        await pilot.press("escape")
        await wait_for_text(pilot, "an info line for the console")
        sandbox = app.runtime.sandbox
        await sandbox.user("alice").say("#general", "!hello")
        await sandbox.expect_message("#general", timeout=5)
        await wait_for_text(pilot, "✓ command")
        assert "Alice" in screen_text(app) or "alice" in screen_text(app)
        assert len(app.log_buffer) <= app.log_buffer.capacity == 2000
        assert pane.view.max_lines == 2000
        warnings.warn("a warning raised by some library", UserWarning, stacklevel=1)
        await wait_for_text(pilot, "a warning raised by some library")  # not on stderr


async def test_logs_pane_logger_column_reads_from_the_left(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        await show(pilot, "logs")
        logging.getLogger("zoryx.extensions.watcher").info("a line from a deep logger")
        logging.getLogger("averyveryverylongloggername").info("a line from a long logger")
        await wait_for_text(pilot, "a line from a long logger")
        lines = screen_text(app).splitlines()
        deep = next(line for line in lines if "a line from a deep logger" in line)
        assert "z.e.watcher " in deep, "package parts abbreviated, the module name whole"
        long = next(line for line in lines if "a line from a long logger" in line)
        assert "averyveryverylong… " in long, "cut on the right, never on the left"


def test_short_name_abbreviates_packages_then_cuts_on_the_right() -> None:
    assert short_name("discord.gateway", 18) == "discord.gateway"
    assert short_name("zoryx.extensions.watcher", 20) == "z.extensions.watcher"
    assert short_name("zoryx.extensions.watcher", 18) == "z.e.watcher"
    assert short_name("cogs.framework_diagnostics", 18) == "c.framework_diagn…"
    assert short_name("root", 0) == ""


async def test_logs_pane_shows_guild_leaves(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        await show(pilot, "logs")
        guild = next(g for g in app.runtime.bot.guilds if g.name == "Pixel Guild")
        await app.runtime.bot.operator.leave_guild(app.actor, guild.id)
        await wait_for_text(pilot, "− left")
        assert "Pixel Guild" in screen_text(app)


async def test_system_pane_shows_the_process(console: Console) -> None:
    async with console() as pilot:
        await show(pilot, "system")
        await wait_for_text(pilot, str(os.getpid()))
        text = screen_text(pilot.app)
        assert platform.python_version() in text
        assert "discord.py" in text and "textual" in text
        for label in ("Threads", "Open files", "Connections", "Memory", "p50/p99"):
            assert label in text, label
