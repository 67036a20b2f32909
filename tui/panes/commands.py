"""Commands: every prefix, hybrid, converted and slash command, with usage, and a way to run one.

The rows come from the ``commands`` view. Usage counts (persisted plus pending) come from
the ``command_usage`` view, read in a worker every few seconds rather than on every
refresh; only the usage cells that changed are updated then (any update repaints the
whole DataTable, which is costly beside a busy bot). On the embedded sandbox, ``enter``
runs the selected command as the sandbox user ``owner`` (the ``run_in_sandbox`` operator
action) and shows the bot's answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tui.widgets import FROZEN, LiveStatic, PromptScreen, TracebackView, ago, matches, plain
from zoryx.readmodel import SourceLost

from .base import Pane

KINDS = {
    "hybrid": "⚡ hybrid",
    "prefix": "🔸 prefix",
    "converted": "🔹 conv.",
    "slash": "/  slash",
}
USAGE_EVERY = 5.0
REPLY_TIMEOUT = 8.0
RUN_AS = "owner"


@dataclass(frozen=True)
class CommandRow:
    name: str
    kind: str
    cog: str
    description: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Usage:
    count: int
    errors: int
    last_used: float | None


class CommandsPane(Pane):
    """All commands; ``enter`` runs the selected one in the sandbox."""

    pane_id = "commands"
    title = "Commands"
    short_title = "Cmds"
    refresh_seconds = 2.0
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "run_selected", "Run", show=True),
    ]
    extra_help = [
        ("enter", "run the command in the sandbox as 'owner' (asks for arguments)"),
        ("/", "filter by name, type, cog or description"),
        ("types", "⚡ hybrid · 🔸 prefix · 🔹 converted to slash · / slash only"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[CommandRow] = []
        self.usage: dict[str, Usage] = {}
        self.sandbox: str | None = None  # "embedded", "attached" or None (live Discord)
        self._filter = ""
        self._shown_key: tuple[Any, ...] = ()
        self._shown_usage: dict[str, tuple[str, str, str]] = {}  # row key -> usage cells shown
        self._usage_at = 0.0

    def compose(self) -> ComposeResult:
        yield LiveStatic(id="cmd-status", classes="pane-hint")
        table: DataTable[Any] = DataTable(id="cmd-table", cursor_type="row", zebra_stripes=True)
        # Cells updated in place get fixed widths (a DataTable may keep painting a row at
        # a column's old width after the content grew).
        for label, key, width in (
            ("Type", "type", 9),
            ("Command", "name", None),
            ("Cog", "cog", None),
            ("Uses", "uses", 5),
            ("Last used", "last", 9),
            ("Err", "errors", 3),
            ("Description", "description", None),
        ):
            table.add_column(label, key=key, width=width)
        yield table
        reply = TracebackView(id="cmd-reply", classes="result")
        reply.border_title = "Run"
        yield reply

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#cmd-table", DataTable)

    # -- data ------------------------------------------------------------------------------
    async def refresh_data(self) -> None:
        data = await self.source.read("commands")
        if not data["ready"]:
            return
        self.sandbox = data["sandbox"]
        self.rows = [CommandRow(**row) for row in data["rows"]]
        self._render_rows()
        if time.monotonic() - self._usage_at >= USAGE_EVERY:
            self._usage_at = time.monotonic()
            self.run_worker(
                self._load_usage(), group="cmd-usage", exclusive=True, exit_on_error=False
            )

    async def _load_usage(self) -> None:
        names = sorted({row.name for row in self.rows})
        try:
            usage = await self.source.read("command_usage", names=names)
        except SourceLost:
            return  # read again on a later refresh
        for name, counts in usage.items():
            self.usage[name] = Usage(**counts)
        self._render_rows(usage=True)

    def _visible(self) -> list[CommandRow]:
        return [
            row
            for row in self.rows
            if matches(f"{row.name} {KINDS[row.kind]} {row.cog} {row.description}", self._filter)
        ]

    def _render_rows(self, *, usage: bool = False) -> None:
        """Show the rows (rebuilt only if they changed); ``usage``: new usage counts came."""
        visible = self._visible()
        key = (tuple(row.key for row in visible), self._filter, len(self.usage))
        if key == self._shown_key:
            if usage:
                self._update_usage_cells(visible)
            return
        self._shown_key = key
        table = self.table
        selected = self._selected()
        table.clear()
        self._shown_usage.clear()
        for row in visible:
            uses, last, errors = self._usage_cells(row)
            self._shown_usage[row.key] = (uses, last, errors.plain)
            cells = plain(KINDS[row.kind], row.name, row.cog, uses, last, errors, row.description)
            table.add_row(*cells, key=row.key)
        if selected is not None and selected.key in {r.key for r in visible}:
            table.move_cursor(row=table.get_row_index(selected.key), animate=False)
        self._update_status(len(visible))

    def _usage_cells(self, row: CommandRow) -> tuple[str, str, Text]:
        usage = self.usage.get(row.name)
        if usage is None:
            return "…", "…", Text("…")
        last = FROZEN if self.frozen and usage.last_used else ago(usage.last_used)
        errors = Text(str(usage.errors), style="bold red" if usage.errors else "")
        return str(usage.count), last, errors

    def _update_usage_cells(self, visible: list[CommandRow]) -> None:
        """Update the usage cells that changed (any update repaints the whole table)."""
        table = self.table
        for row in visible:
            uses, last, errors = self._usage_cells(row)
            shown = self._shown_usage.get(row.key)
            if shown == (uses, last, errors.plain):
                continue
            self._shown_usage[row.key] = (uses, last, errors.plain)
            if shown is None or shown[0] != uses:
                table.update_cell(row.key, "uses", Text(uses))
            if shown is None or shown[1] != last:
                table.update_cell(row.key, "last", Text(last))
            if shown is None or shown[2] != errors.plain:
                table.update_cell(row.key, "errors", errors)

    def _update_status(self, shown: int) -> None:
        counts = {kind: sum(1 for r in self.rows if r.kind == kind) for kind in KINDS}
        parts = [f"{shown}/{len(self.rows)} commands"]
        parts += [f"{KINDS[k].split()[0]} {n}" for k, n in counts.items() if n]
        if self._filter:
            parts.append(f"filter: {self._filter!r}")
        if self.sandbox == "embedded":
            parts.append("enter: run")
        else:
            attached = self.sandbox == "attached"
            parts.append("sandbox attached: read-only" if attached else "live: read-only")
        self.query_one("#cmd-status", LiveStatic).show_text(" · ".join(parts))

    def _selected(self) -> CommandRow | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in self.rows if row.key == key), None)

    # -- contract --------------------------------------------------------------------------
    def apply_filter(self, text: str) -> None:
        self._filter = text.strip()
        self._render_rows()

    # -- running a command -----------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_run_selected()

    def action_run_selected(self) -> None:
        row = self._selected()
        if row is None:
            return
        if self.sandbox == "attached":
            self.app.notify(
                "This bot is attached to a sandbox run elsewhere (ZORYX_SANDBOX_URL): drive it "
                "through that sandbox's control API.",
                severity="warning",
            )
            return
        if self.sandbox != "embedded":
            self.app.notify(
                "Running commands from the console needs the sandbox Discord (start without "
                "DISCORD_TOKEN). On live Discord, run them from Discord itself.",
                severity="warning",
            )
            return
        self.run_worker(self._run(row), group="cmd-run", exclusive=True)

    async def _run(self, row: CommandRow) -> None:
        try:
            target = (await self.source.read("commands", target=True)).get("target")
        except Exception as exc:  # e.g. an attached bot that went away
            self._show_reply(f"could not reach the bot: {exc}", error=True)
            return
        if target is None:
            self._show_reply("the sandbox has no guild text channel to run commands in", True)
            return
        prefix = target["prefix"]
        if row.kind == "slash":
            question = f"Options for /{row.name} as name=value pairs (empty for none):"
            shown = f"/{row.name}"
        else:
            question = f"Arguments for {prefix}{row.name} (empty for none):"
            shown = f"{prefix}{row.name}"
        where = f"{target['guild']} #{target['channel']} as {RUN_AS}"
        args = await self.app.push_screen_wait(PromptScreen(f"Run {shown}", f"{question}\n{where}"))
        if args is None:
            return
        self._show_reply(f"› {shown} {args}".rstrip() + "\n  waiting for the bot…", error=False)
        try:
            reply = await self.source.act(
                "run_in_sandbox",
                channel_id=target["channel_id"],
                command=row.name,
                args=args.strip(),
                slash=row.kind == "slash",
                user=RUN_AS,
                timeout=REPLY_TIMEOUT,
            )
        except Exception as exc:  # refused (ActionFailed) or the bot went away
            self._show_reply(f"› {shown} {args}\n‹ could not run it: {exc}", error=True)
            return
        if not reply["answered"]:
            self._show_reply(f"› {shown} {args}\n‹ no answer within {REPLY_TIMEOUT:.0f} s", True)
            return
        self._show_reply(f"› {shown} {args}".rstrip() + f"\n‹ {reply['text']}", error=False)
        self._usage_at = 0.0

    def _show_reply(self, text: str, error: bool) -> None:
        view = self.query_one("#cmd-reply", TracebackView)
        view.load_text(text)
        view.set_class(True, "-shown")
        view.set_class(error, "-error")


PANE = CommandsPane
