"""Who may use the backup commands (an Administrator of that server, or a bot owner), the
operator-API actor for them, snapshot-ID autocompletion and how errors reach the user."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from cogs.core import embeds as styles
from cogs.core._common import Ctx, actor, clip, is_bot_owner, requires
from zoryx.operator import Actor, Role

from .views import USER_ERRORS, said

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

T = TypeVar("T")
SERVICE_KEY = "backups"
OWNER_ONLY = {"owner_only": True}


def is_server_admin(user: discord.abc.User) -> bool:
    perms = getattr(user, "guild_permissions", None)
    return bool(perms is not None and perms.administrator)


def backup_access() -> Callable[[T], T]:
    """Guild only; the invoker is an Administrator there or a bot owner.

    A member without Administrator gets "Missing permissions" (the error cog's embed).
    The slash side is also hidden from non-administrators by default.
    """

    async def predicate(ctx: Ctx) -> bool:
        if ctx.guild is None:
            raise commands.NoPrivateMessage()
        if is_bot_owner(ctx) or is_server_admin(ctx.author):
            return True
        raise commands.MissingPermissions(["administrator"])

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(administrator=True)(func)
        func = commands.guild_only()(func)
        return requires("Administrator of the server, or bot owner")(
            commands.check(predicate)(func)
        )

    return decorator


def owner_command() -> Callable[[T], T]:
    """Guild only, bot owners only (with ``extras=OWNER_ONLY`` on the command)."""

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(administrator=True)(func)
        return commands.guild_only()(func)

    return decorator


def backup_actor(ctx: Ctx) -> Actor:
    """A bot owner acts with their own role; a server administrator who is not one acts
    as an owner scoped to this server (only backup actions, only here)."""
    if is_bot_owner(ctx) or ctx.guild is None:
        return actor(ctx)
    return Actor(str(ctx.author), Role.OWNER, "discord", guild=ctx.guild.id)


class Reported:
    """``async with Reported(ctx, "Backup not created"):`` — an OperatorError or BackupError
    inside is answered with an error embed (its message is written for users)."""

    def __init__(self, ctx: Ctx, title: str) -> None:
        self.ctx = ctx
        self.title = title

    async def __aenter__(self) -> Reported:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None or not isinstance(exc, USER_ERRORS):
            return False
        text = said(self.ctx.bot, exc)
        await self.ctx.send(embed=styles.error(self.title, clip(text, 2000)), ephemeral=True)
        return True


async def backup_ids(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete: this server's backups whose ID or label contains what was typed."""
    guild = interaction.guild
    bot: ZoryxBot = interaction.client  # type: ignore[assignment]
    service = bot.services.extra.get(SERVICE_KEY)
    if guild is None or service is None:
        return []
    if interaction.user.id not in bot.services.owner_ids and not is_server_admin(interaction.user):
        return []
    try:
        infos = await service.list(guild.id)
    except USER_ERRORS:
        return []
    needle = current.strip().lower()
    choices: list[app_commands.Choice[str]] = []
    for info in infos:
        if needle and needle not in f"{info.id} {info.label}".lower():
            continue
        name = f"{'📌 ' if info.pinned else ''}{info.id} {info.label}".strip()
        choices.append(app_commands.Choice(name=clip(name, 100), value=info.id))
        if len(choices) == 25:
            break
    return choices


async def diff_targets(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for ``backupdiff``'s second backup: ``current`` (the live server) first."""
    found = await backup_ids(interaction, current)
    if "current".startswith(current.strip().lower()):
        now = app_commands.Choice(name="current (the server as it is now)", value="current")
        found = [now, *found[:24]]
    return found
