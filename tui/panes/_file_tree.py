"""The Files pane's tree: the bot directory, each folder listed lazily when first expanded.

The tree never touches the file system itself: it asks a ``lister`` (the operator action
``list_files`` through the console's source), so confinement and secret hiding are decided in
one place. A folder is listed once when first expanded and again on :meth:`FileTree.sync`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets._tree import TreeNode

from zoryx.operator import FileEntry
from zoryx.readmodel import ActionFailed, SourceLost

__all__ = ["ROOT", "FileTree", "Lister", "parent_of"]

Lister = Callable[[str], Awaitable[list[FileEntry]]]
ROOT = FileEntry("", ".", True, 0)
Node = TreeNode[FileEntry]


def parent_of(path: str) -> str:
    """``"extensions/a.py"`` → ``"extensions"``; top-level paths → ``""``."""
    return path.rpartition("/")[0]


class FileTree(Tree[FileEntry]):
    """Folders and files of the bot directory, listed through ``lister``.

    Args:
        lister: ``async (relative folder) -> entries``; raises ``ActionFailed`` to refuse
            (or ``SourceLost`` when the bot does not answer).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "collapse_or_parent", "Collapse", show=False),
        Binding("right", "expand_folder", "Expand", show=False),
    ]

    class ListFailed(Message):
        """A folder could not be listed (the reason is the API's message)."""

        def __init__(self, path: str, reason: str) -> None:
            super().__init__()
            self.path = path
            self.reason = reason

    def __init__(self, lister: Lister, **kwargs: object) -> None:
        super().__init__("bot directory", data=ROOT, **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self.guide_depth = 2
        self._lister = lister
        self._listed: set[str] = set()

    # -- listing -------------------------------------------------------------------------
    async def sync(self) -> None:
        """List the root and every folder already listed again (new, renamed, deleted)."""
        await self._list(self.root)
        for node in self._folder_nodes():
            if node.data is not None and node.data.path in self._listed:
                await self._list(node)

    async def _list(self, node: Node) -> None:
        entry = node.data or ROOT
        try:
            entries = await self._lister(entry.path)
        except (ActionFailed, SourceLost) as exc:
            self._listed.discard(entry.path)
            self.post_message(self.ListFailed(entry.path, str(exc)))
            return
        self._listed.add(entry.path)
        self._fill(node, entries)

    def _fill(self, node: Node, entries: list[FileEntry]) -> None:
        shown = [(child.data.name, child.data.is_dir) for child in node.children if child.data]
        if shown == [(entry.name, entry.is_dir) for entry in entries]:
            for child, entry in zip(node.children, entries, strict=True):
                child.data = entry
            return
        expanded = {c.data.path for c in node.children if c.data and c.is_expanded}
        cursor = self.cursor_node.data.path if self.cursor_node and self.cursor_node.data else None
        node.remove_children()
        for entry in entries:
            if entry.is_dir:
                child = node.add(Text(entry.name + "/", style="bold"), data=entry)
                if entry.path in expanded and entry.path in self._listed:
                    child.expand()
                    self.run_worker(self._list(child), group="tree-list")
                else:
                    self._listed.discard(entry.path)
            else:
                node.add_leaf(entry.name, data=entry)
        if cursor is not None:
            self.select_path(cursor, quiet=True)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[FileEntry]) -> None:
        entry = event.node.data
        if entry is not None and entry.is_dir and entry.path not in self._listed:
            self.run_worker(self._list(event.node), group="tree-list")

    # -- lookups ---------------------------------------------------------------------------
    def _folder_nodes(self) -> list[Node]:
        out: list[Node] = []
        pending = [self.root]
        while pending:
            node = pending.pop(0)
            for child in node.children:
                if child.data is not None and child.data.is_dir:
                    out.append(child)
                    pending.append(child)
        return out

    def node_for(self, path: str) -> Node | None:
        """The node showing ``path`` (``""`` is the root), if its folder is listed."""
        if not path:
            return self.root
        parent = self.node_for(parent_of(path))
        if parent is None:
            return None
        return next((c for c in parent.children if c.data and c.data.path == path), None)

    def select_path(self, path: str, *, quiet: bool = False) -> bool:
        """Move the cursor to ``path`` if it is shown; returns whether it was."""
        node = self.node_for(path)
        if node is None or node is self.root:
            return False
        if not quiet:
            parent = node.parent
            while parent is not None and parent is not self.root:
                parent.expand()
                parent = parent.parent
        self.move_cursor(node, animate=False)
        return True

    async def reveal(self, path: str) -> None:
        """List and expand the folders leading to ``path``, then put the cursor on it."""
        folder = ""
        for part in [p for p in parent_of(path).split("/") if p]:
            folder = f"{folder}/{part}" if folder else part
            node = self.node_for(folder)
            if node is None:
                return
            if folder not in self._listed:
                await self._list(node)
            node.expand()
        parent = self.node_for(parent_of(path))
        if parent is not None:
            await self._list(parent)
        self.select_path(path)

    @property
    def current(self) -> FileEntry | None:
        node = self.cursor_node
        return node.data if node is not None and node is not self.root else None

    # -- keys --------------------------------------------------------------------------------
    def action_expand_folder(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand and not node.is_expanded:
            node.expand()

    def action_collapse_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent, animate=False)
