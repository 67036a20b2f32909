"""``bot.db``: the earlier framework's database API, over :class:`zoryx.storage.Databases`.

Every call maps to Zoryx's own storage (the bounded guild pool, the buffered command
usage, SQLite's online backup), so extensions written for that API get Zoryx's crash
safety without changes. New code should use :class:`zoryx.Databases` directly
(``bot.services.db``), documented in ``docs/extensions.md``.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from ._sql import CompatConnection, GuildBackend, MainBackend

if TYPE_CHECKING:
    from zoryx.storage.databases import Databases

__all__ = ["DatabaseCompat"]

ALL_COMMANDS = 1_000_000


class DatabaseCompat:
    """What ``bot.db`` offers extensions.

    Args:
        db: The running bot's databases (``bot.services.db``).
    """

    def __init__(self, db: Databases) -> None:
        self._db = db
        self._main: CompatConnection | None = None
        self._guilds: weakref.WeakValueDictionary[int, CompatConnection] = (
            weakref.WeakValueDictionary()
        )

    @property
    def conn(self) -> CompatConnection:
        """An aiosqlite-style connection to ``data/main.db``."""
        if self._main is None:
            self._main = CompatConnection(MainBackend(self._db), "main.db")
        return self._main

    async def _get_guild_connection(self, guild_id: int) -> CompatConnection:
        """An aiosqlite-style connection to ``data/<guild_id>/guild.db`` (created if new).

        The underlying connection comes from Zoryx's bounded pool for each statement (or
        for a whole ``BEGIN`` … ``COMMIT``), so holding this object costs no file handle.
        """
        guild_id = int(guild_id)
        conn = self._guilds.get(guild_id)
        if conn is None:
            conn = CompatConnection(GuildBackend(self._db, guild_id), f"guild {guild_id}")
            self._guilds[guild_id] = conn
        return conn

    get_guild_connection = _get_guild_connection

    async def set_guild_prefix(self, guild_id: int, prefix: str | None) -> None:
        """Set (or with None clear) a guild's command prefix."""
        await self._db.set_prefix(int(guild_id), prefix)

    async def get_guild_prefix(self, guild_id: int) -> str | None:
        """A guild's own prefix, or None when it uses the default."""
        return await self._db.get_prefix(int(guild_id))

    async def increment_command_usage(self, command_name: str, guild_id: int | None = None) -> None:
        """Count one use of ``command_name`` (buffered; persisted within seconds)."""
        self._db.increment_usage(command_name, guild_id)

    async def get_command_stats(self, limit: int | None = None) -> list[tuple[str, int]]:
        """``[(command_name, count), …]``, most used first."""
        return await self._db.command_stats(ALL_COMMANDS if limit is None else limit)

    async def cleanup_guild(self, guild_id: int) -> None:
        """Close the guild's database and delete its folder."""
        await self._db.cleanup_guild(int(guild_id))

    async def backup(self, guild_id: int | None = None) -> list[Path]:
        """Back up every database (or one guild's) with SQLite's online backup API."""
        return await self._db.backup(guild_id=None if guild_id is None else int(guild_id))
