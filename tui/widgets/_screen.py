"""The console's main screen, with a compositor that renders only what an update repaints.

Textual paints a partial update (a few changed lines) by asking every widget whose
*clip* (the area of its container) overlaps the changed area for all of its visible
lines, then keeps only the changed lines. On the console's main screen the clip of
nearly every widget is the whole screen, so repainting one line of a card also rendered
the footer, the scroll bars, the other cards and every container, top to bottom: about
1 ms of fixed cost per paint on the event loop the bot shares, whatever changed.

:class:`LineCompositor` asks a widget only for the lines of the update's rows (the band
between its top and bottom changed line), and only when the part of the widget on screen
in those rows overlaps the changed area. What reaches the terminal is the same: the
update's spans are cut from the same chops (a widget that was skipped lies wholly outside
the changed columns, so every chop it would have filled ends before or starts after the
changed area); ``tests/tui/test_screen_compositor.py`` checks the screen a terminal would
show after each update against a full render.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip

__all__ = ["ConsoleScreen", "LineCompositor"]


class LineCompositor(Compositor):
    """Textual's compositor, rendering for a partial update only the rows it repaints."""

    def _get_renders(
        self, crop: Region | None = None
    ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        if crop is None:  # a full update: everything, as Textual does
            yield from super()._get_renders(crop)
            return
        band = Region(0, crop.y, self.size.width, crop.height)
        for widget, (region, clip) in self.visible_widgets.items():
            clip = clip.intersection(band)
            shown = region.intersection(clip)
            if not shown or not shown.overlaps(crop):
                continue
            lines = Region(shown.x - region.x, shown.y - region.y, shown.width, shown.height)
            yield region, clip, widget.render_lines(lines)


class ConsoleScreen(Screen[None]):
    """A :class:`~textual.screen.Screen` painted by a :class:`LineCompositor`."""

    def __init__(
        self, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._compositor = LineCompositor()
