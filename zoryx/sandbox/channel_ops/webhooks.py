"""Incoming webhooks: create, edit (name, avatar, channel), delete."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from .. import payloads
from ..errors import DiscordAPIError, unknown
from .base import MAX_CHANNEL_WEBHOOKS, channel_guild

if TYPE_CHECKING:
    from ..state import SandboxState


def avatar_hash(data_uri: str | None) -> str | None:
    """A stable 32-hex-digit hash standing in for an uploaded image."""
    if data_uri is None:
        return None
    return hashlib.sha256(data_uri.encode()).hexdigest()[:32]


def webhook_view(hook: dict[str, Any], *, with_user: bool = True) -> dict[str, Any]:
    """The webhook as REST returns it (token routes omit ``user``)."""
    out = dict(hook)
    if not with_user:
        out.pop("user", None)
    return out


def _webhooks_update(state: SandboxState, guild_id: int, channel_id: str) -> None:
    data = {"guild_id": str(guild_id), "channel_id": channel_id}
    state.dispatch("WEBHOOKS_UPDATE", data, guild_id=guild_id)


def create_webhook(
    state: SandboxState,
    channel: dict[str, Any],
    creator_id: int,
    name: str,
    *,
    avatar: str | None = None,
    application_id: int | None = None,
) -> dict[str, Any]:
    """An incoming webhook (type 1) with a token (WEBHOOKS_UPDATE)."""
    guild = channel_guild(state, channel)
    count = sum(1 for h in state.webhooks.values() if h.get("channel_id") == channel["id"])
    if count >= MAX_CHANNEL_WEBHOOKS:
        raise DiscordAPIError(400, 30007, "Maximum number of webhooks reached (15)")
    hid = state.ids.next()
    hook: dict[str, Any] = {
        "id": str(hid),
        "type": 1,
        "guild_id": str(guild.id),
        "channel_id": channel["id"],
        "user": payloads.public_user(state.users[creator_id]),
        "name": name,
        "avatar": avatar_hash(avatar),
        "token": secrets.token_urlsafe(51),
        "application_id": str(application_id) if application_id is not None else None,
    }
    state.webhooks[hid] = hook
    _webhooks_update(state, guild.id, channel["id"])
    return hook


def update_webhook(
    state: SandboxState, hook: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """Rename, re-avatar or move a webhook (WEBHOOKS_UPDATE for each channel touched)."""
    old_channel = hook["channel_id"]
    if "name" in changes:
        hook["name"] = changes["name"]
    if "avatar" in changes:
        hook["avatar"] = avatar_hash(changes["avatar"])
    if changes.get("channel_id") is not None:
        hook["channel_id"] = str(changes["channel_id"])
    gid = int(hook["guild_id"])
    _webhooks_update(state, gid, old_channel)
    if hook["channel_id"] != old_channel:
        _webhooks_update(state, gid, hook["channel_id"])
    return hook


def delete_webhook(state: SandboxState, hook: dict[str, Any]) -> None:
    state.webhooks.pop(int(hook["id"]), None)
    _webhooks_update(state, int(hook["guild_id"]), hook["channel_id"])


def webhook_or_404(state: SandboxState, webhook_id: int) -> dict[str, Any]:
    hook = state.webhooks.get(webhook_id)
    if hook is None:
        raise unknown("webhook")
    return hook
