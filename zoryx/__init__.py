"""Zoryx: a Discord bot framework operated from the terminal.

The names below are the public API for extension authors (``docs/extensions.md``); they
are imported on first use, so ``import zoryx`` stays cheap. Everything else is internal
and may change between releases.

Example::

    from discord.ext import commands
    from zoryx import ZoryxBot

    class Notes(commands.Cog):
        def __init__(self, bot: ZoryxBot) -> None:
            self.bot = bot

        @commands.hybrid_command()
        async def note(self, ctx: commands.Context[ZoryxBot], *, text: str) -> None:
            path = self.bot.data_dir / "notes.json"
            notes = await self.bot.store.read_json(path, default=[])
            await self.bot.store.write_json(path, [*notes, text])
            await ctx.send("saved")

    async def setup(bot: ZoryxBot) -> None:
        await bot.add_cog(Notes(bot))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # the bot and what it is built from
    "ZoryxBot": "zoryx.bot",
    "Services": "zoryx.services",
    # crash-safe JSON / text files
    "AtomicStore": "zoryx.storage.atomic",
    "AtomicStoreError": "zoryx.storage.atomic",
    "AtomicReadError": "zoryx.storage.atomic",
    "AtomicWriteError": "zoryx.storage.atomic",
    # SQLite: main.db and per-guild databases
    "Databases": "zoryx.storage.databases",
    "GuildConnection": "zoryx.storage.guild_pool",
    "GuildSettings": "zoryx.storage.guild_pool",
    # configuration
    "Config": "zoryx.config",
    "ConfigError": "zoryx.config",
    "ConfigAccess": "zoryx.compat.config",
    # event hooks
    "BUILTIN_EVENTS": "zoryx.hooks",
    "HookCallback": "zoryx.hooks",
    "HookExecution": "zoryx.hooks",
    "HookInfo": "zoryx.hooks",
    "HookService": "zoryx.hooks",
    # extensions and plugin metadata
    "ExtensionInfo": "zoryx.extensions",
    "ExtensionRefused": "zoryx.extensions",
    "CommandClashError": "zoryx.command_clash",
    "PluginRecord": "cogs.plugin_registry.registry",
    "read_metadata": "zoryx.extensions",
    # the earlier framework's API (zoryx.compat)
    "AtomicFileHandler": "zoryx.compat.atomic_file_system",
    "DatabaseCompat": "zoryx.compat.database",
    "global_file_handler": "zoryx.compat.atomic_file_system",
}

__all__ = [
    "BUILTIN_EVENTS",
    "AtomicFileHandler",
    "AtomicReadError",
    "AtomicStore",
    "AtomicStoreError",
    "AtomicWriteError",
    "CommandClashError",
    "Config",
    "ConfigAccess",
    "ConfigError",
    "DatabaseCompat",
    "Databases",
    "ExtensionInfo",
    "ExtensionRefused",
    "GuildConnection",
    "GuildSettings",
    "HookCallback",
    "HookExecution",
    "HookInfo",
    "HookService",
    "PluginRecord",
    "Services",
    "ZoryxBot",
    "__version__",
    "global_file_handler",
    "read_metadata",
]

if TYPE_CHECKING:
    from cogs.plugin_registry.registry import PluginRecord
    from zoryx.bot import ZoryxBot
    from zoryx.command_clash import CommandClashError
    from zoryx.compat.atomic_file_system import AtomicFileHandler, global_file_handler
    from zoryx.compat.config import ConfigAccess
    from zoryx.compat.database import DatabaseCompat
    from zoryx.config import Config, ConfigError
    from zoryx.extensions import ExtensionInfo, ExtensionRefused, read_metadata
    from zoryx.hooks import BUILTIN_EVENTS, HookCallback, HookExecution, HookInfo, HookService
    from zoryx.services import Services
    from zoryx.storage.atomic import (
        AtomicReadError,
        AtomicStore,
        AtomicStoreError,
        AtomicWriteError,
    )
    from zoryx.storage.databases import Databases
    from zoryx.storage.guild_pool import GuildConnection, GuildSettings


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'zoryx' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
