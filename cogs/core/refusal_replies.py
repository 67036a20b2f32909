"""Refused Discord commands are audited; refusal and error replies are throttled per member.

Used by the error cog (:mod:`cogs.core.errors`) for prefix and hybrid commands and, through
:class:`AppCommandErrors`, for slash-only commands (the command tree's error handler).

A throttled reply: a prefix command gets none; a slash command must still be answered,
so it gets a one-line ephemeral answer (the error's title). Ephemeral answers are seen
only by the member who ran the command and are interaction callbacks, not channel
messages, so they neither clutter the channel nor wait behind its rate limit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from zoryx.redaction import redactor_of
from zoryx.refusals import REPLY_WINDOW_SECONDS, Refusal, WindowThrottle

from . import embeds
from ._common import NotGuildOrBotOwner

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

log = logging.getLogger("zoryx.commands")

AppErrorHandler = Callable[[discord.Interaction, app_commands.AppCommandError], Any]


class ReplyGate:
    """At most one refusal or error reply per member per ``window`` seconds.

    Bot owners are always answered (they cannot be refused, and their errors are how
    they debug their commands). Bounded: see :class:`~zoryx.refusals.WindowThrottle`.
    """

    def __init__(
        self,
        is_owner: Callable[[int], bool],
        window: float = REPLY_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.is_owner = is_owner
        self.throttle: WindowThrottle[int, None] = WindowThrottle(window, clock=clock)

    def allow(self, user_id: int) -> bool:
        """Whether this member gets a full reply now (counts the attempt either way)."""
        return self.is_owner(user_id) or self.throttle.hit(user_id, None)


# -- refusals -------------------------------------------------------------------------------
def refusal_reason(error: BaseException, guild: discord.Guild | None) -> str | None:
    """Why a privilege check refused the command, or None when ``error`` is no refusal.

    Refusals: bot-owner-only commands, the server-owner check, missing Discord permissions
    (Administrator, Manage Server…) and the server's role rules (``config <cmd> <role>``).
    """
    if isinstance(error, commands.HybridCommandError):
        error = error.original
    if isinstance(error, commands.NotOwner):
        return "bot owner only"
    if isinstance(error, NotGuildOrBotOwner):
        return "server owner or bot owner only"
    if isinstance(error, commands.MissingPermissions | app_commands.MissingPermissions):
        return "missing permissions: " + ", ".join(error.missing_permissions)
    if isinstance(error, commands.MissingAnyRole | app_commands.MissingAnyRole):
        return "needs one of the roles " + _roles(guild, error.missing_roles)
    if isinstance(error, commands.MissingRole | app_commands.MissingRole):
        return "needs the role " + _roles(guild, [error.missing_role])
    return None


def _roles(guild: discord.Guild | None, roles: Iterable[object]) -> str:
    names = []
    for role in roles:
        text = str(role)
        found = guild.get_role(int(text)) if guild and text.isascii() and text.isdigit() else None
        names.append(f"@{found.name}" if found is not None else str(role))
    return ", ".join(names)


def place(guild: discord.Guild | None, channel: object) -> str:
    """Where it happened, for the audit trail: ``Guild (id) #channel (id)`` or ``DMs``."""
    if guild is None:
        return "DMs"
    name = getattr(channel, "name", None)
    channel_id = getattr(channel, "id", None)
    where = f"{guild.name} ({guild.id})"
    return f"{where} #{name} ({channel_id})" if name else f"{where} channel {channel_id}"


async def note_refusal(
    bot: ZoryxBot,
    error: BaseException,
    *,
    user: discord.abc.User,
    command: str,
    guild: discord.Guild | None,
    channel: object,
) -> bool:
    """Audit and log ``error`` through the operator API if it is a refusal; True if it was."""
    reason = refusal_reason(error, guild)
    operator = bot.operator
    if reason is None or operator is None:
        return False
    role = operator.role_for_user(user.id).name.lower()
    refusal = Refusal(
        str(user), role, "discord", f"command:{command}", place(guild, channel), reason, user.id
    )
    await operator.refusals.refused(refusal)
    return True


# -- slash-only commands --------------------------------------------------------------------
def describe_app(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> discord.Embed:
    """The embed for a slash command's error (the prefix error cog's wording)."""
    if isinstance(error, app_commands.CommandOnCooldown):
        return embeds.warning("Slow down", f"Try again in {error.retry_after:.1f}s.")
    if isinstance(error, app_commands.MissingPermissions):
        perms = ", ".join(p.replace("_", " ") for p in error.missing_permissions)
        return embeds.error("Missing permissions", f"You need: {perms}.")
    if isinstance(error, app_commands.BotMissingPermissions):
        perms = ", ".join(p.replace("_", " ") for p in error.missing_permissions)
        return embeds.error("I am missing permissions", f"I need: {perms}.")
    if isinstance(error, app_commands.MissingAnyRole | app_commands.MissingRole):
        roles = getattr(error, "missing_roles", None) or [getattr(error, "missing_role", "?")]
        names = _roles(interaction.guild, roles)
        return embeds.error("Missing role", f"This command needs one of these roles: {names}.")
    if isinstance(error, app_commands.NoPrivateMessage):
        return embeds.error("Server only", "This command cannot be used in DMs.")
    text = redactor_of(interaction.client).redact(str(error))  # extensions raise these too
    if isinstance(error, app_commands.TransformerError):
        return embeds.error("Bad argument", text)
    if isinstance(error, app_commands.CheckFailure):
        return embeds.error("Not allowed", text or "You cannot use this command here.")
    original = getattr(error, "original", error)
    return embeds.error(
        "Something went wrong", f"`{type(original).__name__}` — the details are in the bot's log."
    )


async def answer(interaction: discord.Interaction, embed: discord.Embed, *, full: bool) -> None:
    """Answer a slash command ephemerally: the embed, or (throttled) its title alone."""
    send = (
        interaction.followup.send
        if interaction.response.is_done()
        else interaction.response.send_message
    )
    try:
        if full:
            await send(embed=embed, ephemeral=True)
        else:
            await send(content=embed.title or "Not allowed", ephemeral=True)
    except discord.HTTPException:
        log.warning("could not answer the failed slash command %s", _name(interaction))


class AppCommandErrors:
    """The command tree's error handler while the error cog is loaded.

    Audits refusals, logs unexpected errors with their traceback, and answers within the
    reply throttle. A handler an extension set on the tree before still does the
    answering (the refusal is audited first).
    """

    def __init__(self, bot: ZoryxBot, gate: ReplyGate) -> None:
        self.bot = bot
        self.gate = gate
        self._previous: AppErrorHandler | None = None

    def install(self) -> None:
        tree = self.bot.tree
        self._previous = tree.__dict__.get("on_error")
        tree.on_error = self.on_error  # type: ignore[method-assign]

    def uninstall(self) -> None:
        tree = self.bot.tree
        if tree.__dict__.get("on_error") == self.on_error:
            if self._previous is None:
                del tree.on_error
            else:
                tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await note_refusal(
            self.bot,
            error,
            user=interaction.user,
            command=_name(interaction),
            guild=interaction.guild,
            channel=interaction.channel,
        )
        if self._previous is not None:
            await self._previous(interaction, error)
            return
        if not isinstance(error, app_commands.CheckFailure | app_commands.TransformerError):
            log.error("slash command %s failed", _name(interaction), exc_info=error)
        embed = describe_app(interaction, error)
        await answer(interaction, embed, full=self.gate.allow(interaction.user.id))


def _name(interaction: discord.Interaction) -> str:
    command = interaction.command
    return command.qualified_name if command is not None else "?"
