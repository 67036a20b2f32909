"""Channel-level state mutations: overwrites, channel edits, threads, invites and webhooks.

Like :mod:`.messages`, every function here updates the :class:`~.state.SandboxState` *and*
dispatches the gateway events Discord sends, so a connected client's cache stays true.
Thread members and invites live in the state's :class:`ChannelStore`
(``state.channel_store``, also reachable as :func:`channel_store`).

The package is split by family (:mod:`.channels`, :mod:`.threads`, :mod:`.invites`,
:mod:`.webhooks`); everything public is re-exported here.
"""

from .base import (
    ARCHIVE_DURATIONS,
    CHANNEL_PINNED,
    FORUM_TYPES,
    MAX_ACTIVE_THREADS,
    MAX_CHANNEL_WEBHOOKS,
    MAX_GUILD_INVITES,
    MESSAGE_HAS_THREAD,
    THREAD_MEMBER_COUNT_CAP,
    ChannelStore,
    channel_guild,
    channel_store,
    guild_bots,
    is_guild_admin,
    parse_iso,
)
from .channels import delete_guild_channel, delete_overwrite, modify_channel, put_overwrite
from .invites import (
    create_invite,
    delete_invite,
    find_invite,
    invite_or_404,
    invite_payload,
    live_invites,
    use_invite,
)
from .threads import (
    active_thread_count,
    add_thread_member,
    announce_thread,
    can_view_thread,
    create_thread,
    delete_thread,
    prepare_thread_post,
    remove_thread_member,
    start_forum_post,
    start_thread_from_message,
    thread_members,
    thread_view,
    update_thread,
)
from .webhooks import (
    avatar_hash,
    create_webhook,
    delete_webhook,
    update_webhook,
    webhook_or_404,
    webhook_view,
)

__all__ = [
    "ARCHIVE_DURATIONS",
    "CHANNEL_PINNED",
    "FORUM_TYPES",
    "MAX_ACTIVE_THREADS",
    "MAX_CHANNEL_WEBHOOKS",
    "MAX_GUILD_INVITES",
    "MESSAGE_HAS_THREAD",
    "THREAD_MEMBER_COUNT_CAP",
    "ChannelStore",
    "active_thread_count",
    "add_thread_member",
    "announce_thread",
    "avatar_hash",
    "can_view_thread",
    "channel_guild",
    "channel_store",
    "create_invite",
    "create_thread",
    "create_webhook",
    "delete_guild_channel",
    "delete_invite",
    "delete_overwrite",
    "delete_thread",
    "delete_webhook",
    "find_invite",
    "guild_bots",
    "invite_or_404",
    "invite_payload",
    "is_guild_admin",
    "live_invites",
    "modify_channel",
    "parse_iso",
    "prepare_thread_post",
    "put_overwrite",
    "remove_thread_member",
    "start_forum_post",
    "start_thread_from_message",
    "thread_members",
    "thread_view",
    "update_thread",
    "update_webhook",
    "use_invite",
    "webhook_or_404",
    "webhook_view",
]
