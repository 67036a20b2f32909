"""Threads: start (from a message, without one, forum/media posts), edit, members, listings.

Set up from :func:`.channels.setup`. Threads are stored in ``guild.channels`` with a
``parent_id`` and ``thread_metadata``; their membership lives in :mod:`..channel_ops`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import TYPE_CHECKING, Any

from .. import channel_ops as ops
from ..constants import THREAD_TYPES, Intent, Perm
from ..errors import DiscordAPIError, invalid_form, missing_access, missing_permissions, unknown
from ..permissions import channel_permissions
from .base import NO_CONTENT, Ctx, RestAPI
from .channels import (
    FORUM_TYPES,
    boolean,
    choice,
    guild_channel,
    integer,
    snowflake,
    text,
    wrong_channel_type,
)
from .messages import message_kwargs, send_permission

if TYPE_CHECKING:
    from ..state import GuildState

_THREADABLE = frozenset({0, 5})


def _archive_duration(body: dict[str, Any], parent: dict[str, Any]) -> int:
    value = body.get("auto_archive_duration")
    if value is None:
        return int(parent.get("default_auto_archive_duration") or 1440)
    return choice(value, "auto_archive_duration", ops.ARCHIVE_DURATIONS)


def _slowmode(body: dict[str, Any], default: int = 0) -> int:
    value = body.get("rate_limit_per_user")
    return default if value is None else integer(value, "rate_limit_per_user", 0, 21600)


def _thread(ctx: Ctx) -> tuple[GuildState, dict[str, Any]]:
    """The path's thread, if the bot can see it (50001) and it is a thread (50024)."""
    guild, channel = guild_channel(ctx)
    if channel["type"] not in THREAD_TYPES:
        ctx.state.require_perm(channel, ctx.bot_id, Perm.VIEW_CHANNEL)
        raise wrong_channel_type()
    if not ops.can_view_thread(ctx.state, guild, channel, ctx.bot_id):
        raise missing_access()
    return guild, channel


def _refuse_archived(thread: dict[str, Any]) -> None:
    if thread["thread_metadata"]["archived"]:
        raise DiscordAPIError(400, 50083, "Thread is archived")


def _applied_tags(
    guild: GuildState, forum: dict[str, Any], raw: Any, user_id: int, current: list[str]
) -> list[str]:
    if not isinstance(raw, list):
        raise invalid_form("applied_tags", "BASE_TYPE_ARRAY", "Must be an array.")
    if len(raw) > 5:
        raise invalid_form("applied_tags", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    tags = {t["id"]: t for t in forum.get("available_tags") or []}
    out: list[str] = []
    for i, value in enumerate(raw):
        tag_id = str(snowflake(value, f"applied_tags.{i}"))
        if tag_id not in tags:
            raise invalid_form(f"applied_tags.{i}", "TAG_INVALID", "Unknown tag")
        if tag_id not in out:
            out.append(tag_id)
    moderated = {t for t in set(out) ^ set(current) if tags.get(t, {}).get("moderated")}
    if moderated and not channel_permissions(guild, forum, user_id) & Perm.MANAGE_THREADS:
        raise missing_permissions()
    return out


# -- editing a thread (PATCH /channels/{id} on a thread) -------------------------------------
def modify_thread(ctx: Ctx, guild: GuildState, thread: dict[str, Any]) -> dict[str, Any]:
    """Validate and apply a thread PATCH with Discord's owner/``MANAGE_THREADS`` rules."""
    bot = ctx.bot_id
    if not ops.can_view_thread(ctx.state, guild, thread, bot):
        raise missing_access()
    perms = channel_permissions(guild, thread, bot)
    manage = bool(perms & Perm.MANAGE_THREADS)
    owner = thread["owner_id"] == str(bot)
    meta = thread["thread_metadata"]
    body = ctx.json()
    parent = guild.channels.get(int(thread["parent_id"])) or {}
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = text(body["name"], "name", 1, 100, required=True)
    for key in ("archived", "locked"):
        if key in body and body[key] is not None:
            changes[key] = boolean(body[key], key)
    if body.get("auto_archive_duration") is not None:
        changes["auto_archive_duration"] = _archive_duration(body, parent)
    if "invitable" in body and thread["type"] == 12:
        changes["invitable"] = boolean(body["invitable"], "invitable")
    if "rate_limit_per_user" in body:
        changes["rate_limit_per_user"] = _slowmode(body)
    if body.get("flags") is not None:
        flags = integer(body["flags"], "flags", 0, 1 << 30)
        if flags & ops.CHANNEL_PINNED and parent.get("type") not in FORUM_TYPES:
            raise invalid_form("flags", "CHANNEL_FLAGS_INVALID", "Invalid channel flags")
        changes["flags"] = flags & ops.CHANNEL_PINNED
    if "applied_tags" in body and parent.get("type") in FORUM_TYPES:
        changes["applied_tags"] = _applied_tags(
            guild, parent, body["applied_tags"] or [], bot, thread.get("applied_tags") or []
        )
    unarchiving = bool(meta["archived"]) and changes.get("archived") is False
    if meta["archived"] and not unarchiving:
        raise DiscordAPIError(400, 50083, "Thread is archived")
    if (meta["locked"] or changes.get("locked")) and not manage:
        raise missing_permissions()
    if unarchiving and not perms & (Perm.SEND_MESSAGES | Perm.SEND_MESSAGES_IN_THREADS):
        raise missing_permissions()
    owner_fields = {"name", "auto_archive_duration", "invitable", "applied_tags"}
    archiving = changes.get("archived") is True and not meta["archived"]
    if (owner_fields & changes.keys() or archiving) and not (manage or owner):
        raise missing_permissions()
    manager_fields = {"locked", "rate_limit_per_user"}
    pin_change = "flags" in changes and changes["flags"] != int(thread.get("flags") or 0)
    if (manager_fields & changes.keys() or pin_change) and not manage:
        raise missing_permissions()
    if changes:
        ops.update_thread(ctx.state, thread, changes)
    return ops.thread_view(ctx.state, thread, bot)


# -- listings --------------------------------------------------------------------------------
def _limit(ctx: Ctx) -> int:
    raw = ctx.query.get("limit")
    return 50 if raw is None else integer(raw, "limit", 1, 100)


def _before_time(raw: str | None) -> float | None:
    if raw is None:
        return None
    if raw.isascii() and raw.isdigit():
        return ((int(raw) >> 22) + 1_420_070_400_000) / 1000
    try:
        return _dt.datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid_form(
            "before", "DATE_TIME_TYPE_PARSE", f'Could not interpret "{raw}" as timestamp.'
        ) from None


def _page(ctx: Ctx, threads: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    page = threads[:limit]
    members = [
        dict(m)
        for t in page
        if (m := ops.thread_members(ctx.state, int(t["id"])).get(ctx.bot_id)) is not None
    ]
    return {"threads": page, "members": members, "has_more": len(threads) > limit}


def _member_out(
    ctx: Ctx, guild: GuildState, record: dict[str, Any], with_member: bool
) -> dict[str, Any]:
    out = dict(record)
    uid = int(record["user_id"])
    if with_member and uid in guild.members:
        out["member"] = ctx.state.member_payload(guild, uid)
    return out


def _archived(
    ctx: Ctx, *, private: bool, joined_only: bool = False
) -> tuple[GuildState, list[dict[str, Any]]]:
    guild, channel = guild_channel(ctx)
    if channel["type"] not in _THREADABLE | FORUM_TYPES:
        raise wrong_channel_type()
    needed = Perm.READ_MESSAGE_HISTORY
    if private and not joined_only:
        needed |= Perm.MANAGE_THREADS
    ctx.state.require_perm(channel, ctx.bot_id, needed)
    types = {12} if private else {10, 11}
    out = [
        t
        for t in guild.channels.values()
        if t["type"] in types
        and t.get("parent_id") == channel["id"]
        and t["thread_metadata"]["archived"]
        and (not joined_only or ctx.bot_id in ops.thread_members(ctx.state, int(t["id"])))
    ]
    return guild, out


def setup(api: RestAPI) -> None:
    """Register the thread routes."""

    @api.route("POST", "/channels/{channel_id}/messages/{message_id}/threads", limit=(10, 10.0))
    async def from_message(ctx: Ctx) -> dict[str, Any]:
        _, channel = guild_channel(ctx)
        if channel["type"] not in _THREADABLE:
            raise wrong_channel_type()
        ctx.state.require_perm(
            channel, ctx.bot_id, Perm.CREATE_PUBLIC_THREADS | Perm.READ_MESSAGE_HISTORY
        )
        message = ctx.state.message_or_404(int(channel["id"]), ctx.id("message_id"))
        body = ctx.json()
        thread = ops.start_thread_from_message(
            ctx.state,
            channel,
            message,
            ctx.bot_id,
            text(body.get("name"), "name", 1, 100, required=True),
            auto_archive_duration=_archive_duration(body, channel),
            rate_limit_per_user=_slowmode(body),
        )
        return ops.thread_view(ctx.state, thread, ctx.bot_id)

    @api.route("POST", "/channels/{channel_id}/threads", limit=(10, 10.0))
    async def start(ctx: Ctx) -> dict[str, Any]:
        guild, channel = guild_channel(ctx)
        if channel["type"] in FORUM_TYPES:
            return _forum_post(ctx, guild, channel)
        if channel["type"] not in _THREADABLE:
            raise wrong_channel_type()
        body = ctx.json()
        allowed = (11, 12) if channel["type"] == 0 else (10,)
        thread_type = choice(body.get("type", 12 if channel["type"] == 0 else 10), "type", allowed)
        needed = Perm.CREATE_PRIVATE_THREADS if thread_type == 12 else Perm.CREATE_PUBLIC_THREADS
        ctx.state.require_perm(channel, ctx.bot_id, needed)
        invitable = body.get("invitable")
        thread = ops.create_thread(
            ctx.state,
            channel,
            ctx.bot_id,
            text(body.get("name"), "name", 1, 100, required=True),
            thread_type,
            auto_archive_duration=_archive_duration(body, channel),
            rate_limit_per_user=_slowmode(body),
            invitable=True if invitable is None else boolean(invitable, "invitable"),
        )
        return ops.thread_view(ctx.state, thread, ctx.bot_id)

    def _forum_post(ctx: Ctx, guild: GuildState, forum: dict[str, Any]) -> dict[str, Any]:
        ctx.state.require_perm(forum, ctx.bot_id, Perm.SEND_MESSAGES)
        body = ctx.json()
        name = text(body.get("name"), "name", 1, 100, required=True)
        raw_message = body.get("message")
        if not isinstance(raw_message, dict):
            raise invalid_form("message", "BASE_TYPE_REQUIRED", "This field is required")
        tags = _applied_tags(guild, forum, body.get("applied_tags") or [], ctx.bot_id, [])
        if int(forum.get("flags") or 0) & (1 << 4) and not tags:
            raise DiscordAPIError(
                400, 40067, "A tag is required to create a forum post in this channel"
            )
        kwargs = message_kwargs(dataclasses.replace(ctx, body=raw_message), int(forum["id"]))
        needed = send_permission(forum, kwargs) & ~Perm.READ_MESSAGE_HISTORY
        ctx.state.require_perm(forum, ctx.bot_id, needed)
        kwargs.pop("message_reference", None)
        thread, message = ops.start_forum_post(
            ctx.state,
            forum,
            ctx.bot_id,
            name,
            kwargs,
            auto_archive_duration=_archive_duration(body, forum),
            rate_limit_per_user=_slowmode(
                body, int(forum.get("default_thread_rate_limit_per_user") or 0)
            ),
            applied_tags=tags,
        )
        out = ops.thread_view(ctx.state, thread, ctx.bot_id)
        out["message"] = message
        return out

    me = "/channels/{channel_id}/thread-members/@me"
    member = "/channels/{channel_id}/thread-members/{user_id}"

    @api.route("PUT", me)
    async def join(ctx: Ctx) -> Any:
        _, thread = _thread(ctx)
        _refuse_archived(thread)
        ops.add_thread_member(ctx.state, thread, ctx.bot_id)
        return NO_CONTENT

    @api.route("DELETE", me)
    async def leave(ctx: Ctx) -> Any:
        _, thread = _thread(ctx)
        _refuse_archived(thread)
        ops.remove_thread_member(ctx.state, thread, ctx.bot_id)
        return NO_CONTENT

    @api.route("PUT", member)
    async def add_member(ctx: Ctx) -> Any:
        guild, thread = _thread(ctx)
        _refuse_archived(thread)
        perms = channel_permissions(guild, thread, ctx.bot_id)
        if not perms & Perm.SEND_MESSAGES_IN_THREADS:
            raise missing_permissions()
        invitable = thread["thread_metadata"].get("invitable", True)
        if thread["type"] == 12 and not invitable and not perms & Perm.MANAGE_THREADS:
            raise missing_permissions()
        uid = ctx.id("user_id")
        ctx.state.user_or_404(uid)
        if uid not in guild.members:
            raise unknown("member")
        ops.add_thread_member(ctx.state, thread, uid)
        return NO_CONTENT

    @api.route("DELETE", member)
    async def remove_member(ctx: Ctx) -> Any:
        guild, thread = _thread(ctx)
        _refuse_archived(thread)
        manage = channel_permissions(guild, thread, ctx.bot_id) & Perm.MANAGE_THREADS
        own_private = thread["type"] == 12 and thread["owner_id"] == str(ctx.bot_id)
        if not (manage or own_private):
            raise missing_permissions()
        ops.remove_thread_member(ctx.state, thread, ctx.id("user_id"))
        return NO_CONTENT

    @api.route("GET", member)
    async def get_member(ctx: Ctx) -> dict[str, Any]:
        guild, thread = _thread(ctx)
        uid = ctx.id("user_id")
        record = ops.thread_members(ctx.state, int(thread["id"])).get(uid)
        if record is None:
            raise unknown("member")
        with_member = ctx.query.get("with_member", "").lower() in ("1", "true")
        return _member_out(ctx, guild, record, with_member)

    @api.route("GET", "/channels/{channel_id}/thread-members")
    async def list_members(ctx: Ctx) -> list[dict[str, Any]]:
        guild, thread = _thread(ctx)
        if ctx.app is None or not ctx.app.privileged_granted & Intent.GUILD_MEMBERS:
            raise missing_access()
        records = sorted(
            ops.thread_members(ctx.state, int(thread["id"])).values(),
            key=lambda r: int(r["user_id"]),
        )
        if ctx.query.get("with_member", "").lower() not in ("1", "true"):
            return [dict(r) for r in records]
        after = int(ctx.query.get("after") or 0)
        limit = integer(ctx.query.get("limit", 100), "limit", 1, 100)
        page = [r for r in records if int(r["user_id"]) > after][:limit]
        return [_member_out(ctx, guild, r, True) for r in page]

    @api.route("GET", "/guilds/{guild_id}/threads/active")
    async def active(ctx: Ctx) -> dict[str, Any]:
        guild = ctx.state.guild_or_404(ctx.id("guild_id"))
        if ctx.bot_id not in guild.members:
            raise missing_access()
        threads = [
            t
            for t in guild.channels.values()
            if t["type"] in THREAD_TYPES
            and not t["thread_metadata"]["archived"]
            and ops.can_view_thread(ctx.state, guild, t, ctx.bot_id)
        ]
        page = _page(ctx, threads, len(threads))
        return {"threads": page["threads"], "members": page["members"]}

    def _by_archive_time(ctx: Ctx, threads: list[dict[str, Any]]) -> dict[str, Any]:
        before = _before_time(ctx.query.get("before"))
        limit = _limit(ctx)
        stamped = [(ops.parse_iso(t["thread_metadata"]["archive_timestamp"]), t) for t in threads]
        stamped = [(s, t) for s, t in stamped if before is None or s < before]
        stamped.sort(key=lambda st: (st[0], int(st[1]["id"])), reverse=True)
        return _page(ctx, [t for _, t in stamped], limit)

    @api.route("GET", "/channels/{channel_id}/threads/archived/public")
    async def archived_public(ctx: Ctx) -> dict[str, Any]:
        _, threads = _archived(ctx, private=False)
        return _by_archive_time(ctx, threads)

    @api.route("GET", "/channels/{channel_id}/threads/archived/private")
    async def archived_private(ctx: Ctx) -> dict[str, Any]:
        _, threads = _archived(ctx, private=True)
        return _by_archive_time(ctx, threads)

    @api.route("GET", "/channels/{channel_id}/users/@me/threads/archived/private")
    async def archived_joined(ctx: Ctx) -> dict[str, Any]:
        _, threads = _archived(ctx, private=True, joined_only=True)
        raw = ctx.query.get("before")
        before = snowflake(raw, "before") if raw is not None else None
        kept = [t for t in threads if before is None or int(t["id"]) < before]
        kept.sort(key=lambda t: int(t["id"]), reverse=True)
        return _page(ctx, kept, _limit(ctx))
