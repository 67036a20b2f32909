"""Guild routes: the guild itself, its channel list and positions, roles.

Members, bans, voice states, the audit log and invites live in :mod:`.members`, which
:func:`setup` here registers too.
"""

from __future__ import annotations

from typing import Any

from .. import assets
from .. import guild_ops as ops
from ..constants import THREAD_TYPES, Perm
from ..errors import DiscordAPIError, invalid_form, missing_permissions
from ..state import GuildState
from . import members
from .base import NO_CONTENT, Ctx, RestAPI
from .bodies import IMAGE_BODY_LIMIT

_CREATABLE_TYPES = (0, 2, 4, 5, 13, 15, 16)
_TEXT_NAMED = frozenset({0, 5, 15, 16})
_AFK_TIMEOUTS = (60, 300, 900, 1800, 3600)
_MUTABLE_FEATURES = frozenset({"COMMUNITY", "DISCOVERABLE", "INVITES_DISABLED"})
_ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


def guild_of(ctx: Ctx) -> GuildState:
    """The guild of the path, visible to the calling bot."""
    return ops.member_guild(ctx.state, ctx.id("guild_id"), ctx.bot_id)


def guild_object(guild: GuildState, *, counts: bool = False) -> dict[str, Any]:
    """The REST guild object: base fields plus roles, emojis and stickers."""
    out = {k: v for k, v in guild.data.items() if k != "joined_at"}
    out["roles"] = ops.sorted_roles(guild)
    out["emojis"] = list(guild.emojis.values())
    out["stickers"] = list(guild.stickers.values())
    if counts:
        out["approximate_member_count"] = len(guild.members)
        out["approximate_presence_count"] = sum(
            1 for p in guild.presences.values() if p.get("status", "offline") != "offline"
        )
    return out


def setup(api: RestAPI) -> None:
    _guild_routes(api)
    _channel_routes(api)
    _role_routes(api)
    members.setup(api)


# -- the guild ---------------------------------------------------------------------------------
def _guild_routes(api: RestAPI) -> None:
    @api.route("GET", "/guilds/{guild_id}")
    async def get_guild(ctx: Ctx) -> dict[str, Any]:
        counts = str(ctx.query.get("with_counts", "")).lower() in ("true", "1")
        return guild_object(guild_of(ctx), counts=counts)

    @api.route("GET", "/guilds/{guild_id}/preview")
    async def preview(ctx: Ctx) -> dict[str, Any]:
        guild = guild_of(ctx)
        full = guild_object(guild, counts=True)
        keys = (
            "id",
            "name",
            "icon",
            "splash",
            "discovery_splash",
            "emojis",
            "features",
            "approximate_member_count",
            "approximate_presence_count",
            "description",
            "stickers",
        )
        return {k: full[k] for k in keys}

    @api.route("PATCH", "/guilds/{guild_id}", body_limit=IMAGE_BODY_LIMIT)
    async def edit_guild(ctx: Ctx) -> dict[str, Any]:
        guild = guild_of(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_GUILD)
        changes = _guild_changes(ctx, guild, ctx.json())
        ctx.state.update_guild(guild, changes)
        return guild_object(guild)


def _guild_changes(ctx: Ctx, guild: GuildState, body: dict[str, Any]) -> dict[str, Any]:
    """Validate a Modify Guild body into state changes (nothing is applied on error)."""
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = ops.text(body["name"], "name", 2, 100).strip()
    for key in ("icon", "banner", "splash", "discovery_splash"):
        if key in body:
            if body[key] is None:
                changes[key] = None
            else:
                kind, data = ops.decode_image(body[key], key)
                changes[key] = assets.keep_image(ctx.state, data, animated=kind == "gif")
    ranges = {
        "verification_level": 4,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
    }
    for key, hi in ranges.items():
        if body.get(key) is not None:
            changes[key] = ops.integer(body[key], key, 0, hi)
    if "afk_timeout" in body:
        value = ops.integer(body["afk_timeout"], "afk_timeout")
        if value not in _AFK_TIMEOUTS:
            raise invalid_form(
                "afk_timeout",
                "BASE_TYPE_CHOICES",
                "Value must be one of {60, 300, 900, 1800, 3600}.",
            )
        changes["afk_timeout"] = value
    channel_kinds = {
        "afk_channel_id": (2,),
        "system_channel_id": (0,),
        "rules_channel_id": (0,),
        "public_updates_channel_id": (0,),
        "safety_alerts_channel_id": (0,),
    }
    for key, kinds in channel_kinds.items():
        if key in body:
            changes[key] = _guild_channel_ref(guild, body[key], key, kinds)
    if "description" in body:
        value = body["description"]
        changes["description"] = None if value is None else ops.text(value, "description", 0, 120)
    if body.get("system_channel_flags") is not None:
        changes["system_channel_flags"] = ops.integer(
            body["system_channel_flags"], "system_channel_flags", 0
        )
    if body.get("preferred_locale") is not None:
        changes["preferred_locale"] = ops.text(body["preferred_locale"], "preferred_locale", 2, 10)
    if body.get("premium_progress_bar_enabled") is not None:
        changes["premium_progress_bar_enabled"] = ops.boolean(
            body["premium_progress_bar_enabled"], "premium_progress_bar_enabled"
        )
    if body.get("features") is not None:
        wanted = body["features"]
        if not isinstance(wanted, list) or not all(isinstance(f, str) for f in wanted):
            raise invalid_form("features", "BASE_TYPE_ARRAY", "Must be an array.")
        kept = [f for f in guild.data["features"] if f not in _MUTABLE_FEATURES]
        changes["features"] = kept + [f for f in wanted if f in _MUTABLE_FEATURES]
    if body.get("owner_id") is not None:
        new_owner = ops.snowflake(body["owner_id"], "owner_id")
        if ctx.bot_id != guild.owner_id:
            raise missing_permissions()
        if new_owner not in guild.members:
            raise invalid_form("owner_id", "GUILD_OWNER_INVALID", "Invalid guild owner")
        if ctx.state.users[new_owner].get("bot"):
            raise DiscordAPIError(400, 50132, "Ownership cannot be transferred to a bot user")
        changes["owner_id"] = str(new_owner)
    return changes


def _guild_channel_ref(
    guild: GuildState, value: Any, field: str, kinds: tuple[int, ...]
) -> str | None:
    if value is None:
        return None
    cid = ops.snowflake(value, field)
    channel = guild.channels.get(cid)
    if channel is None or channel["type"] not in kinds:
        raise invalid_form(field, "CHANNEL_TYPE_INVALID", "Invalid channel type")
    return str(cid)


# -- channels ----------------------------------------------------------------------------------
def _channel_routes(api: RestAPI) -> None:
    @api.route("GET", "/guilds/{guild_id}/channels")
    async def list_channels(ctx: Ctx) -> list[dict[str, Any]]:
        guild = guild_of(ctx)
        return [c for c in guild.channels.values() if c["type"] not in THREAD_TYPES]

    @api.route("POST", "/guilds/{guild_id}/channels")
    async def create_channel(ctx: Ctx) -> dict[str, Any]:
        guild = guild_of(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_CHANNELS)
        kwargs = _channel_create_kwargs(ctx, guild, ctx.json())
        if sum(1 for c in guild.channels.values() if c["type"] not in THREAD_TYPES) >= 500:
            raise DiscordAPIError(400, 30013, "Maximum number of guild channels reached (500)")
        ctype = kwargs.pop("ctype")
        name = kwargs.pop("name")
        return ctx.state.create_channel(guild, ctype, name, **kwargs)

    @api.route("PATCH", "/guilds/{guild_id}/channels")
    async def move_channels(ctx: Ctx) -> Any:
        guild = guild_of(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_CHANNELS)
        if not isinstance(ctx.body, list):
            raise ops.not_array()
        ops.reorder_channels(ctx.state, guild, ctx.body)
        return NO_CONTENT


def _channel_create_kwargs(ctx: Ctx, guild: GuildState, body: dict[str, Any]) -> dict[str, Any]:
    ctype = ops.integer(body.get("type", 0) or 0, "type")
    if ctype not in _CREATABLE_TYPES:
        raise invalid_form(
            "type", "BASE_TYPE_CHOICES", "Value must be one of {0, 2, 4, 5, 13, 15, 16}."
        )
    if body.get("name") is None:
        raise ops.need("name")
    name = ops.text(body["name"], "name", 1, 100)
    if ctype in _TEXT_NAMED:
        name = "-".join(name.lower().split())
    parent = None
    if body.get("parent_id") is not None:
        pid = ops.snowflake(body["parent_id"], "parent_id")
        parent = guild.channels.get(pid)
        if parent is None or parent["type"] != 4 or ctype == 4:
            raise invalid_form("parent_id", "CHANNEL_PARENT_INVALID_TYPE", "Not a category")
    extra: dict[str, Any] = {}
    if body.get("nsfw") is not None:
        extra["nsfw"] = ops.boolean(body["nsfw"], "nsfw")
    topic = None
    if ctype in (0, 5, 15, 16):
        if body.get("topic") is not None:
            topic = ops.text(body["topic"], "topic", 0, 4096 if ctype in (15, 16) else 1024)
        if body.get("rate_limit_per_user") is not None:
            extra["rate_limit_per_user"] = ops.integer(
                body["rate_limit_per_user"], "rate_limit_per_user", 0, 21600
            )
        if body.get("default_auto_archive_duration") is not None:
            value = ops.integer(
                body["default_auto_archive_duration"], "default_auto_archive_duration"
            )
            if value not in _ARCHIVE_DURATIONS:
                raise invalid_form(
                    "default_auto_archive_duration",
                    "BASE_TYPE_CHOICES",
                    "Value must be one of {60, 1440, 4320, 10080}.",
                )
            extra["default_auto_archive_duration"] = value
    if ctype in (2, 13):
        if body.get("bitrate") is not None:
            hi = 64000 if ctype == 13 else 96000
            extra["bitrate"] = ops.integer(body["bitrate"], "bitrate", 8000, hi)
        if body.get("user_limit") is not None:
            hi = 10000 if ctype == 13 else 99
            extra["user_limit"] = ops.integer(body["user_limit"], "user_limit", 0, hi)
        if body.get("rtc_region") is not None:
            extra["rtc_region"] = ops.text(body["rtc_region"], "rtc_region", 1, 32)
        if body.get("video_quality_mode") is not None:
            extra["video_quality_mode"] = ops.integer(
                body["video_quality_mode"], "video_quality_mode", 1, 2
            )
    if ctype in (15, 16):
        for key in (
            "available_tags",
            "default_reaction_emoji",
            "default_sort_order",
            "default_forum_layout",
            "default_thread_rate_limit_per_user",
        ):
            if key in body:
                extra[key] = body[key]
        if extra.get("available_tags") is not None:
            # Validated and given ids as on a channel edit (discord.py needs a tag's id).
            from .channels import _assign_tag_ids, _tags

            extra["available_tags"] = _tags({}, extra["available_tags"])
            _assign_tag_ids(ctx, extra)
    if "permission_overwrites" in body and body["permission_overwrites"] is not None:
        overwrites = _overwrites(body["permission_overwrites"])
        ops.check_overwrites_grant(guild, ctx.bot_id, overwrites)
    elif parent is not None:
        overwrites = [dict(o) for o in parent["permission_overwrites"]]
    else:
        overwrites = []
    position = None
    if body.get("position") is not None:
        position = ops.integer(body["position"], "position", 0)
    return {
        "ctype": ctype,
        "name": name,
        "parent_id": int(parent["id"]) if parent else None,
        "topic": topic,
        "overwrites": overwrites,
        "position": position,
        "extra": extra,
    }


def _overwrites(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise invalid_form("permission_overwrites", "BASE_TYPE_ARRAY", "Must be an array.")
    out = []
    for i, ow in enumerate(value):
        field = f"permission_overwrites.{i}"
        if not isinstance(ow, dict):
            raise invalid_form(field, "MODEL_TYPE_CONVERT", "Only dictionaries may be used")
        if "id" not in ow:
            raise ops.need(f"{field}.id")
        kind = ops.integer(ow.get("type", 0), f"{field}.type", 0, 1)
        out.append(
            {
                "id": str(ops.snowflake(ow["id"], f"{field}.id")),
                "type": kind,
                "allow": str(ops.permissions_value(ow.get("allow") or 0, f"{field}.allow")),
                "deny": str(ops.permissions_value(ow.get("deny") or 0, f"{field}.deny")),
            }
        )
    return out


# -- roles -------------------------------------------------------------------------------------
def _role_routes(api: RestAPI) -> None:
    @api.route("GET", "/guilds/{guild_id}/roles")
    async def list_roles(ctx: Ctx) -> list[dict[str, Any]]:
        return ops.sorted_roles(guild_of(ctx))

    @api.route("GET", "/guilds/{guild_id}/roles/member-counts")
    async def role_counts(ctx: Ctx) -> dict[str, int]:
        guild = guild_of(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_ROLES)
        counts = {str(rid): 0 for rid in guild.roles if rid != guild.id}
        for fields in guild.members.values():
            for rid in fields["roles"]:
                if rid in counts:
                    counts[rid] += 1
        return counts

    @api.route("GET", "/guilds/{guild_id}/roles/{role_id}")
    async def get_role(ctx: Ctx) -> dict[str, Any]:
        return ops.role_or_404(guild_of(ctx), ctx.id("role_id"))

    @api.route("POST", "/guilds/{guild_id}/roles", body_limit=IMAGE_BODY_LIMIT)
    async def create_role(ctx: Ctx) -> dict[str, Any]:
        guild = guild_of(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_ROLES)
        body = ctx.json()
        fields = _role_fields(ctx, guild, body)
        perms = fields.get("permissions")
        if perms is None:
            perms = int(guild.roles[guild.id]["permissions"])
        ops.check_grant(guild, ctx.bot_id, perms)
        colors = fields.get("colors") or {}
        if "color" in fields:
            colors = {**colors, "primary_color": fields["color"]}
        return ops.create_role(
            ctx.state,
            guild,
            name=fields.get("name") or "new role",
            permissions=perms,
            colors=colors,
            hoist=fields.get("hoist", False),
            mentionable=fields.get("mentionable", False),
            icon=fields.get("icon"),
            unicode_emoji=fields.get("unicode_emoji"),
        )

    @api.route("PATCH", "/guilds/{guild_id}/roles")
    async def move_roles(ctx: Ctx) -> list[dict[str, Any]]:
        guild = guild_of(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_ROLES)
        if not isinstance(ctx.body, list):
            raise ops.not_array()
        moves: dict[int, int] = {}
        for i, item in enumerate(ctx.body):
            if not isinstance(item, dict) or "id" not in item:
                raise ops.need(f"{i}.id")
            rid = ops.snowflake(item["id"], f"{i}.id")
            role = ops.role_or_404(guild, rid)
            if rid == guild.id:
                raise ops.invalid_role()
            if item.get("position") is None:
                continue
            position = ops.integer(item["position"], f"{i}.position", 1)
            ops.check_role_editable(guild, ctx.bot_id, role)
            ops.check_role_editable(guild, ctx.bot_id, {"position": position})
            moves[rid] = position
        return ops.reorder_roles(ctx.state, guild, moves)

    @api.route("PATCH", "/guilds/{guild_id}/roles/{role_id}", body_limit=IMAGE_BODY_LIMIT)
    async def edit_role(ctx: Ctx) -> dict[str, Any]:
        guild = guild_of(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_ROLES)
        role = ops.role_or_404(guild, ctx.id("role_id"))
        ops.check_role_editable(guild, ctx.bot_id, role)
        fields = _role_fields(ctx, guild, ctx.json())
        if fields.get("permissions") is not None:
            ops.check_grant(guild, ctx.bot_id, fields["permissions"], int(role["permissions"]))
        if "color" in fields:
            fields["colors"] = {**(fields.get("colors") or {}), "primary_color": fields["color"]}
            del fields["color"]
        return ops.edit_role(ctx.state, guild, int(role["id"]), fields)

    @api.route("DELETE", "/guilds/{guild_id}/roles/{role_id}")
    async def delete_role(ctx: Ctx) -> Any:
        guild = guild_of(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_ROLES)
        role = ops.role_or_404(guild, ctx.id("role_id"))
        if int(role["id"]) == guild.id or role.get("managed"):
            raise ops.invalid_role()
        ops.check_role_editable(guild, ctx.bot_id, role)
        ctx.state.delete_role(guild, int(role["id"]))
        return NO_CONTENT


def _role_fields(ctx: Ctx, guild: GuildState, body: dict[str, Any]) -> dict[str, Any]:
    """Validate the fields of a role create/modify body."""
    out: dict[str, Any] = {}
    if body.get("name") is not None:
        out["name"] = ops.text(body["name"], "name", 0, 100)
    if body.get("permissions") is not None:
        out["permissions"] = ops.permissions_value(body["permissions"])
    if body.get("color") is not None:
        out["color"] = ops.integer(body["color"], "color", 0, 0xFFFFFF)
    colors = body.get("colors")
    if colors is not None:
        if not isinstance(colors, dict):
            raise invalid_form("colors", "MODEL_TYPE_CONVERT", "Only dictionaries may be used")
        clean: dict[str, Any] = {}
        for key in ("primary_color", "secondary_color", "tertiary_color"):
            if key in colors:
                value = colors[key]
                clean[key] = (
                    None if value is None else ops.integer(value, f"colors.{key}", 0, 0xFFFFFF)
                )
        if (
            clean.get("secondary_color") is not None
            and "ENHANCED_ROLE_COLORS" not in guild.data["features"]
        ):
            raise DiscordAPIError(
                400, 50101, "This server needs more boosts to perform this action"
            )
        out["colors"] = clean
    for key in ("hoist", "mentionable"):
        if body.get(key) is not None:
            out[key] = ops.boolean(body[key], key)
    for key in ("icon", "unicode_emoji"):
        if key in body:
            value = body[key]
            if value is not None and "ROLE_ICONS" not in guild.data["features"]:
                raise DiscordAPIError(
                    400, 50101, "This server needs more boosts to perform this action"
                )
            if key == "icon" and value is not None:
                _, data = ops.decode_image(value, "icon")
                value = assets.keep_image(ctx.state, data)
            elif value is not None:
                value = ops.text(value, key, 1, 32)
            out[key] = value
    return out
