"""Channels: get, modify, delete; permission overwrites; invites. Threads live in threads.py."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .. import channel_ops as ops
from ..constants import THREAD_TYPES, Perm
from ..errors import DiscordAPIError, invalid_form, missing_access, missing_permissions
from ..permissions import base_permissions, channel_permissions
from .base import NO_CONTENT, Ctx, RestAPI

if TYPE_CHECKING:
    from ..state import GuildState

TEXT_TYPES = frozenset({0, 5})
VOICE_TYPES = frozenset({2, 13})
FORUM_TYPES = ops.FORUM_TYPES
INVITABLE_TYPES = frozenset({0, 2, 5, 13, 15, 16})
_NORMALISED_NAMES = frozenset({0, 5, 15, 16})
_BITRATE_CAPS = {0: 96000, 1: 128000, 2: 256000, 3: 384000}
_FORUM_FLAGS = {15: 1 << 4, 16: (1 << 4) | (1 << 15)}
_SPACES = re.compile(r"\s+")


# -- shared validation (also used by threads.py and webhooks.py) ---------------------------
def wrong_channel_type() -> DiscordAPIError:
    return DiscordAPIError(400, 50024, "Cannot execute action on this channel type")


def dm_refused() -> DiscordAPIError:
    return DiscordAPIError(400, 50003, "Cannot execute action on a DM channel")


def snowflake(value: Any, field: str) -> int:
    """A snowflake given as a JSON string or number."""
    if isinstance(value, bool) or not (str(value).isascii() and str(value).isdigit()):
        raise invalid_form(field, "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')
    return int(value)


def text(value: Any, field: str, low: int, high: int, *, required: bool = False) -> str:
    """A string whose length is within ``low..high``."""
    if value is None and not required:
        return ""
    if value is None:
        raise invalid_form(field, "BASE_TYPE_REQUIRED", "This field is required")
    if not isinstance(value, str):
        raise invalid_form(field, "BASE_TYPE_STRING", "Must be a string.")
    if not low <= len(value) <= high:
        if low == 0:
            raise invalid_form(field, "BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length.")
        raise invalid_form(
            field, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length."
        )
    return value


def integer(value: Any, field: str, low: int, high: int) -> int:
    """An integer within ``low..high`` (JSON numbers or numeric strings)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise invalid_form(field, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
    try:
        number = int(value)
    except ValueError:
        raise invalid_form(field, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.') from None
    if number < low:
        raise invalid_form(
            field, "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {low}."
        )
    if number > high:
        raise invalid_form(
            field, "NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}."
        )
    return number


def boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise invalid_form(field, "BASE_TYPE_BOOLEAN", "Must be either true or false.")
    return value


def choice(value: Any, field: str, choices: tuple[int, ...]) -> int:
    if isinstance(value, bool) or value not in choices:
        shown = ", ".join(str(c) for c in choices)
        raise invalid_form(field, "BASE_TYPE_CHOICES", f"Value must be one of {{{shown}}}.")
    return int(value)


def permission_bits(value: Any, field: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not (str(value).isascii() and str(value).isdigit()):
        raise invalid_form(field, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
    return int(value)


def guild_channel(ctx: Ctx) -> tuple[GuildState, dict[str, Any]]:
    """The path's channel and its guild (DM channels are refused with 50003)."""
    channel = ctx.state.channel_or_404(ctx.id("channel_id"))
    guild = ctx.state.guild_of_channel(int(channel["id"]))
    if guild is None:
        ctx.state.require_perm(channel, ctx.bot_id, 0)
        raise dm_refused()
    return guild, channel


# -- overwrites ------------------------------------------------------------------------------
def parse_overwrites(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise invalid_form("permission_overwrites", "BASE_TYPE_ARRAY", "Must be an array.")
    out: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(raw):
        field = f"permission_overwrites.{i}"
        if not isinstance(item, dict):
            raise invalid_form(
                field, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"
            )
        if item.get("type") is None:
            raise invalid_form(f"{field}.type", "BASE_TYPE_REQUIRED", "This field is required")
        target = snowflake(item.get("id"), f"{field}.id")
        out[str(target)] = {
            "id": str(target),
            "type": choice(item["type"], f"{field}.type", (0, 1)),
            "allow": str(permission_bits(item.get("allow"), f"{field}.allow")),
            "deny": str(permission_bits(item.get("deny"), f"{field}.deny")),
        }
    return list(out.values())


def _grantable(guild: GuildState, channel: dict[str, Any], user_id: int) -> int | None:
    """Bits the user may put in overwrites here (``None`` = anything)."""
    if ops.is_guild_admin(guild, user_id):
        return None
    member = guild.members.get(user_id)
    mine = {str(user_id), str(guild.id), *(member["roles"] if member else [])}
    for ow in channel.get("permission_overwrites", []):
        if ow["id"] in mine and int(ow["allow"]) & Perm.MANAGE_ROLES:
            return None
    parent = guild.channels.get(int(channel["parent_id"])) if channel.get("parent_id") else None
    if parent is not None:
        return channel_permissions(guild, parent, user_id)
    return base_permissions(guild, user_id)


def check_overwrite_change(
    guild: GuildState,
    channel: dict[str, Any],
    user_id: int,
    new: list[dict[str, Any]],
    replace_all: bool,
) -> None:
    """Refuse (50013) overwrites that allow or deny bits the bot itself lacks."""
    have = _grantable(guild, channel, user_id)
    if have is None:
        return
    old = {o["id"]: (int(o["allow"]), int(o["deny"])) for o in channel["permission_overwrites"]}
    changed = 0
    for entry in new:
        old_allow, old_deny = old.pop(entry["id"], (0, 0))
        changed |= (int(entry["allow"]) ^ old_allow) | (int(entry["deny"]) ^ old_deny)
    if replace_all:
        for old_allow, old_deny in old.values():
            changed |= old_allow | old_deny
    if changed & ~have:
        raise missing_permissions()


# -- channel edits -----------------------------------------------------------------------
def channel_changes(
    guild: GuildState, channel: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any]:
    """Validate a guild channel PATCH body into the fields to store (others are ignored)."""
    ctype = int(channel["type"])
    out: dict[str, Any] = {}
    if "name" in body:
        name = text(body["name"], "name", 1, 100, required=True)
        if ctype in _NORMALISED_NAMES:
            name = _SPACES.sub("-", name.strip()).lower() or name
        out["name"] = name
    if "type" in body and body["type"] != ctype:
        features = guild.data.get("features") or []
        if ctype not in TEXT_TYPES or body["type"] not in TEXT_TYPES or "NEWS" not in features:
            raise invalid_form("type", "BASE_TYPE_CHOICES", f"Value must be one of {{{ctype}}}.")
        out["type"] = int(body["type"])
    if "position" in body and body["position"] is not None:
        out["position"] = integer(body["position"], "position", 0, 1_000_000)
    if "topic" in body and ctype in TEXT_TYPES | FORUM_TYPES:
        cap = 4096 if ctype in FORUM_TYPES else 1024
        out["topic"] = text(body["topic"], "topic", 0, cap) if body["topic"] is not None else None
    if "nsfw" in body and ctype != 4:
        out["nsfw"] = boolean(body["nsfw"], "nsfw")
    if "rate_limit_per_user" in body and ctype in {0, 2, 5, 13, 15, 16}:
        value = body["rate_limit_per_user"]
        out["rate_limit_per_user"] = (
            0 if value is None else integer(value, "rate_limit_per_user", 0, 21600)
        )
    if ctype in VOICE_TYPES:
        out.update(_voice_changes(guild, ctype, body))
    if "permission_overwrites" in body:
        out["permission_overwrites"] = parse_overwrites(body["permission_overwrites"] or [])
    if "parent_id" in body and ctype != 4:
        out["parent_id"] = _parent(guild, body["parent_id"])
    if "default_auto_archive_duration" in body and ctype in TEXT_TYPES | FORUM_TYPES:
        value = body["default_auto_archive_duration"]
        out["default_auto_archive_duration"] = (
            None
            if value is None
            else choice(value, "default_auto_archive_duration", ops.ARCHIVE_DURATIONS)
        )
    if "default_thread_rate_limit_per_user" in body and ctype in {0, 5, 15, 16}:
        out["default_thread_rate_limit_per_user"] = integer(
            body["default_thread_rate_limit_per_user"] or 0,
            "default_thread_rate_limit_per_user",
            0,
            21600,
        )
    if ctype in FORUM_TYPES:
        out.update(_forum_changes(channel, body))
    return out


def _voice_changes(guild: GuildState, ctype: int, body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if body.get("bitrate") is not None:
        cap = 64000 if ctype == 13 else _BITRATE_CAPS.get(guild.data.get("premium_tier", 0), 96000)
        out["bitrate"] = integer(body["bitrate"], "bitrate", 8000, cap)
    if body.get("user_limit") is not None:
        cap = 10_000 if ctype == 13 else 99
        out["user_limit"] = integer(body["user_limit"], "user_limit", 0, cap)
    if "rtc_region" in body:
        out["rtc_region"] = body["rtc_region"]
    if body.get("video_quality_mode") is not None:
        out["video_quality_mode"] = choice(body["video_quality_mode"], "video_quality_mode", (1, 2))
    return out


def _parent(guild: GuildState, value: Any) -> str | None:
    if value is None:
        return None
    pid = snowflake(value, "parent_id")
    parent = guild.channels.get(pid)
    if parent is None or parent["type"] != 4:
        raise invalid_form("parent_id", "CHANNEL_PARENT_INVALID", "Category does not exist")
    return str(pid)


def _forum_changes(channel: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ctype = int(channel["type"])
    if body.get("flags") is not None:
        flags = integer(body["flags"], "flags", 0, 1 << 30)
        if flags & ~_FORUM_FLAGS[ctype]:
            raise invalid_form("flags", "CHANNEL_FLAGS_INVALID", "Invalid channel flags")
        out["flags"] = flags
    if "available_tags" in body:
        out["available_tags"] = _tags(channel, body["available_tags"] or [])
    if "default_reaction_emoji" in body:
        emoji = body["default_reaction_emoji"]
        if emoji is not None and not isinstance(emoji, dict):
            raise invalid_form(
                "default_reaction_emoji",
                "MODEL_TYPE_CONVERT",
                "Only dictionaries may be used in a ModelType",
            )
        out["default_reaction_emoji"] = (
            None
            if emoji is None
            else {"emoji_id": emoji.get("emoji_id"), "emoji_name": emoji.get("emoji_name")}
        )
    if "default_sort_order" in body:
        value = body["default_sort_order"]
        out["default_sort_order"] = (
            None if value is None else choice(value, "default_sort_order", (0, 1))
        )
    if body.get("default_forum_layout") is not None and ctype == 15:
        out["default_forum_layout"] = choice(
            body["default_forum_layout"], "default_forum_layout", (0, 1, 2)
        )
    return out


def _tags(channel: dict[str, Any], raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise invalid_form("available_tags", "BASE_TYPE_ARRAY", "Must be an array.")
    if len(raw) > 20:
        raise invalid_form(
            "available_tags", "BASE_TYPE_MAX_LENGTH", "Must be 20 or fewer in length."
        )
    known = {t["id"] for t in channel.get("available_tags") or []}
    out = []
    for i, tag in enumerate(raw):
        if not isinstance(tag, dict):
            raise invalid_form(
                f"available_tags.{i}",
                "MODEL_TYPE_CONVERT",
                "Only dictionaries may be used in a ModelType",
            )
        tag_id = str(tag["id"]) if tag.get("id") and str(tag["id"]) in known else None
        out.append(
            {
                "id": tag_id,
                "name": text(tag.get("name"), f"available_tags.{i}.name", 1, 20, required=True),
                "moderated": bool(tag.get("moderated", False)),
                "emoji_id": str(tag["emoji_id"]) if tag.get("emoji_id") else None,
                "emoji_name": tag.get("emoji_name"),
            }
        )
    return out


def _assign_tag_ids(ctx: Ctx, changes: dict[str, Any]) -> None:
    for tag in changes.get("available_tags", []):
        if tag["id"] is None:
            tag["id"] = str(ctx.state.ids.next())


# -- routes --------------------------------------------------------------------------------
def setup(api: RestAPI) -> None:
    from . import threads

    threads.setup(api)

    @api.route("GET", "/channels/{channel_id}")
    async def get_channel(ctx: Ctx) -> dict[str, Any]:
        channel = ctx.state.channel_or_404(ctx.id("channel_id"))
        guild = ctx.state.guild_of_channel(int(channel["id"]))
        if guild is not None and channel["type"] in THREAD_TYPES:
            if not ops.can_view_thread(ctx.state, guild, channel, ctx.bot_id):
                raise missing_access()
            return ops.thread_view(ctx.state, channel, ctx.bot_id)
        ctx.state.require_perm(channel, ctx.bot_id, Perm.VIEW_CHANNEL if guild else 0)
        return channel

    @api.route("PATCH", "/channels/{channel_id}", limit=(10, 10.0))
    async def modify(ctx: Ctx) -> dict[str, Any]:
        guild, channel = guild_channel(ctx)
        if channel["type"] in THREAD_TYPES:
            return threads.modify_thread(ctx, guild, channel)
        ctx.state.require_perm(channel, ctx.bot_id, Perm.MANAGE_CHANNELS)
        changes = channel_changes(guild, channel, ctx.json())
        if "permission_overwrites" in changes:
            ctx.state.require_perm(channel, ctx.bot_id, Perm.MANAGE_ROLES)
            check_overwrite_change(
                guild, channel, ctx.bot_id, changes["permission_overwrites"], replace_all=True
            )
        _assign_tag_ids(ctx, changes)
        if not changes:
            return channel
        return ops.modify_channel(ctx.state, channel, changes)

    @api.route("DELETE", "/channels/{channel_id}")
    async def delete(ctx: Ctx) -> dict[str, Any]:
        channel = ctx.state.channel_or_404(ctx.id("channel_id"))
        guild = ctx.state.guild_of_channel(int(channel["id"]))
        if guild is None:  # closing a DM: the channel stays reachable, as on Discord
            ctx.state.require_perm(channel, ctx.bot_id, 0)
            return channel
        if channel["type"] in THREAD_TYPES:
            if not ops.can_view_thread(ctx.state, guild, channel, ctx.bot_id):
                raise missing_access()
            ctx.state.require_perm(channel, ctx.bot_id, Perm.MANAGE_THREADS)
            return ops.delete_thread(ctx.state, channel)
        ctx.state.require_perm(channel, ctx.bot_id, Perm.MANAGE_CHANNELS)
        community = "COMMUNITY" in (guild.data.get("features") or [])
        required = {guild.data.get("rules_channel_id"), guild.data.get("public_updates_channel_id")}
        if community and channel["id"] in required:
            raise DiscordAPIError(
                400, 50074, "Cannot delete a channel required for Community guilds"
            )
        return ops.delete_guild_channel(ctx.state, channel)

    overwrite = "/channels/{channel_id}/permissions/{overwrite_id}"

    @api.route("PUT", overwrite)
    async def put_overwrite(ctx: Ctx) -> Any:
        guild, channel = guild_channel(ctx)
        if channel["type"] in THREAD_TYPES:
            raise wrong_channel_type()
        ctx.state.require_perm(channel, ctx.bot_id, Perm.MANAGE_ROLES)
        body = ctx.json()
        if body.get("type") is None:
            raise invalid_form("type", "BASE_TYPE_REQUIRED", "This field is required")
        kind = choice(body["type"], "type", (0, 1))
        allow = permission_bits(body.get("allow"), "allow")
        deny = permission_bits(body.get("deny"), "deny")
        target = ctx.id("overwrite_id")
        entry = {"id": str(target), "type": kind, "allow": str(allow), "deny": str(deny)}
        check_overwrite_change(guild, channel, ctx.bot_id, [entry], replace_all=False)
        ops.put_overwrite(ctx.state, channel, target, kind, allow, deny)
        return NO_CONTENT

    @api.route("DELETE", overwrite)
    async def delete_overwrite(ctx: Ctx) -> Any:
        guild, channel = guild_channel(ctx)
        if channel["type"] in THREAD_TYPES:
            raise wrong_channel_type()
        ctx.state.require_perm(channel, ctx.bot_id, Perm.MANAGE_ROLES)
        target = str(ctx.id("overwrite_id"))
        kept = [o for o in channel["permission_overwrites"] if o["id"] != target]
        check_overwrite_change(guild, channel, ctx.bot_id, kept, replace_all=True)
        ops.delete_overwrite(ctx.state, channel, int(target))
        return NO_CONTENT

    _invite_routes(api)


def _invite_routes(api: RestAPI) -> None:
    @api.route("POST", "/channels/{channel_id}/invites", limit=(5, 5.0))
    async def create_invite(ctx: Ctx) -> dict[str, Any]:
        _, channel = guild_channel(ctx)
        if channel["type"] not in INVITABLE_TYPES:
            raise wrong_channel_type()
        ctx.state.require_perm(channel, ctx.bot_id, Perm.CREATE_INSTANT_INVITE)
        body = ctx.json()
        target_type = body.get("target_type")
        target_user = None
        if target_type is not None:
            target_type = choice(target_type, "target_type", (1, 2))
            if target_type == 1:
                if body.get("target_user_id") is None:
                    raise invalid_form(
                        "target_user_id", "BASE_TYPE_REQUIRED", "This field is required"
                    )
                target_user = snowflake(body["target_user_id"], "target_user_id")
                ctx.state.user_or_404(target_user)
        record = ops.create_invite(
            ctx.state,
            channel,
            ctx.bot_id,
            max_age=integer(body.get("max_age", 86400), "max_age", 0, 604800),
            max_uses=integer(body.get("max_uses", 0), "max_uses", 0, 100),
            temporary=boolean(body.get("temporary", False), "temporary"),
            unique=boolean(body.get("unique", False), "unique"),
            target_type=target_type,
            target_user_id=target_user,
        )
        return ops.invite_payload(ctx.state, record, metadata=True)

    @api.route("GET", "/channels/{channel_id}/invites")
    async def channel_invites(ctx: Ctx) -> list[dict[str, Any]]:
        guild, channel = guild_channel(ctx)
        ctx.state.require_perm(channel, ctx.bot_id, Perm.MANAGE_CHANNELS)
        records = ops.live_invites(ctx.state, guild.id, int(channel["id"]))
        return [ops.invite_payload(ctx.state, r, metadata=True) for r in records]

    @api.route("GET", "/invites/{code}")
    async def get_invite(ctx: Ctx) -> dict[str, Any]:
        record = ops.invite_or_404(ctx.state, ctx.params["code"])
        counts = ctx.query.get("with_counts", "").lower() in ("1", "true")
        return ops.invite_payload(ctx.state, record, metadata=False, counts=counts)

    @api.route("DELETE", "/invites/{code}")
    async def delete_invite(ctx: Ctx) -> dict[str, Any]:
        record = ops.invite_or_404(ctx.state, ctx.params["code"])
        guild = ctx.state.guilds[record["guild_id"]]
        if ctx.bot_id not in guild.members:
            raise missing_access()
        channel = guild.channels.get(int(record["channel_id"]))
        allowed = base_permissions(guild, ctx.bot_id) & Perm.MANAGE_GUILD
        if channel is not None:
            allowed |= channel_permissions(guild, channel, ctx.bot_id) & Perm.MANAGE_CHANNELS
        if not allowed:
            raise missing_permissions()
        payload = ops.invite_payload(ctx.state, record, metadata=False)
        ops.delete_invite(ctx.state, record["code"])
        return payload


__all__ = [
    "boolean",
    "choice",
    "dm_refused",
    "guild_channel",
    "integer",
    "setup",
    "snowflake",
    "text",
    "wrong_channel_type",
]
