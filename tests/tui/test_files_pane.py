"""Files pane: browse, edit, save, reload; every change lands on disk through the operator API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.widgets.text_area import Selection

from tui.widgets import ConfirmScreen

from .conftest import (
    CONFIG,
    Console,
    paste_command,
    screen_text,
    show,
    type_text,
    wait_for,
    wait_for_text,
)

#: Seconds a test waits for the folder watcher (debounce, then the reload) on a busy machine.
HOT_RELOAD = 30.0


async def wait_for_question(pilot: Any, text: str) -> None:
    """Wait for the confirm dialog asking ``text`` (wrapped over lines), visible on screen."""
    app = pilot.app

    def asked() -> bool:
        screen = app.screen
        return isinstance(screen, ConfirmScreen) and text in " ".join(screen.question.split())

    await wait_for(pilot, asked, what=f"the question {text!r}")
    shown = screen_text(app)
    assert all(word in shown for word in text.split()), shown


async def move_to(pilot: Any, path: str) -> None:
    """Move the tree cursor to ``path`` with the arrow keys, like an operator would."""
    tree = pilot.app.current_pane().file_tree
    tree.focus()
    await wait_for(pilot, lambda: tree.node_for(path) is not None, what=f"{path} in the tree")
    for _ in range(60):
        current = tree.current
        if current is not None and current.path == path:
            return
        await pilot.press("down" if tree.node_for(path).line > tree.cursor_line else "up")
    raise AssertionError(f"could not reach {path} in the tree")


async def open_from_tree(pilot: Any, path: str) -> None:
    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        await move_to(pilot, "/".join(parts[:depth]))
        await pilot.press("enter")  # folders open, the file opens in the editor
    editor = pilot.app.current_pane().editor
    await wait_for(pilot, lambda: editor.path == path, what=f"{path} open in the editor")


async def replace_in_editor(pilot: Any, old: str, new: str) -> None:
    """Select ``old`` in the editor and type ``new`` over it."""
    editor = pilot.app.current_pane().editor
    editor.focus()
    for row, line in enumerate(editor.text.split("\n")):
        column = line.find(old)
        if column >= 0:
            editor.selection = Selection((row, column), (row, column + len(old)))
            break
    else:
        raise AssertionError(f"{old!r} not in the editor")
    await type_text(pilot, new)


async def test_edit_save_and_reload_an_extension(console: Console, bot_dir: Path) -> None:
    async with console() as pilot:
        app = pilot.app
        info = app.runtime.bot.extension_manager.get("greetings")
        await show(pilot, "files")
        await open_from_tree(pilot, "extensions/greetings.py")
        editor = app.current_pane().editor
        assert editor.language == "python"
        await wait_for_text(pilot, "extensions/greetings.py · python")
        await replace_in_editor(pilot, "Hello", "Howdy")
        await wait_for_text(pilot, "● modified")
        await pilot.press("ctrl+s")
        await wait_for_question(pilot, "Reload the extension greetings now?")
        source = (bot_dir / "extensions" / "greetings.py").read_text(encoding="utf-8")
        assert "👋 Howdy," in source and "Hello," not in source
        assert not editor.modified
        assert info.reloads == 0, "nothing reloads before the operator says yes"
        await pilot.press("y")
        await wait_for(pilot, lambda: info.reloads == 1, what="the reload")
        await wait_for_text(pilot, "✓ reloaded greetings (reload #1)")
        assert "saved" in screen_text(app)
        sandbox = app.runtime.sandbox
        sandbox.skip_existing("#general")
        await sandbox.user("alice").say("#general", "!hello")
        reply = await sandbox.expect_message("#general", timeout=5)
        assert reply.content == "👋 Howdy, Alice!"


async def test_overwrite_check_and_declining_the_reload(console: Console, bot_dir: Path) -> None:
    async with console() as pilot:
        app = pilot.app
        info = app.runtime.bot.extension_manager.get("greetings")
        source = bot_dir / "extensions" / "greetings.py"
        await show(pilot, "files")
        await open_from_tree(pilot, "extensions/greetings.py")
        await replace_in_editor(pilot, "Hello", "Hi")
        source.write_text(source.read_text(encoding="utf-8") + "# elsewhere\n", encoding="utf-8")
        await pilot.press("ctrl+s")
        await wait_for_question(pilot, "greetings.py changed on disk since you opened it")
        await pilot.press("n")
        await wait_for_text(pilot, "Not saved")
        assert "# elsewhere" in source.read_text(encoding="utf-8")
        assert "● modified" in screen_text(app)
        await pilot.press("ctrl+s")
        await wait_for_question(pilot, "changed on disk since you opened it")
        await pilot.press("y")
        await wait_for_question(pilot, "Reload the extension greetings now?")
        await pilot.press("n")
        await wait_for_text(pilot, "greetings not reloaded")
        saved = source.read_text(encoding="utf-8")
        assert "👋 Hi," in saved and "# elsewhere" not in saved
        assert info.reloads == 0


async def test_secrets_are_never_listed_and_escaping_paths_are_refused(
    console: Console, bot_dir: Path
) -> None:
    async with console() as pilot:
        app = pilot.app
        (bot_dir / ".env").write_text("GEMINI_API_KEY=very-secret-value\n", encoding="utf-8")
        (bot_dir / "deploy.key").write_text("private\n", encoding="utf-8")
        (bot_dir / ".env.example").write_text("DISCORD_TOKEN=\n", encoding="utf-8")
        pane = await show(pilot, "files")
        tree = pane.file_tree
        await wait_for(pilot, lambda: tree.node_for(".env.example") is not None, what="listing")
        names = [node.data.name for node in tree.root.children]
        assert "config.json" in names and "extensions" in names
        assert ".env" not in names and "deploy.key" not in names
        lines = [line.strip() for line in screen_text(pilot.app).splitlines()]
        assert not any(line.startswith((".env ", "deploy.key")) for line in lines)
        assert "very-secret-value" not in screen_text(pilot.app)
        await move_to(pilot, "config.json")
        await pilot.press("n")
        await wait_for_text(pilot, "Path of the new file")
        await pilot.press("ctrl+u")
        await type_text(pilot, "../escape.py")
        await pilot.press("enter")
        await wait_for_text(pilot, "'..' is not allowed: ../escape.py")
        assert not (bot_dir.parent / "escape.py").exists()
        assert not (bot_dir / "escape.py").exists()
        await pilot.press("n")
        await wait_for_text(pilot, "Path of the new file")
        await type_text(pilot, ".env")
        await pilot.press("enter")
        await wait_for_text(pilot, ".env is a secret file and is never shown")
        assert "very-secret-value" in (bot_dir / ".env").read_text(encoding="utf-8")
        await paste_command(pilot, "edit ../../etc/hostname")
        refused = "cannot open ../../etc/hostname: '..' is not allowed: ../../etc/hostname"
        await wait_for(pilot, lambda: any(refused == text for _, text in app.notices))
        assert pane.editor.path is None
        await paste_command(pilot, "edit config.json")
        await wait_for(pilot, lambda: pane.editor.path == "config.json", what=":edit")
        assert pane.editor.language == "json" and '"auto_reload"' in pane.editor.text


async def test_create_rename_and_unsaved_changes(console: Console, bot_dir: Path) -> None:
    async with console() as pilot:
        app = pilot.app
        pane = await show(pilot, "files")
        await move_to(pilot, "config.json")
        await pilot.press("n")
        await wait_for_text(pilot, "Path of the new file")
        await type_text(pilot, "notes/todo.md")
        await pilot.press("enter")
        editor = pane.editor
        await wait_for(pilot, lambda: editor.path == "notes/todo.md", what="the new file open")
        assert (bot_dir / "notes" / "todo.md").read_text(encoding="utf-8") == ""
        assert editor.language == "markdown"
        await type_text(pilot, "# plan")
        await wait_for_text(pilot, "● modified")
        await pane.file_tree.reveal("config.json")
        await open_from_tree_no_wait(pilot, "config.json")
        await wait_for_question(pilot, "notes/todo.md has unsaved changes")
        await pilot.press("n")
        await wait_for_text(pilot, "Kept your changes to notes/todo.md")
        assert editor.path == "notes/todo.md" and editor.text == "# plan"
        await pilot.press("ctrl+s")
        await wait_for_text(pilot, "✓ saved notes/todo.md")
        assert (bot_dir / "notes" / "todo.md").read_text(encoding="utf-8") == "# plan"
        await move_to(pilot, "notes/todo.md")
        await pilot.press("m")
        await wait_for_text(pilot, "New path for notes/todo.md")
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.press("backspace", "backspace")  # "todo.md" → ""
        await type_text(pilot, "done.md")
        await pilot.press("enter")
        await wait_for_text(pilot, "✓ renamed notes/todo.md → notes/done.md")
        assert (bot_dir / "notes" / "done.md").is_file()
        assert not (bot_dir / "notes" / "todo.md").exists()
        assert editor.path == "notes/done.md"
        assert app.current_pane().file_tree.node_for("notes/done.md") is not None


async def open_from_tree_no_wait(pilot: Any, path: str) -> None:
    await move_to(pilot, path)
    await pilot.press("enter")


async def test_delete_asks_first(console: Console, bot_dir: Path) -> None:
    async with console() as pilot:
        scratch = bot_dir / "scratch.txt"
        scratch.write_text("temporary\n", encoding="utf-8")
        pane = await show(pilot, "files")
        await move_to(pilot, "scratch.txt")
        await pilot.press("d")
        await wait_for_question(pilot, "Delete scratch.txt? This cannot be undone.")
        await pilot.press("n")
        await wait_for_text(pilot, "Kept scratch.txt.")
        assert scratch.exists()
        await pilot.press("d")
        await wait_for_question(pilot, "Delete scratch.txt?")
        await pilot.press("y")
        await wait_for_text(pilot, "✓ deleted scratch.txt")
        assert not scratch.exists()
        assert pane.file_tree.node_for("scratch.txt") is None


def test_language_and_extension_detection(tmp_path: Path) -> None:
    from tui.panes._editor import language_for
    from zoryx.extensions import ExtensionManager
    from zoryx.readmodel.views_world import extension_of

    manager = ExtensionManager(None, tmp_path / "extensions")  # type: ignore[arg-type]

    available = {"python", "json", "markdown", "toml"}
    assert language_for("extensions/a.py", available) == "python"
    assert language_for("config.json", available) == "json"
    assert language_for("README.MD", available) == "markdown"
    assert language_for("src/lib.rs", available) is None, "rust grammar missing: plain text"
    assert language_for("notes.txt", available) is None
    assert extension_of(manager, tmp_path, "extensions/greetings.py") == "greetings"
    assert extension_of(manager, tmp_path, "extensions/my-pack/helpers.py") == "my_pack"
    assert extension_of(manager, tmp_path, "extensions/README.md") is None
    assert extension_of(manager, tmp_path, "extensions/_private.py") is None
    assert extension_of(manager, tmp_path, "config.json") is None


async def test_hot_reload_on_shows_the_outcome_of_each_save(
    console: Console, bot_dir: Path
) -> None:
    config = bot_dir / "config.json"
    config.write_text(json.dumps({**CONFIG, "auto_reload": True}), encoding="utf-8")
    async with console() as pilot:
        app = pilot.app
        info = app.runtime.bot.extension_manager.get("greetings")
        await show(pilot, "files")
        await open_from_tree(pilot, "extensions/greetings.py")
        await replace_in_editor(pilot, "async def setup(bot: commands.Bot) -> None:", "def (")
        await pilot.press("ctrl+s")
        await wait_for_text(pilot, "✗ hot reload of greetings failed", timeout=HOT_RELOAD)
        text = screen_text(app)
        assert "✓ saved extensions/greetings.py" in text and "SyntaxError" in text, text
        assert "previous version" in text
        assert "Traceback" in app.query_one("#files-traceback").text
        assert info.state == "loaded" and info.reloads == 0

        await replace_in_editor(pilot, "def (", "async def setup(bot: commands.Bot) -> None:")
        await replace_in_editor(pilot, "Hello", "Howdy")
        await pilot.press("ctrl+s")
        await wait_for_text(pilot, "✓ hot reload: reloaded greetings (reload #1)", HOT_RELOAD)
        assert info.reloads == 1 and info.error is None
        sandbox = app.runtime.sandbox
        sandbox.skip_existing("#general")
        await sandbox.user("alice").say("#general", "!hello")
        reply = await sandbox.expect_message("#general", timeout=5)
        assert reply.content == "👋 Howdy, Alice!"
