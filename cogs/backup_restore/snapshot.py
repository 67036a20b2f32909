"""Take a snapshot of a guild: the document described in ``model.py``.

:func:`capture` reads the guild from discord.py's cache, asks Discord only for what the
cache lacks (bans, message history, images) and returns a plain dict. Lists are sorted
(roles by position then id, channels by their category's position, their position and
id, everything else by id), so two captures of the same state give the same canonical
bytes apart from ``created_at``. Every ~200 items the capture yields to the event loop,
so a guild with ten thousand members does not stall the bot; encoding and hashing happen
later, in a thread (:func:`~.canonical.encode_snapshot`).

Besides the keys ``model.py`` lists, a snapshot has ``notes`` (what could not be saved
and why, e.g. an emoji image the CDN answered 404 for) and ``assets_captured`` (False
when taken with ``assets=False``: every image is None because none was downloaded).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord

from ._capture_expressions import capture_emojis, capture_stickers
from ._capture_layout import capture_channels, capture_roles, capture_settings
from ._capture_people import capture_bans, capture_bot_settings, capture_members, capture_messages
from ._capture_util import AssetFetcher, Pacer
from .model import FORMAT_VERSION, MESSAGES_MAX

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

__all__ = ["capture"]


def _creator(by: discord.abc.User | str) -> dict[str, Any]:
    if isinstance(by, str):
        return {"id": 0, "name": by}
    return {"id": by.id, "name": by.name}


async def capture(
    guild: discord.Guild,
    *,
    bot: ZoryxBot,
    by: discord.abc.User | str,
    label: str = "",
    messages: int = 0,
    assets: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Snapshot ``guild`` as the document of ``model.py``.

    Args:
        guild: The guild, as the bot sees it.
        bot: The bot (intents, user cache and its per-guild settings database).
        by: Who asked: a Discord user, or a name (the console, the scheduler).
        label: Free text kept with the snapshot.
        messages: Keep the last N messages of each text channel (0..500).
        assets: Download images (emojis, stickers, icons, avatars); False skips them.
        progress: Called with short texts ("roles", "members 400/9000") as work goes on.
    """
    pacer = Pacer(progress)
    notes: list[str] = []
    fetcher = AssetFetcher(enabled=assets, notes=notes)
    created_at = datetime.now(UTC).isoformat(timespec="seconds")

    pacer.report("server settings")
    settings = await capture_settings(guild, fetcher)
    pacer.report("roles")
    roles = await capture_roles(guild, pacer, fetcher)
    pacer.report("channels")
    categories, channels = await capture_channels(guild, bot.get_user, pacer, notes)
    pacer.report("emojis")
    emojis = await capture_emojis(guild, pacer, fetcher)
    pacer.report("stickers")
    stickers = await capture_stickers(guild, pacer, fetcher)
    bans = await capture_bans(guild, pacer, notes)
    pacer.report("members")
    members = await capture_members(guild, bot, pacer)
    bot_settings = await capture_bot_settings(guild, bot)
    history, authors = await capture_messages(
        guild, max(0, min(int(messages), MESSAGES_MAX)), pacer, fetcher, notes
    )
    pacer.report("done")
    return {
        "format": FORMAT_VERSION,
        "guild_id": guild.id,
        "created_at": created_at,
        "created_by": _creator(by),
        "label": label,
        "guild": settings,
        "roles": roles,
        "categories": categories,
        "channels": channels,
        "emojis": emojis,
        "stickers": stickers,
        "bans": bans,
        "members": members,
        "bot_settings": bot_settings,
        "messages": history,
        "message_authors": authors,
        "assets_captured": assets,
        "notes": sorted(notes),
    }
