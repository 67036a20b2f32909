"""Hooks: the event hooks extensions registered, how they perform, and their breakers.

Reads the ``hooks`` view (the hook service's data, see :mod:`zoryx.hooks`) and nothing
else; enable, disable and reset are operator actions. When the feature is off the pane
says why and how to turn it on, instead of showing an empty table.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static
from textual.widgets.data_table import RowDoesNotExist

from tui.widgets import FROZEN, LiveStatic, clock, matches
from zoryx.hooks import HookExecution, HookInfo  # the plain records the hooks view carries
from zoryx.readmodel import ActionFailed, SourceLost

from ._console import confirm, hide_result_box, show_result_box
from .base import Pane

T = TypeVar("T")
HISTORY_ROWS = 20
COLUMNS: tuple[tuple[str, int | None], ...] = (
    ("Hook", None),
    ("Event", None),
    ("Prio", 4),
    ("On", 5),
    ("Calls", 6),
    ("Fail", 4),
    ("Mean", 8),
    ("Circuit", 9),
)
CIRCUIT_STYLE = {"closed": "green", "half-open": "bold yellow", "open": "bold red"}


class HooksPane(Pane):
    """Registered hooks with their metrics; ``e``/``x`` enable/disable, ``c`` resets."""

    pane_id = "hooks"
    title = "Hooks"
    refresh_seconds = 2.0
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "enable", "Enable"),
        Binding("x", "disable", "Disable"),
        Binding("c", "reset", "Reset circuit"),
        Binding("escape", "hide_result", "Close result", show=False),
    ]
    extra_help = [
        ("e / x / c", "act on the selected hook, from either table (a run selects its hook)"),
        ("x", "disable the selected hook (asks first)"),
        ("c", "close the hook's circuit breaker and forget its recent failures"),
        ("/", "filter hooks by id or event"),
    ]

    DEFAULT_CSS = """
    HooksPane #hk-table { height: 1fr; min-height: 4; }
    HooksPane #hk-history { height: 40%; min-height: 4; border-top: solid $primary 40%;
        border-title-align: left; }
    HooksPane #hk-off { height: auto; padding: 1 2; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hooks: list[HookInfo] = []
        self.on = False  # the hook feature runs (as of the last refresh)
        self._filter = ""
        self._shown: tuple[Any, ...] | None = None
        self._history_key: tuple[Any, ...] | None = None
        self._history_entries: list[HookExecution] = []  # the executions table's rows

    def compose(self) -> ComposeResult:
        yield LiveStatic(id="hk-status", classes="pane-hint")
        off = Static(id="hk-off", classes="card")
        off.border_title = "Event hooks are off"
        off.display = False
        yield off
        table: DataTable[Any] = DataTable(id="hk-table", cursor_type="row", zebra_stripes=True)
        # Fixed widths for cells whose text changes, so a refresh never clips them.
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        yield table
        history: DataTable[Any] = DataTable(id="hk-history", cursor_type="row")
        history.show_cursor = False
        history.border_title = "Recent executions"
        history.add_columns("Time", "Hook", "Result", "Took")
        yield history
        result = Static(id="hk-result", classes="result")
        result.border_title = "Result"
        yield result

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#hk-table", DataTable)

    @property
    def history_table(self) -> DataTable[Any]:
        return self.query_one("#hk-history", DataTable)

    # -- data ------------------------------------------------------------------------------
    async def refresh_data(self) -> None:
        data = await self.source.read("hooks", history=HISTORY_ROWS)
        self.on = bool(data["on"])
        self._show_off(data)
        if not self.on:
            self.hooks = []
            return
        self.hooks = [_known(HookInfo, hook) for hook in data["hooks"]]
        stats = data["stats"]
        self._render_hooks()
        self._render_history([_known(HookExecution, entry) for entry in data["history"]])
        self.query_one("#hk-status", LiveStatic).show_text(
            f"{stats['hooks']} hooks on {stats['events']} events · {stats['disabled']} off · "
            f"{stats['open_circuits']} open circuits · queue {stats['queue']}/"
            f"{stats['queue_size']} · worker {stats['worker']} · dropped {stats['dropped']}"
            + (f" · filter: {self._filter!r}" if self._filter else "")
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No enable/disable/reset keys (nor their footer entries) while the feature is off."""
        if action in ("enable", "disable", "reset"):
            return self.on
        return True

    def _show_off(self, data: dict[str, Any]) -> None:
        off = not data["on"]
        if off == self.query_one("#hk-off").display:
            return
        self.refresh_bindings()
        for selector in ("#hk-table", "#hk-history"):
            self.query_one(selector).display = not off
        card = self.query_one("#hk-off", Static)
        card.display = off
        if off:
            card.update(self._why_off(data))
            self.query_one("#hk-status", LiveStatic).show_text("event hooks: off")

    def _why_off(self, data: dict[str, Any]) -> Text:
        if data["failure"] is not None:
            reason = f"The event_hooks framework cog failed to load: {data['failure']}"
        elif not data["load_cogs"]:
            reason = 'Framework cogs are switched off ("framework": {"load_cogs": false}).'
        elif not data["enable_event_hooks"]:
            reason = (
                'The hook system is switched off ("framework": {"enable_event_hooks": false} '
                "in config.json, or ENABLE_EVENT_HOOKS=false)."
            )
        else:
            reason = "The event_hooks framework cog is not loaded."
        text = Text(reason + "\n\n")
        text.append("To use hooks: ", style="bold")
        text.append(
            'set "load_cogs" and "enable_event_hooks" to true in the "framework" section of '
            "config.json and restart the bot. Extensions then register hooks with "
            "bot.register_hook(event, callback, priority), and they appear here with their "
            "calls, failures, timings and circuit breakers."
        )
        return text

    def _render_hooks(self) -> None:
        visible = [h for h in self.hooks if matches(f"{h.hook_id} {h.event}", self._filter)]
        rows = tuple(self._cells(h) for h in visible)
        if rows == self._shown:
            return
        self._shown = rows
        table = self.table
        selected = self.selected()
        table.clear()
        for hook, cells in zip(visible, rows, strict=True):
            table.add_row(*cells, key=hook.hook_id)
        if selected is not None and selected.hook_id in {h.hook_id for h in visible}:
            table.move_cursor(row=table.get_row_index(selected.hook_id), animate=False)

    def _cells(self, hook: HookInfo) -> tuple[Any, ...]:
        name = hook.hook_id.split(":", 1)[-1]
        enabled = Text("✓ on", style="green") if hook.enabled else Text("✗ off", style="bold red")
        failures = Text(str(hook.failures), style="bold red" if hook.failures else "")
        if not hook.calls:
            mean = "—"
        else:
            mean = FROZEN if self.frozen else f"{hook.mean_ms:.1f} ms"
        circuit = Text(hook.circuit, style=CIRCUIT_STYLE.get(hook.circuit, ""))
        return (
            name,
            hook.event,
            str(hook.priority),
            enabled,
            str(hook.calls),
            failures,
            mean,
            circuit,
        )

    def _render_history(self, entries: list[HookExecution]) -> None:
        key = (len(entries), entries[0].at if entries else 0.0, self.frozen)
        if key == self._history_key:
            return
        self._history_key = key
        history = self.history_table
        # Keep the highlighted execution highlighted as newer ones arrive on top.
        shown = self._history_entries
        row = history.cursor_row
        previous = shown[row] if 0 <= row < len(shown) else None
        row = next((i for i, entry in enumerate(entries) if entry == previous), 0)
        history.clear()
        self._history_entries = list(entries)
        for entry in entries:
            result = (
                Text("✓ ok", style="green")
                if entry.ok
                else Text(f"✗ {entry.error or 'failed'}", style="red")
            )
            took = FROZEN if self.frozen else f"{entry.duration_ms:.1f} ms"
            history.add_row(clock(entry.at, self.frozen), entry.hook_id, result, took)
        if row:
            history.move_cursor(row=row, animate=False)

    def selected(self) -> HookInfo | None:
        """The hook the keys act on: the executions table's row when it has the focus
        (the hook that ran), else the hooks table's row."""
        history = self.history_table
        ran = self._history_entries
        if history.has_focus and ran:
            key: object = ran[min(history.cursor_row, len(ran) - 1)].hook_id
        else:
            table = self.table
            if table.row_count == 0 or not table.display:
                return None
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((h for h in self.hooks if h.hook_id == key), None)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._history_cursor()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._history_cursor()

    def _history_cursor(self) -> None:
        """The executions table shows its cursor only while it has the focus (and the keys)."""
        history = self.history_table
        history.show_cursor = history.has_focus

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """An execution highlighted below also selects its hook above (when listed)."""
        if event.data_table.id != "hk-history" or not event.data_table.has_focus:
            return
        if 0 <= event.cursor_row < len(self._history_entries):
            table = self.table
            hook_id = self._history_entries[event.cursor_row].hook_id
            with contextlib.suppress(RowDoesNotExist):
                table.move_cursor(row=table.get_row_index(hook_id), animate=False)

    def apply_filter(self, text: str) -> None:
        self._filter = text.strip()
        self._render_hooks()

    # -- actions ---------------------------------------------------------------------------
    def action_enable(self) -> None:
        self.run_worker(self.set_enabled(True), group="hk-action")

    def action_disable(self) -> None:
        self.run_worker(self.set_enabled(False), group="hk-action")

    async def set_enabled(self, enabled: bool) -> None:
        hook = self.selected()
        if not self.on or hook is None:
            return
        if hook.enabled == enabled:
            self.show_result(f"{hook.hook_id} is already {'enabled' if enabled else 'disabled'}.")
            return
        if not enabled:
            question = (
                f"Disable the hook {hook.hook_id}? It stops running until you enable it again "
                "(e) or the bot restarts."
            )
            if not await confirm(self.app, question, "Disable"):
                self.show_result(f"{hook.hook_id} stays enabled.")
                return
        try:
            await self.source.act("set_hook_enabled", hook_id=hook.hook_id, enabled=enabled)
        except (ActionFailed, SourceLost) as exc:
            self.show_result(f"✗ {exc}", error=True)
            return
        self.show_result(f"✓ {'enabled' if enabled else 'disabled'} {hook.hook_id}")
        await self.refresh_data()

    def action_reset(self) -> None:
        self.run_worker(self.reset(), group="hk-action")

    async def reset(self) -> None:
        hook = self.selected()
        if not self.on or hook is None:
            return
        try:
            await self.source.act("reset_hook_circuit", hook_id=hook.hook_id)
        except (ActionFailed, SourceLost) as exc:
            self.show_result(f"✗ {exc}", error=True)
            return
        was = "" if hook.circuit == "closed" else f" (was {hook.circuit})"
        self.show_result(f"✓ circuit of {hook.hook_id} reset: closed{was}")
        await self.refresh_data()

    def show_result(self, text: str, *, error: bool = False) -> None:
        show_result_box(self.query_one("#hk-result", Static), text, error=error)

    def action_hide_result(self) -> None:
        hide_result_box(self.app, self.query_one("#hk-result", Static))


def _known(cls: type[T], data: dict[str, Any]) -> T:
    """``cls`` built from the fields of ``data`` it knows (a newer bot may send more)."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{key: value for key, value in data.items() if key in names})


PANE = HooksPane
