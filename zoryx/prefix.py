"""Command prefix resolution: per-guild prefix, default prefix and the @mention switch."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from .storage.databases import Databases
    from .storage.guild_pool import GuildSettings

PrefixList = list[str]


class PrefixResolver:
    """Resolves the prefixes valid for a message without touching SQLite per message.

    Runs for every message, so the common case is synchronous: when the guild's settings
    are cached it returns the prefix list directly (discord.py accepts a plain value or an
    awaitable), and only a cache miss returns a coroutine that loads them. Prefix lists
    are built once per distinct ``(prefix, mention, bot user)`` and reused.

    Args:
        databases: Source of per-guild settings (cached in memory by :class:`Databases`).
        default_prefix: ``config.prefix``.
        mention_default: ``config.allow_mention_prefix``, used when a guild has no setting.
    """

    MAX_LISTS = 256  # distinct prefix lists kept (bounded; guilds mostly share a few)

    def __init__(self, databases: Databases, default_prefix: str, mention_default: bool) -> None:
        self.databases = databases
        self.default_prefix = default_prefix
        self.mention_default = mention_default
        self._lists: dict[tuple[str, bool, int | None], PrefixList] = {}

    async def for_guild(self, guild_id: int | None) -> tuple[str, bool]:
        """``(prefix, mention_enabled)`` for a guild (``None`` = DMs)."""
        if guild_id is None:
            return self.default_prefix, self.mention_default
        return self._resolve(await self.databases.guild_settings(guild_id))

    def _resolve(self, settings: GuildSettings) -> tuple[str, bool]:
        prefix = settings.prefix or self.default_prefix
        mention = (
            self.mention_default if settings.mention_prefix is None else settings.mention_prefix
        )
        return prefix, mention

    def __call__(
        self, bot: discord.Client, message: discord.Message
    ) -> PrefixList | Coroutine[Any, Any, PrefixList]:
        guild = message.guild
        user = bot.user
        uid = user.id if user is not None else None
        if guild is None:
            return self._list(self.default_prefix, self.mention_default, uid)
        settings = self.databases.cached_guild_settings(guild.id)
        if settings is None:
            return self._load(guild.id, uid)
        prefix, mention = self._resolve(settings)
        return self._list(prefix, mention, uid)

    async def _load(self, guild_id: int, uid: int | None) -> PrefixList:
        prefix, mention = await self.for_guild(guild_id)
        return self._list(prefix, mention, uid)

    def _list(self, prefix: str, mention: bool, uid: int | None) -> PrefixList:
        key = (prefix, mention, uid)
        found = self._lists.get(key)
        if found is None:
            if len(self._lists) >= self.MAX_LISTS:
                self._lists.clear()
            found = self._lists[key] = _prefix_list(prefix, mention, uid)
        return found  # discord.py's get_prefix copies it (list(...)) before use


def _prefix_list(prefix: str, mention: bool, uid: int | None) -> PrefixList:
    """The prefixes to try, in order: the first one a message starts with wins.

    The configured prefix goes first (it is what nearly every message uses) unless it
    overlaps a mention prefix, in which case the mention forms go first so that e.g. a
    ``<`` prefix does not swallow ``<@id> help``.
    """
    if not mention or uid is None:
        return [prefix]
    mentions = [f"<@{uid}> ", f"<@!{uid}> "]
    if any(m.startswith(prefix) or prefix.startswith(m) for m in mentions):
        return [*mentions, prefix]
    return [prefix, *mentions]
