"""Plugins: user extensions and framework cogs; reload, load and unload from the keyboard.

The rows come from the ``plugins`` view. Every action goes through the source's operator
actions (role check + audit record) as the console's operator. The outcome is shown
inline under the table; a failed reload shows its traceback (the ``extension`` view) in a
scrollable panel while the previous version keeps running.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual.widgets.data_table import RowDoesNotExist

from tui.widgets import (
    FROZEN,
    CommandError,
    ConfirmScreen,
    LiveStatic,
    TracebackView,
    matches,
    plain,
)
from zoryx.readmodel import ActionFailed, SourceLost

from .base import Pane

STATE_STYLE = {
    "loaded": ("● loaded", "green"),
    "failed": ("✗ failed", "bold red"),
    "unloaded": ("○ unloaded", "dim"),
    "blacklisted": ("⊘ blacklisted", "dim"),
}
VERBS = ("reload", "load", "unload")
COLUMNS = ("Kind", "Name", "State", "Version", "Author", "Load", "Reloads", "Needs / conflicts")
#: Below this width the table drops the columns an operator needs least (the author, the
#: load time and the reload count: a reload's result line says both), so that the
#: dependency and conflict findings stay on screen.
NARROW_BELOW = 100
NARROW_COLUMNS = ("Kind", "Name", "State", "Version", "Needs / conflicts")
# Columns whose content changes in place get a fixed width: DataTable may keep painting
# a row at its old width after a cell grows (e.g. "● loaded" → "○ unloaded").
FIXED_WIDTHS = {"Kind": 4, "State": 13, "Load": 8, "Reloads": 7}


@dataclass(frozen=True)
class PluginRow:
    kind: str  # "ext" | "cog"
    name: str
    state: str
    version: str
    author: str
    load: str
    reloads: str
    relations: str
    problem: bool = False
    #: The plugin registry's mark (✅ ⚠️ ❌ 🔄) — about dependencies and conflicts, not state.
    mark: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


class PluginsPane(Pane):
    """Extensions (``extensions/``) and framework cogs (``cogs.*``) with their state."""

    pane_id = "plugins"
    title = "Plugins"
    short_title = "Plug"
    refresh_seconds = 3.0
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "extension('reload')", "Reload"),
        Binding("l", "extension('load')", "Load"),
        Binding("u", "extension('unload')", "Unload"),
        Binding("escape", "hide_result", "Close result", show=False),
    ]
    extra_help = [
        ("u", "unload asks for confirmation (y/n)"),
        ("tab", "focus the result panel to scroll a traceback"),
        ("esc", "close the result panel"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[PluginRow] = []
        self._filter = ""
        self._shown: tuple[PluginRow, ...] = ()
        self.columns: tuple[str, ...] = COLUMNS

    def compose(self) -> ComposeResult:
        yield LiveStatic(id="plg-status", classes="pane-hint")
        table: DataTable[Any] = DataTable(id="plg-table", cursor_type="row", zebra_stripes=True)
        _add_columns(table, self.columns)
        yield table
        with Vertical(id="plg-result", classes="result") as box:
            box.border_title = "Result"
            yield Static(id="plg-result-text")
            yield TracebackView(id="plg-traceback")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#plg-table", DataTable)

    def on_resize(self) -> None:
        columns = NARROW_COLUMNS if self.size.width < NARROW_BELOW else COLUMNS
        if columns == self.columns:
            return
        self.columns = columns
        table = self.table
        selected = self.selected()
        table.clear(columns=True)
        _add_columns(table, columns)
        self._shown = ()
        self._render_rows()
        if selected is not None:
            with contextlib.suppress(RowDoesNotExist):  # filtered out
                table.move_cursor(row=table.get_row_index(selected.key), animate=False)

    # -- data ------------------------------------------------------------------------------
    async def refresh_data(self) -> None:
        data = await self.source.read("plugins")
        if data["ready"]:
            self.rows = [self._row(row) for row in data["rows"]]
            self._render_rows()

    def _row(self, row: dict[str, Any]) -> PluginRow:
        if row["kind"] != "ext":
            load = reloads = "—"
        else:
            load_ms = row["load_ms"]
            if load_ms is None or row["state"] != "loaded":
                load = "—"
            else:
                load = FROZEN if self.frozen else f"{load_ms:.1f} ms"
            reloads = str(row["reloads"])
        return PluginRow(
            row["kind"],
            row["name"],
            row["state"],
            row["version"],
            row["author"],
            load,
            reloads,
            "; ".join(row["relations"]) or "—",
            problem=row["problem"],
            mark=row["mark"],
        )

    def _render_rows(self) -> None:
        visible = tuple(
            row
            for row in self.rows
            if matches(f"{row.kind} {row.name} {row.state} {row.author}", self._filter)
        )
        if visible == self._shown:
            return
        previous, self._shown = self._shown, visible
        table = self.table
        if [r.key for r in previous] == [r.key for r in visible]:
            # Same rows: update the cells in place (keeps the cursor; widths follow content).
            for row in visible:
                for column, value in zip(self.columns, _cells(row, self.columns), strict=True):
                    table.update_cell(row.key, column, value)
        else:
            selected = self.selected()
            table.clear()
            for row in visible:
                table.add_row(*_cells(row, self.columns), key=row.key)
            if selected is not None and selected.key in {r.key for r in visible}:
                table.move_cursor(row=table.get_row_index(selected.key), animate=False)
        loaded = sum(1 for r in self.rows if r.kind == "ext" and r.state == "loaded")
        extensions = sum(1 for r in self.rows if r.kind == "ext")
        hint = f"{loaded}/{extensions} extensions loaded · {len(self.rows) - extensions} cogs"
        if self._filter:
            hint += f" · filter: {self._filter!r}"
        hint += " · r reload · l load · u unload"
        self.query_one("#plg-status", LiveStatic).show_text(hint)

    def selected(self) -> PluginRow | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in self.rows if row.key == key), None)

    def apply_filter(self, text: str) -> None:
        self._filter = text.strip()
        self._render_rows()

    # -- actions ---------------------------------------------------------------------------
    def action_extension(self, verb: str) -> None:
        row = self.selected()
        if row is None:
            return
        if row.kind != "ext":
            self.show_result(
                f"{row.name} is a framework cog: it follows the framework switches in "
                "config.json and is not reloaded from here.",
                error=True,
            )
            return
        self.run_worker(self._keyed(verb, row.name), group="plg-action")

    async def _keyed(self, verb: str, name: str) -> None:
        with contextlib.suppress(CommandError):  # the outcome is already shown inline
            await self.extension_action(verb, name)

    async def extension_action(self, verb: str, name: str) -> str:
        """Reload, load or unload an extension; shows the outcome and returns a summary.

        Raises:
            CommandError: The action failed or was cancelled (the message says why).
        """
        if verb == "unload":
            question = f"Unload the extension {name}? Its commands stop working until loaded."
            if not await self.app.push_screen_wait(ConfirmScreen(question, "Unload")):
                self.show_result(f"Unload of {name} cancelled.")
                raise CommandError(f"unload of {name} cancelled")
        try:
            info = await self.source.act(f"{verb}_extension", name=name)
        except SourceLost as exc:
            summary = f"✗ {verb} {name}: the bot does not answer ({exc})"
            self.show_result(summary, error=True)
            raise CommandError(summary) from None
        except ActionFailed as exc:
            now = await self.source.read("extension", name=name)
            kept = verb == "reload" and now is not None and now["state"] == "loaded"
            summary = f"✗ {verb} {name} failed: {exc}"
            if kept and "previous version" not in summary:
                summary += " — the previous version keeps running"
            details = (now or {}).get("traceback") or ""
            self.show_result(summary, details, error=True)
            await self.refresh_data()
            raise CommandError(summary) from None
        load_ms = info["load_ms"]
        timing = "" if self.frozen or load_ms is None else f" in {load_ms:.1f} ms"
        done = {"reload": "reloaded", "load": "loaded", "unload": "unloaded"}[verb]
        summary = f"✓ {done} {name}{timing}"
        if verb == "reload":
            summary += f" (reload #{info['reloads']})"
        self.show_result(summary)
        await self.refresh_data()
        return summary

    def show_result(self, text: str, details: str = "", *, error: bool = False) -> None:
        box = self.query_one("#plg-result", Vertical)
        box.set_class(True, "-shown")
        box.set_class(error, "-error")
        self.query_one("#plg-result-text", Static).update(Text(text))
        trace = self.query_one("#plg-traceback", TracebackView)
        trace.load_text(details)
        trace.display = bool(details)

    def action_hide_result(self) -> None:
        box = self.query_one("#plg-result", Vertical)
        if box.has_class("-shown"):
            box.set_class(False, "-shown")
            self.table.focus()
        else:
            console: Any = self.app  # the console's sync "back", not App's pop-screen
            console.action_back()

    # -- ``:`` commands --------------------------------------------------------------------
    def command_help(self) -> list[tuple[str, str]]:
        return [
            ("reload <extension>", "reload an extension (the old version stays if it fails)"),
            ("load <extension>", "load an extension from extensions/"),
            ("unload <extension>", "unload an extension (asks first)"),
        ]

    async def run_command(self, name: str, args: list[str]) -> Any:
        if name not in VERBS:
            return None
        if args:
            target = args[0]
        else:
            row = self.selected()
            if row is None or row.kind != "ext":
                raise CommandError(f"usage: :{name} <extension>")
            target = row.name
        return await self.extension_action(name, target)


def _add_columns(table: DataTable[Any], columns: tuple[str, ...]) -> None:
    for label in columns:
        table.add_column(label, key=label, width=FIXED_WIDTHS.get(label))


def _cells(row: PluginRow, columns: tuple[str, ...] = COLUMNS) -> list[object]:
    label, style = STATE_STYLE.get(row.state, (row.state, ""))
    cells: dict[str, object] = {
        "Kind": Text(row.kind, style="bold" if row.kind == "ext" else "dim"),
        "Name": row.name,
        "State": Text(label + (" !" if row.problem else ""), style=style),
        "Version": row.version,
        "Author": row.author,
        "Load": row.load,
        "Reloads": row.reloads,
        "Needs / conflicts": f"{row.mark} {row.relations}" if row.mark else row.relations,
    }
    return plain(*(cells[column] for column in columns))


PANE = PluginsPane
