"""An interaction stand-in: lets a slash command's callback run from a prefix command.

A converted command's callback receives a :class:`StandInInteraction` built from the
prefix command's context. ``interaction.response.send_message``, ``defer``,
``interaction.followup.send``, ``edit_original_response``, ``original_response`` and
``delete_original_response`` become messages in the invoking channel; ``user``,
``guild``, ``channel``, ``permissions``, ``command``, ``client`` and friends come from
the context. Ephemeral messages cannot exist outside interactions, so they are sent to
the channel like any other (the help menu marks converted commands so authors know).
A modal cannot be shown without an interaction: ``send_modal`` answers with a clear
message instead and ends the command.
"""

from __future__ import annotations

import contextlib
import datetime
import types
from typing import Any

import discord
from discord.ext import commands
from discord.utils import MISSING

Ctx = commands.Context[Any]
_CTX_ATTR = "_zoryx_standin"
_SEND_KEYS = (
    "content",
    "embed",
    "embeds",
    "file",
    "files",
    "view",
    "tts",
    "allowed_mentions",
    "suppress_embeds",
    "silent",
    "delete_after",
    "poll",
)
_EDIT_KEYS = ("content", "embed", "embeds", "attachments", "view", "allowed_mentions")


class ModalUnavailable(commands.CommandError):
    """A converted command tried to open a modal (forms need a real slash command)."""

    def __init__(self) -> None:
        super().__init__(
            "This command opens a form, which only works as a slash command. The bot has "
            "reached Discord's slash command limit, so it runs as a prefix command here."
        )


def _kwargs(values: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: values[k] for k in keys if k in values and values[k] is not MISSING}


class StandInResponse:
    """``interaction.response`` for a prefix invocation."""

    def __init__(self, parent: StandInInteraction) -> None:
        self._parent = parent
        self._done = False
        self.deferred = False
        self.type: discord.InteractionResponseType | None = None

    def is_done(self) -> bool:
        return self._done

    def _claim(self) -> None:
        if self._done:
            raise discord.InteractionResponded(self._parent)  # type: ignore[arg-type]
        self._done = True

    async def send_message(self, content: Any = None, **options: Any) -> None:
        self._claim()
        self.type = discord.InteractionResponseType.channel_message
        message = await self._parent._send({"content": content, **options})
        self._parent._original = message

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        self._claim()
        self.deferred = True
        self.type = discord.InteractionResponseType.deferred_channel_message
        with contextlib.suppress(discord.HTTPException):
            await self._parent.context.typing()

    async def edit_message(self, **options: Any) -> None:
        """Without a component message, editing means editing the original response."""
        self._claim()
        await self._parent.edit_original_response(**options)

    async def send_modal(self, modal: discord.ui.Modal) -> None:
        """Explain in the channel, then stop the callback (the converter ends it quietly)."""
        self._claim()
        error = ModalUnavailable()
        embed = discord.Embed(title="⚠️ Form not available", description=str(error))
        embed.colour = discord.Colour(0xF1C40F)
        await self._parent._send({"embed": embed})
        raise error

    async def pong(self) -> None:
        return None


class StandInFollowup:
    """``interaction.followup``: each ``send`` is a new message in the channel."""

    def __init__(self, parent: StandInInteraction) -> None:
        self._parent = parent

    async def send(self, content: Any = None, **options: Any) -> discord.Message:
        options.pop("wait", None)
        return await self._parent._send({"content": content, **options})


class StandInInteraction:
    """What a converted command's callback gets instead of a :class:`discord.Interaction`."""

    def __init__(
        self, ctx: Ctx, command: discord.app_commands.Command[Any, ..., Any] | None
    ) -> None:
        self.context = ctx
        self.command = command
        self.client: discord.Client = ctx.bot
        self.user: discord.User | discord.Member = ctx.author
        self.guild: discord.Guild | None = ctx.guild
        self.channel: Any = ctx.channel
        self.message: discord.Message | None = None
        self.id: int = ctx.message.id
        self.created_at = ctx.message.created_at
        self.application_id = getattr(ctx.bot, "application_id", None)
        self.type = discord.InteractionType.application_command
        self.token = ""
        self.data: dict[str, Any] = {"name": command.name if command else ""}
        self.namespace = types.SimpleNamespace()
        self.extras: dict[Any, Any] = {}
        self.locale = discord.Locale.american_english
        self.guild_locale = ctx.guild.preferred_locale if ctx.guild else None
        self.response = StandInResponse(self)
        self.followup = StandInFollowup(self)
        self._original: discord.Message | None = None
        self.converted = True  # lets a callback tell it runs as a prefix command

    # -- facts -------------------------------------------------------------------------
    @property
    def guild_id(self) -> int | None:
        return self.guild.id if self.guild else None

    @property
    def channel_id(self) -> int | None:
        return getattr(self.channel, "id", None)

    @property
    def permissions(self) -> discord.Permissions:
        """The invoker's permissions in this channel (like ``Interaction.permissions``)."""
        return self.context.permissions

    @property
    def app_permissions(self) -> discord.Permissions:
        return self.context.bot_permissions

    @property
    def expires_at(self) -> datetime.datetime:
        return self.created_at + datetime.timedelta(minutes=15)

    def is_expired(self) -> bool:
        return False

    # -- responses ---------------------------------------------------------------------
    async def _send(self, values: dict[str, Any]) -> discord.Message:
        return await self.context.send(**_kwargs(values, _SEND_KEYS))

    async def original_response(self) -> discord.Message:
        if self._original is None:
            raise discord.ClientException("this interaction has not been responded to yet")
        return self._original

    async def edit_original_response(self, **options: Any) -> discord.Message:
        """Edit the first response; after only a ``defer`` this sends it."""
        values = _kwargs(options, _EDIT_KEYS)
        if self._original is None:
            values.pop("attachments", None)
            self._original = await self._send(values)
            self.response._done = True
            return self._original
        self._original = await self._original.edit(**values)
        return self._original

    async def delete_original_response(self) -> None:
        if self._original is not None:
            await self._original.delete()
            self._original = None


def standin_for(
    ctx: Ctx, command: discord.app_commands.Command[Any, ..., Any] | None
) -> StandInInteraction:
    """The stand-in of this invocation (one per context, shared by checks and callback)."""
    existing = getattr(ctx, _CTX_ATTR, None)
    if isinstance(existing, StandInInteraction):
        return existing
    interaction = StandInInteraction(ctx, command)
    setattr(ctx, _CTX_ATTR, interaction)
    return interaction
