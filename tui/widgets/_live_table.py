"""A light, read-only table for bounded lists that change all the time (newest first).

Textual's ``DataTable`` renders every visible cell again through Rich whenever any row is
added, removed or changed (its render caches are keyed on one table-wide update counter):
a screenful of the "Recent commands" table cost ~20 ms per refresh, on the event loop the
bot shares. :class:`LiveTable` draws each line straight from its :class:`~rich.text.Text`
cells, only for the lines on screen, keeps at most ``max_rows`` rows, and takes new rows
at the top (:meth:`LiveTable.prepend`) without touching the others.

It looks and scrolls like ``DataTable(zebra_stripes=True)`` with ``cursor_type`` "none"
or, with ``cursor=True``, "row": same header, stripes, row cursor and focus tint (its
component classes mirror DataTable's), and the same keys. Column widths follow the widest
cell seen and never shrink, like DataTable's, so columns do not jump around as rows come
and go.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import ClassVar, NamedTuple

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["LiveTable"]


_Parts = tuple[tuple[str, Style], ...]


class _Row:
    """One row: its cells, and their styled pieces once the row has been on screen."""

    __slots__ = ("cells", "parts")

    def __init__(self, cells: tuple[Text, ...]) -> None:
        self.cells = cells
        self.parts: tuple[_Parts, ...] | None = None  # rendered on first paint only


class _Palette(NamedTuple):
    """The styles of one render pass (they change with focus, theme and CSS)."""

    base: Style
    header: Style
    even: Style
    odd: Style
    cursor: Style
    background: Color


class LiveTable(ScrollView, can_focus=True):
    """A header and up to ``max_rows`` rows of text cells; new rows go on top.

    Args:
        *labels: Column headers.
        max_rows: Rows kept; the oldest (bottom) rows are dropped beyond it.
        zebra_stripes: Alternate the row background like DataTable's zebra stripes.
        cursor: Show a row cursor (moved with the arrow and page keys, or a click) that
            stays at its position on screen as new rows come in on top.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "livetable--header",
        "livetable--even-row",
        "livetable--odd-row",
        "livetable--cursor",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("ctrl+home", "cursor_top", "Top", show=False),
        Binding("ctrl+end", "cursor_bottom", "Bottom", show=False),
    ]

    # The look of a DataTable: the same theme variables for the same roles.
    DEFAULT_CSS = """
    LiveTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;

        &:focus {
            background-tint: $foreground 5%;
            & > .livetable--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .livetable--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .livetable--even-row {
            background: $surface-darken-1 40%;
        }
        & > .livetable--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .livetable--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .livetable--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .livetable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    #: Blank columns on each side of a cell (DataTable's default ``cell_padding``).
    CELL_PADDING = 1
    #: Lines repainted per frame when new rows shift the table (see ``_repaint_rows``).
    PAINT_LINES = 8

    def __init__(
        self,
        *labels: str,
        max_rows: int = 100,
        zebra_stripes: bool = True,
        cursor: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.labels = labels
        self.max_rows = max_rows
        self.zebra_stripes = zebra_stripes
        self.cursor = cursor
        self.cursor_row = 0
        self._header = _Row(tuple(Text(label) for label in labels))
        self._rows: deque[_Row] = deque(maxlen=max_rows)
        self._widths = [Text(label).cell_len for label in labels]
        self._palette: _Palette | None = None
        self._meta: dict[tuple[int, int], Style] = {}
        self._extend: dict[tuple[int, Style, Color, bool], Style] = {}
        self._paint_pass = 0

    # -- data --------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def rows(self) -> list[tuple[str, ...]]:
        """The rows' text, top (newest) first."""
        return [tuple(cell.plain for cell in row.cells) for row in self._rows]

    def prepend(self, rows: Iterable[Sequence[object]]) -> None:
        """Add ``rows`` on top, in the order given (the first ends up topmost).

        Rows beyond ``max_rows`` fall off the bottom. Cells are strings (shown as they
        are, never parsed as markup) or :class:`~rich.text.Text`; only a cell's first
        line is shown.
        """
        fresh = [self._row(cells) for cells in list(rows)[: self.max_rows]]
        if not fresh:
            return
        self._rows.extendleft(reversed(fresh))
        self._changed()

    def replace(self, rows: Iterable[Sequence[object]]) -> None:
        """Show exactly ``rows`` (top first; only the first ``max_rows`` are kept).

        The cursor goes back to the first row.
        """
        self._rows.clear()
        self._rows.extend(self._row(cells) for cells in list(rows)[: self.max_rows])
        self.cursor_row = 0
        self._changed()

    def clear(self) -> None:
        self.replace(())

    def _row(self, values: Sequence[object]) -> _Row:
        if len(values) != len(self.labels):
            raise ValueError(f"expected {len(self.labels)} cells, got {len(values)}")
        cells = tuple(_text(value) for value in values)
        widths = self._widths
        for index, cell in enumerate(cells):
            if cell.cell_len > widths[index]:
                widths[index] = cell.cell_len
        return _Row(cells)

    def _parts(self, row: _Row) -> tuple[_Parts, ...]:
        """The row's styled pieces (rendered once, when the row is first painted)."""
        if row.parts is None:
            console = self.app.console
            null = Style.null()
            parts = []
            for cell in row.cells:
                # Text.render leaves the text's own style out: it goes under the spans'.
                base = console.get_style(cell.style, default=null) if cell.style else null
                parts.append(
                    tuple((piece.text, base + piece.style) for piece in cell.render(console))
                )
            row.parts = tuple(parts)
        return row.parts

    def _changed(self) -> None:
        # The virtual size only changes while the table fills up or a column widens; once
        # it is full and its columns are settled, an update repaints the rows on screen
        # and never lays out the screen again.
        self.cursor_row = max(0, min(self.cursor_row, len(self._rows) - 1))
        size = Size(self._table_width(), len(self._rows) + 1)
        if size != self.virtual_size:
            self.virtual_size = size
            self._paint_pass += 1  # a full repaint supersedes a repaint in progress
            self.refresh()
            return
        self._paint_pass += 1
        self._repaint_rows(self._paint_pass, 1)

    def _repaint_rows(self, paint_pass: int, first: int) -> None:
        """Repaint the rows on screen from line ``first``, ``PAINT_LINES`` per frame.

        Every row moves when new rows come in on top, so all the lines on screen change.
        Painted in one frame that is one long step of the event loop (~0.15 ms a line),
        with the bot's replies waiting behind it; painted a few lines per frame, each
        frame is short and the bot's work runs in between (the whole table still shows
        the new rows within a few frames). A newer change restarts from the top.
        """
        if paint_pass != self._paint_pass or not self.is_mounted:
            return
        height = self.scrollable_content_region.height
        last = min(height, first + self.PAINT_LINES)
        if last > first:
            # The rows on screen, not the scroll bar beside them (nothing moved there).
            width = self.scrollable_content_region.width
            self.refresh(Region(0, first, width, last - first))
        if last < height:
            self.call_after_refresh(self._repaint_rows, paint_pass, last)

    # -- cursor ------------------------------------------------------------------------------
    def move_cursor(self, row: int, *, scroll: bool = True) -> None:
        """Put the row cursor on ``row`` (clamped to the rows there are) and show it."""
        if not self.cursor:
            return
        row = max(0, min(row, len(self._rows) - 1))
        if row != self.cursor_row:
            self.refresh_line(self.cursor_row + 1)
            self.refresh_line(row + 1)
            self.cursor_row = row
        if not scroll:
            return
        page = self._page()
        if row < self.scroll_y:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= self.scroll_y + page:
            self.scroll_to(y=row - page + 1, animate=False, immediate=True)

    def _page(self) -> int:
        """Rows on screen (below the header)."""
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_up(self) -> None:
        if self.cursor:
            self.move_cursor(self.cursor_row - 1)
        else:
            self.scroll_up()

    def action_cursor_down(self) -> None:
        if self.cursor:
            self.move_cursor(self.cursor_row + 1)
        else:
            self.scroll_down()

    def action_page_up(self) -> None:
        # As DataTable: the view moves a page, and the cursor a page with it.
        if self.cursor:
            self.scroll_relative(y=-self._page(), animate=False)
            self.move_cursor(self.cursor_row - self._page(), scroll=False)
        else:
            self.scroll_page_up()

    def action_page_down(self) -> None:
        if self.cursor:
            self.scroll_relative(y=self._page(), animate=False, force=True)
            self.move_cursor(self.cursor_row + self._page(), scroll=False)
        else:
            self.scroll_page_down()

    def action_cursor_top(self) -> None:
        if self.cursor:
            self.move_cursor(0)
        else:
            self.scroll_home()

    def action_cursor_bottom(self) -> None:
        if self.cursor:
            self.move_cursor(len(self._rows) - 1)
        else:
            self.scroll_end()

    def on_click(self, event: events.Click) -> None:
        row = (event.style.meta or {}).get("row")
        if isinstance(row, int) and row >= 0:
            self.move_cursor(row)

    def _table_width(self) -> int:
        return sum(self._widths) + 2 * self.CELL_PADDING * len(self._widths)

    # -- rendering ---------------------------------------------------------------------------
    def _styles(self) -> _Palette:
        if self._palette is None:
            get = self.get_component_rich_style
            self._palette = _Palette(
                self.rich_style,
                get("livetable--header"),
                get("livetable--even-row"),
                get("livetable--odd-row"),
                get("livetable--cursor"),
                self.background_colors[1],
            )
        return self._palette

    def notify_style_update(self) -> None:
        # Focus, hover, theme and CSS changes all come through here (DataTable clears its
        # render caches here too). Working the styles out walks every ancestor, so they
        # are kept between paints rather than worked out again for each one.
        super().notify_style_update()
        self._palette = None

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        palette = self._styles()
        if y == 0:
            line = self._line(-1, self._header, palette.header, palette)
        else:
            index = y - 1 + scroll_y
            if not 0 <= index < len(self._rows):
                return Strip.blank(width, palette.base)
            if not self.zebra_stripes:
                style = palette.base
            else:
                style = palette.odd if index % 2 else palette.even
            line = self._line(index, self._rows[index], style, palette)
        return line.crop(scroll_x, scroll_x + width).adjust_cell_length(width, palette.base)

    def _line(self, index: int, row: _Row, style: Style, palette: _Palette) -> Strip:
        pad = " " * self.CELL_PADDING
        on_cursor = self.cursor and index == self.cursor_row and index >= 0
        # The cursor's colours win over the text's own (DataTable's "css" priorities).
        after = _cursor_after(palette.cursor) if on_cursor else None
        segments: list[Segment] = []
        append = segments.append
        columns = zip(row.cells, self._parts(row), self._widths, strict=True)
        for column, (cell, parts, width) in enumerate(columns):
            before = style + self._meta_style(index, column)
            if on_cursor:
                before += palette.cursor
            cell_style = before + after if after else before
            # Pieces in the cell's own style are joined, as Strip.simplify would.
            run = pad
            for text, text_style in parts:
                piece_style = before + text_style
                if after:
                    piece_style += after
                if piece_style == cell_style:
                    run += text
                    continue
                if run:
                    append(Segment(run, cell_style))
                append(Segment(text, piece_style))
                run = ""
            append(Segment(run + " " * (width - cell.cell_len) + pad, cell_style))
        table_width = self._table_width()
        remaining = self.size.width - table_width
        if remaining > 0:
            extend = self._extend_style(index, style, palette, on_cursor)
            append(Segment(" " * remaining, extend))
            table_width += remaining
        return Strip(segments, table_width)

    def _extend_style(self, index: int, style: Style, palette: _Palette, on_cursor: bool) -> Style:
        """The rest of the line after the last column.

        Without a cursor: the row's colour faded towards the background; with a row
        cursor: the row's style (the cursor's on its row), as DataTable draws them.
        """
        key = (index, style, palette.background, on_cursor)
        extend = self._extend.get(key)
        if extend is None:
            if len(self._extend) > 4 * (self.max_rows + 1):
                self._extend.clear()
            if self.cursor:
                extend = style + palette.cursor if on_cursor else style
            elif style.bgcolor is not None:
                faded = Color.from_rich_color(style.bgcolor).blend(palette.background, 0.25)
                extend = Style.from_color(style.color, faded.rich_color)
            else:
                extend = Style.from_color(style.color, style.bgcolor)
            extend += Style.from_meta({"row": index, "column": 0, "out_of_bounds": True})
            self._extend[key] = extend
        return extend

    def _meta_style(self, row: int, column: int) -> Style:
        """Row and column in the style's meta, as DataTable does (mouse handlers read it)."""
        style = self._meta.get((row, column))
        if style is None:
            style = self._meta[row, column] = Style.from_meta({"row": row, "column": column})
        return style


def _text(value: object) -> Text:
    """A cell's text: strings are taken as they are (no markup); only the first line."""
    text = value if isinstance(value, Text) else Text(str(value))
    if "\n" in text.plain:
        text = text.split("\n")[0]
    return text


def _cursor_after(cursor: Style) -> Style | None:
    """What DataTable lays over a cursor cell after its text: the cursor's colours."""
    after = Style.from_color(cursor.color) + Style.from_color(bgcolor=cursor.bgcolor)
    return after or None
