"""Match the snapshot's roles, categories and channels to the live guild's.

Run once before any component, whatever the chosen components: an overwrite or a
member's role needs its role found even when roles are not being restored. Matching is
by ID first (the same guild), then by name and type (another guild, or an object deleted
and recreated by hand); every live object matches at most one snapshot item, and the
ID pass runs over all items before the name pass so a name match never takes an object
another item owns by ID. Among several channels of one name and type, the one already in
the right category wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import discord

from .restore_run import RestoreRun

#: Snapshot channel types (model.CHANNEL_TYPES) and the Discord types they stand for.
KIND_TYPES: dict[str, discord.ChannelType] = {
    "text": discord.ChannelType.text,
    "news": discord.ChannelType.news,
    "voice": discord.ChannelType.voice,
    "stage": discord.ChannelType.stage_voice,
    "forum": discord.ChannelType.forum,
}


def match_all(run: RestoreRun) -> None:
    match_roles(run)
    match_categories(run)
    match_channels(run)


def match_roles(run: RestoreRun) -> None:
    guild = run.guild
    items = list(run.snap.get("roles") or [])
    used: set[int] = set()
    rest: list[dict[str, Any]] = []
    for item in items:
        sid = int(item["id"])
        if item.get("default"):
            run.roles[sid] = guild.default_role
            continue
        live = guild.get_role(sid)
        if live is not None and not live.is_default() and live.id not in used:
            run.roles[sid] = live
            used.add(live.id)
        else:
            rest.append(item)
    pool = sorted(
        (r for r in guild.roles if not r.is_default() and r.id not in used),
        key=lambda r: -r.position,
    )
    for item in rest:
        managed = bool(item.get("managed"))
        found = _take(pool, [r for r in pool if r.name == item["name"] and r.managed == managed])
        if found is not None:
            run.roles[int(item["id"])] = found


def match_categories(run: RestoreRun) -> None:
    live = list(run.guild.categories)
    _match_channels(run, run.snap.get("categories") or [], live, lambda _item, _c: True)


def match_channels(run: RestoreRun) -> None:
    live = [c for c in run.guild.channels if not isinstance(c, discord.CategoryChannel)]

    def same_type(item: dict[str, Any], channel: discord.abc.GuildChannel) -> bool:
        return KIND_TYPES.get(str(item.get("type"))) == channel.type

    _match_channels(run, run.snap.get("channels") or [], live, same_type)


def _match_channels(
    run: RestoreRun,
    items: Iterable[dict[str, Any]],
    live: list[Any],
    fits: Callable[[dict[str, Any], Any], bool],
) -> None:
    by_id = {c.id: c for c in live}
    used: set[int] = set()
    rest: list[dict[str, Any]] = []
    for item in items:
        found = by_id.get(int(item["id"]))
        if found is not None and fits(item, found) and found.id not in used:
            run.channels[int(item["id"])] = found
            used.add(found.id)
        else:
            rest.append(item)
    pool = sorted((c for c in live if c.id not in used), key=lambda c: (c.position, c.id))
    for item in rest:
        parent = run.live_channel(item.get("category_id"))
        parent_id = parent.id if isinstance(parent, discord.CategoryChannel) else None
        named = [c for c in pool if c.name == item["name"] and fits(item, c)]
        same_parent = [c for c in named if getattr(c, "category_id", None) == parent_id]
        found = _take(pool, same_parent or named)
        if found is not None:
            run.channels[int(item["id"])] = found


def _take(pool: list[Any], candidates: list[Any]) -> Any:
    """Remove the first of ``candidates`` from ``pool`` and return it (None if none)."""
    if not candidates:
        return None
    pool.remove(candidates[0])
    return candidates[0]
