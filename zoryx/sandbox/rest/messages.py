"""Channel messages: send (JSON and multipart), read, edit, delete, reactions, pins, typing."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .. import channel_ops, payloads
from ..constants import THREAD_TYPES, Perm
from ..errors import DiscordAPIError, invalid_form, unknown
from ..messages import check_message_body
from .base import NO_CONTENT, Ctx, RestAPI, UploadedFile


def build_attachments(
    ctx: Ctx, channel_id: int, body: dict[str, Any], files: list[UploadedFile]
) -> list[dict[str, Any]]:
    """Turn multipart uploads into stored attachments, honouring ``attachments`` metadata."""
    meta = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
    out: list[dict[str, Any]] = []
    for index, upload in enumerate(files):
        key = upload.field[6:-1] if upload.field.startswith("files[") else str(index)
        info = meta.get(key, {})
        filename = info.get("filename") or upload.filename
        aid = ctx.state.store_attachment(filename, upload.content_type, upload.data)
        url = f"{ctx.state.base_url}/attachments/{channel_id}/{aid}/{urllib.parse.quote(filename)}"
        out.append(
            payloads.attachment(
                aid,
                filename,
                len(upload.data),
                url,
                content_type=upload.content_type,
                description=info.get("description"),
            )
        )
    # Existing attachments kept on edit are passed with a real id and no upload.
    return out


def message_kwargs(ctx: Ctx, channel_id: int) -> dict[str, Any]:
    """Validate a message create body into keyword arguments for the state."""
    body = ctx.json()
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        raise invalid_form("content", "BASE_TYPE_STRING", "Must be a string.")
    embeds = body.get("embeds")
    if embeds is None and isinstance(body.get("embed"), dict):
        embeds = [body["embed"]]
    if embeds is not None and not isinstance(embeds, list):
        raise invalid_form("embeds", "BASE_TYPE_ARRAY", "Must be an array.")
    for i, embed in enumerate(embeds or []):
        _check_embed(i, embed)
    components = body.get("components")
    if components is not None and not isinstance(components, list):
        raise invalid_form("components", "BASE_TYPE_ARRAY", "Must be an array.")
    return {
        "content": content or "",
        "embeds": [_normal_embed(e) for e in embeds or []],
        "components": components or [],
        "attachments": build_attachments(ctx, channel_id, body, ctx.files),
        "tts": bool(body.get("tts", False)),
        "flags": int(body.get("flags") or 0),
        "nonce": body.get("nonce"),
        "message_reference": body.get("message_reference"),
        "allowed_mentions": body.get("allowed_mentions"),
        "sticker_ids": body.get("sticker_ids"),
    }


def _check_embed(index: int, embed: Any) -> None:
    if not isinstance(embed, dict):
        raise invalid_form(
            f"embeds.{index}", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"
        )
    limits = {"title": 256, "description": 4096}
    for key, cap in limits.items():
        if len(str(embed.get(key) or "")) > cap:
            raise invalid_form(
                f"embeds.{index}.{key}",
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {cap} or fewer in length.",
            )
    fields = embed.get("fields") or []
    if len(fields) > 25:
        raise invalid_form(
            f"embeds.{index}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
        )
    for j, fld in enumerate(fields):
        if not fld.get("name") or not fld.get("value"):
            raise invalid_form(
                f"embeds.{index}.fields.{j}.value", "BASE_TYPE_REQUIRED", "This field is required"
            )


def _normal_embed(embed: dict[str, Any]) -> dict[str, Any]:
    out = dict(embed)
    out.setdefault("type", "rich")
    out.setdefault("content_scan_version", 0)
    return out


def send_permission(channel: dict[str, Any], kwargs: dict[str, Any]) -> int:
    perm = Perm.SEND_MESSAGES_IN_THREADS if channel["type"] in THREAD_TYPES else Perm.SEND_MESSAGES
    needed = int(perm)
    if kwargs.get("attachments"):
        needed |= Perm.ATTACH_FILES
    if kwargs.get("tts"):
        needed |= Perm.SEND_TTS_MESSAGES
    if kwargs.get("message_reference"):
        needed |= Perm.READ_MESSAGE_HISTORY
    return needed


def setup(api: RestAPI) -> None:
    @api.route("POST", "/channels/{channel_id}/messages", limit=(5, 5.0))
    async def create(ctx: Ctx) -> dict[str, Any]:
        cid = ctx.id("channel_id")
        channel = ctx.state.channel_or_404(cid)
        if channel["type"] in (4, 15, 16):
            raise DiscordAPIError(400, 50008, "Cannot send messages in a non-text channel")
        kwargs = message_kwargs(ctx, cid)
        ctx.state.require_perm(channel, ctx.bot_id, send_permission(channel, kwargs))
        if channel["type"] in THREAD_TYPES:
            # Validate first: a refused message must not unarchive the thread or join it.
            check_message_body(
                kwargs["content"],
                embeds=kwargs["embeds"],
                attachments=kwargs["attachments"],
                components=kwargs["components"],
                sticker_ids=kwargs["sticker_ids"],
            )
            channel_ops.prepare_thread_post(ctx.state, channel, ctx.bot_id)
        return ctx.state.create_message(cid, ctx.bot_id, **kwargs)

    @api.route("GET", "/channels/{channel_id}/messages")
    async def history(ctx: Ctx) -> list[dict[str, Any]]:
        cid = ctx.id("channel_id")
        channel = ctx.state.channel_or_404(cid)
        ctx.state.require_perm(channel, ctx.bot_id, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        limit = int(ctx.query.get("limit", 50))
        if not 1 <= limit <= 100:
            raise invalid_form("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100")
        msgs = list(ctx.state.messages.get(cid, {}).values())
        before, after, around = (ctx.query.get(k) for k in ("before", "after", "around"))
        if before:
            msgs = [m for m in msgs if int(m["id"]) < int(before)]
            return list(reversed(msgs[-limit:]))
        if after:
            msgs = [m for m in msgs if int(m["id"]) > int(after)]
            return list(reversed(msgs[:limit]))
        if around:
            ids = [int(m["id"]) for m in msgs]
            pivot = next((i for i, v in enumerate(ids) if v >= int(around)), len(ids))
            lo = max(0, pivot - limit // 2)
            return list(reversed(msgs[lo : lo + limit]))
        return list(reversed(msgs[-limit:]))

    @api.route("GET", "/channels/{channel_id}/messages/{message_id}")
    async def get_one(ctx: Ctx) -> dict[str, Any]:
        cid = ctx.id("channel_id")
        channel = ctx.state.channel_or_404(cid)
        ctx.state.require_perm(channel, ctx.bot_id, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        return ctx.state.message_or_404(cid, ctx.id("message_id"))

    @api.route("PATCH", "/channels/{channel_id}/messages/{message_id}")
    async def edit(ctx: Ctx) -> dict[str, Any]:
        cid, mid = ctx.id("channel_id"), ctx.id("message_id")
        msg = ctx.state.message_or_404(cid, mid)
        body = ctx.json()
        if msg["author"]["id"] != str(ctx.bot_id):
            if set(body) - {"flags"}:
                raise DiscordAPIError(403, 50005, "Cannot edit a message authored by another user")
            ctx.state.require_perm(ctx.state.channel_or_404(cid), ctx.bot_id, Perm.MANAGE_MESSAGES)
        return ctx.state.edit_message(cid, mid, edit_changes(ctx, cid, msg))

    @api.route("DELETE", "/channels/{channel_id}/messages/{message_id}")
    async def delete(ctx: Ctx) -> Any:
        cid, mid = ctx.id("channel_id"), ctx.id("message_id")
        msg = ctx.state.message_or_404(cid, mid)
        if msg["author"]["id"] != str(ctx.bot_id):
            ctx.state.require_perm(ctx.state.channel_or_404(cid), ctx.bot_id, Perm.MANAGE_MESSAGES)
        ctx.state.delete_message(cid, mid)
        return NO_CONTENT

    @api.route("POST", "/channels/{channel_id}/messages/bulk-delete")
    async def bulk(ctx: Ctx) -> Any:
        cid = ctx.id("channel_id")
        ctx.state.require_perm(ctx.state.channel_or_404(cid), ctx.bot_id, Perm.MANAGE_MESSAGES)
        ids = ctx.json().get("messages")
        if not isinstance(ids, list):
            raise invalid_form("messages", "BASE_TYPE_REQUIRED", "This field is required")
        ctx.state.bulk_delete(cid, [int(i) for i in ids])
        return NO_CONTENT

    reaction = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}"

    @api.route("PUT", reaction + "/@me", limit=(1, 0.25))
    async def react(ctx: Ctx) -> Any:
        cid, mid = ctx.id("channel_id"), ctx.id("message_id")
        channel = ctx.state.channel_or_404(cid)
        ctx.state.require_perm(channel, ctx.bot_id, Perm.READ_MESSAGE_HISTORY)
        emoji = _emoji(ctx)
        if not ctx.state.reactors(cid, mid, emoji):
            ctx.state.require_perm(channel, ctx.bot_id, Perm.ADD_REACTIONS)
        ctx.state.add_reaction(cid, mid, ctx.bot_id, emoji)
        return NO_CONTENT

    @api.route("DELETE", reaction + "/@me", limit=(1, 0.25))
    async def unreact(ctx: Ctx) -> Any:
        ctx.state.remove_reaction(
            ctx.id("channel_id"), ctx.id("message_id"), ctx.bot_id, _emoji(ctx)
        )
        return NO_CONTENT

    @api.route("DELETE", reaction + "/{user_id}", limit=(1, 0.25))
    async def remove_other(ctx: Ctx) -> Any:
        cid = ctx.id("channel_id")
        ctx.state.require_perm(ctx.state.channel_or_404(cid), ctx.bot_id, Perm.MANAGE_MESSAGES)
        ctx.state.remove_reaction(cid, ctx.id("message_id"), ctx.id("user_id"), _emoji(ctx))
        return NO_CONTENT

    @api.route("GET", reaction)
    async def reactors(ctx: Ctx) -> list[dict[str, Any]]:
        ids = ctx.state.reactors(ctx.id("channel_id"), ctx.id("message_id"), _emoji(ctx))
        after = int(ctx.query.get("after", 0))
        limit = int(ctx.query.get("limit", 25))
        return [payloads.public_user(ctx.state.users[u]) for u in sorted(ids) if u > after][:limit]

    @api.route("DELETE", reaction)
    async def clear_emoji(ctx: Ctx) -> Any:
        cid = ctx.id("channel_id")
        ctx.state.require_perm(ctx.state.channel_or_404(cid), ctx.bot_id, Perm.MANAGE_MESSAGES)
        ctx.state.clear_reactions(cid, ctx.id("message_id"), _emoji(ctx))
        return NO_CONTENT

    @api.route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions")
    async def clear_all(ctx: Ctx) -> Any:
        cid = ctx.id("channel_id")
        ctx.state.require_perm(ctx.state.channel_or_404(cid), ctx.bot_id, Perm.MANAGE_MESSAGES)
        ctx.state.clear_reactions(cid, ctx.id("message_id"))
        return NO_CONTENT

    async def pin(ctx: Ctx, pinned: bool) -> Any:
        cid = ctx.id("channel_id")
        ctx.state.require_perm(ctx.state.channel_or_404(cid), ctx.bot_id, Perm.MANAGE_MESSAGES)
        ctx.state.set_pinned(cid, ctx.id("message_id"), pinned)
        return NO_CONTENT

    for prefix in (
        "/channels/{channel_id}/pins/{message_id}",
        "/channels/{channel_id}/messages/pins/{message_id}",
    ):
        api.route("PUT", prefix)(lambda ctx: pin(ctx, True))
        api.route("DELETE", prefix)(lambda ctx: pin(ctx, False))

    def pinned(ctx: Ctx) -> list[tuple[str, dict[str, Any]]]:
        """``(pinned_at, message)`` of the channel's pins, the newest pin first."""
        cid = ctx.id("channel_id")
        channel = ctx.state.channel_or_404(cid)
        ctx.state.require_perm(channel, ctx.bot_id, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        store: Mapping[int, dict[str, Any]] = ctx.state.messages.get(cid) or {}
        pins = ctx.state.pins.get(cid, {})
        return [(at, store[m]) for m, at in reversed(pins.items()) if m in store]

    @api.route("GET", "/channels/{channel_id}/pins")
    async def pins(ctx: Ctx) -> list[dict[str, Any]]:
        return [msg for _, msg in pinned(ctx)]

    @api.route("GET", "/channels/{channel_id}/messages/pins")
    async def pins_v2(ctx: Ctx) -> dict[str, Any]:
        limit = ctx.query.get("limit", "50")
        if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= 50:
            raise invalid_form("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 50")
        items = pinned(ctx)
        before = ctx.query.get("before")
        if before:
            try:
                cutoff = datetime.fromisoformat(before)
            except ValueError:
                raise invalid_form("before", "DATE_TYPE_PARSE", "Could not parse date") from None
            if cutoff.tzinfo is None:
                cutoff = cutoff.replace(tzinfo=UTC)
            items = [(at, m) for at, m in items if datetime.fromisoformat(at) < cutoff]
        page = items[: int(limit)]
        return {
            "items": [{"pinned_at": at, "message": msg} for at, msg in page],
            "has_more": len(items) > len(page),
        }

    @api.route("POST", "/channels/{channel_id}/typing")
    async def typing(ctx: Ctx) -> Any:
        cid = ctx.id("channel_id")
        channel = ctx.state.channel_or_404(cid)
        ctx.state.require_perm(channel, ctx.bot_id, Perm.SEND_MESSAGES)
        ctx.state.typing(cid, ctx.bot_id)
        return NO_CONTENT

    @api.route("GET", "/attachments/{channel_id}/{attachment_id}/{filename}", auth=False)
    async def download(ctx: Ctx) -> web.StreamResponse:
        entry = ctx.state.attachments.get(ctx.id("attachment_id"))
        if entry is None:
            raise unknown("message")
        _, ctype, data = entry
        return web.Response(body=data, content_type=ctype or "application/octet-stream")


def edit_changes(ctx: Ctx, channel_id: int, current: dict[str, Any]) -> dict[str, Any]:
    """Validate an edit body (content/embeds/components/attachments kept or replaced)."""
    body = ctx.json()
    changes: dict[str, Any] = {}
    if "content" in body:
        changes["content"] = body["content"] or ""
    if "embeds" in body:
        for i, embed in enumerate(body["embeds"] or []):
            _check_embed(i, embed)
        changes["embeds"] = [_normal_embed(e) for e in body["embeds"] or []]
    if "components" in body:
        changes["components"] = body["components"] or []
    if "flags" in body and body["flags"] is not None:
        changes["flags"] = int(body["flags"])
    if body.get("allowed_mentions") is not None:
        changes["allowed_mentions"] = body["allowed_mentions"]
    if "attachments" in body or ctx.files:
        keep_ids = {str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, dict)}
        kept = [a for a in current.get("attachments", []) if a["id"] in keep_ids]
        new = build_attachments(ctx, channel_id, body, ctx.files)
        changes["attachments"] = kept + new
    return changes


def _emoji(ctx: Ctx) -> dict[str, Any]:
    text = urllib.parse.unquote(ctx.params["emoji"])
    emoji = ctx.state.parse_emoji(text)
    if emoji["id"] is not None:
        known = any(int(emoji["id"]) in g.emojis for g in ctx.state.guilds.values())
        if not known:
            raise DiscordAPIError(400, 10014, "Unknown Emoji")
    return emoji


__all__ = ["edit_changes", "message_kwargs", "send_permission", "setup"]
