"""Invites: create (or reuse), look up, list, delete, accept."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from .. import payloads
from ..constants import Perm
from ..errors import DiscordAPIError, unknown
from ..permissions import channel_permissions
from .base import MAX_GUILD_INVITES, channel_guild, channel_store, guild_bots, now_ms

if TYPE_CHECKING:
    from ..state import GuildState, SandboxState

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _invite_code(state: SandboxState) -> str:
    store = channel_store(state)
    while True:
        digest = hashlib.sha256(str(state.ids.next()).encode()).digest()
        number = int.from_bytes(digest[:8], "big")
        code = ""
        for _ in range(8):
            number, rest = divmod(number, 62)
            code += _BASE62[rest]
        if code not in store.invites:
            return code


def create_invite(
    state: SandboxState,
    channel: dict[str, Any],
    inviter_id: int,
    *,
    max_age: int = 86400,
    max_uses: int = 0,
    temporary: bool = False,
    unique: bool = False,
    target_type: int | None = None,
    target_user_id: int | None = None,
) -> dict[str, Any]:
    """Create (or, unless ``unique``, reuse a matching) invite; INVITE_CREATE when new."""
    guild = channel_guild(state, channel)
    store = channel_store(state)
    if not unique:
        for old in list(store.invites.values()):
            if (
                old["channel_id"] == channel["id"]
                and old["inviter_id"] == inviter_id
                and (old["max_age"], old["max_uses"], old["temporary"])
                == (max_age, max_uses, temporary)
                and old["target_type"] == target_type
                and old["uses"] == 0
                and find_invite(state, old["code"]) is not None
            ):
                return old
    if sum(1 for r in store.invites.values() if r["guild_id"] == guild.id) >= MAX_GUILD_INVITES:
        raise DiscordAPIError(400, 30016, "Maximum number of invites reached (1000)")
    created = now_ms()
    record: dict[str, Any] = {
        "code": _invite_code(state),
        "guild_id": guild.id,
        "channel_id": channel["id"],
        "inviter_id": inviter_id,
        "max_age": max_age,
        "max_uses": max_uses,
        "temporary": temporary,
        "uses": 0,
        "created_ms": created,
        "expires_ms": created + max_age * 1000 if max_age else None,
        "target_type": target_type,
        "target_user_id": target_user_id,
    }
    store.invites[record["code"]] = record
    event: dict[str, Any] = {
        "channel_id": channel["id"],
        "code": record["code"],
        "created_at": payloads.iso(created),
        "guild_id": str(guild.id),
        "inviter": payloads.public_user(state.users[inviter_id]),
        "max_age": max_age,
        "max_uses": max_uses,
        "temporary": temporary,
        "uses": 0,
    }
    if target_type is not None:
        event["target_type"] = target_type
    if target_user_id is not None and target_user_id in state.users:
        event["target_user"] = payloads.public_user(state.users[target_user_id])
    _dispatch_invite_event(state, guild, channel, "INVITE_CREATE", event)
    return record


def _dispatch_invite_event(
    state: SandboxState,
    guild: GuildState,
    channel: dict[str, Any] | None,
    name: str,
    data: dict[str, Any],
) -> None:
    """Invite events only reach bots with ``MANAGE_CHANNELS`` on the channel."""
    bots = [
        b
        for b in guild_bots(state, guild)
        if channel is not None and channel_permissions(guild, channel, b) & Perm.MANAGE_CHANNELS
    ]
    state.dispatch(name, data, guild_id=guild.id, user_ids=bots)


def find_invite(state: SandboxState, code: str) -> dict[str, Any] | None:
    """A live invite by code (expired ones, or of a deleted channel, are dropped on sight)."""
    store = channel_store(state)
    record = store.invites.get(code)
    if record is None:
        return None
    expires = record["expires_ms"]
    guild = state.guilds.get(record["guild_id"])
    gone = (
        guild is None
        or int(record["channel_id"]) not in guild.channels
        or (expires is not None and expires <= now_ms())
    )
    if gone:
        del store.invites[code]
        return None
    return record


def invite_or_404(state: SandboxState, code: str) -> dict[str, Any]:
    record = find_invite(state, code)
    if record is None:
        raise unknown("invite")
    return record


def live_invites(
    state: SandboxState, guild_id: int, channel_id: int | None = None
) -> list[dict[str, Any]]:
    """Live invites of a guild (or of one of its channels), oldest first."""
    out = []
    for code in list(channel_store(state).invites):
        record = find_invite(state, code)
        if record is None or record["guild_id"] != guild_id:
            continue
        if channel_id is None or record["channel_id"] == str(channel_id):
            out.append(record)
    return out


def invite_payload(
    state: SandboxState, record: dict[str, Any], *, metadata: bool, counts: bool = False
) -> dict[str, Any]:
    """An invite object; ``metadata`` adds uses/max_uses/max_age/temporary/created_at."""
    guild = state.guilds[record["guild_id"]]
    channel = guild.channels.get(int(record["channel_id"]), {})
    g = guild.data
    out: dict[str, Any] = {
        "type": 0,
        "code": record["code"],
        "guild_id": str(guild.id),
        "guild": {
            "id": str(guild.id),
            "name": g["name"],
            "splash": g.get("splash"),
            "banner": g.get("banner"),
            "description": g.get("description"),
            "icon": g.get("icon"),
            "features": list(g.get("features") or []),
            "verification_level": g.get("verification_level", 0),
            "vanity_url_code": g.get("vanity_url_code"),
            "nsfw_level": g.get("nsfw_level", 0),
            "premium_subscription_count": g.get("premium_subscription_count", 0),
        },
        "channel": {
            "id": record["channel_id"],
            "type": channel.get("type", 0),
            "name": channel.get("name", ""),
        },
        "inviter": payloads.public_user(state.users[record["inviter_id"]]),
        "expires_at": payloads.iso(record["expires_ms"]) if record["expires_ms"] else None,
        "flags": 0,
    }
    if record["target_type"] is not None:
        out["target_type"] = record["target_type"]
    if record["target_user_id"] in state.users:
        out["target_user"] = payloads.public_user(state.users[record["target_user_id"]])
    if counts:
        out["approximate_member_count"] = len(guild.members)
        out["approximate_presence_count"] = sum(
            1 for p in guild.presences.values() if p.get("status", "offline") != "offline"
        )
    if metadata:
        out.update(
            uses=record["uses"],
            max_uses=record["max_uses"],
            max_age=record["max_age"],
            temporary=record["temporary"],
            created_at=payloads.iso(record["created_ms"]),
        )
    return out


def delete_invite(state: SandboxState, code: str) -> dict[str, Any]:
    """Delete an invite (INVITE_DELETE)."""
    record = invite_or_404(state, code)
    del channel_store(state).invites[code]
    guild = state.guilds[record["guild_id"]]
    channel = guild.channels.get(int(record["channel_id"]))
    data = {"channel_id": record["channel_id"], "guild_id": str(guild.id), "code": code}
    _dispatch_invite_event(state, guild, channel, "INVITE_DELETE", data)
    return record


def use_invite(state: SandboxState, code: str, user_id: int) -> dict[str, Any]:
    """A user accepts an invite: joins the guild, ``uses`` grows, a full invite is spent."""
    record = invite_or_404(state, code)
    guild = state.guilds[record["guild_id"]]
    if user_id not in guild.members:
        state.add_member(guild, user_id)  # 40007 for a banned user
    record["uses"] += 1
    if record["max_uses"] and record["uses"] >= record["max_uses"]:
        delete_invite(state, code)
    return record
