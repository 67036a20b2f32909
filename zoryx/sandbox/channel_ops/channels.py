"""Plain guild channels: field edits, permission overwrites, deletion."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..constants import THREAD_TYPES, Perm
from ..permissions import channel_permissions
from .base import channel_guild, channel_store, drop_channel, guild_bots
from .threads import can_view_thread, delete_thread, thread_members

if TYPE_CHECKING:
    from ..state import GuildState, SandboxState


def _viewing_bots(state: SandboxState, guild: GuildState, channel: dict[str, Any]) -> set[int]:
    return {
        bot
        for bot in guild_bots(state, guild)
        if channel_permissions(guild, channel, bot) & Perm.VIEW_CHANNEL
    }


def _channel_changed(
    state: SandboxState, guild: GuildState, channel: dict[str, Any], viewers_before: set[int]
) -> None:
    """CHANNEL_UPDATE, plus THREAD_LIST_SYNC for bots that can now see the channel."""
    state.dispatch("CHANNEL_UPDATE", channel, guild_id=guild.id)
    gained = _viewing_bots(state, guild, channel) - viewers_before
    if not gained:
        return
    threads = [
        t
        for t in guild.channels.values()
        if t["type"] in THREAD_TYPES
        and t.get("parent_id") == channel["id"]
        and not t["thread_metadata"]["archived"]
    ]
    for bot in gained:
        visible = [t for t in threads if can_view_thread(state, guild, t, bot)]
        members = [
            dict(m)
            for t in visible
            if (m := thread_members(state, int(t["id"])).get(bot)) is not None
        ]
        data = {
            "guild_id": str(guild.id),
            "channel_ids": [channel["id"]],
            "threads": visible,
            "members": members,
        }
        state.dispatch("THREAD_LIST_SYNC", data, guild_id=guild.id, user_ids=[bot])


def modify_channel(
    state: SandboxState, channel: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply already-validated field changes to a guild channel (CHANNEL_UPDATE)."""
    guild = channel_guild(state, channel)
    before = _viewing_bots(state, guild, channel)
    channel.update(changes)
    _channel_changed(state, guild, channel, before)
    return channel


def put_overwrite(
    state: SandboxState, channel: dict[str, Any], target_id: int, kind: int, allow: int, deny: int
) -> None:
    """Create or replace one permission overwrite (CHANNEL_UPDATE)."""
    entry = {"id": str(target_id), "type": kind, "allow": str(allow), "deny": str(deny)}
    current = [o for o in channel["permission_overwrites"] if o["id"] != str(target_id)]
    modify_channel(state, channel, {"permission_overwrites": [*current, entry]})


def delete_overwrite(state: SandboxState, channel: dict[str, Any], target_id: int) -> bool:
    """Remove an overwrite; ``False`` (and no event) when there was none."""
    current = channel["permission_overwrites"]
    kept = [o for o in current if o["id"] != str(target_id)]
    if len(kept) == len(current):
        return False
    modify_channel(state, channel, {"permission_overwrites": kept})
    return True


def delete_guild_channel(state: SandboxState, channel: dict[str, Any]) -> dict[str, Any]:
    """Delete a guild channel the way Discord does.

    Children of a category lose their parent (one CHANNEL_UPDATE each); threads, webhooks
    and invites of a deleted channel go with it (clients drop its threads on CHANNEL_DELETE).
    """
    if channel["type"] in THREAD_TYPES:
        return delete_thread(state, channel)
    guild = channel_guild(state, channel)
    cid = channel["id"]
    store = channel_store(state)
    for other in list(guild.channels.values()):
        if other.get("parent_id") != cid:
            continue
        if other["type"] in THREAD_TYPES:
            drop_channel(state, guild, int(other["id"]))
            store.thread_members.pop(int(other["id"]), None)
        else:
            other["parent_id"] = None
            state.dispatch("CHANNEL_UPDATE", other, guild_id=guild.id)
    for hook_id, hook in list(state.webhooks.items()):
        if hook.get("channel_id") == cid:
            del state.webhooks[hook_id]
    for code, record in list(store.invites.items()):
        if record["channel_id"] == cid:
            del store.invites[code]
    return state.delete_channel(int(cid))
