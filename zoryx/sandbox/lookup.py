"""Finding guilds and channels of a sandbox state by name or id.

Shared by the test driver (:class:`~.driver.Sandbox`) and the HTTP control API, so both
resolve ``"Zoryx Lounge"``, ``"#general"`` or a snowflake the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import unknown
from .views import SandboxMessage

if TYPE_CHECKING:
    from .state import GuildState, SandboxState

ChannelRef = int | str | SandboxMessage | dict[str, Any]
GuildRef = int | str | None


def find_guild(state: SandboxState, ref: GuildRef = None) -> GuildState:
    """A guild by id or (case-insensitive) name; ``None`` means the first guild.

    Raises 404 10004 Unknown Guild when there is no such guild (or no guild at all).
    """
    if ref is None:
        for guild in state.guilds.values():
            return guild
        raise unknown("guild")
    if isinstance(ref, int) or (str(ref).isascii() and str(ref).isdigit()):
        return state.guild_or_404(int(ref))
    name = str(ref).lower()
    for guild in state.guilds.values():
        if guild.name.lower() == name:
            return guild
    raise unknown("guild")


def find_channel(state: SandboxState, ref: ChannelRef, guild: GuildRef = None) -> int:
    """The id of a channel given as ``#name``/``name`` (looked up in ``guild``), an id,
    a message in it or a channel/message payload.

    Ids are returned as given, without checking that the channel exists (a thread may be
    awaited before it is created); names must exist (404 10003 Unknown Channel).
    """
    if isinstance(ref, SandboxMessage):
        return ref.channel_id
    if isinstance(ref, dict):
        return int(ref.get("channel_id") or ref["id"])
    if isinstance(ref, int) or (str(ref).isascii() and str(ref).isdigit()):
        return int(ref)
    name = str(ref).lstrip("#").lower()
    for channel in find_guild(state, guild).channels.values():
        if channel["name"].lower() == name:
            return int(channel["id"])
    raise unknown("channel")
