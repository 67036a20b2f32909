"""Panes refresh beside a busy bot: only what changed is touched, and it still shows.

The console shares the bot's event loop, so a refresh must not rebuild tables or lay the
screen out when nothing (or little) changed. These tests pin the incremental paths: new
commands go on top of the recent-commands table (bounded), cards update when their data
changes and stay untouched otherwise, and the light widgets draw exactly what Rich and
DataTable would.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from rich.segment import Segment
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import DataTable

from tui.panes.logs import MAX_EVENTS
from tui.panes.overview import RECENT_CHUNK, RECENT_ROWS
from tui.widgets import LineCard, LiveTable, ProcessSampler

from .conftest import Console, screen_text, show, wait_for_text


def record(app: Any, *names: str, error: str | None = None) -> None:
    metrics = app.runtime.services.metrics
    for name in names:
        metrics.record_command(name, user="alice", guild="Pixel Guild", error=error)


def table_names(table: LiveTable) -> list[str]:
    return [row[1] for row in table.rows]


def first_style(widget: Any) -> Any:
    """The style of the first piece of the widget's first line, as it paints it now."""
    return next(iter(widget.render_line(0))).style


def spy_prepend(table: LiveTable, seen: Callable[[list[Any]], object]) -> None:
    """Call ``seen(rows)`` with the rows of every ``table.prepend`` call, then prepend them."""
    original = table.prepend

    def prepend(rows: Any) -> None:
        rows = list(rows)
        seen(rows)
        original(rows)

    table.prepend = prepend  # type: ignore[method-assign]


async def recent_table_with_one_command(pilot: Any) -> tuple[Any, LiveTable]:
    """The Overview pane and its recent-commands table, which shows one command: first."""
    pane = await show(pilot, "overview")
    table = pane.query_one("#ov-recent", LiveTable)
    record(pilot.app, "first")
    await pane.refresh_data()
    return pane, table


class RefreshSpy:
    """Records a widget's ``refresh`` calls: the regions asked for and the layout flag."""

    def __init__(self, widget: Any) -> None:
        self.calls: list[tuple[tuple[Region, ...], bool]] = []
        original = widget.refresh

        def refresh(*regions: Region, **kwargs: Any) -> Any:
            self.calls.append((regions, bool(kwargs.get("layout"))))
            return original(*regions, **kwargs)

        widget.refresh = refresh

    def lines(self) -> list[int]:
        """The lines repainted one by one (a whole-widget refresh has no region)."""
        return sorted(region.y for regions, _ in self.calls for region in regions)

    def layouts(self) -> bool:
        return any(layout for _, layout in self.calls)


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
        pane, table = await recent_table_with_one_command(pilot)
        calls: list[int] = []
        spy_prepend(table, lambda rows: calls.append(len(rows)))
        record(pilot.app, "second", "third")
        await pane.refresh_data()
        assert calls == [2], "only the two new commands are added, no rebuild"
        assert table_names(table)[:3] == ["third", "second", "first"]


async def test_a_flood_of_commands_reaches_the_table_a_chunk_per_loop_step(
    console: Console,
) -> None:
    # Under load every row of the table is new at each refresh: the rows are built and
    # added RECENT_CHUNK at a time, oldest first, with the event loop free in between.
    async with console(frozen_clock=True) as pilot:
        pane, table = await recent_table_with_one_command(pilot)
        steps: list[int] = []
        loop_turns = 0

        async def count_turns() -> None:
            nonlocal loop_turns
            while True:
                await asyncio.sleep(0)
                loop_turns += 1

        sizes: list[int] = []
        spy_prepend(table, lambda rows: (steps.append(loop_turns), sizes.append(len(rows))))
        record(pilot.app, *(f"flood{i}" for i in range(RECENT_ROWS + 5)))
        counter = asyncio.create_task(count_turns())
        try:
            await pane.refresh_data()
        finally:
            counter.cancel()
        # A step builds and adds at most 10 rows (~0.3 ms), whatever RECENT_CHUNK says.
        assert max(sizes) <= 10 and sum(sizes) == RECENT_ROWS
        assert len(steps) == RECENT_ROWS // RECENT_CHUNK
        assert all(b > a for a, b in pairwise(steps)), "a loop turn between"
        names = table_names(table)
        assert names[:RECENT_ROWS] == [f"flood{i}" for i in range(RECENT_ROWS + 4, 4, -1)]


async def test_cards_repaint_only_the_lines_that_changed(console: Console) -> None:
    async with console(frozen_clock=True) as pilot:
        app = pilot.app
        pane = await show(pilot, "overview")
        await pilot.pause()
        health = RefreshSpy(pane.query_one("#ov-health", LineCard))
        bot = RefreshSpy(pane.query_one("#ov-bot", LineCard))
        await pane.refresh_data()
        assert health.calls == [] and bot.calls == [], "unchanged cards are not repainted"

        record(app, "hello", "hello", error=None)
        record(app, "roll", error="ValueError: bad dice")
        await pane.refresh_data()
        # Tier (1 failure in 3 is critical), Errors and Failed changed; CPU, memory and
        # loop lag did not: three one-line repaints, and no screen layout.
        assert health.lines() == [0, 1, 2] and not health.layouts()
        assert bot.calls == []
        await wait_for_text(pilot, "of 3 commands")
        text = screen_text(app)
        assert re.search(r"Failed +1 ", text) and "hello ×2" in text and "CRITICAL" in text


async def test_line_card_lays_out_only_when_its_height_changes(console: Console) -> None:
    async with console(frozen_clock=True) as pilot:
        pane = await show(pilot, "overview")
        card = pane.query_one("#ov-activity", LineCard)
        await pilot.pause()
        spy = RefreshSpy(card)
        long_top = "Top  " + " · ".join(f"command{i} ×{i}" for i in range(40))
        card.show_rows([("Commands", "1"), ("Messages", "2")], [long_top])
        assert spy.layouts(), "the wrapped paragraph made the card taller"
        await pilot.pause()
        assert len(card.lines) > 3 and card.lines[0].startswith("Commands 1")
        assert card.lines[2].startswith("Top  command0 ×0")
        spy.calls.clear()
        card.show_rows([("Commands", "7"), ("Messages", "2")], [long_top])
        assert spy.lines() == [0] and not spy.layouts()
        await wait_for_text(pilot, "Commands 7")


async def test_cards_and_tables_take_a_new_theme_s_colours(console: Console) -> None:
    # LineCard and LiveTable keep their styles between paints; a theme change must reach them.
    async with console(frozen_clock=True) as pilot:
        app = pilot.app
        pane = await show(pilot, "overview")
        card = pane.query_one("#ov-health", LineCard)
        table = pane.query_one("#ov-recent", LiveTable)
        await pilot.pause()
        dark_card = first_style(card)
        dark_header = first_style(table)
        app.theme = "textual-light"
        await pilot.pause(0.1)
        light_card = first_style(card)
        light_header = first_style(table)
        assert light_card is not None and dark_card is not None
        assert light_card.bgcolor != dark_card.bgcolor
        assert light_card.bgcolor == card.rich_style.bgcolor
        assert light_header is not None and dark_header is not None
        assert light_header.bgcolor != dark_header.bgcolor
        expected = table.get_component_rich_style("livetable--header")
        assert light_header.bgcolor == (table.rich_style + expected).bgcolor


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


async def test_live_table_repaints_shifted_rows_a_few_lines_per_frame() -> None:
    app = TableApp("live", cursor=False)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one("#t", LiveTable)
        table.prepend([(f"t{i}", f"old{i}", "u", "g", "ok") for i in range(60)])
        await pilot.pause()
        spy = RefreshSpy(table)
        table.prepend([(f"t{i}", f"new{i}", "u", "g", "ok") for i in range(30)])
        for _ in range(10):
            await pilot.pause()
        heights = [region.height for regions, _ in spy.calls for region in regions]
        on_screen = table.scrollable_content_region.height
        assert heights and max(heights) <= LiveTable.PAINT_LINES < on_screen
        assert sum(heights) == on_screen - 1, "every row line repainted once (not the header)"
        text = screen_text(app)
        assert "new0" in text and f"new{on_screen - 2}" in text and "old" not in text


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
