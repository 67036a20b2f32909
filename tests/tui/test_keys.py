"""Keyboard model: number keys, ?, :, /, esc, the command palette."""

from __future__ import annotations

from .conftest import (
    Console,
    pane_key,
    paste_command,
    screen_text,
    show,
    type_text,
    wait_for,
    wait_for_text,
)

MARKERS = {
    "overview": "Health",
    "commands": "Last used",
    "plugins": "Reloads",
    "logs": "Events — commands",
    "system": "Event loop lag",
}


async def test_number_keys_jump_to_each_pane(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        text = screen_text(app)
        assert "SANDBOX" in text and "zoryx-sandbox-bot" in text and "● ready" in text
        for pane_id, marker in reversed(MARKERS.items()):
            await pilot.press(pane_key(app, pane_id))
            await wait_for_text(pilot, marker)
            assert app.current_pane().pane_id == pane_id
        await pilot.press("right_square_bracket")
        assert app.current_pane().pane_id == app.pane_ids[1]
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.current_pane().pane_id == app.pane_ids[-1]


async def test_question_mark_lists_the_keys_of_the_current_pane(console: Console) -> None:
    async with console() as pilot:
        await show(pilot, "plugins")
        await pilot.press("question_mark")
        await wait_for_text(pilot, "Keys — Plugins")
        text = screen_text(pilot.app)
        for expected in ("Reload", "Unload", ":reload <extension>", ":say", "ctrl+q", "1-9"):
            assert expected in text, expected
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Keys — Plugins" not in screen_text(pilot.app))


async def test_colon_reload_really_reloads_the_extension(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        info = app.runtime.bot.extension_manager.get("greetings")
        reloads, loaded_at = info.reloads, info.loaded_at
        await pilot.press("colon")
        await type_text(pilot, "reload greetings")
        await pilot.press("enter")
        await wait_for(pilot, lambda: info.reloads == reloads + 1, what="the reload")
        assert info.loaded_at != loaded_at and info.state == "loaded"
        await wait_for(pilot, lambda: any("reloaded greetings" in n for _, n in app.notices))
        await wait_for_text(pilot, "reloaded greetings")


async def test_colon_say_posts_in_the_first_guild(console: Console) -> None:
    async with console() as pilot:
        sandbox = pilot.app.runtime.sandbox
        sandbox.skip_existing("#general")
        await paste_command(pilot, 'say #general it\'s "quoted" #1')
        message = await sandbox.expect_message("#general", timeout=5)
        assert message.content == 'it\'s "quoted" #1'  # sent exactly as typed
        assert message.channel_id == sandbox.channel_id("#general", sandbox.guild().id)
        sandbox.skip_existing("#general", "Pixel Guild")
        await paste_command(pilot, 'say "Pixel Guild/#general" hello pixels')
        message = await sandbox.expect_message("#general", guild="Pixel Guild", timeout=5)
        assert message.content == "hello pixels"


async def test_colon_leave_asks_first(console: Console) -> None:
    async with console() as pilot:
        bot = pilot.app.runtime.bot
        await paste_command(pilot, "leave Study Hall")
        await wait_for_text(pilot, "Leave the guild Study Hall")
        await pilot.press("n")
        await wait_for(pilot, lambda: any(n == "cancelled" for _, n in pilot.app.notices))
        assert any(g.name == "Study Hall" for g in bot.guilds)
        await paste_command(pilot, "leave Study Hall")
        await wait_for_text(pilot, "Leave the guild Study Hall")
        await pilot.press("y")
        await wait_for(pilot, lambda: all(g.name != "Study Hall" for g in bot.guilds))
        await wait_for(pilot, lambda: "2 guilds" in screen_text(pilot.app), what="header count")


async def test_sync_unknown_command_and_escape(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        await paste_command(pilot, "sync")
        await wait_for(pilot, lambda: any("synced" in n for _, n in app.notices), what=":sync")
        await pilot.press("colon")
        await type_text(pilot, "frobnicate")
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("unknown command" in n for _, n in app.notices))
        await pilot.press("colon")
        assert app.query_one("#command-bar").display
        await pilot.press("escape")
        assert not app.query_one("#command-bar").display


async def test_command_palette_lists_panes_and_commands(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        titles = [title for title, _, _ in app.palette_entries()]
        for expected in ("Go to Plugins", "Go to Logs", "sync", "quit", "reload greetings"):
            assert expected in titles, expected
        info = app.runtime.bot.extension_manager.get("greetings")
        await pilot.press("ctrl+p")
        await type_text(pilot, "reload greetings")
        await wait_for_text(pilot, "reload this extension")
        await pilot.press("enter")
        await wait_for(pilot, lambda: info.reloads == 1, what="a reload from the palette")
