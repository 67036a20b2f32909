"""A Static for content refreshed on a timer: repainted only when what it shows changed.

``Static.update`` lays out the whole screen every time (``layout=True``): with the
console sharing the bot's event loop, a few cards and status lines updated every couple
of seconds cost tens of milliseconds of layout and repaint per refresh, while the bot's
replies wait. A :class:`LiveStatic` skips an update whose content is unchanged, and lays
the screen out only when its height (its number of lines) changed.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Static

__all__ = ["LiveStatic"]

_UNSET = object()


class LiveStatic(Static):
    """A :class:`~textual.widgets.Static` updated through :meth:`show` or :meth:`show_text`."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._key: object = _UNSET
        self._lines: int | None = None

    def show(self, key: object, build: Callable[[], VisualType], lines: int | None) -> bool:
        """Show ``build()`` unless ``key`` equals the key of what is shown.

        Args:
            key: What the content is made of (compared with ``==``); build it from the
                values shown, not from the renderables (Rich renderables rarely compare).
            build: Makes the content; only called when it changed.
            lines: The content's height in lines, or None when unknown (always lays out).

        Returns:
            Whether the widget was updated.
        """
        if self._key is not _UNSET and key == self._key:
            return False
        content = build()
        relayout = lines is None or lines != self._lines
        self.update(content, layout=relayout)
        self._key, self._lines = key, lines
        return True

    def show_text(self, text: str | Text) -> bool:
        """Show one line of text (a string is shown as it is, never parsed as markup).

        Only for widgets one line high (a status or hint line): the text is not measured.
        """
        line = Text(text) if isinstance(text, str) else text
        key = (line.plain, str(line.style), tuple(line.spans))
        return self.show(key, lambda: line, 1)

    def forget(self) -> None:
        """Make the next :meth:`show` update the widget whatever its key."""
        self._key = _UNSET
