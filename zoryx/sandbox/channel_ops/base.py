"""Shared pieces of the channel operations: limits, the side store, small helpers."""

from __future__ import annotations

import datetime as _dt
import time
from typing import TYPE_CHECKING, Any

from ..constants import Perm
from ..errors import DiscordAPIError
from ..permissions import base_permissions

if TYPE_CHECKING:
    from ..state import GuildState, SandboxState

ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
THREAD_MEMBER_COUNT_CAP = 50  # Discord stops counting thread members at 50
MAX_ACTIVE_THREADS = 1000
MAX_GUILD_INVITES = 1000
MAX_CHANNEL_WEBHOOKS = 15
MESSAGE_HAS_THREAD = 1 << 5
CHANNEL_PINNED = 1 << 1
FORUM_TYPES = frozenset({15, 16})


class ChannelStore:
    """Thread memberships and invites of one sandbox state."""

    def __init__(self) -> None:
        self.thread_members: dict[int, dict[int, dict[str, Any]]] = {}
        self.invites: dict[str, dict[str, Any]] = {}


def channel_store(state: SandboxState) -> ChannelStore:
    """The state's :class:`ChannelStore` (``state.channel_store``)."""
    return state.channel_store


def channel_guild(state: SandboxState, channel: dict[str, Any]) -> GuildState:
    guild = state.guild_of_channel(int(channel["id"]))
    if guild is None:
        raise DiscordAPIError(400, 50003, "Cannot execute action on a DM channel")
    return guild


def guild_bots(state: SandboxState, guild: GuildState) -> list[int]:
    """User ids of the sandbox's bot applications that are members of ``guild``."""
    return [app.bot_id for app in state.apps.values() if app.bot_id in guild.members]


def now_ms() -> int:
    return int(time.time() * 1000)


def parse_iso(text: str) -> float:
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def drop_channel(state: SandboxState, guild: GuildState, cid: int) -> None:
    guild.channels.pop(cid, None)
    state.channel_guild.pop(cid, None)
    state.messages.pop(cid, None)


def is_guild_admin(guild: GuildState, user_id: int) -> bool:
    return user_id == guild.owner_id or bool(base_permissions(guild, user_id) & Perm.ADMINISTRATOR)
