"""Guilds: every guild the bot is in, with a way to leave one (after a confirmation).

The rows come from the ``guilds`` view; leaving is the operator action ``leave_guild``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from tui.widgets import FROZEN, CommandError, LiveStatic, matches
from zoryx.readmodel import ActionFailed, SourceLost

from ._console import confirm, hide_result_box, show_result_box
from .base import Pane


@dataclass(frozen=True)
class GuildRow:
    id: int
    name: str
    members: int
    channels: int
    text: int
    voice: int
    roles: int
    owner: str
    joined: str
    created: str
    shard: int | None

    @property
    def key(self) -> str:
        return str(self.id)


def guild_row(data: dict[str, Any], frozen: bool = False) -> GuildRow:
    """What the table shows about one guild of the ``guilds`` view."""
    if frozen:
        joined = created = FROZEN
    else:
        joined, created = data["joined"] or "—", data["created"] or "—"
    return GuildRow(
        id=int(data["id"]),
        name=data["name"],
        members=data["members"],
        channels=data["channels"],
        text=data["text"],
        voice=data["voice"],
        roles=data["roles"],
        owner=data["owner"] or "—",
        joined=joined,
        created=created,
        shard=data["shard"],
    )


class GuildsPane(Pane):
    """Guilds with members, channels, owner and join date; ``L`` leaves the selected one."""

    pane_id = "guilds"
    title = "Guilds"
    short_title = "Guild"
    refresh_seconds = 3.0
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("L", "leave", "Leave", key_display="L"),
        Binding("escape", "hide_result", "Close result", show=False),
    ]
    extra_help = [
        ("L", "leave the selected guild (asks first; coming back needs a new invite)"),
        ("/", "filter by name, id or owner"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[GuildRow] = []
        self._filter = ""
        self._shown: tuple[GuildRow, ...] | None = None

    def compose(self) -> ComposeResult:
        yield LiveStatic(id="gld-status", classes="pane-hint")
        table: DataTable[Any] = DataTable(id="gld-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Guild", "ID", "Members", "Channels", "Owner", "Joined")
        yield table
        yield LiveStatic(id="gld-detail", classes="pane-hint")
        result = Static(id="gld-result", classes="result")
        result.border_title = "Result"
        yield result

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#gld-table", DataTable)

    # -- data ------------------------------------------------------------------------------
    async def refresh_data(self) -> None:
        guilds = await self.source.read("guilds")
        self.rows = sorted(
            (guild_row(g, self.frozen) for g in guilds), key=lambda r: (r.name.lower(), r.id)
        )
        self._render_rows()

    def _render_rows(self) -> None:
        visible = tuple(r for r in self.rows if matches(f"{r.name} {r.id} {r.owner}", self._filter))
        if visible != self._shown:
            self._shown = visible
            table = self.table
            selected = self.selected()
            table.clear()
            for r in visible:
                table.add_row(
                    Text(r.name, style="bold"),
                    str(r.id),
                    str(r.members),
                    str(r.channels),
                    r.owner,
                    r.joined,
                    key=r.key,
                )
            if selected is not None and selected.key in {r.key for r in visible}:
                table.move_cursor(row=table.get_row_index(selected.key), animate=False)
        members = sum(r.members for r in self.rows)
        hint = f"{len(visible)}/{len(self.rows)} guilds · {members} members in all"
        if self._filter:
            hint += f" · filter: {self._filter!r}"
        self.query_one("#gld-status", LiveStatic).show_text(hint + " · L leave")
        self._update_detail()

    def _update_detail(self) -> None:
        row = self.selected()
        text = (
            ""
            if row is None
            else (
                f"{row.name}: {row.text} text · {row.voice} voice · {row.roles} roles · "
                f"shard {row.shard if row.shard is not None else 0} · created {row.created}"
            )
        )
        self.query_one("#gld-detail", LiveStatic).show_text(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._update_detail()

    def selected(self) -> GuildRow | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.rows if r.key == key), None)

    def apply_filter(self, text: str) -> None:
        self._filter = text.strip()
        self._render_rows()

    # -- leaving -------------------------------------------------------------------------
    def action_leave(self) -> None:
        row = self.selected()
        if row is not None:
            self.run_worker(self._keyed(row), group="gld-action")

    async def _keyed(self, row: GuildRow) -> None:
        with contextlib.suppress(CommandError):  # the outcome is already shown inline
            await self.leave(row.id, row.name)

    async def leave(self, guild_id: int, name: str) -> str | None:
        """Ask, then leave the guild through the operator API; returns what happened."""
        question = (
            f"Leave the guild {name} ({guild_id})? The bot can only come back through a new invite."
        )
        if not await confirm(self.app, question, "Leave"):
            self.show_result(f"Stayed in {name}.")
            return "cancelled"
        try:
            left = await self.source.act("leave_guild", guild_id=guild_id)
        except (ActionFailed, SourceLost) as exc:
            self.show_result(f"✗ could not leave {name}: {exc}", error=True)
            raise CommandError(str(exc)) from None
        self.show_result(f"✓ left {left}")
        await self.refresh_data()
        return f"left {left}"

    def show_result(self, text: str, *, error: bool = False) -> None:
        show_result_box(self.query_one("#gld-result", Static), text, error=error)

    def action_hide_result(self) -> None:
        hide_result_box(self.app, self.query_one("#gld-result", Static))

    # -- ``:`` commands --------------------------------------------------------------------
    def command_help(self) -> list[tuple[str, str]]:
        # The console has a built-in :leave that asks the same question; it runs first.
        # Provide the command only when the console does not.
        builtins = getattr(getattr(self.app, "console_commands", None), "builtins", {})
        if "leave" in builtins:
            return []
        return [("leave <guild id or name>", "leave a guild (asks first)")]

    async def run_command(self, name: str, args: list[str]) -> Any:
        if name != "leave":
            return None
        if not args:
            raise CommandError("usage: :leave <guild id or name>")
        guild = await self.resolve(" ".join(args))
        return await self.leave(guild.id, guild.name)

    async def resolve(self, ref: str) -> GuildRow:
        """A guild the bot is in, by id or (case-insensitive) name."""
        ref = ref.strip()
        if ref.isdigit():
            found = await self.source.read("guild", guild_id=int(ref))
            if found is not None:
                return guild_row(found, self.frozen)
        for data in await self.source.read("guilds"):
            if data["name"].lower() == ref.lower():
                return guild_row(data, self.frozen)
        raise CommandError(f"the bot is not in a guild called {ref!r}")


PANE = GuildsPane
