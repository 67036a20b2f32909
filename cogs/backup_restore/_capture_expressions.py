"""Capture custom emojis and stickers with their image bytes."""

from __future__ import annotations

from typing import Any

import discord

from ._capture_util import AssetFetcher, Pacer, Readable


async def capture_emojis(
    guild: discord.Guild, pacer: Pacer, fetcher: AssetFetcher
) -> list[dict[str, Any]]:
    """Every custom emoji by id; ``roles`` are the role IDs allowed to use it (sorted)."""
    emojis = sorted(guild.emojis, key=lambda e: e.id)
    out: list[dict[str, Any]] = []
    jobs: list[tuple[dict[str, Any], str, Readable | None, str]] = []
    for done, emoji in enumerate(emojis, 1):
        item: dict[str, Any] = {
            "id": emoji.id,
            "name": emoji.name,
            "animated": emoji.animated,
            "managed": emoji.managed,
            "roles": sorted(role.id for role in emoji.roles),
            "image": None,
        }
        out.append(item)
        jobs.append((item, "image", emoji, f"emoji {emoji.name}"))
        await pacer.tick("emojis", done, len(emojis))
    await fetcher.fetch_all(jobs)
    return out


async def capture_stickers(
    guild: discord.Guild, pacer: Pacer, fetcher: AssetFetcher
) -> list[dict[str, Any]]:
    """Every guild sticker by id; ``format`` is Discord's sticker format number."""
    stickers = sorted(guild.stickers, key=lambda s: s.id)
    out: list[dict[str, Any]] = []
    jobs: list[tuple[dict[str, Any], str, Readable | None, str]] = []
    for done, sticker in enumerate(stickers, 1):
        item: dict[str, Any] = {
            "id": sticker.id,
            "name": sticker.name,
            "description": sticker.description,
            "emoji": sticker.emoji,
            "format": sticker.format.value,
            "image": None,
        }
        out.append(item)
        jobs.append((item, "image", sticker, f"sticker {sticker.name}"))
        await pacer.tick("stickers", done, len(stickers))
    await fetcher.fetch_all(jobs)
    return out
