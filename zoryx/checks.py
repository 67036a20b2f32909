"""Who may run what: bot owners, guild owners, per-guild role requirements, cooldowns."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

if TYPE_CHECKING:
    from .bot import ZoryxBot

# Commands only bot owners may run, wherever they are (plus any with extras["owner_only"]).
OWNER_ONLY = frozenset(
    {"load", "unload", "reload", "sync", "cleanup", "integritycheck", "atomictest", "config_global"}
)


_OWNER_ONLY_CACHE: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def is_owner_only(command: commands.Command) -> bool:  # type: ignore[type-arg]
    cached = _OWNER_ONLY_CACHE.get(command)
    if cached is None:
        cached = _OWNER_ONLY_CACHE[command] = _owner_only(command)
    return cached


def _owner_only(command: commands.Command) -> bool:  # type: ignore[type-arg]
    root = command.root_parent or command
    return bool(
        command.extras.get("owner_only")
        or root.extras.get("owner_only")
        or root.qualified_name in OWNER_ONLY
    )


class PermissionPolicy:
    """The bot-wide check run before every prefix, hybrid and converted command.

    Order: bot owners pass everything; owner-only commands stop everyone else; then the
    guild's own role requirement for the command (set with ``config <cmd> <role>``, stored
    per guild) — guild owners and administrators pass it; then a default cooldown for
    commands that declare none.
    """

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot
        cfg = bot.services.config.cooldowns
        self.default_cooldown = commands.CooldownMapping.from_cooldown(
            cfg.default_rate, cfg.default_per, commands.BucketType.user
        )
        self._cooldowns: dict[str, commands.CooldownMapping] = {}  # type: ignore[type-arg]

    async def __call__(self, ctx: commands.Context) -> bool:  # type: ignore[type-arg]
        command = ctx.command
        if command is None:
            return True
        if ctx.author.id in self.bot.services.owner_ids:
            return True
        if is_owner_only(command):
            raise commands.NotOwner("Only the bot owner can use this command.")
        if ctx.guild is not None and isinstance(ctx.author, discord.Member):
            await self._check_roles(ctx, ctx.author, command.qualified_name)
        self._check_cooldown(ctx, command)
        return True

    async def _check_roles(
        self,
        ctx: commands.Context,
        member: discord.Member,  # type: ignore[type-arg]
        name: str,
    ) -> None:
        assert ctx.guild is not None
        if member.id == ctx.guild.owner_id or member.guild_permissions.administrator:
            return
        required = await self.bot.services.db.get_command_roles(ctx.guild.id, name)
        if not required:
            required = list(self.bot.services.config.command_permissions.get(name, []))
        if required and not any(member.get_role(int(r)) for r in required):
            raise commands.MissingAnyRole(list(required))

    def _check_cooldown(self, ctx: commands.Context, command: commands.Command) -> None:  # type: ignore[type-arg]
        if command._buckets.valid:
            return
        mapping = self._cooldowns.get(command.qualified_name)
        if mapping is None:
            mapping = self._cooldowns[command.qualified_name] = self.default_cooldown.copy()
        bucket = mapping.get_bucket(ctx.message)
        if bucket is None:
            return
        retry = bucket.update_rate_limit()
        if retry:
            raise commands.CommandOnCooldown(bucket, retry, commands.BucketType.user)
