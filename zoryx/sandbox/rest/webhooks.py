"""Webhook management: create/list per channel and guild, get/edit/delete by id or token.

Executing a webhook and editing/deleting its messages (``/webhooks/{id}/{token}`` with POST
and ``.../messages/...``) live in :mod:`.interactions`, which serves interaction tokens too.
"""

from __future__ import annotations

from typing import Any

from .. import assets
from .. import channel_ops as ops
from ..constants import Perm
from ..errors import DiscordAPIError, invalid_form
from .base import NO_CONTENT, Ctx, RestAPI
from .bodies import IMAGE_BODY_LIMIT
from .channels import guild_channel, snowflake, text, wrong_channel_type

WEBHOOK_CHANNEL_TYPES = frozenset({0, 2, 5, 13, 15, 16})
_BANNED_NAME_PARTS = ("clyde", "discord")


def webhook_name(value: Any, *, required: bool, field: str = "name") -> str:
    """1–80 characters, without "clyde" or "discord" in any case ("" when absent)."""
    name = text(value, field, 1, 80, required=required)
    lowered = name.lower()
    for part in _BANNED_NAME_PARTS:
        if part in lowered:
            raise invalid_form(
                field, "USERNAME_INVALID_CONTAINS", f'Username cannot contain "{part}"'
            )
    return name


def avatar_data(value: Any) -> str | None:
    """A ``data:image/...;base64,...`` URI or null."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("data:image/") or ";base64," not in value:
        raise invalid_form("avatar", "IMAGE_INVALID", "Invalid image data")
    return value


def _by_token(ctx: Ctx) -> dict[str, Any]:
    hook = ops.webhook_or_404(ctx.state, ctx.id("webhook_id"))
    if hook.get("token") != ctx.params["webhook_token"]:
        raise DiscordAPIError(401, 50027, "Invalid Webhook Token")
    return hook


def _managed(ctx: Ctx, *, owner_ok: bool = False) -> dict[str, Any]:
    """A webhook by id that the bot may manage (``MANAGE_WEBHOOKS`` in its channel)."""
    hook = ops.webhook_or_404(ctx.state, ctx.id("webhook_id"))
    if owner_ok and ctx.app is not None and hook.get("application_id") == str(ctx.app.id):
        return hook
    channel = ctx.state.channel_or_404(int(hook["channel_id"]))
    ctx.state.require_perm(channel, ctx.bot_id, Perm.MANAGE_WEBHOOKS)
    return hook


def _edit_changes(ctx: Ctx, hook: dict[str, Any], *, allow_channel: bool) -> dict[str, Any]:
    body = ctx.json()
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = webhook_name(body["name"], required=True)
    if "avatar" in body:
        changes["avatar"] = avatar_data(body["avatar"])
    if allow_channel and body.get("channel_id") is not None:
        target_id = snowflake(body["channel_id"], "channel_id")
        guild = ctx.state.guilds[int(hook["guild_id"])]
        target = guild.channels.get(target_id)
        if target is None or target["type"] not in WEBHOOK_CHANNEL_TYPES:
            raise invalid_form("channel_id", "CHANNEL_TYPE_INVALID", "Invalid channel")
        ctx.state.require_perm(target, ctx.bot_id, Perm.MANAGE_WEBHOOKS)
        changes["channel_id"] = target_id
    return changes


def setup(api: RestAPI) -> None:
    """Register the webhook management routes."""

    @api.route(
        "POST", "/channels/{channel_id}/webhooks", limit=(10, 10.0), body_limit=IMAGE_BODY_LIMIT
    )
    async def create(ctx: Ctx) -> dict[str, Any]:
        _, channel = guild_channel(ctx)
        if channel["type"] not in WEBHOOK_CHANNEL_TYPES:
            raise wrong_channel_type()
        ctx.state.require_perm(channel, ctx.bot_id, Perm.MANAGE_WEBHOOKS)
        body = ctx.json()
        avatar = avatar_data(body.get("avatar"))
        hook = ops.create_webhook(
            ctx.state,
            channel,
            ctx.bot_id,
            webhook_name(body.get("name"), required=True),
            avatar=avatar,
            application_id=ctx.app.id if ctx.app is not None else None,
        )
        assets.keep_data_uri(ctx.state, avatar, hook["avatar"])
        return ops.webhook_view(hook)

    @api.route("GET", "/channels/{channel_id}/webhooks")
    async def channel_hooks(ctx: Ctx) -> list[dict[str, Any]]:
        _, channel = guild_channel(ctx)
        ctx.state.require_perm(channel, ctx.bot_id, Perm.MANAGE_WEBHOOKS)
        return [
            ops.webhook_view(h)
            for h in ctx.state.webhooks.values()
            if h.get("channel_id") == channel["id"]
        ]

    @api.route("GET", "/guilds/{guild_id}/webhooks")
    async def guild_hooks(ctx: Ctx) -> list[dict[str, Any]]:
        guild = ctx.state.guild_or_404(ctx.id("guild_id"))
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_WEBHOOKS)
        return [
            ops.webhook_view(h)
            for h in ctx.state.webhooks.values()
            if h.get("guild_id") == str(guild.id)
        ]

    @api.route("GET", "/webhooks/{webhook_id}")
    async def get_hook(ctx: Ctx) -> dict[str, Any]:
        return ops.webhook_view(_managed(ctx, owner_ok=True))

    @api.route("PATCH", "/webhooks/{webhook_id}", body_limit=IMAGE_BODY_LIMIT)
    async def edit_hook(ctx: Ctx) -> dict[str, Any]:
        hook = _managed(ctx)
        changes = _edit_changes(ctx, hook, allow_channel=True)
        if changes:
            ops.update_webhook(ctx.state, hook, changes)
            assets.keep_data_uri(ctx.state, changes.get("avatar"), hook["avatar"])
        return ops.webhook_view(hook)

    @api.route("DELETE", "/webhooks/{webhook_id}")
    async def delete_hook(ctx: Ctx) -> Any:
        hook = _managed(ctx)
        ops.delete_webhook(ctx.state, hook)
        return NO_CONTENT

    token_path = "/webhooks/{webhook_id}/{webhook_token}"

    @api.route("GET", token_path, auth=False, guard=_by_token)
    async def get_by_token(ctx: Ctx) -> dict[str, Any]:
        return ops.webhook_view(_by_token(ctx), with_user=False)

    @api.route("PATCH", token_path, auth=False, guard=_by_token, body_limit=IMAGE_BODY_LIMIT)
    async def edit_by_token(ctx: Ctx) -> dict[str, Any]:
        hook = _by_token(ctx)
        changes = _edit_changes(ctx, hook, allow_channel=False)
        if changes:
            ops.update_webhook(ctx.state, hook, changes)
            assets.keep_data_uri(ctx.state, changes.get("avatar"), hook["avatar"])
        return ops.webhook_view(hook, with_user=False)

    @api.route("DELETE", token_path, auth=False, guard=_by_token)
    async def delete_by_token(ctx: Ctx) -> Any:
        ops.delete_webhook(ctx.state, _by_token(ctx))
        return NO_CONTENT


__all__ = ["avatar_data", "setup", "webhook_name"]
