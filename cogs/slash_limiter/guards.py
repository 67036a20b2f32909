"""The rules a slash command carries, enforced for its prefix conversion.

On Discord, ``default_permissions``, ``guild_only``/allowed contexts and ``nsfw`` are
enforced by Discord itself and ``app_commands.check`` predicates by the command tree.
A prefix command gets neither, so the earlier framework's conversions let anyone run
a converted admin command. :func:`app_command_check` puts all of them back as a prefix
command check, raising the matching ``commands`` errors so the error cog explains them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from .standin import Ctx, StandInInteraction, standin_for

AppCommand = app_commands.Command[Any, ..., Any]


def required_permissions(command: AppCommand) -> list[str]:
    """Permission names the command's ``default_permissions`` demand (``[]``: none set).

    ``default_permissions()`` with no permission means "administrators only" on Discord.
    """
    perms = command.default_permissions
    if perms is None:
        return []
    names = [name for name, value in perms if value]
    return names or ["administrator"]


def requirements(command: AppCommand) -> list[str]:
    """Human-readable rules for ``help <command>``."""
    lines: list[str] = []
    perms = required_permissions(command)
    if perms:
        lines.append("Permissions: " + ", ".join(p.replace("_", " ").title() for p in perms))
    if command.checks:
        lines.append("Extra checks of the original slash command")
    if _guild_only(command):
        lines.append("Servers only")
    return lines


def _guild_only(command: AppCommand) -> bool:
    if getattr(command, "guild_only", False):
        return True
    contexts = getattr(command, "allowed_contexts", None)
    return contexts is not None and not (contexts.dm_channel or contexts.private_channel)


def _missing(member: discord.Member, names: list[str]) -> list[str]:
    perms = member.guild_permissions
    if perms.administrator:
        return []
    return [name for name in names if not getattr(perms, name, False)]


def translate(error: app_commands.AppCommandError) -> commands.CommandError:
    """The prefix-command equivalent of an app-command check error."""
    if isinstance(error, app_commands.MissingPermissions):
        return commands.MissingPermissions(list(error.missing_permissions))
    if isinstance(error, app_commands.BotMissingPermissions):
        return commands.BotMissingPermissions(list(error.missing_permissions))
    if isinstance(error, app_commands.MissingAnyRole):
        return commands.MissingAnyRole(list(error.missing_roles))
    if isinstance(error, app_commands.MissingRole):
        return commands.MissingRole(error.missing_role)
    if isinstance(error, app_commands.NoPrivateMessage):
        return commands.NoPrivateMessage(str(error) or None)
    if isinstance(error, app_commands.CommandOnCooldown):
        return commands.CommandOnCooldown(
            error.cooldown, error.retry_after, commands.BucketType.user
        )
    return commands.CheckFailure(str(error) or "You cannot use this command here.")


async def _run(check: Callable[..., Any], interaction: StandInInteraction) -> bool:
    try:
        return bool(await discord.utils.maybe_coroutine(check, interaction))
    except app_commands.AppCommandError as exc:
        raise translate(exc) from exc


def app_command_check(command: AppCommand) -> Callable[[Ctx], Coroutine[Any, Any, bool]]:
    """A prefix-command check enforcing everything the slash command would enforce."""

    async def predicate(ctx: Ctx) -> bool:
        interaction = standin_for(ctx, command)
        perms = required_permissions(command)
        if ctx.guild is None and (perms or _guild_only(command)):
            raise commands.NoPrivateMessage("This command can only be used in a server.")
        if perms and isinstance(ctx.author, discord.Member):
            missing = _missing(ctx.author, perms)
            if missing:
                raise commands.MissingPermissions(missing)
        if command.nsfw and not getattr(ctx.channel, "is_nsfw", lambda: False)():
            raise commands.NSFWChannelRequired(ctx.channel)  # type: ignore[arg-type]
        tree = getattr(ctx.bot, "tree", None)
        if tree is not None and type(tree).interaction_check is not (
            app_commands.CommandTree.interaction_check
        ):
            if not await _run(tree.interaction_check, interaction):
                raise commands.CheckFailure("You cannot use this command here.")
        binding = command.binding
        check = getattr(binding, "interaction_check", None)
        if binding is not None and check is not None:
            base = getattr(commands.Cog, "interaction_check", None)
            if getattr(type(binding), "interaction_check", None) is not base:
                if not await _run(check, interaction):
                    raise commands.CheckFailure("You cannot use this command here.")
        for predicate_ in command.checks:
            if not await _run(predicate_, interaction):
                raise commands.CheckFailure("You do not meet the requirements of this command.")
        return True

    predicate.__zoryx_app_check__ = True  # type: ignore[attr-defined]
    return predicate
