"""A card of text lines that repaints only the lines that changed.

A :class:`~tui.widgets.LiveStatic` card repaints all of its lines when one value in it
changes: its content is one Rich renderable, rendered again as a whole, and every line of
the card goes through Textual's border and padding pass again. Cards that refresh every
couple of seconds beside a busy bot (uptime, CPU, loop lag…) change one or two lines at a
time, so a :class:`LineCard` keeps one line per row, compares the new rows with the old
ones, and asks Textual to repaint only the lines that differ (``refresh(region)``). Each
line is rendered once into a :class:`~textual.strip.Strip` and reused until it changes.

Rows are label/value pairs drawn like :func:`~tui.widgets.kv_table` (a bold label column
as wide as the longest label, then the value; too long a value ends in "…"); paragraphs
after the rows wrap to the card's width.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

__all__ = ["LineCard"]

_Signature = tuple[str, str, tuple[Any, ...]]


class LineCard(Widget):
    """Label/value rows and wrapped paragraphs; updates repaint only the changed lines."""

    DEFAULT_CSS = """
    LineCard {
        height: auto;
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._rows: list[Text] = []  # one line each (cut to the width)
        self._paragraphs: list[Text] = []  # wrapped to the width
        self._lines: list[Text] = []  # what is on screen, at self._width
        self._width = -1
        self._strips: dict[int, tuple[Style, Strip]] = {}
        self._base: Style | None = None  # the card's style, kept between paints
        self._shown = False

    # -- content -----------------------------------------------------------------------------
    def show_rows(
        self, rows: Sequence[tuple[str, object]], paragraphs: Sequence[Text | str] = ()
    ) -> int:
        """Show ``rows`` (label, value) and then ``paragraphs``.

        Values and paragraphs are strings (shown as they are, never parsed as markup) or
        :class:`~rich.text.Text`. Returns how many lines were repainted (0: nothing changed).
        """
        self._rows = _kv_rows(rows)
        self._paragraphs = [Text(p) if isinstance(p, str) else p for p in paragraphs]
        width = self.content_size.width
        if not self._shown or width <= 0 or width != self._width:
            self._shown = True
            self._relayout(width)
            return max(1, len(self._lines))
        old = self._lines
        new = self._layout(width)
        if len(new) != len(old):
            self._relayout(width)
            return len(new)
        self._lines = new
        changed = 0
        for y, (before, after) in enumerate(zip(old, new, strict=True)):
            if _signature(before) != _signature(after):
                self._strips.pop(y, None)
                self.refresh(Region(0, y, width, 1))
                changed += 1
        return changed

    @property
    def lines(self) -> list[str]:
        """The lines as shown (plain text)."""
        return [line.plain for line in self._lines]

    def _relayout(self, width: int) -> None:
        self._lines = self._layout(width) if width > 0 else []
        self._width = width
        self._strips.clear()
        self.refresh(layout=True)

    def _layout(self, width: int) -> list[Text]:
        lines: list[Text] = []
        for row in self._rows:
            if row.cell_len > width:
                row = row.copy()
                row.truncate(width, overflow="ellipsis")
            lines.append(row)
        console = self.app.console
        for paragraph in self._paragraphs:
            lines.extend(paragraph.wrap(console, max(1, width)))
        return lines

    # -- Textual -----------------------------------------------------------------------------
    def get_content_width(self, container: Size, viewport: Size) -> int:
        widths = [row.cell_len for row in self._rows]
        widths += [
            max((cell_len(part) for part in p.plain.split("\n")), default=0)
            for p in self._paragraphs
        ]
        return max(widths, default=0)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._layout(width)) if width > 0 else len(self._rows)

    def notify_style_update(self) -> None:
        # Focus, theme and CSS changes come through here. Working the card's style out
        # walks every ancestor (and a repaint drops Textual's copy), so it is kept here.
        super().notify_style_update()
        self._base = None

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        base = self._base
        if base is None:
            base = self._base = self.rich_style
        if width != self._width:  # resized: lines are cut and wrapped again
            self._lines = self._layout(width)
            self._width = width
            self._strips.clear()
        cached = self._strips.get(y)
        if cached is not None and cached[0] == base:
            return cached[1]
        if y >= len(self._lines):
            return Strip.blank(width, base)
        strip = Strip(_segments(self._lines[y], base, self.app.console)).adjust_cell_length(
            width, base
        )
        self._strips[y] = (base, strip)
        return strip


def _kv_rows(rows: Sequence[tuple[str, object]]) -> list[Text]:
    """Rows as lines: the label (bold) padded to the widest, then the value.

    A value whose own style has a background is padded to the widest value in that style,
    as a Rich table cell is; other values are not padded (the padding would look the same
    and would make every line change whenever the widest value changes).
    """
    values = [v if isinstance(v, Text) else Text(str(v)) for _, v in rows]
    values = [v.split("\n")[0] if "\n" in v.plain else v for v in values]
    label_width = max((cell_len(label) for label, _ in rows), default=0)
    value_width = max((v.cell_len for v in values), default=0)
    lines = []
    for (label, _), value in zip(rows, values, strict=True):
        line = Text(end="")
        line.append(label + " " * (label_width - cell_len(label) + 1), style="bold")
        if value.style and _style(value.style).bgcolor is not None:
            value = value.copy()
            value.pad_right(value_width - value.cell_len)
        line.append_text(_own_style(value))
        lines.append(line)
    return lines


def _own_style(text: Text) -> Text:
    """``text`` with its base style as a span, so it survives being appended to a line."""
    if not text.style:
        return text
    styled = Text(text.plain, end="")
    styled.stylize(text.style)
    for span in text.spans:
        styled.stylize(span.style, span.start, span.end)
    return styled


def _style(style: str | Style) -> Style:
    return style if isinstance(style, Style) else Style.parse(style)


def _signature(line: Text) -> _Signature:
    return line.plain, str(line.style), tuple(line.spans)


def _segments(line: Text, base: Style, console: Any) -> list[Segment]:
    null = Style.null()
    own = console.get_style(line.style, default=null) if line.style else null
    return [
        Segment(piece.text, base + own + piece.style)
        for piece in line.render(console)
        if piece.text
    ]
