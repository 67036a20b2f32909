"""Interaction callbacks and the webhook-token routes (follow-ups, @original, webhooks)."""

from __future__ import annotations

from typing import Any

from .. import channel_ops
from ..constants import MESSAGE_FLAG_EPHEMERAL, THREAD_TYPES
from ..errors import DiscordAPIError, invalid_form, unknown
from ..interactions import InteractionRecord
from ..messages import check_message_body
from .base import NO_CONTENT, Ctx, RestAPI
from .messages import _check_embed, build_attachments

_MSG = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"


def _record(ctx: Ctx) -> InteractionRecord | None:
    record = ctx.state.interactions.by_webhook_token(ctx.params["webhook_token"])
    if record is not None and str(record.app.id) != ctx.params["webhook_id"]:
        raise unknown("webhook")
    return record


def _webhook(ctx: Ctx) -> dict[str, Any]:
    """The path's incoming webhook: 404 10015 when unknown, 401 50027 for a wrong token."""
    hook = ctx.state.webhooks.get(ctx.id("webhook_id"))
    if hook is None:
        raise unknown("webhook")
    if hook.get("token") != ctx.params["webhook_token"]:
        raise DiscordAPIError(401, 50027, "Invalid Webhook Token")
    return hook


def _token_known(ctx: Ctx) -> None:
    """Guard of the webhook-token routes: an interaction's token or a webhook's own token.

    Runs before the body is read, so a wrong token costs the sandbox nothing.
    """
    if _record(ctx) is None:
        _webhook(ctx)


def _interaction_known(ctx: Ctx) -> None:
    """Guard of the callback route: the interaction exists and the token is its own."""
    ctx.state.interactions.get(ctx.id("interaction_id"), ctx.params["interaction_token"])


def _username(value: Any) -> str | None:
    """The ``username`` override (the webhook name rules apply)."""
    from .webhooks import webhook_name

    return webhook_name(value, required=False, field="username") or None


def _thread_target(ctx: Ctx, hook: dict[str, Any]) -> dict[str, Any] | None:
    """The ``thread_id`` of an execution: a thread of the webhook's channel (10003 otherwise)."""
    raw = ctx.query.get("thread_id")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise invalid_form("thread_id", "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
    guild = ctx.state.guild_of_channel(int(hook["channel_id"]))
    thread = guild.channels.get(int(raw)) if guild is not None else None
    if (
        thread is None
        or thread["type"] not in THREAD_TYPES
        or thread.get("parent_id") != hook["channel_id"]
    ):
        raise unknown("channel")
    if thread["thread_metadata"]["archived"] and thread["thread_metadata"]["locked"]:
        raise DiscordAPIError(400, 50083, "Thread is archived")
    return thread


def _execute_hook(ctx: Ctx, hook: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Post as an incoming webhook, with Discord's rules for its options.

    ``username`` (no "clyde"/"discord") and ``avatar_url`` override the author; ``thread_id``
    posts in a thread of the webhook's channel (unarchiving it, as Discord does);
    ``thread_name`` starts a forum post; a forum webhook needs one of the two.
    """
    identity = dict(hook)
    username = _username(body.get("username"))
    if username:
        identity["username"] = username
    if body.get("avatar_url"):
        identity["avatar"] = channel_ops.avatar_hash(str(body["avatar_url"]))
    channel = ctx.state.channel_or_404(int(hook["channel_id"]))
    forum = channel["type"] in channel_ops.FORUM_TYPES
    thread_name = body.get("thread_name")
    if thread_name is not None and ctx.query.get("thread_id"):
        raise DiscordAPIError(
            400,
            220002,
            "Webhooks posted to forum channels cannot have both a thread_name and thread_id",
        )
    if thread_name is not None and not forum:
        raise DiscordAPIError(400, 220003, "Webhooks can only create threads in forum channels")
    if forum and thread_name is None and not ctx.query.get("thread_id"):
        raise DiscordAPIError(
            400, 220001, "Webhooks posted to forum channels must have a thread_name or thread_id"
        )
    thread = _thread_target(ctx, hook)
    cid = int(thread["id"]) if thread is not None else int(channel["id"])
    kwargs: dict[str, Any] = {
        "content": body.get("content") or "",
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "attachments": build_attachments(ctx, cid, body, ctx.files),
        "tts": bool(body.get("tts")),
        "flags": int(body.get("flags") or 0) & ~MESSAGE_FLAG_EPHEMERAL,
        "allowed_mentions": body.get("allowed_mentions"),
        "webhook": identity,
    }
    check_message_body(
        kwargs["content"],
        embeds=kwargs["embeds"],
        attachments=kwargs["attachments"],
        components=kwargs["components"],
    )
    if thread_name is not None:
        _, msg = _forum_post(ctx, channel, hook, thread_name, body, kwargs)
        return msg
    if thread is not None and thread["thread_metadata"]["archived"]:
        channel_ops.update_thread(ctx.state, thread, {"archived": False})
    return ctx.state.create_message(cid, int(hook["id"]), **kwargs)


def _validate(body: dict[str, Any]) -> None:
    for i, embed in enumerate(body.get("embeds") or []):
        _check_embed(i, embed)


def setup(api: RestAPI) -> None:
    @api.route(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        auth=False,
        guard=_interaction_known,
    )
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

    @api.route("POST", "/webhooks/{webhook_id}/{webhook_token}", auth=False, guard=_token_known)
    async def execute(ctx: Ctx) -> Any:
        body = ctx.json()
        _validate(body)
        record = _record(ctx)
        if record is not None:
            attachments = build_attachments(ctx, record.channel_id, body, ctx.files)
            return ctx.state.interactions.followup(record, body, attachments)
        msg = _execute_hook(ctx, _webhook(ctx), body)
        if ctx.query.get("wait", "").lower() in ("1", "true"):
            return msg
        return NO_CONTENT

    @api.route("GET", _MSG, auth=False, guard=_token_known)
    async def get_message(ctx: Ctx) -> Any:
        record = _record(ctx)
        if record is not None:
            return ctx.state.interactions.find_message(record, ctx.params["message_id"])
        hook = _webhook(ctx)
        return _hook_message(ctx, hook)

    @api.route("PATCH", _MSG, auth=False, guard=_token_known)
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

    @api.route("DELETE", _MSG, auth=False, guard=_token_known)
    async def delete_message(ctx: Ctx) -> Any:
        record = _record(ctx)
        if record is not None:
            ctx.state.interactions.delete_message(record, ctx.params["message_id"])
            return NO_CONTENT
        hook = _webhook(ctx)
        msg = _hook_message(ctx, hook)
        ctx.state.delete_message(int(msg["channel_id"]), int(msg["id"]))
        return NO_CONTENT


def _forum_post(
    ctx: Ctx,
    forum: dict[str, Any],
    hook: dict[str, Any],
    name: Any,
    body: dict[str, Any],
    kwargs: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A forum post started by the webhook (the thread and its starter message)."""
    if not isinstance(name, str):
        raise invalid_form("thread_name", "BASE_TYPE_STRING", "Must be a string.")
    if not 1 <= len(name) <= 100:
        raise invalid_form(
            "thread_name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    known = {str(t["id"]) for t in forum.get("available_tags") or []}
    raw_tags = body.get("applied_tags") or []
    if not isinstance(raw_tags, list):
        raise invalid_form("applied_tags", "BASE_TYPE_ARRAY", "Must be an array.")
    tags = [str(t) for t in raw_tags if str(t) in known]
    return channel_ops.start_forum_post(
        ctx.state,
        forum,
        int(hook["id"]),
        name,
        kwargs,
        auto_archive_duration=int(forum.get("default_auto_archive_duration") or 1440),
        rate_limit_per_user=int(forum.get("default_thread_rate_limit_per_user") or 0),
        applied_tags=tags,
        owner_joins=False,
    )


def _hook_message(ctx: Ctx, hook: dict[str, Any]) -> dict[str, Any]:
    mid = ctx.params["message_id"]
    if not (mid.isascii() and mid.isdigit()):
        raise unknown("message")
    cid = int(ctx.query.get("thread_id") or hook["channel_id"])
    msg = ctx.state.message_or_404(cid, int(mid))
    if msg.get("webhook_id") != hook["id"]:
        raise DiscordAPIError(403, 50027, "Invalid Webhook Token")
    return msg
