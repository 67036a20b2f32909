"""Guild-level rules and mutations beyond the core state: hierarchy checks, role and channel
ordering, bans and kicks, emojis, stickers and server voice flags.

Every function takes the :class:`SandboxState` first, changes it and dispatches the gateway
events Discord sends for the change, so that a connected client's cache stays true.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import TYPE_CHECKING, Any

from . import payloads
from .constants import Perm
from .errors import DiscordAPIError, invalid_form, missing_access, missing_permissions, unknown
from .permissions import base_permissions, can_act_on_member, can_manage_role
from .snowflake import snowflake_time_ms

if TYPE_CHECKING:
    from .state import GuildState, SandboxState

MAX_ROLES = 250
MAX_CHANNELS = 500
EMOJI_LIMITS = {0: 50, 1: 100, 2: 150, 3: 250}
STICKER_LIMITS = {0: 5, 1: 15, 2: 30, 3: 60}
EMOJI_MAX_BYTES = 256 * 1024
STICKER_MAX_BYTES = 512 * 1024
EMOJI_NAME = re.compile(r"^\w{2,32}$", re.ASCII)
_DATA_URI = re.compile(r"^data:(image/[a-z+.-]+);base64,(.*)$", re.DOTALL)


# -- errors ------------------------------------------------------------------------------------
def invalid_role() -> DiscordAPIError:
    """400 50028, what Discord answers for deleting @everyone or a managed role."""
    return DiscordAPIError(400, 50028, "Invalid Role")


def unknown_voice_state() -> DiscordAPIError:
    return unknown("voice state")


# -- lookups -----------------------------------------------------------------------------------
def member_guild(state: SandboxState, guild_id: int, actor_id: int) -> GuildState:
    """The guild, if it exists (10004) and the actor is in it (50001)."""
    guild = state.guild_or_404(guild_id)
    if actor_id not in guild.members:
        raise missing_access()
    return guild


def role_or_404(guild: GuildState, role_id: int) -> dict[str, Any]:
    role = guild.roles.get(role_id)
    if role is None:
        raise unknown("role")
    return role


def sorted_roles(guild: GuildState) -> list[dict[str, Any]]:
    """Roles bottom to top, ties broken like Discord (the newer role ranks lower)."""
    return sorted(guild.roles.values(), key=lambda r: (r["position"], -int(r["id"])))


# -- hierarchy rules ---------------------------------------------------------------------------
def has_perm(guild: GuildState, user_id: int, perm: int) -> bool:
    return base_permissions(guild, user_id) & perm == perm


def check_role_editable(guild: GuildState, actor_id: int, role: dict[str, Any]) -> None:
    """A role may be edited only when it sits strictly below the actor's top role."""
    if not can_manage_role(guild, actor_id, int(role["position"])):
        raise missing_permissions()


def check_grant(guild: GuildState, actor_id: int, new_perms: int, old_perms: int = 0) -> None:
    """Nobody may grant a permission they lack (administrators hold them all)."""
    added = new_perms & ~old_perms
    if added & ~base_permissions(guild, actor_id):
        raise missing_permissions()


def check_role_assignment(
    guild: GuildState, actor_id: int, current: set[int], wanted: set[int]
) -> None:
    """Every role added to or removed from a member must be assignable by the actor."""
    for role_id in current ^ wanted:
        role = guild.roles.get(role_id)
        if role is None:
            continue  # a stale id of a deleted role may always be dropped
        if role.get("managed"):
            raise missing_permissions()
        check_role_editable(guild, actor_id, role)


def check_member_actionable(guild: GuildState, actor_id: int, target_id: int) -> None:
    """Kick, ban, nickname and timeout need the actor to outrank the target."""
    if not can_act_on_member(guild, actor_id, target_id):
        raise missing_permissions()


def check_timeout_target(guild: GuildState, actor_id: int, target_id: int) -> None:
    """The owner and administrators can never be timed out."""
    if target_id == guild.owner_id or has_perm(guild, target_id, int(Perm.ADMINISTRATOR)):
        raise missing_permissions()
    check_member_actionable(guild, actor_id, target_id)


def check_overwrites_grant(
    guild: GuildState, actor_id: int, overwrites: list[dict[str, Any]]
) -> None:
    """Overwrites may only allow or deny what the actor holds; MANAGE_ROLES needs admin."""
    actor = base_permissions(guild, actor_id)
    admin = actor_id == guild.owner_id or actor & Perm.ADMINISTRATOR
    for ow in overwrites:
        bits = int(ow["allow"]) | int(ow["deny"])
        if bits & ~actor or (bits & Perm.MANAGE_ROLES and not admin):
            raise missing_permissions()


# -- form validation ---------------------------------------------------------------------------
def need(field: str) -> DiscordAPIError:
    return invalid_form(field, "BASE_TYPE_REQUIRED", "This field is required")


def not_array() -> DiscordAPIError:
    """50035 for a body that must be a JSON array (the error sits at the root)."""
    errors = {"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]}
    return DiscordAPIError(400, 50035, "Invalid Form Body", errors)


def text(value: Any, field: str, lo: int, hi: int) -> str:
    """A string whose length is within ``lo``..``hi`` (Discord's messages)."""
    if not isinstance(value, str):
        raise invalid_form(field, "BASE_TYPE_STRING", "Must be a string.")
    if len(value) > hi and lo <= 1:
        raise invalid_form(field, "BASE_TYPE_MAX_LENGTH", f"Must be {hi} or fewer in length.")
    if not lo <= len(value) <= hi:
        raise invalid_form(
            field, "BASE_TYPE_BAD_LENGTH", f"Must be between {lo} and {hi} in length."
        )
    return value


def integer(value: Any, field: str, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise invalid_form(field, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
    try:
        number = int(value)
    except ValueError:
        raise invalid_form(field, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.') from None
    if lo is not None and number < lo:
        raise invalid_form(
            field, "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {lo}."
        )
    if hi is not None and number > hi:
        raise invalid_form(
            field, "NUMBER_TYPE_MAX", f"int value should be less than or equal to {hi}."
        )
    return number


def boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise invalid_form(field, "BASE_TYPE_BOOLEAN", "Must be either true or false.")
    return value


def snowflake(value: Any, field: str) -> int:
    if isinstance(value, bool) or not (str(value).isascii() and str(value).isdigit()):
        raise invalid_form(field, "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')
    return int(value)


def snowflakes(value: Any, field: str) -> list[int]:
    if not isinstance(value, list | tuple):
        raise invalid_form(field, "BASE_TYPE_ARRAY", "Must be an array.")
    out: list[int] = []
    for i, item in enumerate(value):
        sid = snowflake(item, f"{field}.{i}")
        if sid not in out:
            out.append(sid)
    return out


def permissions_value(value: Any, field: str = "permissions") -> int:
    return integer(value, field, 0)


def decode_image(value: Any, field: str) -> tuple[str, bytes]:
    """Decode a ``data:image/...;base64,`` URI; answers 50035 for anything else."""
    if value is None:
        raise need(field)
    match = _DATA_URI.match(value) if isinstance(value, str) else None
    if match is None:
        raise invalid_form(field, "IMAGE_INVALID", "Invalid image data")
    try:
        data = base64.b64decode(match.group(2), validate=True)
    except (binascii.Error, ValueError):
        raise invalid_form(field, "IMAGE_INVALID", "Invalid image data") from None
    kind = image_kind(data)
    if kind is None:
        raise invalid_form(field, "IMAGE_INVALID", "Invalid image data")
    return kind, data


def image_kind(data: bytes) -> str | None:
    """Image type from its magic bytes (png, jpeg, gif, webp), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def image_hash(data: bytes, *, animated: bool = False) -> str:
    """An asset hash like Discord's (``a_`` prefix for animated images)."""
    digest = hashlib.sha256(data).hexdigest()[:32]
    return f"a_{digest}" if animated else digest


# -- roles -------------------------------------------------------------------------------------
def create_role(
    state: SandboxState,
    guild: GuildState,
    *,
    name: str,
    permissions: int,
    colors: dict[str, Any],
    hoist: bool = False,
    mentionable: bool = False,
    icon: str | None = None,
    unicode_emoji: str | None = None,
) -> dict[str, Any]:
    """Create a role at the bottom (position 1), moving every other role up one place."""
    if len(guild.roles) - 1 >= MAX_ROLES:
        raise DiscordAPIError(400, 30005, "Maximum number of guild roles reached (250)")
    return state.create_role(
        guild,
        name,
        permissions=permissions,
        colors=colors,
        hoist=hoist,
        mentionable=mentionable,
        icon=icon,
        unicode_emoji=unicode_emoji,
    )


def edit_role(
    state: SandboxState, guild: GuildState, role_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply validated role changes (``colors`` and nullable icons included) and dispatch."""
    role_or_404(guild, role_id)
    if role_id == guild.id:
        changes = {k: v for k, v in changes.items() if k != "name"}
    return state.update_role(guild, role_id, changes)


def reorder_roles(
    state: SandboxState, guild: GuildState, moves: dict[int, int]
) -> list[dict[str, Any]]:
    """Move roles to the requested positions and renumber the rest contiguously (1..n)."""
    order = [r for r in sorted_roles(guild) if int(r["id"]) != guild.id]
    moving = sorted((r for r in order if int(r["id"]) in moves), key=lambda r: moves[int(r["id"])])
    rest = [r for r in order if int(r["id"]) not in moves]
    for role in moving:
        index = min(max(moves[int(role["id"])] - 1, 0), len(rest))
        rest.insert(index, role)
    for position, role in enumerate(rest, 1):
        if role["position"] != position:
            state.update_role(guild, int(role["id"]), {"position": position})
    return sorted_roles(guild)


# -- channels ----------------------------------------------------------------------------------
def reorder_channels(state: SandboxState, guild: GuildState, updates: list[dict[str, Any]]) -> None:
    """Apply ``[{id, position?, parent_id?, lock_permissions?}]`` (validated) atomically."""
    planned: list[tuple[int, dict[str, Any]]] = []
    for i, item in enumerate(updates):
        if not isinstance(item, dict):
            raise invalid_form(str(i), "MODEL_TYPE_CONVERT", "Only dictionaries may be used")
        if "id" not in item:
            raise need(f"{i}.id")
        cid = snowflake(item["id"], f"{i}.id")
        channel = guild.channels.get(cid)
        if channel is None:
            raise unknown("channel")
        changes: dict[str, Any] = {}
        if item.get("position") is not None:
            position = integer(item["position"], f"{i}.position", 0)
            if position != channel["position"]:
                changes["position"] = position
        parent = channel_parent(guild, channel)
        if "parent_id" in item:
            new_parent = item["parent_id"]
            if new_parent is not None:
                pid = snowflake(new_parent, f"{i}.parent_id")
                target = guild.channels.get(pid)
                if target is None or target["type"] != 4 or channel["type"] == 4:
                    raise invalid_form(
                        f"{i}.parent_id", "CHANNEL_PARENT_INVALID_TYPE", "Not a category"
                    )
                parent = target
                if channel["parent_id"] != str(pid):
                    changes["parent_id"] = str(pid)
            else:
                parent = None
                if channel["parent_id"] is not None:
                    changes["parent_id"] = None
        if item.get("lock_permissions") and parent is not None:
            changes["permission_overwrites"] = [dict(o) for o in parent["permission_overwrites"]]
        if changes:
            planned.append((cid, changes))
    for cid, changes in planned:
        state.update_channel(cid, changes)


def channel_parent(guild: GuildState, channel: dict[str, Any]) -> dict[str, Any] | None:
    pid = channel.get("parent_id")
    return guild.channels.get(int(pid)) if pid else None


# -- members, kicks and bans -------------------------------------------------------------------
def kick_member(state: SandboxState, guild: GuildState, user_id: int) -> None:
    state.remove_member(guild, user_id)


def ban_user(
    state: SandboxState,
    guild: GuildState,
    user_id: int,
    *,
    reason: str | None = None,
    delete_message_seconds: int = 0,
) -> bool:
    """Ban a user (member or not): GUILD_BAN_ADD, then GUILD_MEMBER_REMOVE, then the purge.

    Returns False (and changes nothing) when the user is already banned.
    """
    user = state.user_or_404(user_id)
    if user_id in guild.bans:
        return False
    public = payloads.public_user(user)
    guild.bans[user_id] = {"reason": reason, "user": public}
    state.dispatch("GUILD_BAN_ADD", {"guild_id": str(guild.id), "user": public}, guild_id=guild.id)
    if user_id in guild.members:
        state.remove_member(guild, user_id)
    if delete_message_seconds > 0:
        purge_user_messages(state, guild, user_id, delete_message_seconds)
    return True


def unban_user(state: SandboxState, guild: GuildState, user_id: int) -> None:
    entry = guild.bans.pop(user_id, None)
    if entry is None:
        raise unknown("ban")
    state.dispatch(
        "GUILD_BAN_REMOVE",
        {"guild_id": str(guild.id), "user": entry["user"]},
        guild_id=guild.id,
    )


def purge_user_messages(state: SandboxState, guild: GuildState, user_id: int, seconds: int) -> int:
    """Delete the user's messages in the guild newer than ``seconds``; returns the count."""
    cutoff = state.ids_now_ms() - seconds * 1000
    author = str(user_id)
    total = 0
    for cid in list(guild.channels):
        store = state.messages.get(cid)
        if not store:
            continue
        ids = [
            mid
            for mid, msg in store.items()
            if msg["author"]["id"] == author
            and msg.get("webhook_id") is None
            and snowflake_time_ms(mid) >= cutoff
        ]
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            if len(chunk) == 1:
                state.delete_message(cid, chunk[0])
            else:
                state.bulk_delete(cid, chunk)
        total += len(ids)
    return total


def set_voice_flags(
    state: SandboxState,
    guild: GuildState,
    user_id: int,
    *,
    mute: bool | None = None,
    deaf: bool | None = None,
) -> None:
    """Server mute/deafen of a member in voice (VOICE_STATE_UPDATE); no-op when not in voice."""
    voice = guild.voice_states.get(user_id)
    if voice is None:
        return
    changed = False
    for key, value in (("mute", mute), ("deaf", deaf)):
        if value is not None and voice.get(key) != value:
            voice[key] = value
            changed = True
    if changed:
        _dispatch_voice(state, guild, user_id)


def move_voice(
    state: SandboxState, guild: GuildState, user_id: int, channel_id: int | None
) -> None:
    """Move a connected member to another voice channel, or disconnect them (``None``)."""
    if channel_id is None:
        from .voice import set_voice_state

        set_voice_state(state, guild, user_id, None)
        return
    voice = guild.voice_states[user_id]
    if voice.get("channel_id") != str(channel_id):
        voice["channel_id"] = str(channel_id)
        _dispatch_voice(state, guild, user_id)


def _dispatch_voice(state: SandboxState, guild: GuildState, user_id: int) -> None:
    data = dict(guild.voice_states[user_id])
    data["member"] = state.member_payload(guild, user_id)
    state.dispatch("VOICE_STATE_UPDATE", data, guild_id=guild.id)


# -- emojis ------------------------------------------------------------------------------------
def _emojis_update(state: SandboxState, guild: GuildState) -> None:
    state.dispatch(
        "GUILD_EMOJIS_UPDATE",
        {"guild_id": str(guild.id), "emojis": list(guild.emojis.values())},
        guild_id=guild.id,
    )


def create_emoji(
    state: SandboxState,
    guild: GuildState,
    *,
    name: str,
    animated: bool,
    roles: list[int],
    creator_id: int,
) -> dict[str, Any]:
    limit = EMOJI_LIMITS.get(int(guild.data.get("premium_tier") or 0), 50)
    same_kind = sum(1 for e in guild.emojis.values() if bool(e.get("animated")) == animated)
    if same_kind >= limit:
        if animated:
            raise DiscordAPIError(
                400, 30018, f"Maximum number of animated emojis reached ({limit})"
            )
        raise DiscordAPIError(400, 30008, f"Maximum number of emojis reached ({limit})")
    eid = state.ids.next()
    data = payloads.emoji(
        eid, name, animated=animated, user_payload=payloads.public_user(state.users[creator_id])
    )
    data["roles"] = [str(r) for r in roles]
    guild.emojis[eid] = data
    _emojis_update(state, guild)
    return data


def update_emoji(
    state: SandboxState, guild: GuildState, emoji_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    data = guild.emojis.get(emoji_id)
    if data is None:
        raise unknown("emoji")
    if "name" in changes:
        data["name"] = changes["name"]
    if "roles" in changes:
        data["roles"] = [str(r) for r in changes["roles"] or []]
    _emojis_update(state, guild)
    return data


def delete_emoji(state: SandboxState, guild: GuildState, emoji_id: int) -> None:
    if guild.emojis.pop(emoji_id, None) is None:
        raise unknown("emoji")
    _emojis_update(state, guild)


# -- stickers ----------------------------------------------------------------------------------
def _stickers_update(state: SandboxState, guild: GuildState) -> None:
    state.dispatch(
        "GUILD_STICKERS_UPDATE",
        {"guild_id": str(guild.id), "stickers": list(guild.stickers.values())},
        guild_id=guild.id,
    )


def sticker_format(data: bytes) -> int | None:
    """Discord's sticker format type from the file: 1 PNG, 2 APNG, 3 Lottie, 4 GIF."""
    kind = image_kind(data)
    if kind == "png":
        return 2 if b"acTL" in data[:4096] else 1
    if kind == "gif":
        return 4
    if data.lstrip()[:1] == b"{":
        return 3
    return None


def create_sticker(
    state: SandboxState,
    guild: GuildState,
    *,
    name: str,
    description: str,
    tags: str,
    format_type: int,
    creator_id: int,
) -> dict[str, Any]:
    limit = STICKER_LIMITS.get(int(guild.data.get("premium_tier") or 0), 5)
    if len(guild.stickers) >= limit:
        raise DiscordAPIError(400, 30039, f"Maximum number of stickers reached ({limit})")
    sid = state.ids.next()
    data = payloads.sticker(sid, name, guild_id=guild.id, tags=tags, description=description)
    data["format_type"] = format_type
    data["user"] = payloads.public_user(state.users[creator_id])
    guild.stickers[sid] = data
    _stickers_update(state, guild)
    return data


def update_sticker(
    state: SandboxState, guild: GuildState, sticker_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    data = guild.stickers.get(sticker_id)
    if data is None:
        raise unknown("sticker")
    for key in ("name", "description", "tags"):
        if key in changes:
            data[key] = changes[key]
    _stickers_update(state, guild)
    return data


def delete_sticker(state: SandboxState, guild: GuildState, sticker_id: int) -> None:
    if guild.stickers.pop(sticker_id, None) is None:
        raise unknown("sticker")
    _stickers_update(state, guild)


def find_sticker(state: SandboxState, sticker_id: int) -> dict[str, Any]:
    for guild in state.guilds.values():
        data = guild.stickers.get(sticker_id)
        if data is not None:
            return data
    raise unknown("sticker")
