"""Typing into a pane's text field: every key types, esc leaves the field, then keys navigate.

One convention for the Sandbox message box and the Files editor: while the operator types,
digits are text; ``esc`` leaves the field (the key bar says so) and focus goes back to the
pane (the conversation, the file tree); then the number keys jump to panes again.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, RichLog

from tui.panes._file_tree import FileTree

from .conftest import Console, pane_key, screen_text, show, type_text, wait_for, wait_for_text
from .test_files_pane import open_from_tree


def key_bar(app: Any) -> str:
    return screen_text(app).splitlines()[-1]


async def test_sandbox_message_box_types_digits_and_esc_leaves_it(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        pane = await show(pilot, "sandbox")
        box = app.query_one("#sbx-text", Input)
        box.focus()
        await wait_for(pilot, lambda: "esc Leave box" in key_bar(app), what="the key bar")
        overview = pane_key(app, "overview")
        await type_text(pilot, f"roll {overview}")
        assert box.value == f"roll {overview}", "digits type into the box"
        assert app.current_pane() is pane

        await pilot.press("escape")
        await wait_for(pilot, lambda: not box.has_focus, what="esc leaving the box")
        assert isinstance(app.focused, RichLog) and app.focused.id == "sbx-log"
        assert box.value == f"roll {overview}", "leaving keeps what was typed"
        await wait_for(pilot, lambda: "Leave box" not in key_bar(app), what="the key bar")
        await pilot.press(overview)
        await wait_for(pilot, lambda: app.current_pane().pane_id == "overview", what="the jump")


async def test_editor_types_digits_and_esc_leaves_it_for_the_tree(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        pane = await show(pilot, "files")
        await open_from_tree(pilot, "extensions/greetings.py")
        editor = pane.editor
        await wait_for(pilot, lambda: editor.has_focus, what="the editor focused")
        await wait_for(pilot, lambda: "esc Leave editor" in key_bar(app), what="the key bar")
        bar = key_bar(app)
        assert "New" not in bar and "Delete" not in bar, "tree keys type here: not offered"
        overview = pane_key(app, "overview")
        await type_text(pilot, f"{overview}n")
        assert editor.text.startswith(f"{overview}n"), "digits and letters type into the file"
        assert app.current_pane() is pane
        pane.show_result("a result with details", "Traceback (most recent call last): …")
        await pilot.pause()

        await pilot.press("escape")
        await wait_for(pilot, lambda: not editor.has_focus, what="esc leaving the editor")
        assert isinstance(app.focused, FileTree), f"back to the tree, not {app.focused}"
        assert editor.modified, "leaving keeps the edit"
        await wait_for(pilot, lambda: "New" in key_bar(app), what="the tree's keys")
        assert "Leave editor" not in key_bar(app)
        await pilot.press(overview)
        await wait_for(pilot, lambda: app.current_pane().pane_id == "overview", what="the jump")
        await wait_for_text(pilot, "Health")
