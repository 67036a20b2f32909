"""Guild member routes (fetch, list, search, edit, roles, kick), bans, voice states, audit log
and invites."""

from __future__ import annotations

import datetime as _dt
import urllib.parse
from typing import Any

from .. import assets
from .. import guild_ops as ops
from ..constants import VOICE_TYPES, Perm
from ..errors import DiscordAPIError, invalid_form, missing_access, missing_permissions, unknown
from ..permissions import can_act_on_member
from ..state import GuildState
from .base import NO_CONTENT, Ctx, RestAPI
from .bodies import IMAGE_BODY_LIMIT

MAX_TIMEOUT = _dt.timedelta(days=28)
MAX_DELETE_SECONDS = 604_800
_MEMBERS_INTENT = 1 << 1


def audit_reason(ctx: Ctx) -> str | None:
    """The ``X-Audit-Log-Reason`` header, URL-decoded as Discord does."""
    raw = ctx.request.headers.get("X-Audit-Log-Reason")
    return urllib.parse.unquote(raw) if raw else None


def _guild(ctx: Ctx) -> GuildState:
    return ops.member_guild(ctx.state, ctx.id("guild_id"), ctx.bot_id)


def _member_out(ctx: Ctx, guild: GuildState, user_id: int) -> dict[str, Any]:
    return ctx.state.member_payload(guild, user_id)


def _limit(ctx: Ctx, default: int, hi: int) -> int:
    raw = ctx.query.get("limit")
    return default if raw is None else ops.integer(raw, "limit", 1, hi)


def setup(api: RestAPI) -> None:
    _member_routes(api)
    _ban_routes(api)
    _misc_routes(api)


# -- members -----------------------------------------------------------------------------------
def _member_routes(api: RestAPI) -> None:
    base = "/guilds/{guild_id}/members"

    @api.route("GET", base)
    async def list_members(ctx: Ctx) -> list[dict[str, Any]]:
        guild = _guild(ctx)
        if ctx.app is None or not ctx.app.privileged_granted & _MEMBERS_INTENT:
            raise missing_access()
        limit = _limit(ctx, 1, 1000)
        after = ops.snowflake(ctx.query.get("after", 0), "after")
        ids = sorted(uid for uid in guild.members if uid > after)[:limit]
        return [_member_out(ctx, guild, uid) for uid in ids]

    @api.route("GET", base + "/search")
    async def search_members(ctx: Ctx) -> list[dict[str, Any]]:
        guild = _guild(ctx)
        query = ctx.query.get("query")
        if query is None:
            raise ops.need("query")
        needle = ops.text(query, "query", 1, 100).lower()
        limit = _limit(ctx, 1, 1000)
        out = []
        for uid in sorted(guild.members):
            user = ctx.state.users[uid]
            names = (user["username"], user.get("global_name"), guild.members[uid].get("nick"))
            if any(n and n.lower().startswith(needle) for n in names):
                out.append(_member_out(ctx, guild, uid))
                if len(out) >= limit:
                    break
        return out

    @api.route("PATCH", base + "/@me", body_limit=IMAGE_BODY_LIMIT)
    async def edit_me(ctx: Ctx) -> dict[str, Any]:
        guild = _guild(ctx)
        body = ctx.json()
        changes: dict[str, Any] = {}
        if "nick" in body:
            if not ops.has_perm(guild, ctx.bot_id, int(Perm.CHANGE_NICKNAME)):
                ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_NICKNAMES)
            changes["nick"] = _nick(body["nick"])
        for key in ("avatar", "banner"):
            if key in body:
                value = body[key]
                if value is not None:
                    kind, data = ops.decode_image(value, key)
                    value = assets.keep_image(ctx.state, data, animated=kind == "gif")
                guild.members[ctx.bot_id][key] = value
                changes[key] = value
        if not changes:
            return _member_out(ctx, guild, ctx.bot_id)
        return ctx.state.update_member(guild, ctx.bot_id, changes)

    @api.route("GET", base + "/{user_id}")
    async def get_member(ctx: Ctx) -> dict[str, Any]:
        guild = _guild(ctx)
        return _member_out(ctx, guild, ctx.id("user_id"))

    @api.route("PATCH", base + "/{user_id}")
    async def edit_member(ctx: Ctx) -> dict[str, Any]:
        guild = _guild(ctx)
        uid = ctx.id("user_id")
        if uid not in guild.members:
            raise unknown("member")
        changes, voice = _member_changes(ctx, guild, uid, ctx.json())
        if changes:
            ctx.state.update_member(guild, uid, changes)
        if "mute" in voice or "deaf" in voice:
            ops.set_voice_flags(
                ctx.state, guild, uid, mute=voice.get("mute"), deaf=voice.get("deaf")
            )
        if "channel_id" in voice:
            ops.move_voice(ctx.state, guild, uid, voice["channel_id"])
        return _member_out(ctx, guild, uid)

    @api.route("DELETE", base + "/{user_id}")
    async def kick(ctx: Ctx) -> Any:
        guild = _guild(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.KICK_MEMBERS)
        uid = ctx.id("user_id")
        if uid not in guild.members:
            raise unknown("member")
        ops.check_member_actionable(guild, ctx.bot_id, uid)
        ops.kick_member(ctx.state, guild, uid)
        return NO_CONTENT

    async def change_role(ctx: Ctx, add: bool) -> Any:
        guild = _guild(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_ROLES)
        uid = ctx.id("user_id")
        fields = guild.members.get(uid)
        if fields is None:
            raise unknown("member")
        rid = ctx.id("role_id")
        ops.role_or_404(guild, rid)
        current = {int(r) for r in fields["roles"]}
        wanted = current | {rid} if add else current - {rid}
        if rid == guild.id:
            raise ops.invalid_role()
        ops.check_role_assignment(guild, ctx.bot_id, current, wanted)
        if wanted != current:
            roles = [int(r) for r in fields["roles"] if int(r) in wanted]
            if add:
                roles.append(rid)
            ctx.state.update_member(guild, uid, {"roles": roles})
        return NO_CONTENT

    role_path = base + "/{user_id}/roles/{role_id}"
    api.route("PUT", role_path)(lambda ctx: change_role(ctx, True))
    api.route("DELETE", role_path)(lambda ctx: change_role(ctx, False))


def _nick(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return ops.text(value, "nick", 1, 32)


def _member_changes(
    ctx: Ctx, guild: GuildState, uid: int, body: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate a Modify Guild Member body: (member field changes, voice changes)."""
    actor = ctx.bot_id
    state = ctx.state
    fields = guild.members[uid]
    changes: dict[str, Any] = {}
    voice: dict[str, Any] = {}
    if "nick" in body:
        nick = _nick(body["nick"])
        if uid == actor and ops.has_perm(guild, actor, int(Perm.CHANGE_NICKNAME)):
            pass
        else:
            state.require_guild_perm(guild, actor, Perm.MANAGE_NICKNAMES)
            if uid != actor:
                ops.check_member_actionable(guild, actor, uid)
        changes["nick"] = nick
    if body.get("roles") is not None:
        wanted = [r for r in ops.snowflakes(body["roles"], "roles") if r != guild.id]
        for rid in wanted:
            ops.role_or_404(guild, rid)
        state.require_guild_perm(guild, actor, Perm.MANAGE_ROLES)
        ops.check_role_assignment(guild, actor, {int(r) for r in fields["roles"]}, set(wanted))
        changes["roles"] = wanted
    for key, perm in (("mute", Perm.MUTE_MEMBERS), ("deaf", Perm.DEAFEN_MEMBERS)):
        if body.get(key) is not None:
            value = ops.boolean(body[key], key)
            state.require_guild_perm(guild, actor, perm)
            changes[key] = voice[key] = value
    if "communication_disabled_until" in body:
        changes["communication_disabled_until"] = _timeout(ctx, guild, uid, body)
    if body.get("flags") is not None:
        flags = ops.integer(body["flags"], "flags", 0)
        allowed = ops.has_perm(guild, actor, int(Perm.MANAGE_GUILD)) or ops.has_perm(
            guild, actor, int(Perm.MANAGE_ROLES)
        )
        moderator = int(Perm.MODERATE_MEMBERS | Perm.KICK_MEMBERS | Perm.BAN_MEMBERS)
        if not (allowed or ops.has_perm(guild, actor, moderator)):
            raise missing_permissions()
        # Only BYPASSES_VERIFICATION (1 << 2) is writable; the other bits are Discord's.
        changes["flags"] = (int(fields.get("flags") or 0) & ~(1 << 2)) | (flags & (1 << 2))
    if "channel_id" in body:
        voice["channel_id"] = _voice_target(ctx, guild, uid, body["channel_id"])
    return changes, voice


def _timeout(ctx: Ctx, guild: GuildState, uid: int, body: dict[str, Any]) -> str | None:
    ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MODERATE_MEMBERS)
    value = body["communication_disabled_until"]
    if value is None:
        ops.check_member_actionable(guild, ctx.bot_id, uid)
        return None
    field = "communication_disabled_until"
    if not isinstance(value, str):
        raise invalid_form(field, "DATE_TIME_TYPE_PARSE", "Could not parse the timestamp.")
    try:
        until = _dt.datetime.fromisoformat(value)
    except ValueError:
        raise invalid_form(
            field, "DATE_TIME_TYPE_PARSE", "Could not parse the timestamp."
        ) from None
    if until.tzinfo is None:
        until = until.replace(tzinfo=_dt.UTC)
    if until - _dt.datetime.now(_dt.UTC) > MAX_TIMEOUT:
        raise invalid_form(
            field,
            "COMMUNICATION_DISABLED_UNTIL_TOO_LONG",
            "Timeouts may last no longer than 28 days.",
        )
    ops.check_timeout_target(guild, ctx.bot_id, uid)
    return until.astimezone(_dt.UTC).isoformat()


def _voice_target(ctx: Ctx, guild: GuildState, uid: int, value: Any) -> int | None:
    ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MOVE_MEMBERS)
    if uid not in guild.voice_states:
        raise DiscordAPIError(400, 40032, "Target user is not connected to voice.")
    if value is None:
        return None
    cid = ops.snowflake(value, "channel_id")
    channel = guild.channels.get(cid)
    if channel is None or channel["type"] not in VOICE_TYPES:
        raise invalid_form("channel_id", "CHANNEL_TYPE_INVALID", "Invalid channel type")
    ctx.state.require_perm(channel, ctx.bot_id, Perm.CONNECT)
    return cid


# -- bans --------------------------------------------------------------------------------------
def _delete_seconds(ctx: Ctx, body: dict[str, Any]) -> int:
    raw = body.get("delete_message_seconds", ctx.query.get("delete_message_seconds"))
    if raw is not None:
        return ops.integer(raw, "delete_message_seconds", 0, MAX_DELETE_SECONDS)
    days = body.get("delete_message_days", ctx.query.get("delete_message_days"))
    if days is not None:
        return ops.integer(days, "delete_message_days", 0, 7) * 86_400
    return 0


def _ban_routes(api: RestAPI) -> None:
    base = "/guilds/{guild_id}/bans"

    def ban_guild(ctx: Ctx) -> GuildState:
        guild = _guild(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.BAN_MEMBERS)
        return guild

    @api.route("GET", base)
    async def list_bans(ctx: Ctx) -> list[dict[str, Any]]:
        guild = ban_guild(ctx)
        limit = _limit(ctx, 1000, 1000)
        ids = sorted(guild.bans)
        if ctx.query.get("after") is not None:
            after = ops.snowflake(ctx.query["after"], "after")
            ids = [u for u in ids if u > after][:limit]
        elif ctx.query.get("before") is not None:
            before = ops.snowflake(ctx.query["before"], "before")
            ids = [u for u in ids if u < before][-limit:]
        else:
            ids = ids[:limit]
        return [guild.bans[u] for u in ids]

    @api.route("GET", base + "/{user_id}")
    async def get_ban(ctx: Ctx) -> dict[str, Any]:
        guild = ban_guild(ctx)
        entry = guild.bans.get(ctx.id("user_id"))
        if entry is None:
            raise unknown("ban")
        return entry

    @api.route("PUT", base + "/{user_id}")
    async def ban(ctx: Ctx) -> Any:
        guild = ban_guild(ctx)
        uid = ctx.id("user_id")
        ctx.state.user_or_404(uid)
        if uid in guild.members:
            ops.check_member_actionable(guild, ctx.bot_id, uid)
        seconds = _delete_seconds(ctx, ctx.json())
        ops.ban_user(
            ctx.state, guild, uid, reason=audit_reason(ctx), delete_message_seconds=seconds
        )
        return NO_CONTENT

    @api.route("DELETE", base + "/{user_id}")
    async def unban(ctx: Ctx) -> Any:
        guild = ban_guild(ctx)
        ops.unban_user(ctx.state, guild, ctx.id("user_id"))
        return NO_CONTENT

    @api.route("POST", "/guilds/{guild_id}/bulk-ban")
    async def bulk_ban(ctx: Ctx) -> dict[str, Any]:
        guild = ban_guild(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_GUILD)
        body = ctx.json()
        if body.get("user_ids") is None:
            raise ops.need("user_ids")
        ids = ops.snowflakes(body["user_ids"], "user_ids")
        if not 1 <= len(ids) <= 200:
            raise invalid_form(
                "user_ids", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 200 in length."
            )
        seconds = _delete_seconds(ctx, body)
        reason = audit_reason(ctx)
        banned: list[str] = []
        failed: list[str] = []
        for uid in ids:
            ok = (
                uid in ctx.state.users
                and uid not in guild.bans
                and (uid not in guild.members or can_act_on_member(guild, ctx.bot_id, uid))
            )
            if ok:
                ops.ban_user(ctx.state, guild, uid, reason=reason, delete_message_seconds=seconds)
                banned.append(str(uid))
            else:
                failed.append(str(uid))
        if not banned:
            raise DiscordAPIError(400, 500000, "Failed to ban users")
        return {"banned_users": banned, "failed_users": failed}


# -- voice states, audit log, invites ----------------------------------------------------------
def _misc_routes(api: RestAPI) -> None:
    def voice_state(ctx: Ctx, user_id: int) -> dict[str, Any]:
        guild = _guild(ctx)
        stored = guild.voice_states.get(user_id)
        if stored is None:
            raise ops.unknown_voice_state()
        out = dict(stored)
        out["member"] = ctx.state.member_payload(guild, user_id)
        return out

    @api.route("GET", "/guilds/{guild_id}/voice-states/@me")
    async def my_voice(ctx: Ctx) -> dict[str, Any]:
        return voice_state(ctx, ctx.bot_id)

    @api.route("GET", "/guilds/{guild_id}/voice-states/{user_id}")
    async def user_voice(ctx: Ctx) -> dict[str, Any]:
        return voice_state(ctx, ctx.id("user_id"))

    @api.route("GET", "/guilds/{guild_id}/audit-logs")
    async def audit_log(ctx: Ctx) -> dict[str, Any]:
        guild = _guild(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.VIEW_AUDIT_LOG)
        if ctx.query.get("limit") is not None:
            ops.integer(ctx.query["limit"], "limit", 1, 100)
        return {
            "application_commands": [],
            "audit_log_entries": [],
            "auto_moderation_rules": [],
            "guild_scheduled_events": [],
            "integrations": [],
            "threads": [],
            "users": [],
            "webhooks": [],
        }

    @api.route("GET", "/guilds/{guild_id}/invites")
    async def invites(ctx: Ctx) -> list[dict[str, Any]]:
        guild = _guild(ctx)
        ctx.state.require_guild_perm(guild, ctx.bot_id, Perm.MANAGE_GUILD)
        try:  # invites are kept by the channel operations module when it is present
            from .. import channel_ops
        except ImportError:
            return []
        records = channel_ops.live_invites(ctx.state, guild.id)
        return [channel_ops.invite_payload(ctx.state, r, metadata=True) for r in records]
