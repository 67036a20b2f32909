"""Files: browse the bot directory and edit its files, then reload what you changed.

Every list, read, write, create, rename and delete is an operator action through the
console's source, so the path rules (confined to the bot directory, secrets such as
``.env`` never listed nor opened) live in one function and each change is audited. A
refused path is answered inline with the API's own message. What a save means for the
extensions (hot reload on or off, the file's extension and its state) comes from the
``file_info`` view, and the hot reload's outcome from the ``hot_reload`` view.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea, Tree

from tui.widgets import CommandError, PromptScreen, TracebackView
from zoryx.operator import FileEntry
from zoryx.readmodel import ActionFailed, SourceLost

from ._console import confirm, go_back
from ._editor import FileEditor
from ._file_tree import FileTree, parent_of
from ._hot_reload import describe, wait_for_hot_reload
from .base import Pane

#: Seconds the pane waits, after a save, for the hot reload of the file's extension.
HOT_RELOAD_WAIT = 20.0


class PathPrompt(PromptScreen):
    """The shared one-line prompt, pre-filled with a path (cursor at its end)."""

    def __init__(self, title: str, question: str, value: str = "") -> None:
        super().__init__(title, question, placeholder="folder/name.ext")
        self.initial = value

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.select_on_focus = False
        field.value = self.initial
        field.cursor_position = len(self.initial)


class FilesPane(Pane):
    """A lazily listed tree of the bot directory beside a syntax-highlighting editor."""

    pane_id = "files"
    title = "Files"
    refresh_seconds = 0.0
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save"),
        Binding("n", "create", "New"),
        Binding("m", "rename", "Rename"),
        Binding("d", "delete", "Delete"),
        Binding("r", "sync", "Refresh"),
        Binding("escape", "back", "Back", show=False),
    ]
    extra_help = [
        ("enter", "open the file under the cursor (or open/close a folder)"),
        ("tab", "from the tree to the editor"),
        ("esc", "in the editor: leave it, back to the tree (number keys jump panes again)"),
        ("ctrl+s", "save; then the hot reload's outcome, or (hot reload off) offers a reload"),
        ("n / m / d", "new file, rename, delete (asks first) — in the tree"),
    ]

    DEFAULT_CSS = """
    FilesPane #files-main { height: 1fr; }
    FilesPane #files-tree { width: 30%; min-width: 22; max-width: 40; height: 1fr;
        border-right: vkey $primary 40%; }
    FilesPane #files-side { width: 1fr; height: 1fr; }
    FilesPane #files-editor { height: 1fr; border: none; padding: 0; }
    FilesPane #files-traceback { height: auto; max-height: 10; border: none; padding: 0; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="files-main"):
            yield FileTree(self._list, id="files-tree")
            with Vertical(id="files-side"):
                yield Static(id="files-header", classes="pane-hint")
                yield FileEditor(id="files-editor")
                with Vertical(id="files-result", classes="result") as box:
                    box.border_title = "Result"
                    yield Static(id="files-result-text")
                    yield TracebackView(id="files-traceback")

    def on_mount(self) -> None:
        self._update_header()

    def home_widget(self) -> Widget | None:
        return self.file_tree

    @property
    def file_tree(self) -> FileTree:
        return self.query_one(FileTree)

    @property
    def editor(self) -> FileEditor:
        return self.query_one(FileEditor)

    async def _list(self, folder: str) -> list[FileEntry]:
        entries = await self.source.act("list_files", relative=folder)
        return [FileEntry(**entry) for entry in entries]

    async def refresh_data(self) -> None:
        await self.file_tree.sync()

    # -- showing -------------------------------------------------------------------------
    def _update_header(self) -> None:
        editor = self.editor
        line = Text()
        if editor.path is None:
            line.append("No file open — pick one in the tree and press enter")
        else:
            language = editor.language or "plain text"
            line.append(editor.path, style="bold")
            line.append(f" · {language} · {editor.document.line_count} lines · ")
            if editor.modified:
                line.append("● modified (ctrl+s saves)", style="bold yellow")
            else:
                line.append("saved", style="green")
        self.query_one("#files-header", Static).update(line)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._update_header()

    def show_result(self, text: str, details: str = "", *, error: bool = False) -> None:
        box = self.query_one("#files-result", Vertical)
        box.set_class(True, "-shown")
        box.set_class(error, "-error")
        self.query_one("#files-result-text", Static).update(Text(text))
        trace = self.query_one("#files-traceback", TracebackView)
        trace.load_text(details)
        trace.display = bool(details)

    def hide_result(self) -> bool:
        box = self.query_one("#files-result", Vertical)
        shown = box.has_class("-shown")
        box.set_class(False, "-shown")
        return shown

    def _work(self, action: Awaitable[Any]) -> None:
        """Run an operator's action in a worker; a bot that stops answering is shown inline."""

        async def run() -> None:
            try:
                await action
            except SourceLost as exc:
                self.show_result(f"✗ the bot does not answer: {exc}", error=True)

        self.run_worker(run(), group="files-action")

    def on_file_tree_list_failed(self, event: FileTree.ListFailed) -> None:
        self.show_result(
            f"✗ cannot list {event.path or 'the bot directory'}: {event.reason}", error=True
        )

    # -- opening ---------------------------------------------------------------------------
    def on_tree_node_selected(self, event: Tree.NodeSelected[FileEntry]) -> None:
        entry = event.node.data
        if entry is not None and not entry.is_dir:
            self._work(self.open_file(entry.path))

    async def open_file(self, path: str) -> bool:
        """Open ``path`` in the editor (asks first when the open file has unsaved changes).

        Returns whether it was opened; a refusal is shown inline.
        """
        try:
            return await self._open(path)
        except ActionFailed as exc:
            self.show_result(f"✗ cannot open {path}: {exc}", error=True)
            return False

    async def _open(self, path: str) -> bool:
        editor = self.editor
        if editor.path == path:
            editor.focus()
            return True
        if not await self._may_leave(f"open {path}"):
            return False
        text = await self.source.act("read_file", relative=path)
        editor.open_file(path, text)
        self.hide_result()
        self._update_header()
        editor.focus()
        return True

    async def _may_leave(self, doing: str) -> bool:
        editor = self.editor
        if not editor.modified:
            return True
        question = f"{editor.path} has unsaved changes. Discard them and {doing}?"
        if await confirm(self.app, question, "Discard"):
            return True
        self.show_result(f"Kept your changes to {editor.path} (ctrl+s saves them).")
        return False

    # -- saving ----------------------------------------------------------------------------
    def action_save(self) -> None:
        self._work(self.save())

    async def save(self) -> None:
        editor = self.editor
        path = editor.path
        if path is None:
            self.show_result("Nothing to save: no file is open.")
            return
        text = editor.text
        if not await self._may_overwrite(path, editor.saved_text, text):
            self.show_result(f"Not saved: {path} keeps the version on disk; your edits stay here.")
            return
        info = await self.source.read("file_info", path=path)
        name, state, hot = info["extension"], info["state"], info["auto_reload"]
        # Reading file_info made the bot listen for hot reloads: an outcome that comes
        # before the write returns is kept, and found by the mark taken before writing.
        waits = name is not None and hot and state not in ("blacklisted", "unloaded")
        try:
            await self.source.act("write_file", relative=path, text=text)
        except ActionFailed as exc:
            self.show_result(f"✗ could not save {path}: {exc}", error=True)
            return
        editor.mark_saved(text)
        self._update_header()
        if waits:
            await self._show_hot_reload(path, name, info["mark"], state == "loaded")
        elif hot and state == "unloaded":
            self.show_result(
                f"✓ saved {path} — {name} stays unloaded: hot reload leaves an extension "
                "you unloaded alone (l in Plugins loads it)"
            )
        elif state is None or state == "blacklisted" or hot:
            self.show_result(f"✓ saved {path}")
        else:
            await self._offer_reload(path, name, state == "loaded")

    async def _show_hot_reload(self, path: str, name: str, mark: float, loaded: bool) -> None:
        """Show "saved", then what the hot reload of the file's extension made of it."""
        verb = "reload" if loaded else "load"
        self.show_result(f"✓ saved {path} · hot reload is on: waiting for the {verb}…")
        outcome = await wait_for_hot_reload(self.source, name, mark, HOT_RELOAD_WAIT)
        if outcome is None:
            self.show_result(
                f"✓ saved {path} · no hot {verb} of {name} seen within "
                f"{HOT_RELOAD_WAIT:.0f} s (the log says more)",
                error=True,
            )
            return
        summary, failed = describe(outcome, loaded)
        details = (outcome["traceback"] or "") if failed else ""
        self.show_result(f"✓ saved {path} · {summary}", details, error=failed)

    async def _may_overwrite(self, path: str, opened: str, text: str) -> bool:
        """Ask before saving over a file that changed on disk since it was opened."""
        try:
            on_disk = await self.source.act("read_file", relative=path)
        except ActionFailed:
            return True  # gone or unreadable now: writing it again is what the operator wants
        if on_disk in (opened, text):
            return True
        question = f"{path} changed on disk since you opened it. Overwrite it with your version?"
        return await confirm(self.app, question, "Overwrite")

    async def _offer_reload(self, path: str, name: str, loaded: bool) -> None:
        verb = "reload" if loaded else "load"
        question = f"Saved {path}. {verb.capitalize()} the extension {name} now?"
        if not await confirm(self.app, question, verb.capitalize()):
            self.show_result(
                f"✓ saved {path} — {name} not {verb}ed (the running code is unchanged)"
            )
            return
        try:
            info = await self.source.act(f"{verb}_extension", name=name)
        except ActionFailed as exc:
            current = await self.source.read("file_info", path=path)
            summary = f"✓ saved {path} · ✗ {verb} of {name} failed: {exc}"
            if loaded and current["state"] == "loaded":
                summary += " — the previous version keeps running"
            self.show_result(summary, current["traceback"] or "", error=True)
            return
        done = f"reloaded {name} (reload #{info['reloads']})" if loaded else f"loaded {name}"
        self.show_result(f"✓ saved {path} · ✓ {done}")

    # -- create, rename, delete ----------------------------------------------------------
    def _target(self) -> FileEntry | None:
        return self.file_tree.current

    def action_create(self) -> None:
        self._work(self.create())

    async def create(self) -> bool:
        entry = self._target()
        folder = "" if entry is None else entry.path if entry.is_dir else parent_of(entry.path)
        prompt = PathPrompt(
            "New file",
            "Path of the new file, relative to the bot directory:",
            f"{folder}/" if folder else "",
        )
        path = ((await self.app.push_screen_wait(prompt)) or "").strip()
        if not path:
            return False
        try:
            await self.source.act("create_file", relative=path, text="")
        except ActionFailed as exc:
            self.show_result(f"✗ {exc}", error=True)
            return False
        self.show_result(f"✓ created {path}")
        await self.file_tree.sync()
        await self.file_tree.reveal(path)
        await self.open_file(path)
        return True

    def action_rename(self) -> None:
        self._work(self.rename())

    async def rename(self) -> bool:
        entry = self._target()
        if entry is None:
            return False
        prompt = PathPrompt("Rename", f"New path for {entry.path}:", entry.path)
        new = ((await self.app.push_screen_wait(prompt)) or "").strip().rstrip("/")
        if not new or new == entry.path:
            return False
        try:
            await self.source.act("rename_file", relative=entry.path, new_relative=new)
        except ActionFailed as exc:
            self.show_result(f"✗ {exc}", error=True)
            return False
        editor = self.editor
        if editor.path is not None and _inside(editor.path, entry.path):
            editor.renamed(new + editor.path[len(entry.path) :])
            self._update_header()
        self.show_result(f"✓ renamed {entry.path} → {new}")
        await self.file_tree.sync()
        await self.file_tree.reveal(new)
        return True

    def action_delete(self) -> None:
        self._work(self.delete())

    async def delete(self) -> bool:
        entry = self._target()
        if entry is None:
            return False
        what = f"the folder {entry.path} and everything in it" if entry.is_dir else entry.path
        question = f"Delete {what}? This cannot be undone."
        if not await confirm(self.app, question, "Delete"):
            self.show_result(f"Kept {entry.path}.")
            return False
        try:
            await self.source.act("delete_file", relative=entry.path)
        except ActionFailed as exc:
            self.show_result(f"✗ {exc}", error=True)
            return False
        editor = self.editor
        if editor.path is not None and _inside(editor.path, entry.path):
            editor.close_file()
            self._update_header()
        self.show_result(f"✓ deleted {entry.path}")
        await self.file_tree.sync()
        return True

    def action_sync(self) -> None:
        self._work(self.file_tree.sync())

    def action_back(self) -> None:
        if not self.hide_result():
            go_back(self.app)

    def unsaved_changes(self) -> list[str]:
        """Open files with unsaved changes (for a quit confirmation)."""
        editor = self.editor
        return [editor.path] if editor.path is not None and editor.modified else []

    def command_help(self) -> list[tuple[str, str]]:
        return [("edit <path>", "open a file of the bot directory in the Files pane")]

    async def run_command(self, name: str, args: list[str]) -> Any:
        if name != "edit":
            return None
        if not args:
            raise CommandError("usage: :edit <path>")
        path = " ".join(args)
        self.app.show_pane_by_ref(self.pane_id)  # type: ignore[attr-defined]
        try:
            if not await self._open(path):
                return f"kept {self.editor.path} open"
        except ActionFailed as exc:
            self.show_result(f"✗ cannot open {path}: {exc}", error=True)
            raise CommandError(f"cannot open {path}: {exc}") from None
        await self.file_tree.reveal(path)
        self.editor.focus()
        return f"opened {path}"


def _inside(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith(ancestor + "/")


PANE = FilesPane
