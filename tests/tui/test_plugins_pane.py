"""Plugins pane: r/l/u act on the real extension manager through the operator API."""

from __future__ import annotations

from typing import Any

from .conftest import Console, screen_text, show, wait_for, wait_for_text

BROKEN = "from discord.ext import commands\n\nasync def setup(bot)\n    pass\n"


async def select_row(pilot: Any, key: str) -> None:
    table = pilot.app.current_pane().table
    table.move_cursor(row=table.get_row_index(key), animate=False)
    table.focus()
    await pilot.pause()


async def test_r_reloads_the_selected_extension(console: Console) -> None:
    async with console() as pilot:
        await show(pilot, "plugins")
        info = pilot.app.runtime.bot.extension_manager.get("greetings")
        before = info.loaded_at
        await select_row(pilot, "ext:greetings")
        await pilot.press("r")
        await wait_for(pilot, lambda: info.reloads == 1, what="the reload")
        assert info.loaded_at != before
        await wait_for_text(pilot, "✓ reloaded greetings")
        await wait_for_text(pilot, "(reload #1)")


async def test_a_broken_reload_shows_the_traceback_and_keeps_the_old_version(
    console: Console,
) -> None:
    async with console() as pilot:
        app = pilot.app
        await show(pilot, "plugins")
        info = app.runtime.bot.extension_manager.get("greetings")
        info.path.write_text(BROKEN, encoding="utf-8")
        await select_row(pilot, "ext:greetings")
        await pilot.press("r")
        await wait_for_text(pilot, "reload greetings failed")
        text = screen_text(app)
        assert "SyntaxError" in text and "previous version" in text
        assert "Traceback" in app.query_one("#plg-traceback").text
        assert info.state == "loaded" and info.reloads == 0
        sandbox = app.runtime.sandbox
        sandbox.skip_existing("#general")
        await sandbox.user("alice").say("#general", "!hello")
        reply = await sandbox.expect_message("#general", timeout=5)
        assert reply.content == "👋 Hello, Alice!"


async def test_u_asks_first_n_cancels_y_unloads_and_l_loads_back(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        bot = app.runtime.bot
        await show(pilot, "plugins")
        info = bot.extension_manager.get("greetings")
        await select_row(pilot, "ext:greetings")
        await pilot.press("u")
        await wait_for_text(pilot, "Unload the extension greetings?")
        await pilot.press("n")
        await wait_for_text(pilot, "Unload of greetings cancelled")
        assert info.state == "loaded" and bot.get_command("hello") is not None
        await pilot.press("u")
        await wait_for_text(pilot, "Unload the extension greetings?")
        await pilot.press("y")
        await wait_for(pilot, lambda: info.state == "unloaded", what="the unload")
        assert bot.get_command("hello") is None
        await wait_for_text(pilot, "○ unloaded")
        await pilot.press("l")
        await wait_for(pilot, lambda: info.state == "loaded", what="the load")
        assert bot.get_command("hello") is not None
        await wait_for_text(pilot, "✓ loaded greetings")


async def test_framework_cogs_are_listed(console: Console) -> None:
    async with console() as pilot:
        await show(pilot, "plugins")
        for name in ("greetings", "notes", "welcome", "Admin", "Info", "Settings"):
            await wait_for_text(pilot, name)
        assert "3/3 extensions loaded" in screen_text(pilot.app)
