"""Restore custom emojis and stickers from the image bytes kept in the snapshot, and the
server settings (icon and banner from their bytes too, AFK and system channels remapped).

Emojis and stickers are matched by ID, then by name. Managed emojis (an integration's)
cannot be uploaded and are skipped, as is anything whose image the snapshot lacks.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from .restore_run import RestoreRun, StepFailed, failure_reason, image_bytes, image_differs

#: File names for the sticker formats (Discord's numbers): png, apng, lottie, gif.
STICKER_FILES = {1: "sticker.png", 2: "sticker.png", 3: "sticker.json", 4: "sticker.gif"}


def _match(items: list[dict[str, Any]], live: list[Any]) -> dict[int, Any]:
    """Snapshot ID → live emoji/sticker, by ID first, then by name."""
    by_id = {x.id: x for x in live}
    out: dict[int, Any] = {}
    used: set[int] = set()
    for item in items:
        found = by_id.get(int(item["id"]))
        if found is not None:
            out[int(item["id"])] = found
            used.add(found.id)
    for item in items:
        if int(item["id"]) in out:
            continue
        found = next((x for x in live if x.id not in used and x.name == item["name"]), None)
        if found is not None:
            out[int(item["id"])] = found
            used.add(found.id)
    return out


# -- emojis ------------------------------------------------------------------------------
async def restore_emojis(run: RestoreRun) -> None:
    run.begin("emojis")
    items = list(run.snap.get("emojis") or [])
    matched = _match(items, list(run.guild.emojis))
    for item in items:
        label = f"emoji :{item['name']}:"
        try:
            await _emoji(run, item, matched.get(int(item["id"])), label)
        except StepFailed:
            pass
        await run.step(label)


def _emoji_roles(run: RestoreRun, item: dict[str, Any]) -> list[discord.Role]:
    roles = (run.live_role(int(rid)) for rid in item.get("roles") or [])
    return [r for r in roles if isinstance(r, discord.Role)]


async def _emoji(run: RestoreRun, item: dict[str, Any], live: Any, label: str) -> None:
    why = run.lacks("manage_expressions")
    if isinstance(live, discord.Emoji):
        if not run.update_existing or live.managed:
            return
        changes: dict[str, Any] = {}
        if live.name != item["name"]:
            changes["name"] = item["name"]
        roles = _emoji_roles(run, item)
        if sorted(r.id for r in live.roles) != sorted(r.id for r in roles):
            changes["roles"] = roles
        if not changes:
            return
        if why is not None:
            run.record("skipped", f"{label}: {why}")
            return
        if not run.dry_run:
            await run.call(label, lambda: live.edit(**changes, reason=run.audit_reason))
        run.record("updated", f"{label} ({', '.join(sorted(changes))})")
        return
    image = image_bytes(item.get("image"))
    if item.get("managed"):
        why = "managed by an integration, cannot be uploaded"
    elif image is None:
        why = "the snapshot has no image of it"
    if why is not None or image is None:
        run.record("skipped", f"{label}: {why}")
        return
    data = image
    if not run.dry_run:
        await run.call(
            label,
            lambda: run.guild.create_custom_emoji(
                name=str(item["name"]),
                image=data,
                roles=_emoji_roles(run, item),
                reason=run.audit_reason,
            ),
        )
    run.record("created", label)


# -- stickers ----------------------------------------------------------------------------
async def restore_stickers(run: RestoreRun) -> None:
    run.begin("stickers")
    items = list(run.snap.get("stickers") or [])
    matched = _match(items, list(run.guild.stickers))
    for item in items:
        label = f"sticker {item['name']}"
        try:
            await _sticker(run, item, matched.get(int(item["id"])), label)
        except StepFailed:
            pass
        await run.step(label)


async def _sticker(run: RestoreRun, item: dict[str, Any], live: Any, label: str) -> None:
    why = run.lacks("manage_expressions")
    description = str(item.get("description") or "")
    emoji = str(item.get("emoji") or "") or str(item["name"])
    if isinstance(live, discord.GuildSticker):
        if not run.update_existing:
            return
        changes: dict[str, Any] = {}
        if live.name != item["name"]:
            changes["name"] = str(item["name"])
        if (live.description or "") != description:
            changes["description"] = description
        if live.emoji != emoji:
            changes["emoji"] = emoji
        if not changes:
            return
        if why is not None:
            run.record("skipped", f"{label}: {why}")
            return
        if not run.dry_run:
            await run.call(label, lambda: live.edit(**changes, reason=run.audit_reason))
        run.record("updated", f"{label} ({', '.join(sorted(changes))})")
        return
    image = image_bytes(item.get("image"))
    if why is None and image is None:
        why = "the snapshot has no image of it"
    if why is not None or image is None:
        run.record("skipped", f"{label}: {why}")
        return
    data = image
    if not run.dry_run:
        filename = STICKER_FILES.get(int(item.get("format") or 1), "sticker.png")
        await run.call(
            label,
            lambda: run.guild.create_sticker(
                name=str(item["name"]),
                description=description,
                emoji=emoji,
                file=discord.File(io.BytesIO(data), filename=filename),
                reason=run.audit_reason,
            ),
        )
    run.record("created", label)


# -- server settings ---------------------------------------------------------------------
def _channel(run: RestoreRun, snapshot_id: Any, label: str) -> tuple[bool, Any]:
    """``(known, channel)``: the live channel (or dry-run stand-in) a setting points at,
    None for none; ``known`` is False when the snapshot's channel was not restored."""
    if snapshot_id is None:
        return True, None
    live = run.live_channel(int(snapshot_id))
    if live is None:
        run.record("skipped", f"setting {label}: its channel was not restored")
        return False, None
    return True, live


async def _settings_changes(run: RestoreRun, s: dict[str, Any]) -> dict[str, Any]:
    guild = run.guild
    out: dict[str, Any] = {}
    if s.get("name") and guild.name != s["name"]:
        out["name"] = str(s["name"])
    if (guild.description or None) != (s.get("description") or None):
        out["description"] = s.get("description") or None
    enums: tuple[tuple[str, Any, Any], ...] = (
        ("verification_level", discord.VerificationLevel, guild.verification_level),
        ("default_notifications", discord.NotificationLevel, guild.default_notifications),
        ("explicit_content_filter", discord.ContentFilter, guild.explicit_content_filter),
    )
    for key, enum, now in enums:
        if s.get(key) is not None and now.value != int(s[key]):
            out[key] = enum(int(s[key]))
    if s.get("afk_timeout") is not None and guild.afk_timeout != int(s["afk_timeout"]):
        out["afk_timeout"] = int(s["afk_timeout"])
    if s.get("preferred_locale") and str(guild.preferred_locale.value) != s["preferred_locale"]:
        out["preferred_locale"] = discord.Locale(str(s["preferred_locale"]))
    bar = s.get("premium_progress_bar_enabled")
    if bar is not None and guild.premium_progress_bar_enabled != bool(bar):
        out["premium_progress_bar_enabled"] = bool(bar)
    for key in ("afk_channel", "system_channel"):
        known, channel = _channel(run, s.get(f"{key}_id"), key.replace("_", " "))
        if known and getattr(channel, "id", None) != getattr(getattr(guild, key), "id", None):
            out[key] = channel
    icon = image_bytes(s.get("icon"))
    if await image_differs(guild.icon, icon):
        out["icon"] = icon
    banner = image_bytes(s.get("banner"))
    if await image_differs(guild.banner, banner):
        if banner is not None and "BANNER" not in guild.features:
            run.record("skipped", "setting banner: the server cannot have a banner")
        else:
            out["banner"] = banner
    return out


async def restore_settings(run: RestoreRun) -> None:
    run.begin("server_settings")
    changes = await _settings_changes(run, run.snap.get("guild") or {})
    why = run.lacks("manage_guild")
    if why is not None:
        for key in changes:
            run.record("skipped", f"{_setting(key)}: {why}")
    elif run.dry_run:
        for key in changes:
            run.record("updated", _setting(key))
    elif changes:
        await _apply_settings(run, changes)
    await run.step("server settings")


def _setting(key: str) -> str:
    return f"setting {key.replace('_', ' ')}"


async def _apply_settings(run: RestoreRun, changes: dict[str, Any]) -> None:
    """One edit for every changed setting; when Discord refuses it for a reason other than
    permissions, each setting alone, so one value it will not take costs only itself."""

    def edit(fields: dict[str, Any]) -> Callable[[], Awaitable[discord.Guild]]:
        return lambda: run.guild.edit(**fields, reason=run.audit_reason)

    try:
        await run.call("server settings", edit(changes), record=False)
    except StepFailed as failed:
        cause = failed.__cause__
        if len(changes) == 1 or isinstance(cause, discord.Forbidden) or cause is None:
            for key in changes:
                reason = failure_reason(cause) if cause is not None else "refused"
                run.record("failed", f"{_setting(key)}: {reason}")
            return
        for key, value in changes.items():
            try:
                await run.call(_setting(key), edit({key: value}))
            except StepFailed:
                continue
            run.record("updated", _setting(key))
        return
    for key in changes:
        run.record("updated", _setting(key))
