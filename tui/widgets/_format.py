"""Small text helpers shared by the panes: sparklines, sizes, durations, percentiles."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

BARS = "▁▂▃▄▅▆▇█"
#: Shown instead of a volatile value (uptime, latency, CPU…) when the clock is frozen.
FROZEN = "··"


def sparkline(values: Sequence[float], width: int | None = None) -> str:
    """A one-line bar chart of ``values`` (the last ``width`` of them), scaled to the max.

    Zero is drawn as the lowest bar so an idle series still shows its extent.
    """
    data = list(values)[-width:] if width else list(values)
    if not data:
        return ""
    top = max(data)
    if top <= 0:
        return BARS[0] * len(data)
    last = len(BARS) - 1
    return "".join(BARS[min(last, round(max(0.0, v) / top * last))] for v in data)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` (0-1) percentile of ``values`` by nearest rank; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def human_bytes(size: float) -> str:
    """``1536`` → ``"1.5 KiB"``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"  # pragma: no cover - loop always returns


def human_duration(seconds: float) -> str:
    """``3725`` → ``"1:02:05"``; days are prefixed (``"2d 03:00:00"``)."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:d}:{minutes:02d}:{secs:02d}"
    return f"{days}d {clock}" if days else clock


def ago(timestamp: float | None, now: float | None = None) -> str:
    """How long ago a UNIX time was, compactly (``"never"`` for None)."""
    if timestamp is None:
        return "never"
    delta = max(0.0, (time.time() if now is None else now) - timestamp)
    if delta < 60:
        return f"{delta:.0f}s ago"
    if delta < 3600:
        return f"{delta // 60:.0f}m ago"
    if delta < 86_400:
        return f"{delta // 3600:.0f}h ago"
    return f"{delta // 86_400:.0f}d ago"


def clock(timestamp: float, frozen: bool = False) -> str:
    """``HH:MM:SS`` local time, or a placeholder when frozen."""
    if frozen:
        return "--:--:--"
    return time.strftime("%H:%M:%S", time.localtime(timestamp))


def health_tier(error_rate: float) -> str:
    """The framework's health tier for a command error rate (0-1).

    Below 5 % is ``healthy``, 5 % up to 10 % ``degraded``, 10 % and more ``critical``.
    """
    if error_rate < 0.05:
        return "healthy"
    if error_rate < 0.10:
        return "degraded"
    return "critical"


def matches(text: str, needle: str) -> bool:
    """Case-insensitive substring filter; an empty needle matches everything."""
    return not needle or needle.lower() in text.lower()


def kv_table(rows: Sequence[tuple[str, object]], pairs_per_row: int = 1) -> Table:
    """A borderless label/value grid; ``pairs_per_row`` pairs side by side.

    Values may be strings or Rich renderables (e.g. a styled :class:`~rich.text.Text`).
    """
    table = Table.grid(padding=(0, 1), expand=False)
    label_width = max((len(label) for label, _ in rows), default=0)
    for _ in range(pairs_per_row):
        table.add_column(style="bold", no_wrap=True, min_width=label_width)
        table.add_column(no_wrap=True, overflow="ellipsis")
    for start in range(0, len(rows), pairs_per_row):
        cells: list[object] = []
        for label, value in rows[start : start + pairs_per_row]:
            cells += [label, value if not isinstance(value, str) else Text(value)]
        while len(cells) < 2 * pairs_per_row:
            cells += ["", ""]
        table.add_row(*cells)  # type: ignore[arg-type]
    return table


class KeyValues:
    """The picture of :func:`kv_table` (one pair per row), drawn for a fraction of its cost.

    A Rich table measures and renders every cell through Rich's layout machinery (~2 ms
    for a seven-row card, on the event loop the bot shares). When every value is one line
    of text and the grid fits the width, this yields the same segments directly; anything
    else (a narrow card that must shrink a column, a label with markup…) is handed to the
    table itself, so the picture is always the table's.
    """

    def __init__(self, rows: Sequence[tuple[str, object]]) -> None:
        self.rows = [(label, Text(v) if isinstance(v, str) else v) for label, v in rows]

    def _direct(self) -> list[tuple[str, Text]] | None:
        """The rows when they can be drawn directly (one line of text each), else None."""
        direct: list[tuple[str, Text]] = []
        for label, value in self.rows:
            if not isinstance(value, Text) or "\n" in value.plain:
                return None
            if "[" in label or ":" in label or "\n" in label:  # a table would parse these
                return None
            direct.append((label, value))
        return direct

    def _widths(self, rows: list[tuple[str, Text]]) -> tuple[int, int]:
        label_width = max((max(len(label), cell_len(label)) for label, _ in rows), default=0)
        value_width = max((value.cell_len for _, value in rows), default=0)
        return label_width, value_width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = self._direct()
        if rows is None or not rows:
            yield kv_table(self.rows)
            return
        label_width, value_width = self._widths(rows)
        if label_width + 1 + value_width > options.max_width:
            yield kv_table(self.rows)
            return
        bold = console.get_style("bold")
        null = Style.null()
        for label, value in rows:
            yield Segment(label + " " * (label_width - cell_len(label) + 1), bold)
            base = console.get_style(value.style, default=null) if value.style else null
            for segment in value.render(console):
                yield Segment(segment.text, base + segment.style)
            if value.cell_len < value_width:  # padded in the text's own style, as Rich does
                yield Segment(" " * (value_width - value.cell_len), base)
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        rows = self._direct()
        if not rows:
            return Measurement.get(console, options, kv_table(self.rows))
        label_width, value_width = self._widths(rows)
        return Measurement(label_width + 1, label_width + 1 + value_width)


def kv_lines(rows: Sequence[tuple[str, object]]) -> KeyValues:
    """Like :func:`kv_table` (same picture) but cheap to render: see :class:`KeyValues`."""
    return KeyValues(rows)


def plain(*values: object) -> list[object]:
    """Table cells from values: strings become :class:`Text` so no markup is ever parsed.

    (A DataTable reads ``str`` cells as Textual markup; user data such as "[key]" in a
    command description would otherwise vanish or fail to render.)
    """
    return [Text(value) if isinstance(value, str) else value for value in values]
