"""Small helpers shared by the built-in command cogs (no commands live here)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
from discord.ext import commands

from zoryx.metrics import user_count
from zoryx.operator import Actor
from zoryx.redaction import redactor_of

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

T = TypeVar("T")
Ctx = commands.Context[Any]

FIELD_LIMIT = 1024
DESCRIPTION_LIMIT = 4096
#: What members (not bot owners) see instead of why an extension failed to load.
FAILED_FOR_MEMBERS = (
    "Failed to load. Only a bot owner can see the reason (`pr_info <name>` or `extensions`)."
)


class NotGuildOrBotOwner(commands.CheckFailure):
    """Only the server owner or a bot owner may run the command."""

    def __init__(self) -> None:
        super().__init__("Only the server owner or the bot owner can use this command.")


def bot_of(ctx: Ctx) -> ZoryxBot:
    return cast("ZoryxBot", ctx.bot)


def is_bot_owner(ctx: Ctx) -> bool:
    return ctx.author.id in bot_of(ctx).services.owner_ids


def actor(ctx: Ctx) -> Actor:
    """The operator-API actor for whoever invoked ``ctx``."""
    operator = bot_of(ctx).operator
    assert operator is not None, "the runtime sets bot.operator before the bot starts"
    return Actor(str(ctx.author), operator.role_for_user(ctx.author.id), "discord")


def requires(text: str) -> Callable[[T], T]:
    """Record a human-readable permission requirement that `help <command>` shows."""

    def decorator(func: T) -> T:
        extras = getattr(func, "__zoryx_requires__", [])
        func.__zoryx_requires__ = [text, *extras]  # type: ignore[attr-defined]
        return func

    return decorator


def needs_permission(name: str, label: str) -> Callable[[T], T]:
    """Check that the invoker has the Discord permission ``name`` here (bot owners pass).

    Raises :class:`commands.MissingPermissions`, which the error cog renders as
    "Missing permissions". Administrators have every permission, so ``manage_guild``
    also admits them.
    """

    async def predicate(ctx: Ctx) -> bool:
        if is_bot_owner(ctx):
            return True
        if ctx.guild is None:
            raise commands.NoPrivateMessage()
        if getattr(ctx.permissions, name, False):
            return True
        raise commands.MissingPermissions([name])

    def decorator(func: T) -> T:
        return requires(label)(commands.check(predicate)(func))

    return decorator


def guild_or_bot_owner() -> Callable[[T], T]:
    """Only the guild's owner or a bot owner may run the command."""

    async def predicate(ctx: Ctx) -> bool:
        if is_bot_owner(ctx):
            return True
        if ctx.guild is None:
            raise commands.NoPrivateMessage()
        if ctx.author.id == ctx.guild.owner_id:
            return True
        raise NotGuildOrBotOwner()

    def decorator(func: T) -> T:
        return requires("Server owner or bot owner")(commands.check(predicate)(func))

    return decorator


def owner_exempt_cooldown(rate: int, per: float) -> Callable[[T], T]:
    """A per-user cooldown that bot owners never hit."""
    cooldown = commands.Cooldown(rate, per)

    def factory(ctx: Ctx) -> commands.Cooldown | None:
        return None if is_bot_owner(ctx) else cooldown.copy()

    factory.zoryx_cooldown = (rate, per)  # type: ignore[attr-defined]
    return cast("Callable[[T], T]", commands.dynamic_cooldown(factory, commands.BucketType.user))


# -- text formatting -----------------------------------------------------------------------
def clip(text: str, limit: int = FIELD_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def join_lines(lines: Iterable[str], limit: int = FIELD_LIMIT, empty: str = "—") -> str:
    """Lines joined until ``limit``; the rest is summarised as "… and N more"."""
    items = [clip(line, limit) for line in lines]
    out: list[str] = []
    for index, line in enumerate(items):
        remaining = len(items) - index - 1
        reserve = len(f"\n… and {remaining} more") if remaining else 0
        if len("\n".join([*out, line])) + reserve > limit:
            out.append(f"… and {len(items) - index} more")
            break
        out.append(line)
    return "\n".join(out) or empty


def duration(seconds: float) -> str:
    """``93784`` → ``1d 2h 3m 4s``."""
    seconds = max(0, int(seconds))
    parts: list[str] = []
    for unit, span in (("d", 86400), ("h", 3600), ("m", 60)):
        value, seconds = divmod(seconds, span)
        if value or parts:
            parts.append(f"{value}{unit}")
    parts.append(f"{seconds}s")
    return " ".join(parts)


def size(num: float | None) -> str:
    """Bytes as a short human-readable size."""
    if num is None:
        return "n/a"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(num) < 1024 or unit == "GiB":
            return f"{num:.0f} {unit}" if unit == "B" else f"{num:.1f} {unit}"
        num /= 1024
    return f"{num:.1f} GiB"


def millis(seconds: float | None) -> str:
    """A latency in seconds as milliseconds, or n/a before the first heartbeat."""
    if seconds is None or not math.isfinite(seconds):
        return "n/a"
    return f"{seconds * 1000:.0f} ms"


def percent(ratio: float) -> str:
    return f"{ratio * 100:.1f}%"


def redact(bot: ZoryxBot, text: str) -> str:
    """Remove secrets (token, API keys) from text shown to a user.

    For text that did not come through a service: services redact what they store.
    """
    return redactor_of(bot).redact(text)


def code_block(text: str, limit: int = 1000, lang: str = "py") -> str:
    """The last ``limit`` characters of ``text`` in a code block (tracebacks end usefully)."""
    text = text.replace("```", "`\u200b``").strip()
    if len(text) > limit:
        text = "…" + text[-(limit - 1) :]
    return f"```{lang}\n{text}\n```"


def member_count(bot: discord.Client) -> int:
    """The bot's users: distinct human members across its guilds (``zoryx.metrics.user_count``,
    through the bot's metrics, as the console's Overview counts them)."""
    services = getattr(bot, "services", None)
    metrics = getattr(services, "metrics", None)
    if metrics is not None:
        return int(metrics.users(bot.guilds))
    return user_count(bot.guilds)


async def guild_prefix(bot: ZoryxBot, guild: discord.Guild | None) -> str:
    prefix, _ = await bot.prefixes.for_guild(guild.id if guild else None)
    return prefix
