"""Capture bans, members' roles, the bot's own guild settings and recent messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from zoryx.chunking import load_members

from ._capture_util import AssetFetcher, Pacer, Readable

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

#: Seconds to wait for discord.py to load the member list of a guild not yet chunked.
CHUNK_TIMEOUT = 60.0
_REPLAYABLE = frozenset({discord.MessageType.default, discord.MessageType.reply})


async def capture_bans(
    guild: discord.Guild, pacer: Pacer, notes: list[str]
) -> list[dict[str, Any]]:
    """Every ban (user id, name, reason), by user id; without Ban Members: [] and a note."""
    out: list[dict[str, Any]] = []
    pacer.report("bans")
    try:
        async for entry in guild.bans(limit=None):
            out.append({"user_id": entry.user.id, "name": entry.user.name, "reason": entry.reason})
            await pacer.tick("bans", len(out), 0)
    except discord.Forbidden:
        notes.append("bans not saved: the bot lacks the Ban Members permission")
        return []
    except discord.HTTPException as exc:
        notes.append(f"bans not saved: Discord answered HTTP {exc.status}")
        return []
    out.sort(key=lambda b: b["user_id"])
    return out


async def capture_members(guild: discord.Guild, bot: ZoryxBot, pacer: Pacer) -> dict[str, Any]:
    """``{"captured", "note", "items"}``: the roles of every non-bot member, by member id.

    Needs the members intent and the full member list; a guild not chunked yet is chunked
    first. Without either the snapshot says so (``captured=False``) instead of saving a
    partial list that a role restore would take for the truth.
    """
    if not bot.intents.members:
        return {
            "captured": False,
            "note": "member roles not saved: the bot does not have the members intent",
            "items": [],
        }
    if not guild.chunked:
        pacer.report("loading the member list")
        # Loaded on first use unless members.chunking is "off" (zoryx.chunking).
        loaded, reason = await load_members(bot, guild, timeout=CHUNK_TIMEOUT)
        if not loaded:
            return {"captured": False, "note": f"member roles not saved: {reason}", "items": []}
    members = sorted((m for m in guild.members if not m.bot), key=lambda m: m.id)
    items: list[dict[str, Any]] = []
    for done, member in enumerate(members, 1):
        roles = sorted(role.id for role in member.roles if not role.is_default())
        items.append({"id": member.id, "name": member.name, "roles": roles})
        await pacer.tick("members", done, len(members))
    return {"captured": True, "note": "", "items": items}


async def capture_bot_settings(guild: discord.Guild, bot: ZoryxBot) -> dict[str, Any]:
    """The bot's settings for the guild: prefix and mention prefix (None = the global
    default) and the per-command role rules ``{command: [role ids]}``."""
    db = bot.services.db
    rules = await db.list_command_permissions(guild.id)
    return {
        "prefix": await db.get_prefix(guild.id),
        "mention_prefix": await db.get_mention_prefix(guild.id),
        "role_rules": {command: sorted(roles) for command, roles in sorted(rules.items())},
    }


def _avatar(author: discord.abc.User) -> Readable | None:
    """The author's own picture (guild avatar first); None for a default avatar."""
    guild_avatar = getattr(author, "guild_avatar", None)
    return guild_avatar if guild_avatar is not None else author.avatar


async def capture_messages(
    guild: discord.Guild,
    limit: int,
    pacer: Pacer,
    fetcher: AssetFetcher,
    notes: list[str],
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, Any]]]:
    """The last ``limit`` messages of every text and announcement channel (oldest first)
    that carry text, and their authors ``{author id: {name, avatar}}``.

    Channels the bot cannot read are left out with a note.
    """
    messages: dict[str, list[dict[str, Any]]] = {}
    authors: dict[str, dict[str, Any]] = {}
    if limit <= 0:
        return messages, authors
    avatars: list[tuple[dict[str, Any], str, Readable | None, str]] = []
    channels = sorted(guild.text_channels, key=lambda c: c.id)
    for index, channel in enumerate(channels, 1):
        pacer.report(f"messages {index}/{len(channels)}")
        if not channel.permissions_for(guild.me).read_message_history:
            notes.append(f"messages of #{channel.name} not saved: no Read Message History")
            continue
        batch: list[dict[str, Any]] = []
        try:
            async for message in channel.history(limit=limit):
                if message.type not in _REPLAYABLE or not message.content:
                    continue
                author = message.author
                batch.append(
                    {
                        "author_id": author.id,
                        "content": message.content,
                        "created_at": message.created_at.isoformat(),
                    }
                )
                key = str(author.id)
                if key not in authors:
                    authors[key] = {"name": author.display_name, "avatar": None}
                    avatars.append((authors[key], "avatar", _avatar(author), f"avatar of {author}"))
                await pacer.tick("messages", len(batch), limit)
        except discord.HTTPException as exc:
            notes.append(f"messages of #{channel.name} not saved: HTTP {exc.status}")
            continue
        batch.reverse()
        messages[str(channel.id)] = batch
    await fetcher.fetch_all(avatars)
    return messages, authors
