"""When the bot loads each guild's full member list ("chunking"), per ``members.chunking``.

Discord sends a guild's members on request only (a REQUEST_GUILD_MEMBERS gateway send per
guild), and a connection may send 120 payloads per 60 s; discord.py keeps 10 of them for
heartbeats, so a shard chunks at most 110 guilds a minute. A shard in 2,500 guilds that
chunks at start-up is ready after some 22 minutes. The strategies:

``startup``
    discord.py's ``chunk_guilds_at_startup``: a shard is ready once every guild of it is
    chunked; a guild joined later is chunked before ``on_guild_join``.
``lazy``
    Nothing at start-up: a shard is ready once its guilds have arrived. What needs a full
    member list loads it on first use (:func:`load_members`).
``off``
    Never: only the members Discord sends with events are known; :func:`load_members`
    reports the list as unavailable.
``auto`` (the default)
    ``startup`` on a shard of at most ``members.auto_limit`` guilds (100: its requests fit
    in the first minute's budget, so it never waits on the limit), ``lazy`` on a larger one.
    Small bots keep complete member lists from the start; large ones are ready in seconds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.state import AutoShardedConnectionState

if TYPE_CHECKING:
    from .config._schema import MembersConfig

log = logging.getLogger("zoryx.chunking")

#: Seconds :func:`load_members` waits for a guild's member list by default.
LOAD_TIMEOUT = 60.0


def chunks_at_startup(strategy: str) -> bool:
    """Whether discord.py's ``chunk_guilds_at_startup`` is on for ``strategy``."""
    return strategy in ("startup", "auto")


def client_options(members: MembersConfig, intents: discord.Intents) -> dict[str, Any]:
    """The discord.py client options for the strategy (chunking needs the members intent)."""
    return {"chunk_guilds_at_startup": intents.members and chunks_at_startup(members.chunking)}


class ChunkingState(AutoShardedConnectionState):  # type: ignore[type-arg]
    """discord.py's sharded connection state, deciding per shard whether to chunk.

    ``strategy`` and ``auto_limit`` come from ``members``; ``shard_guilds`` holds the number
    of guilds each shard's last READY listed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.strategy = "startup" if self._chunk_guilds else "lazy"
        self.auto_limit = 0
        self.shard_guilds: dict[int, int] = {}

    def configure(self, members: MembersConfig) -> None:
        self.strategy = members.chunking
        self.auto_limit = members.auto_limit

    def parse_ready(self, data: Any) -> None:
        self.shard_guilds[int(data["shard"][0])] = len(data.get("guilds") or ())
        super().parse_ready(data)

    def _guild_needs_chunking(self, guild: discord.Guild) -> bool:
        if not super()._guild_needs_chunking(guild):
            return False
        return self.strategy != "auto" or self.chunks_shard(guild.shard_id)

    def chunks_shard(self, shard_id: int) -> bool:
        """Whether guilds of ``shard_id`` are chunked at start-up and on join."""
        if not self._chunk_guilds:
            return False
        if self.strategy != "auto":
            return True
        return self.shard_guilds.get(shard_id, 0) <= self.auto_limit


def strategy_of(bot: Any) -> str:
    """The bot's ``members.chunking`` setting ("lazy" for a bot without the setting)."""
    members = getattr(getattr(getattr(bot, "services", None), "config", None), "members", None)
    return str(getattr(members, "chunking", "lazy"))


async def load_members(
    bot: Any, guild: discord.Guild, *, timeout: float = LOAD_TIMEOUT
) -> tuple[bool, str]:
    """Make sure ``guild``'s full member list is cached, chunking it if the strategy allows.

    Returns ``(True, "")`` when the list is complete, else ``(False, reason)`` with a reason
    a user can read. Several callers waiting on the same guild share one request.
    """
    if guild.chunked:
        return True, ""
    if not bot.intents.members:
        return False, "the bot does not have the members intent"
    if strategy_of(bot) == "off":
        return False, "member lists are not loaded (members.chunking is off)"
    try:
        await asyncio.wait_for(guild.chunk(cache=True), timeout)
    except TimeoutError:
        log.warning("loading the member list of guild %s timed out", guild.id)
    except (discord.ClientException, discord.HTTPException) as exc:
        log.warning("loading the member list of guild %s failed: %s", guild.id, exc)
    if guild.chunked:
        return True, ""
    return False, "the member list could not be loaded"
