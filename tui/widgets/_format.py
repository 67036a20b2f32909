"""Small text helpers shared by the panes: sparklines, sizes, durations."""

from __future__ import annotations

import time
from collections.abc import Sequence

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


def short_name(name: str, width: int) -> str:
    """A dotted name (a logger, a module) in at most ``width`` cells, readable from the left.

    Package parts are shortened to their first letter from the left until the name fits
    (``zoryx.extensions.watch`` → ``z.extensions.watch`` → ``z.e.watch``); a name that
    still does not fit is cut on the right with ``…``. The start of a name says where a
    line comes from, so it is never the part that goes.
    """
    if width < 1:
        return ""
    parts = name.split(".")
    for index in range(len(parts) - 1):
        if len(".".join(parts)) <= width:
            break
        parts[index] = parts[index][:1]
    short = ".".join(parts)
    return short if len(short) <= width else short[: width - 1] + "…"


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


def plain(*values: object) -> list[object]:
    """Table cells from values: strings become :class:`Text` so no markup is ever parsed.

    (A DataTable reads ``str`` cells as Textual markup; user data such as "[key]" in a
    command description would otherwise vanish or fail to render.)
    """
    return [Text(value) if isinstance(value, str) else value for value in values]
