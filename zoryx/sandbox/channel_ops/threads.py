"""Threads: creation (plain, from a message, forum posts), edits, members, deletion.

Thread events only reach bots that can see the thread: its parent channel, and for private
threads membership or ``MANAGE_THREADS``, as on Discord.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import payloads
from ..constants import THREAD_TYPES, Perm
from ..errors import DiscordAPIError
from ..permissions import channel_permissions
from .base import (
    CHANNEL_PINNED,
    FORUM_TYPES,
    MAX_ACTIVE_THREADS,
    MESSAGE_HAS_THREAD,
    THREAD_MEMBER_COUNT_CAP,
    channel_guild,
    channel_store,
    drop_channel,
    guild_bots,
)

if TYPE_CHECKING:
    from ..state import GuildState, SandboxState


def thread_members(state: SandboxState, thread_id: int) -> dict[int, dict[str, Any]]:
    """Thread member records (``id, user_id, join_timestamp, flags``) by user id."""
    return channel_store(state).thread_members.get(thread_id, {})


def can_view_thread(
    state: SandboxState, guild: GuildState, thread: dict[str, Any], user_id: int
) -> bool:
    """Parent visible, and for private threads membership or ``MANAGE_THREADS``.

    The rule itself lives in :func:`~..permissions.channel_permissions` (threads are
    channels to it), so REST checks, events and this helper always agree.
    """
    return bool(channel_permissions(guild, thread, user_id) & Perm.VIEW_CHANNEL)


def thread_view(state: SandboxState, thread: dict[str, Any], user_id: int) -> dict[str, Any]:
    """The thread as ``user_id`` gets it from REST (with its own thread member, if any)."""
    out = dict(thread)
    member = thread_members(state, int(thread["id"])).get(user_id)
    if member is not None:
        out["member"] = dict(member)
    return out


def _dispatch_thread_event(
    state: SandboxState,
    guild: GuildState,
    name: str,
    data: dict[str, Any],
    thread: dict[str, Any],
    also: Iterable[int] = (),
) -> None:
    viewers = {b for b in guild_bots(state, guild) if can_view_thread(state, guild, thread, b)}
    viewers.update(also)
    state.dispatch(name, data, guild_id=guild.id, user_ids=viewers)


def active_thread_count(guild: GuildState) -> int:
    return sum(
        1
        for c in guild.channels.values()
        if c["type"] in THREAD_TYPES and not c["thread_metadata"]["archived"]
    )


def create_thread(
    state: SandboxState,
    parent: dict[str, Any],
    owner_id: int,
    name: str,
    thread_type: int,
    *,
    auto_archive_duration: int = 1440,
    rate_limit_per_user: int = 0,
    invitable: bool = True,
    thread_id: int | None = None,
    applied_tags: list[str] | None = None,
    owner_joins: bool = True,
    dispatch: bool = True,
) -> dict[str, Any]:
    """Create a thread under ``parent`` with its owner as first member.

    Fires THREAD_CREATE (``newly_created``) then THREAD_MEMBERS_UPDATE for the owner.
    ``dispatch=False`` stores it silently (call :func:`announce_thread` later).
    ``owner_joins=False`` is for owners that cannot be members (webhooks).
    """
    guild = channel_guild(state, parent)
    if active_thread_count(guild) >= MAX_ACTIVE_THREADS:
        raise DiscordAPIError(400, 160006, "Maximum number of active threads reached")
    tid = thread_id or state.ids.next()
    now = payloads.iso()
    meta: dict[str, Any] = {
        "archived": False,
        "auto_archive_duration": auto_archive_duration,
        "archive_timestamp": now,
        "locked": False,
        "create_timestamp": now,
    }
    if thread_type == 12:
        meta["invitable"] = invitable
    thread: dict[str, Any] = {
        "id": str(tid),
        "type": thread_type,
        "guild_id": str(guild.id),
        "parent_id": parent["id"],
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "last_pin_timestamp": None,
        "rate_limit_per_user": rate_limit_per_user,
        "flags": 0,
        "message_count": 0,
        "member_count": 0,
        "total_message_sent": 0,
        "thread_metadata": meta,
    }
    if parent["type"] in FORUM_TYPES:
        thread["applied_tags"] = list(applied_tags or [])
    guild.channels[tid] = thread
    state.channel_guild[tid] = guild.id
    state.messages[tid] = OrderedDict()
    if owner_joins:
        _record_member(state, thread, owner_id)
    if dispatch:
        announce_thread(state, thread)
    return thread


def announce_thread(state: SandboxState, thread: dict[str, Any]) -> None:
    """Send THREAD_CREATE for a new thread and THREAD_MEMBERS_UPDATE for its owner."""
    guild = channel_guild(state, thread)
    _dispatch_thread_event(state, guild, "THREAD_CREATE", {**thread, "newly_created": True}, thread)
    owner = int(thread["owner_id"])
    if owner in thread_members(state, int(thread["id"])):
        _members_update(state, guild, thread, added=[owner])


def _record_member(state: SandboxState, thread: dict[str, Any], user_id: int) -> dict[str, Any]:
    members = channel_store(state).thread_members.setdefault(int(thread["id"]), {})
    record = {
        "id": thread["id"],
        "user_id": str(user_id),
        "join_timestamp": payloads.iso(),
        "flags": 0,
    }
    members[user_id] = record
    thread["member_count"] = min(len(members), THREAD_MEMBER_COUNT_CAP)
    return record


def _members_update(
    state: SandboxState,
    guild: GuildState,
    thread: dict[str, Any],
    *,
    added: Iterable[int] = (),
    removed: Iterable[int] = (),
    also: Iterable[int] = (),
) -> None:
    members = thread_members(state, int(thread["id"]))
    data: dict[str, Any] = {
        "id": thread["id"],
        "guild_id": str(guild.id),
        "member_count": thread["member_count"],
    }
    added_payloads = []
    for uid in added:
        entry = dict(members[uid])
        if uid in guild.members:
            entry["member"] = state.member_payload(guild, uid)
        entry["presence"] = guild.presences.get(uid)
        added_payloads.append(entry)
    if added_payloads:
        data["added_members"] = added_payloads
    gone = [str(uid) for uid in removed]
    if gone:
        data["removed_member_ids"] = gone
    _dispatch_thread_event(state, guild, "THREAD_MEMBERS_UPDATE", data, thread, also)


def add_thread_member(state: SandboxState, thread: dict[str, Any], user_id: int) -> bool:
    """Add a member (THREAD_CREATE to a joining bot, then THREAD_MEMBERS_UPDATE).

    Returns ``False`` when the user already was a member (no events, like Discord).
    """
    guild = channel_guild(state, thread)
    if user_id in thread_members(state, int(thread["id"])):
        return False
    _record_member(state, thread, user_id)
    if user_id in state.apps_by_bot:
        state.dispatch(
            "THREAD_CREATE",
            thread_view(state, thread, user_id),
            guild_id=guild.id,
            user_ids=[user_id],
        )
    _members_update(state, guild, thread, added=[user_id])
    return True


def remove_thread_member(state: SandboxState, thread: dict[str, Any], user_id: int) -> bool:
    """Remove a member (THREAD_MEMBERS_UPDATE, also sent to the removed bot)."""
    guild = channel_guild(state, thread)
    members = channel_store(state).thread_members.get(int(thread["id"]), {})
    if members.pop(user_id, None) is None:
        return False
    thread["member_count"] = min(len(members), THREAD_MEMBER_COUNT_CAP)
    also = [user_id] if user_id in state.apps_by_bot else []
    _members_update(state, guild, thread, removed=[user_id], also=also)
    return True


def update_thread(
    state: SandboxState, thread: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply validated thread changes (THREAD_UPDATE; THREAD_MEMBER_UPDATE on unarchive)."""
    guild = channel_guild(state, thread)
    meta = thread["thread_metadata"]
    was_archived = bool(meta["archived"])
    for key in ("name", "rate_limit_per_user", "flags", "applied_tags"):
        if key in changes:
            thread[key] = changes[key]
    for key in ("archived", "locked", "invitable", "auto_archive_duration"):
        if key in changes:
            meta[key] = changes[key]
    if bool(meta["archived"]) != was_archived or "auto_archive_duration" in changes:
        meta["archive_timestamp"] = payloads.iso()
    if meta["archived"] and not was_archived:
        thread["flags"] = int(thread.get("flags") or 0) & ~CHANNEL_PINNED
    _dispatch_thread_event(state, guild, "THREAD_UPDATE", thread, thread)
    if was_archived and not meta["archived"]:
        for uid, record in thread_members(state, int(thread["id"])).items():
            if uid in state.apps_by_bot:
                state.dispatch(
                    "THREAD_MEMBER_UPDATE",
                    {**record, "guild_id": str(guild.id)},
                    guild_id=guild.id,
                    user_ids=[uid],
                )
    return thread


def delete_thread(state: SandboxState, thread: dict[str, Any]) -> dict[str, Any]:
    """Delete a thread (THREAD_DELETE to those who could see it)."""
    guild = channel_guild(state, thread)
    viewers = {b for b in guild_bots(state, guild) if can_view_thread(state, guild, thread, b)}
    tid = int(thread["id"])
    drop_channel(state, guild, tid)
    channel_store(state).thread_members.pop(tid, None)
    data = {
        "id": thread["id"],
        "guild_id": str(guild.id),
        "parent_id": thread["parent_id"],
        "type": thread["type"],
    }
    state.dispatch("THREAD_DELETE", data, guild_id=guild.id, user_ids=viewers)
    return thread


def start_thread_from_message(
    state: SandboxState,
    channel: dict[str, Any],
    message: dict[str, Any],
    owner_id: int,
    name: str,
    *,
    auto_archive_duration: int,
    rate_limit_per_user: int,
) -> dict[str, Any]:
    """A public (or announcement) thread sharing the message's id (MESSAGE_UPDATE too)."""
    guild = channel_guild(state, channel)
    mid = int(message["id"])
    if message.get("thread") is not None or mid in guild.channels:
        raise DiscordAPIError(400, 160004, "A thread has already been created for this message")
    thread_type = 10 if channel["type"] == 5 else 11
    thread = create_thread(
        state,
        channel,
        owner_id,
        name,
        thread_type,
        auto_archive_duration=auto_archive_duration,
        rate_limit_per_user=rate_limit_per_user,
        thread_id=mid,
    )
    message["thread"] = dict(thread)
    message["flags"] = int(message.get("flags") or 0) | MESSAGE_HAS_THREAD
    state.dispatch_message("MESSAGE_UPDATE", message, channel)
    return thread


def start_forum_post(
    state: SandboxState,
    forum: dict[str, Any],
    owner_id: int,
    name: str,
    message_kwargs: dict[str, Any],
    *,
    auto_archive_duration: int,
    rate_limit_per_user: int,
    applied_tags: list[str],
    owner_joins: bool = True,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A forum/media post: the thread plus its starter message, which shares the thread id.

    Fires THREAD_CREATE, THREAD_MEMBERS_UPDATE, then MESSAGE_CREATE. The starter message
    does not count in ``message_count``/``total_message_sent``. A webhook's post
    (``owner_joins=False``) has no thread member.
    """
    guild = channel_guild(state, forum)
    thread = create_thread(
        state,
        forum,
        owner_id,
        name,
        11,
        auto_archive_duration=auto_archive_duration,
        rate_limit_per_user=rate_limit_per_user,
        applied_tags=applied_tags,
        owner_joins=owner_joins,
        dispatch=False,
    )
    tid = int(thread["id"])
    try:
        message = state.create_message(tid, owner_id, dispatch=False, **message_kwargs)
    except Exception:
        drop_channel(state, guild, tid)
        channel_store(state).thread_members.pop(tid, None)
        raise
    store = state.messages[tid]
    store.pop(int(message["id"]), None)
    message["id"] = thread["id"]
    store[tid] = message
    thread.update(last_message_id=thread["id"], message_count=0, total_message_sent=0)
    forum["last_message_id"] = thread["id"]
    announce_thread(state, thread)
    state.dispatch_message("MESSAGE_CREATE", message, thread)
    return thread, message


def prepare_thread_post(state: SandboxState, thread: dict[str, Any], user_id: int) -> None:
    """Discord's rules for posting in a thread, for the message routes and the driver.

    Locked threads need ``MANAGE_THREADS`` (160005, or 50083 when also archived); an
    archived, unlocked thread is unarchived by the post; the author joins the thread.
    """
    guild = channel_guild(state, thread)
    meta = thread["thread_metadata"]
    manage = bool(channel_permissions(guild, thread, user_id) & Perm.MANAGE_THREADS)
    if meta.get("locked") and not manage:
        if meta.get("archived"):
            raise DiscordAPIError(400, 50083, "Thread is archived")
        raise DiscordAPIError(400, 160005, "Thread is locked")
    if meta.get("archived"):
        update_thread(state, thread, {"archived": False})
    add_thread_member(state, thread, user_id)
