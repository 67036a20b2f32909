"""The command palette (ctrl+p) provider: pane jumps and every ``:`` command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider

__all__ = ["ConsoleProvider", "PaletteEntry"]

PaletteEntry = tuple[str, str, Callable[[], Any]]


class _HasEntries(Protocol):
    def palette_entries(self) -> list[PaletteEntry]: ...

    async def refresh_palette(self) -> None: ...


class ConsoleProvider(Provider):
    """Lists what the app's ``palette_entries()`` offers: (title, help, callback).

    When the palette opens, the app first reads again what the entries name
    (``refresh_palette()``: extensions, guilds), since the bot may run elsewhere.
    """

    async def startup(self) -> None:
        app: _HasEntries = self.app  # type: ignore[assignment]
        await app.refresh_palette()

    def _entries(self) -> list[PaletteEntry]:
        app: _HasEntries = self.app  # type: ignore[assignment]
        return app.palette_entries()

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(f"{title} {help_text}")
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
