"""Built-in commands every Zoryx bot has (help, stats, settings, extensions, storage)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

COGS = ("errors", "info", "settings", "admin", "storage", "status")


async def setup(bot: ZoryxBot) -> None:
    import importlib

    for name in COGS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        await module.setup(bot)
