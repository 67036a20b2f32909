"""Discord's permission algorithm: base role permissions, overwrites, hierarchy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .constants import ALL_PERMISSIONS, THREAD_TYPES, VOICE_TYPES, Perm

if TYPE_CHECKING:
    from .state import GuildState

# Lost with SEND_MESSAGES. SEND_MESSAGES_IN_THREADS is not among them: on Discord it is what
# posting in a thread needs, whether or not the parent channel allows SEND_MESSAGES.
_TEXT_DEPENDENT = int(
    Perm.SEND_MESSAGES
    | Perm.SEND_TTS_MESSAGES
    | Perm.MENTION_EVERYONE
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.SEND_POLLS
)
_PRIVATE_THREAD = 12
_VOICE_DEPENDENT = int(
    Perm.SPEAK
    | Perm.MUTE_MEMBERS
    | Perm.DEAFEN_MEMBERS
    | Perm.MOVE_MEMBERS
    | Perm.USE_VAD
    | Perm.PRIORITY_SPEAKER
    | Perm.STREAM
)


def base_permissions(guild: GuildState, user_id: int) -> int:
    """Guild-level permissions of a member (owner and administrator get everything)."""
    if user_id == guild.owner_id:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    if member is None:
        return 0
    perms = int(guild.roles[guild.id]["permissions"])
    for role_id in member["roles"]:
        role = guild.roles.get(int(role_id))
        if role is not None:
            perms |= int(role["permissions"])
    if perms & Perm.ADMINISTRATOR:
        return ALL_PERMISSIONS
    return perms


def channel_permissions(guild: GuildState, channel: dict[str, Any], user_id: int) -> int:
    """Permissions of a member in a channel, applying overwrites in Discord's order.

    A thread has its parent's permissions, except that a private thread is hidden (0) from
    members who neither joined it nor hold ``MANAGE_THREADS``.
    """
    ctype = channel.get("type")
    if ctype not in THREAD_TYPES:
        return _overwritten(guild, channel, user_id)
    parent_id = channel.get("parent_id")
    parent = guild.channels.get(int(parent_id)) if parent_id else None
    perms = _overwritten(guild, parent if parent is not None else channel, user_id)
    if ctype == _PRIVATE_THREAD and perms and not perms & Perm.MANAGE_THREADS:
        if user_id not in guild.thread_members(int(channel["id"])):
            return 0
    return perms


def _overwritten(guild: GuildState, channel: dict[str, Any], user_id: int) -> int:
    perms = base_permissions(guild, user_id)
    if perms & Perm.ADMINISTRATOR or user_id == guild.owner_id:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    if member is None:
        return 0
    overwrites = {int(o["id"]): o for o in channel.get("permission_overwrites", [])}
    everyone = overwrites.get(guild.id)
    if everyone is not None:
        perms &= ~int(everyone["deny"])
        perms |= int(everyone["allow"])
    allow = deny = 0
    for role_id in member["roles"]:
        ow = overwrites.get(int(role_id))
        if ow is not None and ow.get("type", 0) == 0:
            allow |= int(ow["allow"])
            deny |= int(ow["deny"])
    perms &= ~deny
    perms |= allow
    own = overwrites.get(user_id)
    if own is not None and own.get("type", 1) == 1:
        perms &= ~int(own["deny"])
        perms |= int(own["allow"])
    if not perms & Perm.VIEW_CHANNEL:
        return 0
    if channel.get("type") not in VOICE_TYPES and not perms & Perm.SEND_MESSAGES:
        perms &= ~_TEXT_DEPENDENT
    if channel.get("type") in VOICE_TYPES and not perms & Perm.CONNECT:
        perms &= ~_VOICE_DEPENDENT
    return perms


def top_role_position(guild: GuildState, user_id: int) -> int:
    """Position of the member's highest role (0 = only @everyone)."""
    member = guild.members.get(user_id)
    if member is None:
        return -1
    best = 0
    for role_id in member["roles"]:
        role = guild.roles.get(int(role_id))
        if role is not None and role["position"] > best:
            best = role["position"]
    return best


def can_manage_role(guild: GuildState, actor_id: int, role_position: int) -> bool:
    """Whether the actor outranks a role (owner always does)."""
    return actor_id == guild.owner_id or top_role_position(guild, actor_id) > role_position


def can_act_on_member(guild: GuildState, actor_id: int, target_id: int) -> bool:
    """Role hierarchy check for kick/ban/nick/role edits on another member."""
    if actor_id == guild.owner_id:
        return True
    if target_id == guild.owner_id:
        return False
    return top_role_position(guild, actor_id) > top_role_position(guild, target_id)
