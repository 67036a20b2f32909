"""Capture a guild's layout: server settings, roles, categories, channels and overwrites.

Everything here reads discord.py's cache (no API calls) except the image downloads, which
go through the :class:`~._capture_util.AssetFetcher`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord

from ._capture_util import AssetFetcher, Pacer, Readable

CHANNEL_TYPE_NAMES: dict[discord.ChannelType, str] = {
    discord.ChannelType.text: "text",
    discord.ChannelType.news: "news",
    discord.ChannelType.voice: "voice",
    discord.ChannelType.stage_voice: "stage",
    discord.ChannelType.forum: "forum",
}
_TOPIC_TYPES = frozenset({"text", "news", "forum", "stage"})
_VOICE_TYPES = frozenset({"voice", "stage"})
_ARCHIVE_TYPES = frozenset({"text", "news", "forum"})


def _id(obj: discord.abc.Snowflake | None) -> int | None:
    return None if obj is None else obj.id


async def capture_settings(guild: discord.Guild, fetcher: AssetFetcher) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "name": guild.name,
        "description": guild.description,
        "verification_level": guild.verification_level.value,
        "default_notifications": guild.default_notifications.value,
        "explicit_content_filter": guild.explicit_content_filter.value,
        "afk_channel_id": _id(guild.afk_channel),
        "afk_timeout": guild.afk_timeout,
        "system_channel_id": _id(guild.system_channel),
        "preferred_locale": str(guild.preferred_locale.value),
        "premium_progress_bar_enabled": guild.premium_progress_bar_enabled,
    }
    await fetcher.fetch_all(
        [
            (settings, "icon", guild.icon, "server icon"),
            (settings, "banner", guild.banner, "server banner"),
        ]
    )
    return settings


async def capture_roles(
    guild: discord.Guild, pacer: Pacer, fetcher: AssetFetcher
) -> list[dict[str, Any]]:
    """Every role (``@everyone`` included, ``default=True``), by position then id."""
    roles = sorted(guild.roles, key=lambda r: (r.position, r.id))
    out: list[dict[str, Any]] = []
    icons: list[tuple[dict[str, Any], str, Readable | None, str]] = []
    for done, role in enumerate(roles, 1):
        item: dict[str, Any] = {
            "id": role.id,
            "name": role.name,
            "color": role.color.value,
            "hoist": role.hoist,
            "mentionable": role.mentionable,
            "permissions": role.permissions.value,
            "position": role.position,
            "icon": None,
            "unicode_emoji": role.unicode_emoji,
            "managed": role.managed,
            "default": role.is_default(),
        }
        out.append(item)
        icons.append((item, "icon", role.icon, f"role {role.name} icon"))
        await pacer.tick("roles", done, len(roles))
    await fetcher.fetch_all(icons)
    return out


UserLookup = Callable[[int], discord.User | None]


def _target_name(
    target: discord.Role | discord.Member | discord.Object, users: UserLookup
) -> tuple[str, str]:
    """``(target_type, target_name)`` of an overwrite target; a member who left is found
    in the client's user cache when possible, else named by ID."""
    if isinstance(target, discord.Role):
        return "role", target.name
    if isinstance(target, discord.Member | discord.User):
        return "member", target.name
    if getattr(target, "type", None) is discord.Role:
        return "role", str(target.id)
    user = users(target.id)
    return "member", user.name if user is not None else str(target.id)


def capture_overwrites(
    channel: discord.abc.GuildChannel, users: UserLookup
) -> list[dict[str, Any]]:
    """Every permission overwrite of ``channel``: roles first, then members, by ID."""
    out: list[dict[str, Any]] = []
    for target, overwrite in channel.overwrites.items():
        allow, deny = overwrite.pair()
        kind, name = _target_name(target, users)
        out.append(
            {
                "target_id": target.id,
                "target_type": kind,
                "target_name": name,
                "allow": allow.value,
                "deny": deny.value,
            }
        )
    out.sort(key=lambda o: (o["target_type"] != "role", o["target_id"]))
    return out


def _emoji_ref(emoji: discord.PartialEmoji | None) -> dict[str, Any] | None:
    if emoji is None:
        return None
    return {"emoji_id": emoji.id, "emoji_name": emoji.name}


def _channel_fields(channel: discord.abc.GuildChannel, kind: str) -> dict[str, Any]:
    """The type-specific fields of a channel; those that do not apply are None."""
    forum = channel if isinstance(channel, discord.ForumChannel) else None
    return {
        "topic": getattr(channel, "topic", None) if kind in _TOPIC_TYPES else None,
        "slowmode": getattr(channel, "slowmode_delay", None),
        "nsfw": getattr(channel, "nsfw", False),
        "bitrate": getattr(channel, "bitrate", None) if kind in _VOICE_TYPES else None,
        "user_limit": getattr(channel, "user_limit", None) if kind in _VOICE_TYPES else None,
        "rtc_region": getattr(channel, "rtc_region", None) if kind in _VOICE_TYPES else None,
        "auto_archive": (
            getattr(channel, "default_auto_archive_duration", None)
            if kind in _ARCHIVE_TYPES
            else None
        ),
        "available_tags": (
            None
            if forum is None
            else [
                {
                    "name": tag.name,
                    "moderated": tag.moderated,
                    "emoji_id": tag.emoji.id if tag.emoji is not None else None,
                    "emoji_name": tag.emoji.name if tag.emoji is not None else None,
                }
                for tag in forum.available_tags
            ]
        ),
        "default_reaction": None if forum is None else _emoji_ref(forum.default_reaction_emoji),
        "default_layout": None if forum is None else forum.default_layout.value,
    }


async def capture_channels(
    guild: discord.Guild, users: UserLookup, pacer: Pacer, notes: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(categories, channels)``: categories by (position, id); channels by (their
    category's position, position, id), uncategorised channels first. Threads are not
    captured; a channel of a type the format does not know is left out with a note."""
    categories = sorted(guild.categories, key=lambda c: (c.position, c.id))
    rank = {c.id: (c.position, c.id) for c in categories}
    cats: list[dict[str, Any]] = []
    for done, category in enumerate(categories, 1):
        cats.append(
            {
                "id": category.id,
                "name": category.name,
                "position": category.position,
                "nsfw": category.nsfw,
                "overwrites": capture_overwrites(category, users),
            }
        )
        await pacer.tick("categories", done, len(categories))

    def order(channel: discord.abc.GuildChannel) -> tuple[int, int, int, int]:
        cat = rank.get(channel.category_id or 0, (-1, 0))
        return (*cat, channel.position, channel.id)

    others = sorted(
        (c for c in guild.channels if not isinstance(c, discord.CategoryChannel)), key=order
    )
    out: list[dict[str, Any]] = []
    for done, channel in enumerate(others, 1):
        kind = CHANNEL_TYPE_NAMES.get(channel.type)
        if kind is None:
            notes.append(f"channel #{channel.name}: type {channel.type.name} not backed up")
            continue
        item: dict[str, Any] = {
            "id": channel.id,
            "type": kind,
            "name": channel.name,
            "position": channel.position,
            "category_id": channel.category_id,
            "overwrites": capture_overwrites(channel, users),
        }
        item.update(_channel_fields(channel, kind))
        out.append(item)
        await pacer.tick("channels", done, len(others))
    return cats, out
