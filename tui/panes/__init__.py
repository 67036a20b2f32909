"""Console panes, in tab order. Adding a pane: one module plus one line here."""

from __future__ import annotations

from .base import Pane

PANE_MODULES: list[str] = [
    "overview",
    "commands",
    "plugins",
    "logs",
    "system",
    "hooks",
    "files",
    "guilds",
    "shards",
    "sandbox",
    "backups",
]


def load_panes() -> list[type[Pane]]:
    """Import every registered pane module and return its Pane subclass."""
    import importlib

    panes: list[type[Pane]] = []
    for name in PANE_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        panes.append(module.PANE)
    return panes


__all__ = ["PANE_MODULES", "Pane", "load_panes"]
