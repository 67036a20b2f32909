"""The console screen's compositor renders only what an update repaints, and paints the same.

:class:`~tui.widgets.LineCompositor` skips widgets (and rows) that Textual's own compositor
renders and then throws away. These tests play what the app sends to the terminal into a
virtual terminal, as a terminal would apply it, and compare that screen with a full render
by Textual's own compositor after each step of a session: cards changing a line at a
time, the recent-commands table shifting, panes switching, a dialog opening and closing,
scrolling. A compositor that left out a part an update needs (the control case below
drops the columns outside the changed area) leaves stale cells behind and fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from rich.cells import cell_len
from rich.style import Style
from textual._compositor import ChopsUpdate, Compositor, LayoutUpdate
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget

from tui.widgets import LineCard, LineCompositor, LiveTable

from .conftest import Console, show

Cell = tuple[str, Style | None]


def _cells(strip: Strip) -> list[Cell]:
    cells: list[Cell] = []
    for segment in strip:
        if segment.control:
            continue
        for char in segment.text:
            cells.append((char, segment.style))
            cells.extend(("", segment.style) for _ in range(cell_len(char) - 1))
    return cells


class VirtualTerminal:
    """The cells a terminal shows after applying the app's updates, as Textual writes them."""

    def __init__(self, width: int, height: int) -> None:
        self.rows: list[list[Cell]] = [[(" ", None)] * width for _ in range(height)]
        self.partial_updates = 0

    def apply(self, update: object) -> None:
        if isinstance(update, LayoutUpdate):
            for y, strips in enumerate(update.strips):
                self._write(update.region.x, update.region.y + y, Strip.join(strips))
        elif isinstance(update, ChopsUpdate):
            # What ChopsUpdate.render_segments moves to and writes, cell by cell.
            self.partial_updates += 1
            for y, x1, x2 in update.spans:
                line, ends = update.chops[y], update.chop_ends[y]
                for end, (x, strip) in zip(ends, line.items(), strict=False):
                    if strip is None or x > x2 or end <= x1:
                        continue
                    if not (x2 > x >= x1 and end <= x2):
                        strip = strip.crop(0, min(end, x2) - x)
                    self._write(x, y, strip)

    def _write(self, x: int, y: int, strip: Strip) -> None:
        row = self.rows[y]
        for offset, cell in enumerate(_cells(strip)):
            if x + offset < len(row):
                row[x + offset] = cell


def full_render(app: Any) -> list[list[Cell]]:
    """The top screen as Textual's own compositor renders it from scratch."""
    compositor = app.screen._compositor
    stock: Any = Compositor._get_renders.__get__(compositor)
    saved = compositor.__dict__.get("_get_renders")
    compositor._get_renders = stock  # the instance attribute wins over LineCompositor's
    try:
        chops = Compositor._render_chops(compositor, compositor.size.region, lambda _y: True)
    finally:
        if saved is None:
            del compositor._get_renders
        else:
            compositor._get_renders = saved
    return [_cells(Strip.join(chop.values())) for chop in chops]


@contextmanager
def terminal(app: Any) -> Iterator[VirtualTerminal]:
    """A virtual terminal fed with everything the app displays from now on."""
    width, height = app.size
    screen = VirtualTerminal(width, height)
    screen.rows = full_render(app)
    original = app._display

    def display(target: Any, renderable: Any) -> None:
        if renderable is not None and not app._batch_count:
            screen.apply(renderable)
        original(target, renderable)

    app._display = display
    try:
        yield screen
    finally:
        app._display = original


def differences(screen: VirtualTerminal, app: Any) -> list[str]:
    expected = full_render(app)
    wrong = []
    for y, (shown, want) in enumerate(zip(screen.rows, expected, strict=True)):
        if shown != want:
            text = "".join(char for char, _ in shown)
            wrong.append(f"line {y}: {text!r}")
    return wrong


async def settle(pilot: Pilot[int]) -> None:
    """Let every pending paint happen (the table repaints over a few frames)."""
    for _ in range(4):
        await pilot.pause(0.05)


def record(app: Any, *names: str, error: str | None = None) -> None:
    for name in names:
        app.runtime.services.metrics.record_command(name, user="alice", guild="Pixel", error=error)


async def session_steps(pilot: Pilot[int]) -> Iterable[str]:
    """A console session, step by step (each yields its name once it has been shown)."""
    app = pilot.app
    pane = app.current_pane()
    for round_no in range(3):
        record(app, *(f"cmd{round_no}-{i}" for i in range(7)))
        if round_no == 1:
            record(app, "roll", error="ValueError: bad dice")
        await pane.refresh_data()
        yield f"overview refresh {round_no}"
    card = pane.query_one("#ov-health", LineCard)
    card.show_rows([("Tier", "one line changed"), ("CPU", "1 %")])
    yield "a card's rows"
    table = pane.query_one("#ov-recent", LiveTable)
    table.scroll_to(y=5, animate=False, immediate=True)
    yield "table scrolled"
    await pilot.press("question_mark")
    yield "help open"
    await pilot.press("escape")
    yield "help closed"
    commands = await show(pilot, "commands")
    await pilot.press("down", "down")
    yield "commands pane, cursor moved"
    await commands.refresh_data()
    await show(pilot, "overview")
    yield "back on the overview"


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_partial_updates_show_what_a_full_render_shows(
    console: Console, size: tuple[int, int]
) -> None:
    async with console(size=size, frozen_clock=True) as pilot:
        app = pilot.app
        assert isinstance(app.screen._compositor, LineCompositor)
        await show(pilot, "overview")
        await settle(pilot)
        with terminal(app) as screen:
            async for step in session_steps(pilot):
                await settle(pilot)
                assert differences(screen, app) == [], f"stale cells after: {step}"
            assert screen.partial_updates >= 10, "the session painted through partial updates"


class _ChangedColumnsOnly(LineCompositor):
    """A broken variant: drops the pieces that start left of the changed area."""

    def _render_chops(self, crop: Region, is_rendered_line: Any) -> Any:
        chops = super()._render_chops(crop, is_rendered_line)
        return [
            {cut: strip if cut >= crop.x else None for cut, strip in line.items()} for line in chops
        ]


async def test_the_virtual_terminal_catches_a_compositor_that_drops_columns(
    console: Console,
) -> None:
    async with console(frozen_clock=True) as pilot:
        app = pilot.app
        pane = await show(pilot, "overview")
        card = pane.query_one("#ov-health", LineCard)
        card.show_rows([("Tier", "ok"), ("Errors", "0")])
        await settle(pilot)
        broken = _ChangedColumnsOnly()
        broken.__dict__.update(app.screen._compositor.__dict__)
        app.screen._compositor = broken
        with terminal(app) as screen:
            card.show_rows([("Tier", "ok"), ("Errors", "12")])  # one line, same height
            await settle(pilot)
            assert differences(screen, app), "stale cells must show as differences"


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_one_line_change_renders_only_the_widgets_in_that_line(
    console: Console, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with console(size=size, frozen_clock=True) as pilot:
        pane = await show(pilot, "overview")
        await settle(pilot)
        card = pane.query_one("#ov-health", LineCard)
        rows = [("Tier", "ok"), ("Errors", "0"), ("Failed", "0")]
        card.show_rows(rows)
        await settle(pilot)
        rendered: Counter[str] = Counter()
        heights: set[int] = set()
        original = Widget.render_lines

        def render_lines(self: Widget, crop: Region) -> list[Strip]:
            rendered[f"{type(self).__name__}#{self.id}"] += 1
            heights.add(crop.height)
            return original(self, crop)

        monkeypatch.setattr(Widget, "render_lines", render_lines)
        card.show_rows([("Tier", "ok"), ("Errors", "1"), ("Failed", "0")])
        await settle(pilot)
        # The card covers every piece of the changed line a terminal gets: the containers
        # and the screen behind it are not rendered either.
        assert dict(rendered) == {"LineCard#ov-health": 1}, f"rendered: {rendered}"
        assert heights == {1}, "the card rendered only the changed row"
