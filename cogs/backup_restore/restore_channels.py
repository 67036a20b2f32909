"""Restore categories and channels: create the missing ones in their category, update
matched ones when asked, then put everything in the snapshot's order with one bulk
position request.

A created channel gets every field the snapshot has for its type (topic, slowmode, NSFW,
bitrate, user limit, region, auto-archive, forum tags, default reaction and layout) and,
when overwrites are restored too, its overwrites in the same request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import discord

from .restore_match import KIND_TYPES
from .restore_overwrites import creatable
from .restore_run import Planned, RestoreRun, StepFailed

if TYPE_CHECKING:
    from discord.types.guild import ChannelPositionUpdate

_ARCHIVE = (60, 1440, 4320, 10080)
_TEXTLIKE = ("text", "news", "forum")


def _order(item: dict[str, Any]) -> tuple[int, int]:
    return int(item.get("position") or 0), int(item["id"])


# -- categories --------------------------------------------------------------------------
async def restore_categories(run: RestoreRun) -> None:
    run.begin("categories")
    for item in sorted(run.snap.get("categories") or [], key=_order):
        label = f"category {item['name']}"
        try:
            await _category(run, item, label)
        except StepFailed:
            pass
        await run.step(label)


async def _category(run: RestoreRun, item: dict[str, Any], label: str) -> None:
    sid = int(item["id"])
    live = run.live_channel(sid)
    why = run.lacks("manage_channels")
    if isinstance(live, discord.CategoryChannel):
        if not run.update_existing:
            return
        changes: dict[str, Any] = {}
        if live.name != item["name"]:
            changes["name"] = item["name"]
        if live.nsfw != bool(item.get("nsfw")):
            changes["nsfw"] = bool(item.get("nsfw"))
        if changes:
            await _edit(run, live, changes, label, why)
        return
    if why is not None:
        run.record("skipped", f"{label}: {why}")
        return
    run.created_channels.add(sid)
    if run.dry_run:
        run.channels[sid] = Planned(str(item["name"]))
        run.record("created", label)
        return
    kwargs: dict[str, Any] = {"position": int(item.get("position") or 0)}
    overwrites = await creatable(run, item)
    if overwrites is not None:
        kwargs["overwrites"] = overwrites
    try:
        category = await run.call(
            label,
            lambda: run.guild.create_category(str(item["name"]), reason=run.audit_reason, **kwargs),
        )
    except StepFailed:
        run.created_channels.discard(sid)
        run.preset_overwrites.pop(sid, None)
        raise
    run.channels[sid] = category
    run.record("created", label)
    if item.get("nsfw"):
        await run.call(label, lambda: category.edit(nsfw=True, reason=run.audit_reason))


async def _edit(
    run: RestoreRun, live: Any, changes: dict[str, Any], label: str, why: str | None
) -> None:
    if why is not None:
        run.record("skipped", f"{label}: {why}")
        return
    if not run.dry_run:
        await run.call(label, lambda: live.edit(**changes, reason=run.audit_reason))
    run.record("updated", f"{label} ({', '.join(sorted(changes))})")


# -- channels ----------------------------------------------------------------------------
async def restore_channels(run: RestoreRun) -> None:
    run.begin("channels")
    items = list(run.snap.get("channels") or [])
    for item in items:
        label = f"#{item['name']}"
        try:
            await _channel(run, item, label)
        except StepFailed:
            pass
        await run.step(label)
    try:
        await order_channels(run)
    except StepFailed:
        pass
    await run.step("channel order")


async def _channel(run: RestoreRun, item: dict[str, Any], label: str) -> None:
    sid = int(item["id"])
    kind = str(item.get("type"))
    live = run.live_channel(sid)
    why = run.lacks("manage_channels")
    if kind not in KIND_TYPES:
        run.record("skipped", f"{label}: channel type {kind!r} cannot be restored")
        return
    notes: list[str] = []
    kwargs = _create_kwargs(run, item, kind, notes)
    if live is not None and not isinstance(live, Planned):
        if run.update_existing:
            changes = _channel_changes(live, kwargs)
            for note in notes:
                run.record("skipped", f"{label}: {note}")
            if changes:
                await _edit(run, live, changes, label, why)
        return
    if why is not None:
        run.record("skipped", f"{label}: {why}")
        return
    parent = run.live_channel(item.get("category_id"))
    if item.get("category_id") is not None and parent is None:
        notes.append("its category was not restored; created without one")
    for note in notes:
        run.record("skipped", f"{label}: {note}")
    run.created_channels.add(sid)
    if run.dry_run:
        run.channels[sid] = Planned(str(item["name"]))
        where = f" in {parent.name}" if parent is not None else ""
        run.record("created", f"{label} ({kind}{where})")
        return
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    kwargs["position"] = int(item.get("position") or 0)
    kwargs["reason"] = run.audit_reason
    category = parent if isinstance(parent, discord.CategoryChannel) else None
    if category is not None:
        kwargs["category"] = category
    overwrites = await creatable(run, item, category)
    if overwrites is not None:
        kwargs["overwrites"] = overwrites
    try:
        channel = await run.call(label, lambda: _create(run.guild, kind, kwargs))
    except StepFailed:
        run.created_channels.discard(sid)
        run.preset_overwrites.pop(sid, None)
        raise
    run.channels[sid] = channel
    run.record("created", f"{label} ({kind})")


async def _create(guild: discord.Guild, kind: str, kwargs: dict[str, Any]) -> Any:
    if kind in ("text", "news"):
        return await guild.create_text_channel(news=kind == "news", **kwargs)
    if kind == "voice":
        return await guild.create_voice_channel(**kwargs)
    if kind == "stage":
        return await guild.create_stage_channel(**kwargs)
    return await guild.create_forum(**kwargs)


def _emoji(run: RestoreRun, emoji_id: Any, emoji_name: Any) -> discord.PartialEmoji | str | None:
    """A forum tag's or default reaction's emoji as it can be sent here: a unicode emoji,
    or a custom emoji this server has (by ID, else by name); None when it has neither."""
    if emoji_id:
        found = run.guild.get_emoji(int(emoji_id)) or discord.utils.get(
            run.guild.emojis, name=emoji_name
        )
        if found is None:
            return None
        return discord.PartialEmoji(name=found.name, id=found.id, animated=found.animated)
    return str(emoji_name) if emoji_name else None


def _tags(run: RestoreRun, item: dict[str, Any], notes: list[str]) -> list[discord.ForumTag]:
    out = []
    for tag in item.get("available_tags") or []:
        emoji = _emoji(run, tag.get("emoji_id"), tag.get("emoji_name"))
        if emoji is None and tag.get("emoji_id"):
            notes.append(f"emoji of tag {tag['name']} is not on this server")
        moderated = bool(tag.get("moderated"))
        out.append(discord.ForumTag(name=str(tag["name"]), emoji=emoji, moderated=moderated))
    return out


def _create_kwargs(
    run: RestoreRun, item: dict[str, Any], kind: str, notes: list[str]
) -> dict[str, Any]:
    """The create arguments of ``item`` (fields that do not apply are left out); what
    cannot be restored goes to ``notes``."""
    out: dict[str, Any] = {"name": str(item["name"]), "nsfw": bool(item.get("nsfw"))}
    if kind in _TEXTLIKE:
        out["topic"] = str(item["topic"]) if item.get("topic") else None
        out["slowmode_delay"] = int(item.get("slowmode") or 0)
        if item.get("auto_archive") in _ARCHIVE:
            out["default_auto_archive_duration"] = int(item["auto_archive"])
    if kind in ("voice", "stage"):
        if item.get("bitrate"):
            out["bitrate"] = min(int(item["bitrate"]), int(run.guild.bitrate_limit))
        if item.get("user_limit") is not None:
            out["user_limit"] = int(item["user_limit"])
        out["rtc_region"] = str(item["rtc_region"]) if item.get("rtc_region") else None
    if kind == "forum":
        out["available_tags"] = _tags(run, item, notes)
        reaction = item.get("default_reaction") or {}
        emoji = _emoji(run, reaction.get("emoji_id"), reaction.get("emoji_name"))
        if emoji is not None:
            out["default_reaction_emoji"] = emoji
        elif reaction.get("emoji_id"):
            notes.append("default reaction emoji is not on this server")
        if item.get("default_layout") is not None:
            out["default_layout"] = discord.ForumLayoutType(int(item["default_layout"]))
    return out


def _norm(key: str, value: Any) -> Any:
    """A field's value in a form that compares equal when Discord would show the same."""
    if key == "available_tags":
        return [(t.name, t.moderated, str(t.emoji) if t.emoji else None) for t in value or []]
    if key == "default_reaction_emoji":
        return str(value) if value else ""
    if key == "default_layout":
        return None if value is None else int(value.value)
    if key in ("topic", "rtc_region"):
        return value or None
    return value


def _channel_changes(live: Any, want: dict[str, Any]) -> dict[str, Any]:
    """The fields of a matched channel that differ from the snapshot's."""
    return {
        key: value
        for key, value in want.items()
        if _norm(key, value) != _norm(key, getattr(live, key, None))
    }


# -- order -------------------------------------------------------------------------------
async def order_channels(run: RestoreRun) -> None:
    """Move the restored categories and channels to the snapshot's positions and parents:
    the ones created here, the ones whose category was (they lost it when it was deleted)
    and, with ``update_existing``, every matched one."""
    moves: list[dict[str, Any]] = []
    entries = [(c, True) for c in run.snap.get("categories") or []]
    entries += [(c, False) for c in run.snap.get("channels") or []]
    for item, category in entries:
        sid = int(item["id"])
        live = run.live_channel(sid)
        if live is None or isinstance(live, Planned):
            continue
        parent_created = item.get("category_id") in run.created_channels
        if sid not in run.created_channels and not run.update_existing and not parent_created:
            continue
        move: dict[str, Any] = {"id": live.id}
        position = int(item.get("position") or 0)
        if live.position != position:
            move["position"] = position
        if not category:
            parent = run.live_channel(item.get("category_id"))
            parent_id = parent.id if isinstance(parent, discord.CategoryChannel) else None
            if live.category_id != parent_id:
                move["parent_id"] = parent_id
                move["lock_permissions"] = False
        if len(move) > 1:
            moves.append(move)
    if not moves:
        return
    if run.lacks("manage_channels"):
        return
    if not run.dry_run:
        payload = cast("list[ChannelPositionUpdate]", moves)
        await run.call(
            "channel order",
            lambda: run.bot.http.bulk_channel_update(
                run.guild.id, payload, reason=run.audit_reason
            ),
        )
    run.record("updated", f"channel order ({len(moves)} moved)")
