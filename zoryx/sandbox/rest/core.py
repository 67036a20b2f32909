"""Login, gateway discovery, users and DMs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import assets, guild_ops, payloads
from ..errors import invalid_form, unknown
from .base import NO_CONTENT, Ctx, RestAPI
from .bodies import IMAGE_BODY_LIMIT


def setup(
    api: RestAPI,
    shard_count: Callable[[], int],
    session_start_limit: Callable[[int], dict[str, int]],
) -> None:
    """Register the routes; ``shard_count`` returns the recommended shard count and
    ``session_start_limit`` an application's session start limit (by application id)."""

    @api.route("GET", "/gateway", auth=False)
    async def gateway(ctx: Ctx) -> dict[str, Any]:
        return {"url": ctx.state.gateway_url}  # type: ignore[attr-defined]

    @api.route("GET", "/gateway/bot")
    async def gateway_bot(ctx: Ctx) -> dict[str, Any]:
        return {
            "url": ctx.state.gateway_url,  # type: ignore[attr-defined]
            "shards": shard_count(),
            "session_start_limit": session_start_limit(ctx.app.id if ctx.app else 0),
        }

    @api.route("GET", "/users/@me")
    async def me(ctx: Ctx) -> dict[str, Any]:
        return ctx.state.users[ctx.bot_id]

    @api.route("PATCH", "/users/@me", body_limit=IMAGE_BODY_LIMIT)
    async def edit_me(ctx: Ctx) -> dict[str, Any]:
        user = ctx.state.users[ctx.bot_id]
        body = ctx.json()
        if "username" in body:
            name = str(body["username"])
            if not 2 <= len(name) <= 32:
                raise invalid_form(
                    "username", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 32 in length."
                )
            user["username"] = name
        if "avatar" in body:
            user["avatar"] = None
            if body["avatar"] is not None:
                kind, data = guild_ops.decode_image(body["avatar"], "avatar")
                user["avatar"] = assets.keep_image(ctx.state, data, animated=kind == "gif")
        ctx.state.dispatch("USER_UPDATE", user, user_ids=[ctx.bot_id])
        return user

    @api.route("GET", "/oauth2/applications/@me")
    async def application(ctx: Ctx) -> dict[str, Any]:
        return _application_payload(ctx)

    @api.route("GET", "/applications/@me")
    async def application2(ctx: Ctx) -> dict[str, Any]:
        return _application_payload(ctx)

    @api.route("GET", "/users/{user_id}")
    async def get_user(ctx: Ctx) -> dict[str, Any]:
        return payloads.public_user(ctx.state.user_or_404(ctx.id("user_id")))

    @api.route("POST", "/users/@me/channels")
    async def open_dm(ctx: Ctx) -> dict[str, Any]:
        target = ctx.json().get("recipient_id")
        if target is None or not (str(target).isascii() and str(target).isdigit()):
            raise invalid_form("recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
        ctx.state.user_or_404(int(target))
        return ctx.state.dm_channel(ctx.bot_id, int(target))

    @api.route("GET", "/users/@me/guilds")
    async def my_guilds(ctx: Ctx) -> list[dict[str, Any]]:
        from ..permissions import base_permissions

        out = []
        limit = int(ctx.query.get("limit", 200))
        after = int(ctx.query.get("after", 0))
        for guild in sorted(ctx.state.guilds.values(), key=lambda g: g.id):
            if ctx.bot_id not in guild.members or guild.id <= after:
                continue
            out.append(
                {
                    "id": str(guild.id),
                    "name": guild.name,
                    "icon": guild.data["icon"],
                    "banner": None,
                    "owner": guild.owner_id == ctx.bot_id,
                    "permissions": str(base_permissions(guild, ctx.bot_id)),
                    "features": guild.data["features"],
                    "approximate_member_count": len(guild.members),
                }
            )
            if len(out) >= limit:
                break
        return out

    @api.route("DELETE", "/users/@me/guilds/{guild_id}")
    async def leave_guild(ctx: Ctx) -> Any:
        guild = ctx.state.guild_or_404(ctx.id("guild_id"))
        if ctx.bot_id not in guild.members:
            raise unknown("guild")
        if guild.owner_id == ctx.bot_id:
            raise invalid_form("guild_id", "INVALID_GUILD", "Owners cannot leave their guild")
        ctx.state.remove_member(guild, ctx.bot_id)
        return NO_CONTENT


def _application_payload(ctx: Ctx) -> dict[str, Any]:
    app = ctx.app
    assert app is not None
    owner_id = getattr(ctx.state, "owner_user_id", None)
    owner = ctx.state.users.get(owner_id) if owner_id else None
    return {
        "id": str(app.id),
        "name": app.name,
        "icon": None,
        "description": "A bot running on the Zoryx sandbox Discord",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "bot": payloads.public_user(ctx.state.users[app.bot_id]),
        "terms_of_service_url": None,
        "privacy_policy_url": None,
        "owner": payloads.public_user(owner) if owner else None,
        "verify_key": "0" * 64,
        "team": None,
        "guild_id": None,
        "primary_sku_id": None,
        "slug": None,
        "cover_image": None,
        "flags": app.flags,
        "approximate_guild_count": sum(
            1 for g in ctx.state.guilds.values() if app.bot_id in g.members
        ),
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "tags": [],
        "install_params": None,
        "integration_types_config": {"0": {}, "1": {}},
        "custom_install_url": None,
    }
