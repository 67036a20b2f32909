"""Panes refresh beside a busy bot: only what changed is touched, and it still shows.

The console shares the bot's event loop, so a refresh must not rebuild tables or lay the
screen out when nothing (or little) changed. These tests pin the incremental paths: new
commands go on top of the recent-commands table (bounded), cards update when their data
changes and stay untouched otherwise, and the light widgets draw exactly what Rich and
DataTable would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.console import Console as RichConsole
from rich.segment import Segment
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.panes.logs import MAX_EVENTS
from tui.panes.overview import RECENT_ROWS
from tui.widgets import KeyValues, LiveStatic, LiveTable, ProcessSampler, kv_table

from .conftest import Console, screen_text, show, wait_for_text


def record(app: Any, *names: str, error: str | None = None) -> None:
    metrics = app.runtime.services.metrics
    for name in names:
        metrics.record_command(name, user="alice", guild="Pixel Guild", error=error)


def table_names(table: LiveTable) -> list[str]:
    return [row[1] for row in table.rows]


class UpdateSpy:
    """Counts ``update`` calls on a Static and remembers their ``layout`` flags."""

    def __init__(self, widget: Any) -> None:
        self.layouts: list[bool] = []
        original = widget.update

        def update(content: Any = "", *, layout: bool = True) -> None:
            self.layouts.append(layout)
            original(content, layout=layout)

        widget.update = update


# -- overview -------------------------------------------------------------------------------
async def test_recent_commands_get_new_commands_on_top_and_stay_bounded(console: Console) -> None:
    async with console(frozen_clock=True) as pilot:
        app = pilot.app
        pane = await show(pilot, "overview")
        table = pane.query_one("#ov-recent", LiveTable)
        record(app, *(f"cmd{i}" for i in range(RECENT_ROWS + 10)))
        await pane.refresh_data()
        assert table.row_count == RECENT_ROWS, "bounded at its row cap"
        assert table_names(table)[:2] == [f"cmd{RECENT_ROWS + 9}", f"cmd{RECENT_ROWS + 8}"]

        record(app, "alpha", "beta")
        record(app, "gamma", error="ValueError: boom")
        await pane.refresh_data()
        assert table.row_count == RECENT_ROWS
        assert table_names(table)[:4] == ["gamma", "beta", "alpha", f"cmd{RECENT_ROWS + 9}"]
        assert table.rows[0][4] == "✗ ValueError: boom" and table.rows[1][4] == "✓ ok"
        await pilot.pause()
        await wait_for_text(pilot, "✗ ValueError: boom")
        assert "gamma" in screen_text(app)

        before = table.rows
        await pane.refresh_data()  # nothing new: the table is left alone
        assert table.rows == before


async def test_recent_commands_only_render_what_is_new(console: Console) -> None:
    async with console(frozen_clock=True) as pilot:
        app = pilot.app
        pane = await show(pilot, "overview")
        table = pane.query_one("#ov-recent", LiveTable)
        record(app, "first")
        await pane.refresh_data()
        calls: list[int] = []
        original = table.prepend

        def prepend(rows: Any) -> None:
            rows = list(rows)
            calls.append(len(rows))
            original(rows)

        table.prepend = prepend  # type: ignore[method-assign]
        record(app, "second", "third")
        await pane.refresh_data()
        assert calls == [2], "only the two new commands are added, no rebuild"
        assert table_names(table)[:3] == ["third", "second", "first"]


async def test_cards_update_when_their_data_changes_and_not_otherwise(
    console: Console,
) -> None:
    async with console(frozen_clock=True) as pilot:
        app = pilot.app
        pane = await show(pilot, "overview")
        await pilot.pause()
        health = UpdateSpy(pane.query_one("#ov-health", LiveStatic))
        bot = UpdateSpy(pane.query_one("#ov-bot", LiveStatic))
        await pane.refresh_data()
        assert health.layouts == [] and bot.layouts == [], "unchanged cards are not updated"

        record(app, "hello", "hello", error=None)
        record(app, "roll", error="ValueError: bad dice")
        await pane.refresh_data()
        assert health.layouts == [False], "same height: repainted without a screen layout"
        assert bot.layouts == []
        await wait_for_text(pilot, "of 3 commands")
        text = screen_text(app)
        assert "Failed   1" in text and "hello ×2" in text


# -- logs -----------------------------------------------------------------------------------
async def test_logs_events_get_new_events_on_top_and_stay_bounded(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        pane = await show(pilot, "logs")
        table = pane.query_one("#logs-events", LiveTable)
        record(app, *(f"cmd{i}" for i in range(MAX_EVENTS + 5)))
        await pane.refresh_data()
        assert table.row_count <= MAX_EVENTS
        assert table.rows[0][2] == f"cmd{MAX_EVENTS + 4}"
        record(app, "newest", error="KeyError: x")
        await pane.refresh_data()
        assert table.rows[0][1:3] == ("✗ error", "newest")
        assert table.rows[1][2] == f"cmd{MAX_EVENTS + 4}"
        await wait_for_text(pilot, "KeyError: x")

        pane.apply_filter("newest")  # a filter rebuilds the table from the histories
        assert [row[2] for row in table.rows] == ["newest"]
        pane.apply_filter("")
        assert table.row_count > 1


# -- widgets --------------------------------------------------------------------------------
ROWS = [
    ("12:00:01", "ping", "alice", "Pixel Guild", Text("✓ ok", style="green")),
    ("12:00:02", "roll", "bob", "DM", Text("✗ ValueError: bad dice", style="bold red")),
    ("12:00:03", "hello", "a rather long user name", "Guild", Text("✓ ok", style="green")),
] * 5
LABELS = ("Time", "Command", "User", "Guild", "Result")


class TableApp(App[None]):
    CSS = "#t { height: 1fr; border: round $primary; }"

    def __init__(self, kind: str, cursor: bool) -> None:
        super().__init__()
        self.kind = kind
        self.cursor = cursor

    def compose(self) -> ComposeResult:
        if self.kind == "datatable":
            table: Any = DataTable(
                id="t", cursor_type="row" if self.cursor else "none", zebra_stripes=True
            )
            table.add_columns(*LABELS)
            for row in ROWS:
                table.add_row(*(Text(c) if isinstance(c, str) else c for c in row))
        else:
            table = LiveTable(*LABELS, id="t", max_rows=50, cursor=self.cursor)
            table.replace(ROWS)
        yield table


async def screen_strips(kind: str, *, cursor: bool, focus: bool, keys: tuple[str, ...]) -> Any:
    app = TableApp(kind, cursor)
    async with app.run_test(size=(100, 12)) as pilot:
        if focus or keys:
            app.query_one("#t").focus()
        await pilot.press(*keys)
        if not focus:
            app.set_focus(None)
        await pilot.pause()
        update = app.screen._compositor.render_full_update()
        lines = [[s for strip in line for s in strip] for line in update.strips]
        return [list(Segment.simplify(line)) for line in lines]


@pytest.mark.parametrize("cursor", [False, True], ids=["no-cursor", "row-cursor"])
@pytest.mark.parametrize("focus", [False, True], ids=["blurred", "focused"])
async def test_live_table_draws_what_a_data_table_draws(cursor: bool, focus: bool) -> None:
    keys = ("down", "down", "down", "pagedown", "up") if cursor else ("down", "down")
    expected = await screen_strips("datatable", cursor=cursor, focus=focus, keys=keys)
    drawn = await screen_strips("live", cursor=cursor, focus=focus, keys=keys)
    assert drawn == expected


async def test_live_table_keeps_its_cap_and_renders_only_rows_on_screen() -> None:
    app = TableApp("live", cursor=True)
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one("#t", LiveTable)
        table.max_rows = 50  # (the deque was made with it)
        table.prepend([(f"t{i}", f"c{i}", "u", "g", "ok") for i in range(80)])
        await pilot.pause()
        assert table.row_count == 50
        assert [row[1] for row in table.rows[:2]] == ["c0", "c1"], "first given ends on top"
        painted = [row.parts is not None for row in table._rows]
        assert any(painted) and not all(painted), "rows off screen are never rendered"
        table.focus()
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        table.prepend([("t", "newest", "u", "g", "ok")])
        assert table.cursor_row == 2 and table.rows[0][1] == "newest"
        table.replace([("t", "only", "u", "g", "ok")])
        assert table.row_count == 1 and table.cursor_row == 0


@pytest.mark.parametrize("width", [80, 40, 24, 12])
def test_key_values_draw_exactly_what_the_rich_table_draws(width: int) -> None:
    rows: list[tuple[str, object]] = [
        ("User", Text("zoryx-sandbox-bot", style="bold")),
        ("Discord", Text.assemble((" SANDBOX ", "bold black on yellow"), (" local", "dim"))),
        ("Guilds", "3"),
        ("Loop lag", Text("▁▂▃", style="yellow") + Text(" now 1.2 ms")),
        ("Wide", Text("漢字 ✓", style="green")),
    ]
    console = RichConsole(width=width, color_system="truecolor", legacy_windows=False)

    def drawn(renderable: Any) -> list[list[tuple[str, Any]]]:
        lines = console.render_lines(renderable, console.options, pad=False)
        return [[(s.text, s.style or None) for s in Segment.simplify(line)] for line in lines]

    def visible(lines: list[list[tuple[str, Any]]]) -> list[str]:
        return ["".join(text for text, _ in line) for line in lines]

    expected, actual = drawn(kv_table(rows)), drawn(KeyValues(rows))
    assert visible(actual) == visible(expected)
    styles = [
        [(t, (s.color, s.bgcolor, s.bold, s.dim) if s else None) for t, s in line]
        for line in actual
    ]
    want = [
        [(t, (s.color, s.bgcolor, s.bold, s.dim) if s else None) for t, s in line]
        for line in expected
    ]
    assert styles == want


async def test_process_sampler_counts_sockets_only_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import psutil

    counted: list[int] = []
    real = psutil.Process.net_connections

    def net_connections(self: psutil.Process, kind: str = "inet") -> Any:
        counted.append(1)
        return real(self, kind)

    monkeypatch.setattr(psutil.Process, "net_connections", net_connections)
    sampler = ProcessSampler(min_interval=0.0, connections_interval=60.0)
    assert (await sampler.sample()) is not None
    assert counted == [], "the overview's readings never count sockets"
    first = await sampler.sample(connections=True)
    assert counted == [1] and first is not None
    again = await sampler.sample(connections=True)
    assert counted == [1], "at most once per connections_interval"
    assert again is not None and again.connections == first.connections


# -- garbage collector ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tune_gc", "env", "frozen"),
    [(True, "1", True), (False, "1", False), (True, "0", False)],
    ids=["tuned", "not-tuned", "tuning-off"],
)
def test_console_freezes_its_start_up_heap_when_the_runtime_tunes_the_collector(
    bot_dir: Path, monkeypatch: pytest.MonkeyPatch, tune_gc: bool, env: str, frozen: bool
) -> None:
    import tui.app
    from tui.app import ZoryxConsole

    calls: list[int] = []
    monkeypatch.setattr(tui.app, "tune_for_long_run", lambda: calls.append(1))
    monkeypatch.setenv("ZORYX_GC_TUNING", env)
    app = ZoryxConsole(bot_dir, environ={}, tune_gc=tune_gc, sandbox_world="demo")
    assert app.runtime.tune_gc is tune_gc
    app._freeze_console_heap()
    assert calls == ([1] if frozen else [])
