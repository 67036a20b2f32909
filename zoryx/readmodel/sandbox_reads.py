"""Plain snapshots of the embedded sandbox's state, taken on the sandbox's own loop.

The sandbox runs on its own thread; its state is only read there (``sandbox.call``),
and what comes back is plain data the console can show, in-process or over a socket.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zoryx.sandbox import Sandbox

__all__ = [
    "TEXT_TYPES",
    "sandbox_guild_options",
    "sandbox_overview",
    "wait_for_bot_messages",
    "wait_for_interaction",
]

#: Channel types a sandbox user can type into from the console (text, announcement).
TEXT_TYPES = (0, 5)


async def sandbox_overview(sandbox: Sandbox) -> dict[str, Any]:
    """The guilds the bot is in (name, id) and the simulator's figures (None before one
    was made; ``recent`` cut to the last action)."""

    async def read() -> dict[str, Any]:
        bot_id = sandbox.bot_id
        guilds = [
            {"id": g.id, "name": g.name}
            for g in sandbox.state.guilds.values()
            if bot_id in g.members
        ]
        simulator = getattr(sandbox, "simulator", None)
        stats = None
        if simulator is not None:
            stats = simulator.stats()
            stats["recent"] = stats["recent"][-1:]
        return {"guilds": guilds, "simulator": stats, "max_rate": _max_rate()}

    return await sandbox.call(read)


def _max_rate() -> float:
    from zoryx.sandbox.simulator import ActivitySimulator

    return float(ActivitySimulator.MAX_RATE)


async def sandbox_guild_options(sandbox: Sandbox, guild_id: int) -> dict[str, Any] | None:
    """A guild's text channels (by position) and human members (owner first, then by
    name), as ``{"id", "name"}`` pairs; None if the sandbox has no such guild."""

    async def read() -> dict[str, Any] | None:
        state = sandbox.state
        guild = state.guilds.get(guild_id)
        if guild is None:
            return None
        channels = sorted(
            (c for c in guild.channels.values() if c["type"] in TEXT_TYPES),
            key=lambda c: (c.get("position", 0), int(c["id"])),
        )
        users = state.users
        owner = state.owner_user_id
        humans = [uid for uid in guild.members if not users[uid].get("bot")]
        humans.sort(key=lambda uid: (uid != owner, str(users[uid]["username"]).lower()))
        return {
            "id": guild.id,
            "name": guild.name,
            "owner_id": owner,
            "channels": [{"id": int(c["id"]), "name": str(c["name"])} for c in channels],
            "users": [{"id": uid, "name": str(users[uid]["username"])} for uid in humans],
        }

    return await sandbox.call(read)


def _bot_messages(
    sandbox: Sandbox, channel_id: int, after: int, limit: int
) -> list[dict[str, Any]]:
    """(On the sandbox loop.) The bot's plain messages after ``after``, oldest first."""
    from zoryx.sandbox import SandboxMessage

    bot_id = sandbox.bot_id
    newer: list[dict[str, Any]] = []
    for message_id, message in reversed(sandbox.state.messages.get(channel_id, {}).items()):
        if message_id <= after:
            break
        if int(message["author"]["id"]) == bot_id and "interaction_metadata" not in message:
            newer.append(message)
    out = []
    for message in reversed(newer[-limit:]):
        view = SandboxMessage(message)
        out.append({"id": view.id, "text": view.text(), "controls": len(view.custom_ids())})
    return out


async def wait_for_bot_messages(
    sandbox: Sandbox, channel_id: int, after: int, wait: float, limit: int
) -> list[dict[str, Any]]:
    """:func:`_bot_messages`, waiting up to ``wait`` seconds for at least one."""

    async def read() -> list[dict[str, Any]]:
        return _bot_messages(sandbox, channel_id, after, limit)

    if wait > 0:

        def arrived() -> bool:
            return bool(_bot_messages(sandbox, channel_id, after, 1))

        with contextlib.suppress(TimeoutError):
            await sandbox.wait_until(arrived, timeout=wait, what="a message from the bot")
    return await sandbox.call(read)


async def wait_for_interaction(
    sandbox: Sandbox, interaction_id: int, wait: float
) -> dict[str, Any] | None:
    """The bot's (final) answer to an interaction, waiting up to ``wait`` seconds."""
    from zoryx.sandbox import InteractionHandle

    async def find() -> Any:
        return sandbox.state.interactions.by_id.get(interaction_id)

    record = await sandbox.call(find)
    if record is None:
        return None
    try:
        result = await InteractionHandle(sandbox, record).response(timeout=wait)
    except TimeoutError:
        return {"id": interaction_id, "answered": False, "text": "", "ephemeral": False}
    return {
        "id": interaction_id,
        "answered": True,
        "text": result.text(),
        "ephemeral": bool(result.ephemeral),
    }
