"""Helpers for the restore tests: a fresh runtime on the ``backup`` world, the damage a
raid does to "Backup Lab", and a snapshot's structure by names (IDs change on restore)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import discord
import pytest

from cogs.backup_restore.model import COMPONENTS, RestoreOptions, RestoreProgress, RestoreReport
from cogs.backup_restore.restore import restore_snapshot
from cogs.backup_restore.snapshot import capture
from zoryx.runtime import Runtime
from zoryx.sandbox.world_backup import LAB, TARGET
from zoryx.testing import eventually

from ._fixtures import running

__all__ = [
    "DELETED_CHANNELS",
    "DELETED_ROLES",
    "LAB",
    "TARGET",
    "damage",
    "guild",
    "restore",
    "rt",
    "snap",
    "snap_when",
    "structure",
]

#: Roles the raid deletes: every role the bot can recreate (below its own, not managed).
DELETED_ROLES = ("Member", "Muted", "Artist", "Helper", "VIP", "Moderator")
#: Channels the raid deletes (a category among them: its other channels lose their parent).
DELETED_CHANNELS = (
    "Community",
    "general",
    "staff-room",
    "help-forum",
    "announcements",
    "Lounge",
    "Town Hall",
    "bot-log",
)
DELETED_EMOJIS = ("lab_ok", "lab_dance")
DELETED_STICKERS = ("lab_wave",)


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    """A fresh runtime per test: each one damages and restores the guild its own way."""
    async with running(tmp_path / "bot") as runtime:
        yield runtime


def guild(rt: Runtime, guild_id_or_name: int | str = LAB) -> discord.Guild:
    if isinstance(guild_id_or_name, int):
        found = rt.bot.get_guild(guild_id_or_name)
    else:
        found = discord.utils.get(rt.bot.guilds, name=guild_id_or_name)
    assert found is not None, guild_id_or_name
    return found


async def snap(rt: Runtime, target: discord.Guild, **kwargs: Any) -> dict[str, Any]:
    return await capture(target, bot=rt.bot, by="test", **kwargs)


async def snap_when(
    rt: Runtime,
    target: discord.Guild,
    ready: Callable[[dict[str, Any]], bool],
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Capture until ``ready(snapshot)`` holds, and return the last capture either way.

    A capture reads the bot's cache, which follows a restore's requests through the
    gateway events Discord sends a moment after answering them.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        doc = await snap(rt, target)
        if ready(doc) or loop.time() > deadline:
            return doc
        await asyncio.sleep(0.05)


async def restore(
    rt: Runtime,
    target: discord.Guild,
    snapshot: dict[str, Any],
    components: frozenset[str] | set[str] = frozenset(COMPONENTS),
    progress: list[RestoreProgress] | None = None,
    **options: Any,
) -> RestoreReport:
    opts = RestoreOptions(components=frozenset(components), **options)
    sink = progress.append if progress is not None else None
    return await restore_snapshot(
        target, snapshot, opts, bot=rt.bot, progress=sink, snapshot_id="20270115T000000Z-abcdef"
    )


async def damage(rt: Runtime) -> None:
    """What a raid does to "Backup Lab": roles, channels, emojis and a sticker deleted (so
    members lose their roles), a ban lifted, server settings changed; the bot's cache
    follows through the gateway events."""
    sb = rt.sandbox
    lab = guild(rt)
    for name in DELETED_ROLES:
        await sb.delete_role(name, LAB)
    for name in DELETED_CHANNELS:
        await sb.delete_channel(name, LAB)
    for name in DELETED_EMOJIS:
        await sb.delete_emoji(name, LAB)
    for name in DELETED_STICKERS:
        await sb.delete_sticker(name, LAB)
    await sb.unban("spammer", LAB)
    await sb.edit_guild(
        LAB,
        name="pwned",
        icon=None,
        verification_level=0,
        afk_channel=None,
        afk_timeout=60,
        premium_progress_bar_enabled=False,
    )

    def settled() -> bool:
        names = {r.name for r in lab.roles} | {c.name for c in lab.channels}
        gone = set(DELETED_ROLES) | set(DELETED_CHANNELS)
        return not names & gone and lab.name == "pwned" and len(lab.emojis) == 1

    await eventually(settled, timeout=30)


def _b(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def structure(doc: dict[str, Any], *, skip_roles: tuple[str, ...] = ()) -> dict[str, Any]:
    """The snapshot's content by names: what a restore must bring back, IDs aside.

    Roles, categories and channels keep their order; overwrites are named by their target;
    settings name their channels; images are compared as bytes. ``skip_roles`` leaves
    roles out (everywhere they appear), e.g. those a restore may not recreate.
    """
    role_names = {r["id"]: "@everyone" if r["default"] else r["name"] for r in doc["roles"]}
    channel_names = {c["id"]: c["name"] for c in doc["categories"] + doc["channels"]}

    def overwrites(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        out = []
        for o in items:
            name = role_names[o["target_id"]] if o["target_type"] == "role" else o["target_name"]
            if name not in skip_roles:
                out.append((o["target_type"], name, o["allow"], o["deny"]))
        return sorted(out)

    roles = [
        (
            role_names[r["id"]],
            r["color"],
            r["hoist"],
            r["mentionable"],
            r["permissions"],
            r["unicode_emoji"],
            _b(r["icon"]),
            r["managed"],
        )
        for r in doc["roles"]
        if r["name"] not in skip_roles
    ]
    channels = [
        (
            c["name"],
            c["type"],
            channel_names.get(c["category_id"]),
            c["topic"],
            c["slowmode"],
            c["nsfw"],
            c["bitrate"],
            c["user_limit"],
            c["rtc_region"],
            c["auto_archive"],
            c["available_tags"],
            c["default_reaction"],
            c["default_layout"],
            overwrites(c["overwrites"]),
        )
        for c in doc["channels"]
    ]
    settings = dict(doc["guild"])
    for key in ("afk_channel_id", "system_channel_id"):
        settings[key] = channel_names.get(settings[key])
    settings["icon"], settings["banner"] = _b(settings["icon"]), _b(settings["banner"])
    members = {
        m["name"]: sorted(role_names[r] for r in m["roles"] if role_names[r] not in skip_roles)
        for m in doc["members"]["items"]
    }
    return {
        "roles": roles,
        "categories": [
            (c["name"], c["nsfw"], overwrites(c["overwrites"])) for c in doc["categories"]
        ],
        "channels": channels,
        "emojis": sorted(
            (e["name"], e["animated"], _b(e["image"]), sorted(role_names[r] for r in e["roles"]))
            for e in doc["emojis"]
        ),
        "stickers": sorted(
            (s["name"], s["description"], s["emoji"], s["format"], _b(s["image"]))
            for s in doc["stickers"]
        ),
        "settings": settings,
        "bans": sorted((b["user_id"], b["reason"]) for b in doc["bans"]),
        "members": members,
        "bot_settings": {
            **doc["bot_settings"],
            "role_rules": {
                command: sorted(role_names.get(r, str(r)) for r in ids)
                for command, ids in doc["bot_settings"]["role_rules"].items()
            },
        },
    }
