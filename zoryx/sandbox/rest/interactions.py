"""Interaction callbacks and the webhook-token routes (follow-ups, @original, webhooks)."""

from __future__ import annotations

from typing import Any

from ..constants import MESSAGE_FLAG_EPHEMERAL
from ..errors import DiscordAPIError, unknown
from ..interactions import InteractionRecord
from .base import NO_CONTENT, Ctx, RestAPI
from .messages import _check_embed, build_attachments

_MSG = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"


def _record(ctx: Ctx) -> InteractionRecord | None:
    record = ctx.state.interactions.by_webhook_token(ctx.params["webhook_token"])
    if record is not None and str(record.app.id) != ctx.params["webhook_id"]:
        raise unknown("webhook")
    return record


def _webhook(ctx: Ctx) -> dict[str, Any]:
    hook = ctx.state.webhooks.get(ctx.id("webhook_id"))
    if hook is None or hook.get("token") != ctx.params["webhook_token"]:
        raise unknown("webhook")
    return hook


def _validate(body: dict[str, Any]) -> None:
    for i, embed in enumerate(body.get("embeds") or []):
        _check_embed(i, embed)


def setup(api: RestAPI) -> None:
    @api.route("POST", "/interactions/{interaction_id}/{interaction_token}/callback", auth=False)
    async def callback(ctx: Ctx) -> Any:
        record = ctx.state.interactions.get(
            ctx.id("interaction_id"), ctx.params["interaction_token"]
        )
        body = ctx.json()
        data = body.get("data") or {}
        _validate(data)
        attachments = build_attachments(ctx, record.channel_id, data, ctx.files)
        result = ctx.state.interactions.callback(record, body, attachments)
        if ctx.query.get("with_response", "").lower() in ("1", "true"):
            return result
        return NO_CONTENT

    @api.route("POST", "/webhooks/{webhook_id}/{webhook_token}", auth=False)
    async def execute(ctx: Ctx) -> Any:
        body = ctx.json()
        _validate(body)
        record = _record(ctx)
        if record is not None:
            attachments = build_attachments(ctx, record.channel_id, body, ctx.files)
            return ctx.state.interactions.followup(record, body, attachments)
        hook = _webhook(ctx)
        cid = int(hook["channel_id"])
        if ctx.query.get("thread_id"):
            cid = int(ctx.query["thread_id"])
        attachments = build_attachments(ctx, cid, body, ctx.files)
        identity = dict(hook)
        if body.get("username"):
            identity["username"] = body["username"]
        msg = ctx.state.create_message(
            cid,
            int(hook["user"]["id"]) if hook.get("user") else 0,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            attachments=attachments,
            tts=bool(body.get("tts")),
            flags=int(body.get("flags") or 0) & ~MESSAGE_FLAG_EPHEMERAL,
            allowed_mentions=body.get("allowed_mentions"),
            webhook=identity,
        )
        if ctx.query.get("wait", "").lower() in ("1", "true"):
            return msg
        return NO_CONTENT

    @api.route("GET", _MSG, auth=False)
    async def get_message(ctx: Ctx) -> Any:
        record = _record(ctx)
        if record is not None:
            return ctx.state.interactions.find_message(record, ctx.params["message_id"])
        hook = _webhook(ctx)
        return _hook_message(ctx, hook)

    @api.route("PATCH", _MSG, auth=False)
    async def edit_message(ctx: Ctx) -> Any:
        body = ctx.json()
        _validate(body)
        record = _record(ctx)
        if record is not None:
            attachments = build_attachments(ctx, record.channel_id, body, ctx.files)
            return ctx.state.interactions.edit_original(
                record, body, attachments, ctx.params["message_id"]
            )
        hook = _webhook(ctx)
        msg = _hook_message(ctx, hook)
        from .messages import edit_changes

        return ctx.state.edit_message(
            int(msg["channel_id"]), int(msg["id"]), edit_changes(ctx, int(msg["channel_id"]), msg)
        )

    @api.route("DELETE", _MSG, auth=False)
    async def delete_message(ctx: Ctx) -> Any:
        record = _record(ctx)
        if record is not None:
            ctx.state.interactions.delete_message(record, ctx.params["message_id"])
            return NO_CONTENT
        hook = _webhook(ctx)
        msg = _hook_message(ctx, hook)
        ctx.state.delete_message(int(msg["channel_id"]), int(msg["id"]))
        return NO_CONTENT


def _hook_message(ctx: Ctx, hook: dict[str, Any]) -> dict[str, Any]:
    mid = ctx.params["message_id"]
    if not mid.isdigit():
        raise unknown("message")
    cid = int(ctx.query.get("thread_id") or hook["channel_id"])
    msg = ctx.state.message_or_404(cid, int(mid))
    if msg.get("webhook_id") != hook["id"]:
        raise DiscordAPIError(403, 50027, "Invalid Webhook Token")
    return msg
