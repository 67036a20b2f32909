"""Turning a pure slash command into a prefix command with the same arguments and rules.

Arguments are read from the message text and converted to what the slash command
declares: Member, User, Role, text/voice (any) channel, int, float, bool (yes/no, on/off,
true/false, 1/0), str, choices, ranges and string lengths; optional parameters keep their
default. Bad input raises :class:`commands.BadArgument` with a hint naming the parameter;
missing input raises :class:`commands.MissingRequiredArgument`. Both reach the user
through the error cog with the command's usage.

The command's ``app_commands.check`` predicates, its ``default_permissions``,
``guild_only``/allowed contexts and NSFW flag, the tree's and the cog's
``interaction_check`` all run before the callback (see :mod:`.guards`).
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import transformers as tf
from discord.ext import commands

from .guards import app_command_check, requirements
from .standin import Ctx, ModalUnavailable, standin_for

AppCommand = app_commands.Command[Any, ..., Any]
OptionType = discord.AppCommandOptionType
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "on", "enable", "enabled"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "off", "disable", "disabled"})
SUPPORTED = frozenset(
    {
        OptionType.string,
        OptionType.integer,
        OptionType.number,
        OptionType.boolean,
        OptionType.user,
        OptionType.role,
        OptionType.channel,
    }
)
_BUILTIN_TRANSFORMERS = tuple(
    t
    for t in (
        getattr(tf, "IdentityTransformer", None),
        getattr(tf, "RangeTransformer", None),
        getattr(tf, "LiteralTransformer", None),
        getattr(tf, "ChoiceTransformer", None),
        getattr(tf, "MemberTransformer", None),
        getattr(tf, "BaseChannelTransformer", None),
        getattr(tf, "UnionChannelTransformer", None),
    )
    if isinstance(t, type)
)
CHANNEL_WORDS = {
    discord.ChannelType.text: "a text channel",
    discord.ChannelType.news: "an announcement channel",
    discord.ChannelType.voice: "a voice channel",
    discord.ChannelType.stage_voice: "a stage channel",
    discord.ChannelType.category: "a category",
    discord.ChannelType.forum: "a forum channel",
}


class UnsupportedCommand(Exception):
    """The slash command cannot be expressed as a prefix command (the reason says why)."""


class SlashArgument(commands.Converter[Any]):
    """Converts one word (or the rest of the message) the way the slash option would."""

    def __init__(self, command: AppCommand, param: Any) -> None:
        self.command = command
        self.param = param
        self.label = f"`{param.display_name}`"

    async def convert(self, ctx: Ctx, argument: str) -> Any:
        kind = self.param.type
        if self.param.choices:
            value: Any = self._choice(argument)
        elif kind is OptionType.integer:
            value = self._integer(argument)
        elif kind is OptionType.number:
            value = self._number(argument)
        elif kind is OptionType.boolean:
            value = self._boolean(argument)
        elif kind is OptionType.user:
            value = await self._user(ctx, argument)
        elif kind is OptionType.role:
            value = await self._role(ctx, argument)
        elif kind is OptionType.channel:
            value = await self._channel(ctx, argument)
        else:
            value = self._string(argument)
        transformer = self.param._annotation
        if not isinstance(transformer, _BUILTIN_TRANSFORMERS) and hasattr(transformer, "transform"):
            value = await discord.utils.maybe_coroutine(
                transformer.transform, standin_for(ctx, self.command), value
            )
        return value

    # -- primitives ----------------------------------------------------------------------
    def _bounds(self, value: float, what: str) -> None:
        low, high = self.param.min_value, self.param.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            raise commands.BadArgument(f"{self.label} must be {_range_text(low, high, what)}.")

    def _integer(self, argument: str) -> int:
        try:
            value = int(argument.replace("_", "").replace(",", ""))
        except ValueError:
            raise commands.BadArgument(
                f"{self.label} must be a whole number (like 42), not `{_clip(argument)}`."
            ) from None
        self._bounds(value, "a whole number")
        return value

    def _number(self, argument: str) -> float:
        try:
            value = float(argument.replace(",", "."))
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise commands.BadArgument(
                f"{self.label} must be a number (like 2.5), not `{_clip(argument)}`."
            )
        self._bounds(value, "a number")
        return value

    def _boolean(self, argument: str) -> bool:
        word = argument.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise commands.BadArgument(
            f"{self.label} must be yes or no (also on/off, true/false, 1/0), "
            f"not `{_clip(argument)}`."
        )

    def _string(self, argument: str) -> str:
        low, high = self.param.min_value, self.param.max_value
        if (low is not None and len(argument) < low) or (high is not None and len(argument) > high):
            what = f"{_range_text(low, high, 'text')} characters long"
            raise commands.BadArgument(f"{self.label} must be {what}.")
        return argument

    def _choice(self, argument: str) -> Any:
        word = argument.strip().lower()
        for choice in self.param.choices:
            if word in (choice.name.lower(), str(choice.value).lower()):
                return choice if self.param.is_choice_annotation() else choice.value
        names = ", ".join(f"`{c.name}`" for c in self.param.choices[:25])
        raise commands.BadArgument(f"{self.label} must be one of {names}.")

    # -- Discord objects -----------------------------------------------------------------
    async def _user(self, ctx: Ctx, argument: str) -> discord.abc.User:
        wants_member = isinstance(self.param._annotation, getattr(tf, "MemberTransformer", ()))
        if wants_member and ctx.guild is None:
            raise commands.NoPrivateMessage()
        try:
            if ctx.guild is not None:
                return await commands.MemberConverter().convert(ctx, argument)
        except commands.BadArgument:
            if wants_member:
                raise commands.BadArgument(
                    f"{self.label} must be a member of this server: mention them (@name) or "
                    f"give their ID or name. Nobody here matches `{_clip(argument)}`."
                ) from None
        try:
            return await commands.UserConverter().convert(ctx, argument)
        except commands.BadArgument:
            raise commands.BadArgument(
                f"{self.label} must be a user: mention them (@name) or give their ID or name. "
                f"Nobody matches `{_clip(argument)}`."
            ) from None

    async def _role(self, ctx: Ctx, argument: str) -> discord.Role:
        if ctx.guild is None:
            raise commands.NoPrivateMessage()
        try:
            return await commands.RoleConverter().convert(ctx, argument)
        except commands.BadArgument:
            raise commands.BadArgument(
                f"{self.label} must be a role of this server: mention it (@role) or give its "
                f"ID or name. No role matches `{_clip(argument)}`."
            ) from None

    async def _channel(self, ctx: Ctx, argument: str) -> Any:
        if ctx.guild is None:
            raise commands.NoPrivateMessage()
        allowed: list[discord.ChannelType] = list(self.param.channel_types or [])
        wanted = " or ".join(dict.fromkeys(CHANNEL_WORDS.get(t, str(t)) for t in allowed))
        wanted = wanted or "a channel"
        channel: Any = None
        for converter in (commands.GuildChannelConverter(), commands.ThreadConverter()):
            try:
                channel = await converter.convert(ctx, argument.lstrip("#"))
                break
            except commands.BadArgument:
                continue
        if channel is None or (allowed and channel.type not in allowed):
            found = "" if channel is None else f" (`{_clip(argument)}` is not)"
            raise commands.BadArgument(
                f"{self.label} must be {wanted}: mention it (#channel) or give its ID or "
                f"name{found or f'. Nothing matches `{_clip(argument)}`'}."
            )
        return channel


def _clip(text: str, limit: int = 40) -> str:
    text = discord.utils.escape_mentions(text).replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _range_text(low: float | None, high: float | None, what: str) -> str:
    if low is not None and high is not None:
        return f"{what} from {low:g} to {high:g}"
    if low is not None:
        return f"{what} of at least {low:g}"
    return f"{what} of at most {high:g}"


def _identifier(name: str, taken: set[str]) -> str:
    candidate = name.replace("-", "_")
    if not candidate.isidentifier() or candidate in taken or candidate in ("self", "ctx"):
        candidate = f"arg_{len(taken)}"
    return candidate


def convert_command(command: AppCommand) -> commands.Command[Any, ..., Any]:
    """A prefix command that parses text arguments, applies the slash command's rules
    and calls its callback with a stand-in interaction.

    Raises:
        UnsupportedCommand: an option type cannot be given as text (attachments,
            mentionables) or the command is a group / subcommand.
    """
    if not isinstance(command, app_commands.Command) or command.parent is not None:
        raise UnsupportedCommand("only top-level slash commands can be converted")
    cog = command.binding if isinstance(command.binding, commands.Cog) else None
    params = list(command._params.values())
    for param in params:
        if param.type not in SUPPORTED:
            raise UnsupportedCommand(
                f"option `{param.display_name}` ({param.type.name}) cannot be typed as text"
            )
    taken: set[str] = set()
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    signature = [commands.Parameter("ctx", positional)]
    if cog is not None:
        signature.insert(0, commands.Parameter("self", positional))
    names: dict[str, str] = {}
    for index, param in enumerate(params):
        shown = _identifier(param.display_name, taken)
        taken.add(shown)
        names[shown] = param.name
        rest = (
            index == len(params) - 1
            and param.type is OptionType.string
            and not param.choices
            and isinstance(param._annotation, tf.IdentityTransformer)
        )
        default = inspect.Parameter.empty if param.required else param.default
        text = str(param.description)
        description: Any = text if text != "…" else inspect.Parameter.empty
        signature.append(
            commands.Parameter(
                shown,
                inspect.Parameter.KEYWORD_ONLY if rest else positional,
                default=None if default is discord.utils.MISSING else default,
                annotation=SlashArgument(command, param),
                description=description,
            )
        )
    skip = len(signature) - len(params)

    callback: Any = command.callback

    async def converted(*args: Any, **kwargs: Any) -> Any:
        ctx: Ctx = args[skip - 1]
        values = dict(zip(list(names)[: len(args) - skip], args[skip:], strict=True))
        values.update(kwargs)
        interaction = standin_for(ctx, command)
        call = {names[k]: v for k, v in values.items()}
        try:
            if command.binding is not None:
                return await callback(command.binding, interaction, **call)
            return await callback(interaction, **call)
        except ModalUnavailable:
            return None  # the user was told; nothing else to do

    converted.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    converted.__name__ = command.callback.__name__
    # A qualified name "Class.func" makes discord.py skip both ``self`` and ``ctx``.
    converted.__qualname__ = (
        f"{type(cog).__name__}.{converted.__name__}" if cog else converted.__name__
    )
    converted.__module__ = command.callback.__module__  # unloading the extension removes it
    converted.__doc__ = command.callback.__doc__
    converted.__zoryx_requires__ = requirements(command)  # type: ignore[attr-defined]
    prefix: commands.Command[Any, ..., Any] = commands.Command(
        converted,
        name=command.name,
        description=command.description if isinstance(command.description, str) else "",
        help=command.description if isinstance(command.description, str) else None,
        extras={**command.extras, "zoryx_converted": True},
    )
    prefix.checks.append(app_command_check(command))
    if cog is not None:
        prefix.cog = cog
    return prefix
