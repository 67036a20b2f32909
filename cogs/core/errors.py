"""Turn command errors into clear embeds (each branch reachable) and log the rest."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from zoryx.redaction import redactor_of

from . import embeds
from .refusal_replies import AppCommandErrors, ReplyGate, answer, note_refusal

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

log = logging.getLogger("zoryx.commands")


def describe(ctx: commands.Context, error: commands.CommandError) -> discord.Embed | None:  # type: ignore[type-arg]
    """The embed for a command error, or None when it should stay silent."""
    if isinstance(error, commands.CommandNotFound):
        return None
    if isinstance(error, commands.CommandOnCooldown):
        return embeds.warning("Slow down", f"Try again in {error.retry_after:.1f}s.")
    if isinstance(error, commands.NotOwner):
        return embeds.error("Owner only", "Only the bot owner can use this command.")
    if isinstance(error, commands.MissingPermissions):
        perms = ", ".join(p.replace("_", " ") for p in error.missing_permissions)
        return embeds.error("Missing permissions", f"You need: {perms}.")
    if isinstance(error, commands.BotMissingPermissions):
        perms = ", ".join(p.replace("_", " ") for p in error.missing_permissions)
        return embeds.error("I am missing permissions", f"I need: {perms}.")
    if isinstance(error, commands.MissingAnyRole | commands.MissingRole):
        roles = getattr(error, "missing_roles", None) or [getattr(error, "missing_role", "?")]
        names = ", ".join(_role_name(ctx, r) for r in roles)
        return embeds.error("Missing role", f"This command needs one of these roles: {names}.")
    if isinstance(error, commands.NoPrivateMessage):
        return embeds.error("Server only", "This command cannot be used in DMs.")
    if isinstance(error, commands.MissingRequiredArgument):
        return embeds.error(
            "Missing argument", f"`{error.param.name}` is required.\nUsage: `{_usage(ctx)}`"
        )
    if isinstance(
        error,
        commands.BadArgument
        | commands.BadUnionArgument
        | commands.BadLiteralArgument
        | commands.TooManyArguments,
    ):
        return embeds.error("Bad argument", f"{_text(ctx, error)}\nUsage: `{_usage(ctx)}`")
    if isinstance(error, commands.CheckFailure):
        return embeds.error("Not allowed", _text(ctx, error) or "You cannot use this command here.")
    if isinstance(error, commands.DisabledCommand):
        return embeds.error("Disabled", "This command is disabled.")
    original = getattr(error, "original", error)
    return embeds.error(
        "Something went wrong", f"`{type(original).__name__}` — the details are in the bot's log."
    )


def _text(ctx: commands.Context, error: Exception) -> str:  # type: ignore[type-arg]
    """An error's message for the reply, without secrets (extensions raise these too).

    Other exceptions are never shown: only their type, the rest goes to the log.
    """
    return redactor_of(ctx.bot).redact(str(error))


def _usage(ctx: commands.Context) -> str:  # type: ignore[type-arg]
    cmd = ctx.command
    if cmd is None:
        return ""
    return f"{ctx.clean_prefix}{cmd.qualified_name} {cmd.signature}".strip()


def _role_name(ctx: commands.Context, role: object) -> str:  # type: ignore[type-arg]
    if (
        ctx.guild is not None
        and isinstance(role, int | str)
        and str(role).isascii()
        and str(role).isdigit()
    ):
        found = ctx.guild.get_role(int(role))
        if found is not None:
            return f"@{found.name}"
    return str(role)


class ErrorHandler(commands.Cog):
    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot
        # One refusal/error reply per member per window, for prefix and slash commands.
        self.replies = ReplyGate(
            lambda user_id: user_id in bot.services.owner_ids,
            window=bot.services.config.cooldowns.error_reply_window,
        )
        self.app_errors = AppCommandErrors(bot, self.replies)

    async def cog_load(self) -> None:
        self.app_errors.install()

    async def cog_unload(self) -> None:
        self.app_errors.uninstall()
        if self.bot.operator is not None:  # report the refusals still being counted
            await self.bot.operator.refusals.close()

    @commands.Cog.listener()
    async def on_command_error(self, ctx: commands.Context, error: commands.CommandError) -> None:  # type: ignore[type-arg]
        if ctx.command is not None:  # audited even when the command answers it itself
            await note_refusal(
                self.bot,
                error,
                user=ctx.author,
                command=ctx.command.qualified_name,
                guild=ctx.guild,
                channel=ctx.channel,
            )
        if ctx.command is not None and ctx.command.has_error_handler():
            return
        if ctx.cog is not None and ctx.cog.has_error_handler():
            return
        # Counted either way: a user error (see zoryx.metrics.is_user_error) apart from the
        # command errors the health tiers are built on.
        if isinstance(error, commands.CommandNotFound):
            self.bot.services.metrics.record_unknown_command()
        else:
            await self.bot.record_command_error(ctx, error)
        embed = describe(ctx, error)
        if embed is None:
            return
        if isinstance(error, commands.CommandInvokeError):
            log.error("command %s failed", ctx.command, exc_info=error.original)
        if not self.replies.allow(ctx.author.id):  # throttled: no message (see ReplyGate)
            if ctx.interaction is not None:  # …but a slash command must be answered
                await answer(ctx.interaction, embed, full=False)
            return
        try:
            if ctx.interaction is not None:
                await ctx.send(embed=embed, ephemeral=True)
            else:
                delete_after = 15.0 if isinstance(error, commands.CommandOnCooldown) else None
                await ctx.send(embed=embed, delete_after=delete_after)
        except discord.HTTPException:
            log.warning("could not send the error message for %s", ctx.command)


async def setup(bot: ZoryxBot) -> None:
    await bot.add_cog(ErrorHandler(bot))
