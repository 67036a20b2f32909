"""Who may run what: bot owners, guild owners, per-guild role requirements, cooldowns."""

from __future__ import annotations

import weakref
from collections.abc import Coroutine, Sequence
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


def rule_names(command: commands.Command) -> list[str]:  # type: ignore[type-arg]
    """Names whose role rules apply to ``command``: its groups (outermost first), then itself."""
    return [parent.qualified_name for parent in reversed(command.parents)] + [
        command.qualified_name
    ]


def covered_commands(command: commands.Command) -> list[str]:  # type: ignore[type-arg]
    """Qualified names a rule on ``command`` covers: itself and, for a group, every subcommand."""
    names = [command.qualified_name]
    if isinstance(command, commands.Group):
        names += sorted(sub.qualified_name for sub in command.walk_commands())
    return names


class PermissionPolicy:
    """The bot-wide check run before every prefix, hybrid and converted command.

    Order: bot owners pass everything; owner-only commands stop everyone else; then the
    guild's own role requirements (set with ``config <cmd> <role>``, stored per guild) —
    guild owners and administrators pass them; then a default cooldown for commands that
    declare none.

    Role rules on command groups: a rule on a group covers all its subcommands, and
    every rule along the way applies (``note`` and ``note add`` each need one of their
    roles for ``note add``), so a subcommand can narrow its group's rule, never widen it.
    """

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot
        cfg = bot.services.config.cooldowns
        self.default_cooldown = commands.CooldownMapping.from_cooldown(
            cfg.default_rate, cfg.default_per, commands.BucketType.user
        )
        self._cooldowns: dict[str, commands.CooldownMapping] = {}  # type: ignore[type-arg]

    def __call__(self, ctx: commands.Context) -> bool | Coroutine[Any, Any, bool]:  # type: ignore[type-arg]
        """Pass (True), refuse (raise), or — only when a guild's role rules are not in
        memory yet — return a coroutine that loads them (discord.py awaits awaitables).

        Runs before every command, so the common path is synchronous: no coroutine, no
        task, no SQLite.
        """
        command = ctx.command
        if command is None:
            return True
        if ctx.author.id in self.bot.services.owner_ids:
            return True
        if is_owner_only(command):
            raise commands.NotOwner("Only the bot owner can use this command.")
        guild, member = ctx.guild, ctx.author
        if guild is not None and isinstance(member, discord.Member):
            if not (member.id == guild.owner_id or member.guild_permissions.administrator):
                db = self.bot.services.db
                for name in rule_names(command):
                    roles = db.cached_command_roles(guild.id, name)
                    if roles is None:
                        return self._check_slow(ctx, member)
                    self._require_roles(member, roles, name)
        self._check_cooldown(ctx, command)
        return True

    async def _check_slow(
        self,
        ctx: commands.Context,  # type: ignore[type-arg]
        member: discord.Member,
    ) -> bool:
        assert ctx.guild is not None and ctx.command is not None
        for name in rule_names(ctx.command):
            roles = await self.bot.services.db.get_command_roles(ctx.guild.id, name)
            self._require_roles(member, roles, name)
        self._check_cooldown(ctx, ctx.command)
        return True

    def _require_roles(self, member: discord.Member, roles: Sequence[int], name: str) -> None:
        """Raise MissingAnyRole unless ``member`` has one of the guild's (or config's) roles."""
        required = list(roles) or self.bot.services.config.command_permissions.get(name, [])
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
