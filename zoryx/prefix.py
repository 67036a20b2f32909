"""Command prefix resolution: per-guild prefix, default prefix and the @mention switch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from .storage.databases import Databases


class PrefixResolver:
    """Resolves the prefixes valid for a message without touching SQLite per message.

    Args:
        databases: Source of per-guild settings (cached in memory by :class:`Databases`).
        default_prefix: ``config.prefix``.
        mention_default: ``config.allow_mention_prefix``, used when a guild has no setting.
    """

    def __init__(self, databases: Databases, default_prefix: str, mention_default: bool) -> None:
        self.databases = databases
        self.default_prefix = default_prefix
        self.mention_default = mention_default

    async def for_guild(self, guild_id: int | None) -> tuple[str, bool]:
        """``(prefix, mention_enabled)`` for a guild (``None`` = DMs)."""
        if guild_id is None:
            return self.default_prefix, self.mention_default
        settings = await self.databases.guild_settings(guild_id)
        prefix = settings.prefix or self.default_prefix
        mention = (
            self.mention_default if settings.mention_prefix is None else settings.mention_prefix
        )
        return prefix, mention

    async def __call__(self, bot: discord.Client, message: discord.Message) -> list[str]:
        prefix, mention = await self.for_guild(message.guild.id if message.guild else None)
        if mention and bot.user is not None:
            uid = bot.user.id
            return [f"<@{uid}> ", f"<@!{uid}> ", prefix]
        return [prefix]
