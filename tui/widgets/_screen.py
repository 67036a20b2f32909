"""The console's main screen, with a compositor that renders only what an update repaints.

Textual paints a partial update (a few changed lines) by asking every widget whose
*clip* (the area of its container) overlaps the changed area for all of its visible
lines, then keeps only the changed lines. On the console's main screen the clip of
nearly every widget is the whole screen, so repainting one line of a card also rendered
the footer, the scroll bars, the other cards and every container, top to bottom: about
1 ms of fixed cost per paint on the event loop the bot shares, whatever changed.

:class:`LineCompositor` runs Textual's algorithm (widgets front to back, each filling
the pieces of a line between two cuts that no widget in front filled) with two changes
that leave every piece as it was: a widget is asked only for the update's rows (the band
between its top and bottom changed line), and not at all when the part of it on screen
in those rows misses the changed area, or when every piece it would fill there is filled
already by widgets in front (a container behind its children, the screen's background).
``tests/tui/test_screen_compositor.py`` checks the screen a terminal shows after each
update against a full render by Textual's own compositor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from typing import cast

from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip

from ._idle import MAX_DEFER, RETRY, loop_busy

__all__ = ["ConsoleScreen", "LineCompositor"]


class LineCompositor(Compositor):
    """Textual's compositor, rendering only what the lines an update repaints show."""

    def _render_chops(
        self, crop: Region, is_rendered_line: Callable[[int], bool]
    ) -> Sequence[Mapping[int, Strip]]:
        # Textual's algorithm: widgets front to back, each filling the chops (the pieces of
        # a line between two cuts) still empty. Two additions, neither changing a piece
        # the terminal gets: a widget is cut to the update's rows, and one whose pieces
        # there that the terminal gets are all filled already (by widgets in front of
        # it) is not rendered. Pieces the terminal does not get may stay empty.
        cuts = self.cuts
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(line[:-1]) for line in cuts]
        band = Region(0, crop.y, self.size.width, crop.height)
        left, right = crop.column_span
        # The pieces a terminal gets: those that overlap the changed columns.
        wanted: dict[int, set[int]] = {
            y: {cut for cut, end in pairwise(cuts[y]) if cut < right and end > left}
            for y in band.line_range
            if is_rendered_line(y)
        }
        for widget, (region, clip) in self.visible_widgets.items():
            clip = clip.intersection(band)
            shown = region.intersection(clip)
            if not shown or not shown.overlaps(crop):
                continue
            first_cut, last_cut = shown.column_span
            rows = [
                (y, [cut for cut in cuts[y] if last_cut >= cut >= first_cut])
                for y in shown.line_range
                if y in wanted
            ]
            if not any(
                cut in wanted[y] and chops[y][cut] is None
                for y, line_cuts in rows
                for cut in line_cuts
            ):
                continue  # covered in every piece it would show
            lines = Region(shown.x - region.x, shown.y - region.y, shown.width, shown.height)
            strips = dict(zip(shown.line_range, widget.render_lines(lines), strict=False))
            for y, line_cuts in rows:
                strip = strips.get(y)
                if strip is None:
                    continue
                pieces = strip.divide([cut - shown.x for cut in line_cuts[1:]])
                line = chops[y]
                for cut, piece in zip(line_cuts, pieces, strict=False):
                    if line.get(cut) is None:
                        line[cut] = piece
        return cast("Sequence[Mapping[int, Strip]]", chops)


class ConsoleScreen(Screen[None]):
    """A :class:`~textual.screen.Screen` painted by a :class:`LineCompositor`, when the
    event loop is quiet (see ``tui/widgets/_idle.py``)."""

    def __init__(
        self, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._compositor = LineCompositor()
        self._waiting_since: float | None = None  # a paint put off while the bot was busy
        self._retry: asyncio.TimerHandle | None = None

    def _on_timer_update(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if loop_busy(loop):
            if self._waiting_since is None:
                self._waiting_since = now
            if now - self._waiting_since < MAX_DEFER:
                if self._retry is None:
                    self._retry = loop.call_later(RETRY, self._retry_update)
                return
        self._waiting_since = None
        super()._on_timer_update()

    def _retry_update(self) -> None:
        self._retry = None
        if self.is_attached:
            self._on_timer_update()
