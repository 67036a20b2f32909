"""Factories for Discord-shaped payload dicts, with every documented field present."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .constants import DEFAULT_EVERYONE
from .snowflake import snowflake_time_ms


def iso(ms: int | None = None) -> str:
    """ISO-8601 timestamp as Discord formats it."""
    if ms is None:
        moment = _dt.datetime.now(_dt.UTC)
    else:
        moment = _dt.datetime.fromtimestamp(ms / 1000, _dt.UTC)
    return moment.isoformat()


def user(
    uid: int, username: str, *, bot: bool = False, global_name: str | None = None
) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": username,
        "discriminator": "0",
        "global_name": global_name
        if global_name is not None
        else (None if bot else username.title()),
        "avatar": None,
        "bot": bot,
        "system": False,
        "mfa_enabled": False,
        "banner": None,
        "accent_color": None,
        "locale": "en-US",
        "verified": True,
        "flags": 0,
        "premium_type": 0,
        "public_flags": 0,
        "avatar_decoration_data": None,
    }


def public_user(full: dict[str, Any]) -> dict[str, Any]:
    """The subset of a user object other users see."""
    keys = (
        "id",
        "username",
        "discriminator",
        "global_name",
        "avatar",
        "bot",
        "system",
        "public_flags",
        "avatar_decoration_data",
        "banner",
        "accent_color",
    )
    return {k: full[k] for k in keys}


def role(
    rid: int,
    name: str,
    *,
    position: int,
    permissions: int = 0,
    color: int = 0,
    hoist: bool = False,
    mentionable: bool = False,
    managed: bool = False,
    tags: dict[str, Any] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(rid),
        "name": name,
        "color": color,
        "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
        "hoist": hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": mentionable,
        "flags": 0,
    }
    if tags is not None:
        out["tags"] = tags
    return out


def everyone_role(guild_id: int) -> dict[str, Any]:
    return role(guild_id, "@everyone", position=0, permissions=DEFAULT_EVERYONE)


def channel(
    cid: int,
    ctype: int,
    name: str,
    *,
    guild_id: int | None,
    position: int = 0,
    parent_id: int | None = None,
    topic: str | None = None,
    overwrites: list[dict[str, Any]] | None = None,
    nsfw: bool = False,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(cid),
        "type": ctype,
        "name": name,
        "position": position,
        "permission_overwrites": overwrites or [],
        "parent_id": str(parent_id) if parent_id else None,
        "nsfw": nsfw,
        "flags": 0,
    }
    if guild_id is not None:
        out["guild_id"] = str(guild_id)
    if ctype in (0, 5, 15, 16):
        out.update(
            topic=topic,
            last_message_id=None,
            rate_limit_per_user=0,
            default_auto_archive_duration=1440,
            last_pin_timestamp=None,
        )
    if ctype in (2, 13):
        out.update(
            bitrate=64000,
            user_limit=0,
            rtc_region=None,
            video_quality_mode=1,
            last_message_id=None,
            rate_limit_per_user=0,
        )
    if ctype in (15, 16):
        out.update(
            available_tags=[],
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
            default_thread_rate_limit_per_user=0,
        )
    if extra:
        out.update(extra)
    return out


def member_fields(
    joined_ms: int, roles: list[int] | None = None, nick: str | None = None
) -> dict[str, Any]:
    """Member data without ``user`` (the state joins the user in when sending)."""
    return {
        "nick": nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles or []],
        "joined_at": iso(joined_ms),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }


def emoji(
    eid: int, name: str, *, animated: bool = False, user_payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(eid),
        "name": name,
        "roles": [],
        "require_colons": True,
        "managed": False,
        "animated": animated,
        "available": True,
    }
    if user_payload is not None:
        out["user"] = user_payload
    return out


def sticker(
    sid: int, name: str, *, guild_id: int, tags: str = "", description: str = ""
) -> dict[str, Any]:
    return {
        "id": str(sid),
        "pack_id": None,
        "name": name,
        "description": description,
        "tags": tags or name,
        "type": 2,
        "format_type": 1,
        "available": True,
        "guild_id": str(guild_id),
        "sort_value": None,
    }


def guild_base(
    gid: int, name: str, *, owner_id: int, description: str | None = None
) -> dict[str, Any]:
    """Guild fields other than the lists (roles, channels, members…)."""
    return {
        "id": str(gid),
        "name": name,
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(owner_id),
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "max_presences": None,
        "max_members": 500000,
        "vanity_url_code": None,
        "description": description,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "approximate_member_count": None,
        "approximate_presence_count": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "safety_alerts_channel_id": None,
        "incidents_data": None,
        "joined_at": iso(snowflake_time_ms(gid)),
    }


def attachment(
    aid: int,
    filename: str,
    size: int,
    url: str,
    *,
    content_type: str | None,
    description: str | None = None,
    ephemeral: bool = False,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(aid),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
        "description": description,
        "height": None,
        "width": None,
        "ephemeral": ephemeral,
        "flags": 0,
    }
    return out
