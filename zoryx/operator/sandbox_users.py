"""Acting as users of the embedded sandbox Discord, and steering its activity simulator.

The work behind the operator API's ``sandbox_*`` actions: posting a message or running a
slash command as any sandbox user is impersonation, so the API asks for the owner role
and audits each act. Results are plain data; what the bot answers is read afterwards
through the ``sandbox_messages`` / ``sandbox_interaction`` views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .api import OperatorError

if TYPE_CHECKING:
    from ..sandbox import Sandbox, SandboxUser

__all__ = ["SandboxActionError", "say", "set_simulator", "slash"]


class SandboxActionError(OperatorError):
    """The sandbox refused (unknown user or channel, missing permission…): the message
    names the sandbox's own error, e.g. ``DiscordAPIError: 403 Forbidden (50013): …``."""


def _user(sandbox: Sandbox, user: int | str) -> SandboxUser:
    from ..sandbox.errors import DiscordAPIError

    try:
        return sandbox.user(user)
    except DiscordAPIError:
        raise SandboxActionError(f"the sandbox has no user {user!r}") from None


def _channel_name(sandbox: Sandbox, channel_id: int) -> str:
    guild_id = sandbox.state.channel_guild.get(channel_id)
    if guild_id is None:
        return str(channel_id)
    channel = sandbox.state.guilds[guild_id].channels.get(channel_id, {})
    return f"#{channel.get('name', channel_id)}"


def _refused(exc: Exception) -> SandboxActionError:
    text = str(exc)
    return SandboxActionError(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


async def say(sandbox: Sandbox, user: int | str, channel_id: int, text: str) -> dict[str, Any]:
    """Post ``text`` in a channel as ``user`` (an id or a username); the message's id."""
    from ..sandbox.errors import DiscordAPIError

    actor = _user(sandbox, user)
    try:
        message = await actor.say(int(channel_id), text)
    except DiscordAPIError as exc:
        raise _refused(exc) from None
    return {
        "id": message.id,
        "user": actor.name,
        "channel_id": int(channel_id),
        "channel": _channel_name(sandbox, int(channel_id)),
    }


async def slash(
    sandbox: Sandbox, user: int | str, channel_id: int, command: str, options: dict[str, Any]
) -> dict[str, Any]:
    """Run the bot's slash ``command`` (``"group sub"`` for a subcommand) as ``user``."""
    from ..sandbox.errors import DiscordAPIError

    actor = _user(sandbox, user)
    name = command.strip().lstrip("/")
    if not name:
        raise SandboxActionError("usage: /command [option=value …]")
    try:
        handle = await actor.slash(name, int(channel_id), **dict(options))
    except (DiscordAPIError, LookupError, ValueError, TypeError) as exc:
        raise _refused(exc) from None
    return {
        "interaction_id": handle.id,
        "user": actor.name,
        "channel_id": int(channel_id),
        "channel": _channel_name(sandbox, int(channel_id)),
    }


def set_simulator(
    sandbox: Sandbox, prefix: str, running: bool | None, rate_per_minute: float | None
) -> dict[str, Any] | None:
    """Start or stop the sandbox's activity simulator and/or change its pace (making it
    on first use, kept as ``sandbox.simulator`` where the sandbox control API finds it);
    returns its figures (None while there is none: stopping or pacing before a start)."""
    from ..sandbox.simulator import ActivitySimulator

    if rate_per_minute is not None and not 0 < rate_per_minute <= ActivitySimulator.MAX_RATE:
        raise SandboxActionError(
            f"The rate must be 1 to {ActivitySimulator.MAX_RATE:g} actions per minute."
        )
    simulator: ActivitySimulator | None = getattr(sandbox, "simulator", None)
    if simulator is None:
        if not running:
            return None
        simulator = ActivitySimulator(sandbox, rate_per_minute or 30.0, prefix=prefix)
        sandbox.simulator = simulator  # type: ignore[attr-defined]
    if rate_per_minute is not None:
        simulator.set_rate(rate_per_minute)
    if running is True:
        simulator.start()
    elif running is False:
        simulator.stop()
    stats = simulator.stats()
    stats["recent"] = stats["recent"][-1:]
    return stats
