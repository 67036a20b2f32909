"""Guild expressions: custom emojis and stickers (GUILD_EMOJIS_UPDATE / GUILD_STICKERS_UPDATE)."""

from __future__ import annotations

from typing import Any

from .. import assets
from .. import guild_ops as ops
from ..constants import Perm
from ..errors import DiscordAPIError, invalid_form, missing_permissions, unknown
from ..state import GuildState
from .base import NO_CONTENT, Ctx, RestAPI
from .bodies import IMAGE_BODY_LIMIT

_MANAGE = int(Perm.MANAGE_GUILD_EXPRESSIONS)
_CREATE = int(Perm.CREATE_GUILD_EXPRESSIONS)


def _guild(ctx: Ctx) -> GuildState:
    return ops.member_guild(ctx.state, ctx.id("guild_id"), ctx.bot_id)


def _can_see_creator(guild: GuildState, user_id: int) -> bool:
    return ops.has_perm(guild, user_id, _MANAGE) or ops.has_perm(guild, user_id, _CREATE)


def _public(item: dict[str, Any], show_user: bool) -> dict[str, Any]:
    if show_user or "user" not in item:
        return item
    return {k: v for k, v in item.items() if k != "user"}


def _require_create(guild: GuildState, actor: int) -> None:
    if not _can_see_creator(guild, actor):
        raise missing_permissions()


def _require_manage(guild: GuildState, actor: int, item: dict[str, Any]) -> None:
    """MANAGE_GUILD_EXPRESSIONS, or CREATE_GUILD_EXPRESSIONS for one's own expression."""
    if ops.has_perm(guild, actor, _MANAGE):
        return
    own = str(item.get("user", {}).get("id")) == str(actor)
    if not (own and ops.has_perm(guild, actor, _CREATE)):
        raise missing_permissions()


def setup(api: RestAPI) -> None:
    _emoji_routes(api)
    _sticker_routes(api)


# -- emojis ------------------------------------------------------------------------------------
def _emoji_name(value: Any) -> str:
    if value is None:
        raise ops.need("name")
    name = ops.text(value, "name", 2, 32)
    if not ops.EMOJI_NAME.match(name):
        raise invalid_form(
            "name", "STRING_TYPE_REGEX", "String value did not match validation regex."
        )
    return name


def _emoji_roles(guild: GuildState, value: Any) -> list[int]:
    if value is None:
        return []
    ids = ops.snowflakes(value, "roles")
    for i, rid in enumerate(ids):
        if rid not in guild.roles:
            raise invalid_form(f"roles.{i}", "INVALID_ROLE", "Invalid role")
    return ids


def _emoji_routes(api: RestAPI) -> None:
    base = "/guilds/{guild_id}/emojis"

    @api.route("GET", base)
    async def list_emojis(ctx: Ctx) -> list[dict[str, Any]]:
        guild = _guild(ctx)
        show = _can_see_creator(guild, ctx.bot_id)
        return [_public(e, show) for e in guild.emojis.values()]

    @api.route("GET", base + "/{emoji_id}")
    async def get_emoji(ctx: Ctx) -> dict[str, Any]:
        guild = _guild(ctx)
        emoji = guild.emojis.get(ctx.id("emoji_id"))
        if emoji is None:
            raise unknown("emoji")
        return _public(emoji, _can_see_creator(guild, ctx.bot_id))

    @api.route("POST", base, body_limit=IMAGE_BODY_LIMIT)
    async def create_emoji(ctx: Ctx) -> dict[str, Any]:
        guild = _guild(ctx)
        _require_create(guild, ctx.bot_id)
        body = ctx.json()
        name = _emoji_name(body.get("name"))
        kind, data = ops.decode_image(body.get("image"), "image")
        if len(data) > ops.EMOJI_MAX_BYTES:
            raise DiscordAPIError(
                400, 50138, f"Failed to resize asset below the maximum size: {ops.EMOJI_MAX_BYTES}"
            )
        roles = _emoji_roles(guild, body.get("roles"))
        emoji = ops.create_emoji(
            ctx.state, guild, name=name, animated=kind == "gif", roles=roles, creator_id=ctx.bot_id
        )
        assets.keep_emoji(ctx.state, emoji["id"], data)
        return emoji

    @api.route("PATCH", base + "/{emoji_id}")
    async def edit_emoji(ctx: Ctx) -> dict[str, Any]:
        guild = _guild(ctx)
        eid = ctx.id("emoji_id")
        emoji = guild.emojis.get(eid)
        if emoji is None:
            raise unknown("emoji")
        _require_manage(guild, ctx.bot_id, emoji)
        body = ctx.json()
        changes: dict[str, Any] = {}
        if "name" in body:
            changes["name"] = _emoji_name(body["name"])
        if "roles" in body:
            changes["roles"] = _emoji_roles(guild, body["roles"])
        return ops.update_emoji(ctx.state, guild, eid, changes)

    @api.route("DELETE", base + "/{emoji_id}")
    async def delete_emoji(ctx: Ctx) -> Any:
        guild = _guild(ctx)
        eid = ctx.id("emoji_id")
        emoji = guild.emojis.get(eid)
        if emoji is None:
            raise unknown("emoji")
        _require_manage(guild, ctx.bot_id, emoji)
        assets.delete_emoji(ctx.state, guild, eid)
        return NO_CONTENT


# -- stickers ----------------------------------------------------------------------------------
def _sticker_fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if creating or "name" in body:
        if body.get("name") is None:
            raise ops.need("name")
        out["name"] = ops.text(body["name"], "name", 2, 30)
    if creating or "description" in body:
        desc = body.get("description") or ""
        if desc:
            ops.text(desc, "description", 2, 100)
        out["description"] = desc
    if creating or "tags" in body:
        if body.get("tags") is None:
            raise ops.need("tags")
        out["tags"] = ops.text(body["tags"], "tags", 1, 200)
    return out


def _sticker_routes(api: RestAPI) -> None:
    base = "/guilds/{guild_id}/stickers"

    @api.route("GET", base)
    async def list_stickers(ctx: Ctx) -> list[dict[str, Any]]:
        guild = _guild(ctx)
        show = _can_see_creator(guild, ctx.bot_id)
        return [_public(s, show) for s in guild.stickers.values()]

    @api.route("GET", base + "/{sticker_id}")
    async def get_sticker(ctx: Ctx) -> dict[str, Any]:
        guild = _guild(ctx)
        sticker = guild.stickers.get(ctx.id("sticker_id"))
        if sticker is None:
            raise unknown("sticker")
        return _public(sticker, _can_see_creator(guild, ctx.bot_id))

    @api.route("GET", "/stickers/{sticker_id}")
    async def get_any_sticker(ctx: Ctx) -> dict[str, Any]:
        return _public(ops.find_sticker(ctx.state, ctx.id("sticker_id")), False)

    @api.route("POST", base)
    async def create_sticker(ctx: Ctx) -> dict[str, Any]:
        guild = _guild(ctx)
        _require_create(guild, ctx.bot_id)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        fields = _sticker_fields(body, creating=True)
        upload = next((f for f in ctx.files if f.field == "file"), None)
        if upload is None:
            raise ops.need("file")
        if len(upload.data) > ops.STICKER_MAX_BYTES:
            raise DiscordAPIError(400, 50045, "File uploaded exceeds the maximum size")
        fmt = ops.sticker_format(upload.data)
        lottie_ok = {"VERIFIED", "PARTNERED"} & set(guild.data["features"])
        if fmt is None or (fmt == 3 and not lottie_ok):
            raise DiscordAPIError(400, 50046, "Invalid file uploaded")
        sticker = ops.create_sticker(
            ctx.state, guild, format_type=fmt, creator_id=ctx.bot_id, **fields
        )
        assets.keep_sticker(ctx.state, sticker["id"], upload.data)
        return sticker

    @api.route("PATCH", base + "/{sticker_id}")
    async def edit_sticker(ctx: Ctx) -> dict[str, Any]:
        guild = _guild(ctx)
        sid = ctx.id("sticker_id")
        sticker = guild.stickers.get(sid)
        if sticker is None:
            raise unknown("sticker")
        _require_manage(guild, ctx.bot_id, sticker)
        changes = _sticker_fields(ctx.json(), creating=False)
        return ops.update_sticker(ctx.state, guild, sid, changes)

    @api.route("DELETE", base + "/{sticker_id}")
    async def delete_sticker(ctx: Ctx) -> Any:
        guild = _guild(ctx)
        sid = ctx.id("sticker_id")
        sticker = guild.stickers.get(sid)
        if sticker is None:
            raise unknown("sticker")
        _require_manage(guild, ctx.bot_id, sticker)
        assets.delete_sticker(ctx.state, guild, sid)
        return NO_CONTENT
