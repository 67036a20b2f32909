"""The Files pane's editor: a code TextArea that knows which file it holds and if it changed."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import TextArea

__all__ = ["LANGUAGES", "FileEditor", "language_for"]

#: File suffix (or whole name) → TextArea language. Used only when that language is
#: available (tree-sitter grammars are optional); otherwise the file shows as plain text.
LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".toml": "toml",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".css": "css",
    ".tcss": "css",
    ".html": "html",
    ".htm": "html",
    ".xml": "xml",
    ".svg": "xml",
    ".js": "javascript",
    ".mjs": "javascript",
    ".sql": "sql",
    ".sh": "bash",
    ".bash": "bash",
    ".rs": "rust",
    ".go": "go",
    ".java": "java",
}


def language_for(path: str, available: set[str] | frozenset[str]) -> str | None:
    """The highlighting language for ``path``, or None (plain text)."""
    language = LANGUAGES.get(PurePosixPath(path).suffix.lower())
    return language if language in available else None


class FileEditor(TextArea):
    """A code editor for one file of the bot directory at a time.

    ``path`` is the relative path of the open file (None when nothing is open) and
    :attr:`modified` says whether the text differs from what was last read or saved.

    While a file is open every key types, digits included; ``esc`` leaves the editor
    (the console's ``leave_field``: back to the tree, where the number keys jump panes).
    ``tab`` indents.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.leave_field", "Leave editor", key_display="esc"),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            "",
            soft_wrap=False,
            tab_behavior="indent",
            show_line_numbers=False,
            read_only=True,
            placeholder="Pick a file in the tree and press enter to open it here.",
            **kwargs,  # type: ignore[arg-type]
        )
        self.path: str | None = None
        self.saved_text = ""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape" and not self.read_only:
            # TextArea would move the focus to the next widget, wherever that is; let the
            # key reach the bindings instead, where esc leaves the editor.
            event.prevent_default()

    @property
    def modified(self) -> bool:
        return self.path is not None and self.text != self.saved_text

    def open_file(self, path: str, text: str) -> None:
        """Show ``text`` as the content of ``path``, highlighted by its extension."""
        self.path = path
        self.saved_text = text
        self.language = language_for(path, self.available_languages)
        self.read_only = False
        self.show_line_numbers = True
        self.load_text(text)
        self.move_cursor((0, 0))
        self.scroll_home(animate=False)

    def close_file(self) -> None:
        self.path = None
        self.saved_text = ""
        self.language = None
        self.load_text("")
        self.read_only = True
        self.show_line_numbers = False

    def mark_saved(self, text: str) -> None:
        self.saved_text = text

    def renamed(self, path: str) -> None:
        """The open file now lives at ``path`` (the text and its changes stay)."""
        self.path = path
        self.language = language_for(path, self.available_languages)
