"""Backups: guild snapshots — create, verify, compare, restore, pin, note, delete, schedule.

Guilds on the left (the bot's, and any other with backups), the selected guild's snapshots
on the right (created, size, members, pinned, label, note), from the ``backups`` view (see
``zoryx/readmodel/views_backups.py``). The keys and what they do are in
:mod:`._backups_actions`; they act only through operator actions. The pane is listed
while the backup feature is switched on in the bot's configuration.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, ProgressBar, Static
from textual.widgets.data_table import RowDoesNotExist

from tui.widgets import FROZEN, LiveStatic, matches, plain
from zoryx.readmodel import ActionFailed, Source, SourceLost, UnknownView

from ._backups_actions import BackupActions
from ._backups_text import schedule_text, snapshot_cells, why_off

#: The pane's actions, available only while the backup feature runs.
ACTION_KEYS = frozenset(
    {"create", "verify", "diff", "mark", "restore", "pin", "note", "delete", "schedule", "audit"}
)
SNAPSHOT_COLUMNS: tuple[tuple[str, int | None], ...] = (
    ("Created", 16),
    ("Size", 8),
    ("Members", 7),
    ("Pin", 3),
    ("Label", None),
    ("Note", None),
)


class BackupsPane(BackupActions):
    """Guilds on the left, their snapshots on the right; the keys act on the selection."""

    pane_id = "backups"
    title = "Backups"
    short_title = "Bkup"
    refresh_seconds = 3.0
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "create", "New"),
        Binding("v", "verify", "Verify"),
        Binding("d", "diff", "Diff"),
        Binding("m", "mark", "Mark", show=False),
        Binding("r", "restore", "Restore"),
        Binding("p", "pin", "Pin"),
        Binding("e", "note", "Note"),
        Binding("x", "delete", "Delete"),
        Binding("s", "schedule", "Schedule"),
        Binding("a", "audit", "Audit", show=False),
        Binding("escape", "hide_result", "Close result", show=False),
    ]
    extra_help = [
        ("n", "back up the selected guild now (asks for an optional label)"),
        ("d", "compare the snapshot with the guild as it is now, or with the marked one"),
        ("m", "mark / unmark the snapshot to compare with (d then compares the two)"),
        ("r", "restore: pick components and switches; role sync asks once more"),
        ("x", "delete the snapshot (asks first; pinned ones must be unpinned)"),
        ("s", "automatic backups every 1-168 hours, or off"),
        ("a", "the guild's backup audit trail (who did what, newest first)"),
        ("tab", "move between guilds, snapshots and the result (to scroll a diff)"),
        ("/", "filter snapshots by label, note or ID"),
    ]

    DEFAULT_CSS = """
    BackupsPane #bk-main { height: 1fr; min-height: 5; }
    BackupsPane #bk-guilds { width: 21; height: 1fr; border-right: solid $primary 40%; }
    BackupsPane #bk-snapshots { width: 1fr; height: 1fr; }
    BackupsPane #bk-off { height: auto; padding: 1 2; }
    BackupsPane #bk-progress { height: auto; padding: 0 1; display: none; }
    BackupsPane #bk-progress.-shown { display: block; }
    BackupsPane #bk-result { height: auto; max-height: 45%; }
    """

    @classmethod
    async def listed(cls, source: Source) -> bool:
        """Listed while the backup feature is switched on in the bot's configuration."""
        try:
            data = await source.read("backups", details=False)
        except (UnknownView, ActionFailed, SourceLost):
            return False
        return bool(data.get("switched_on", data.get("on")))

    def compose(self) -> ComposeResult:
        yield LiveStatic(id="bk-status", classes="pane-hint")
        off = Static(id="bk-off", classes="card")
        off.border_title = "Backups are off"
        off.display = False
        yield off
        with Horizontal(id="bk-main"):
            guilds: DataTable[Any] = DataTable(id="bk-guilds", cursor_type="row")
            guilds.add_column("Guild", key="guild", width=13)
            guilds.add_column("#", key="count", width=2)
            yield guilds
            table: DataTable[Any] = DataTable(
                id="bk-snapshots", cursor_type="row", zebra_stripes=True
            )
            for label, width in SNAPSHOT_COLUMNS:
                table.add_column(label, key=label, width=width)
            yield table
        yield LiveStatic(id="bk-detail", classes="pane-hint")
        with Vertical(id="bk-progress"):
            yield Static(id="bk-progress-text")
            yield ProgressBar(total=1, show_eta=False, id="bk-bar")
        with VerticalScroll(id="bk-result", classes="result") as box:
            box.border_title = "Result"
            yield Static(id="bk-result-text")

    @property
    def guild_table(self) -> DataTable[Any]:
        return self.query_one("#bk-guilds", DataTable)

    # -- data ------------------------------------------------------------------------------
    async def refresh_data(self) -> None:
        self._reads += 1
        read = self._reads
        data = await self.source.read("backups", guild_id=self.guild_id)
        if read != self._reads:
            return  # a newer read (another guild was selected) is on its way
        self._show_off(data)
        if not data["on"]:
            return
        detail = data["guild"]
        self.components = list(data.get("components", []))
        self.default_components = list(data.get("default_components", []))
        self.guilds = list(data["guilds"])
        self.guild = detail
        self.guild_id = None if detail is None else detail["id"]
        snapshot_ids = {s["id"] for s in self.snapshots()}
        if self.marked not in snapshot_ids:
            self.marked = None
        self._render_guilds()
        self._render_snapshots()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No backup keys (nor their footer entries) while the feature is off."""
        return self.on if action in ACTION_KEYS else True

    def _show_off(self, data: dict[str, Any]) -> None:
        on = bool(data["on"])
        if on != self.on:
            self.on = on
            self.refresh_bindings()
        card = self.query_one("#bk-off", Static)
        if not on:
            card.update(why_off(data))
            self.query_one("#bk-status", LiveStatic).show_text("backups: off")
        if card.display == (not on):
            return
        self.query_one("#bk-main").display = on
        self.query_one("#bk-detail").display = on
        card.display = not on

    def _render_guilds(self) -> None:
        rows = tuple(
            (g["id"], g["name"] + ("" if g["present"] else " (left)"), g["snapshots"])
            for g in self.guilds
        )
        if rows == self._guild_rows:
            return
        self._guild_rows = rows
        table = self.guild_table
        table.clear()
        for gid, name, count in rows:
            table.add_row(*plain(name, str(count)), key=str(gid))
        if self.guild_id is not None:
            with contextlib.suppress(RowDoesNotExist):
                table.move_cursor(row=table.get_row_index(str(self.guild_id)), animate=False)

    def _render_snapshots(self) -> None:
        visible = [
            s
            for s in self.snapshots()
            if matches(f"{s['label']} {s['note']} {s['id']}", self._filter)
        ]
        rows = tuple(
            (s["id"], snapshot_cells(s, self.frozen, s["id"] == self.marked)) for s in visible
        )
        key = (self.guild_id, tuple((sid, tuple(map(str, cells))) for sid, cells in rows))
        if key != self._snapshot_rows:
            self._snapshot_rows = key
            table = self.table
            selected = self.selected()
            table.clear()
            for sid, cells in rows:
                table.add_row(*plain(*cells), key=sid)
            if selected is not None and selected["id"] in {sid for sid, _ in rows}:
                table.move_cursor(row=table.get_row_index(selected["id"]), animate=False)
        self._render_status(len(visible))
        self._render_detail()

    def _render_status(self, shown: int) -> None:
        guild = self.guild
        if guild is None:
            self.query_one("#bk-status", LiveStatic).show_text("no guilds")
            return
        total = len(guild["snapshots"])
        count = f"{shown}/{total}" if self._filter else str(total)
        parts = [f"{guild['name']}: {count} backups"]
        cooldown = guild.get("cooldown_left") or 0.0
        if cooldown > 0:
            parts.append(f"cooldown {FROZEN if self.frozen else f'{cooldown:.0f} s'}")
        parts.append(schedule_text(guild.get("schedule"), self.frozen))
        if self.marked is not None:
            parts.append("◆ marked for diff")
        if self._filter:
            parts.append(f"filter: {self._filter!r}")
        if guild.get("error"):
            parts.append(f"✗ {guild['error']}")
        self.query_one("#bk-status", LiveStatic).show_text(" · ".join(parts))

    def _render_detail(self) -> None:
        snapshot = self.selected()
        if snapshot is None:
            text = "no backup selected · n: back up this guild now" if self.guild else ""
        else:
            counts = snapshot.get("counts") or {}
            what = " ".join(
                f"{counts.get(k, 0)} {k}" for k in ("roles", "channels", "emojis", "bans")
            )
            ident = FROZEN if self.frozen else snapshot["id"]
            text = f"{ident} · by {snapshot['created_by']} · {what}"
        self.query_one("#bk-detail", LiveStatic).show_text(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "bk-snapshots":
            self._render_detail()
            return
        table = event.data_table
        if table.id != "bk-guilds" or not table.has_focus or event.row_key.value is None:
            return  # only the operator's moves select a guild, not a table being filled
        gid = int(event.row_key.value)
        if gid != self.guild_id:
            self.guild_id = gid
            self.marked = None
            self.run_worker(self.refresh_data(), group="bk-load", exclusive=True)

    def apply_filter(self, text: str) -> None:
        self._filter = text.strip()
        self._render_snapshots()

    def action_mark(self) -> None:
        snapshot = self.selected()
        if snapshot is None:
            return
        self.marked = None if self.marked == snapshot["id"] else snapshot["id"]
        self._render_snapshots()


PANE = BackupsPane
