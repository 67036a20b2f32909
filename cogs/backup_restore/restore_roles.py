"""Restore roles: create the missing ones top to bottom, update matched ones when asked,
then put them in the snapshot's order with one bulk position edit.

Discord puts a new role at the bottom, so creating from the highest role down leaves the
new roles in the right order among themselves; the bulk move then slots each one just
above its nearest lower neighbour of the snapshot. Roles the bot cannot hold or hand out
are skipped with the reason: managed roles (an integration owns them), roles that sit
above the bot's top role in the snapshot (the bot could never place them there) and roles
granting permissions the bot lacks (Discord refuses those).
"""

from __future__ import annotations

from typing import Any

import discord

from .restore_run import Planned, RestoreRun, StepFailed, image_bytes, image_differs


def _order(item: dict[str, Any]) -> tuple[int, int]:
    return int(item.get("position") or 0), int(item["id"])


def _anchor(run: RestoreRun, items: list[dict[str, Any]]) -> tuple[int, int] | None:
    """The snapshot place of the bot's top role, when the snapshot has that role."""
    top = run.me.top_role
    for item in items:
        live = run.roles.get(int(item["id"]))
        if isinstance(live, discord.Role) and live.id == top.id:
            return _order(item)
    return None


def _icon(run: RestoreRun, item: dict[str, Any]) -> bytes | str | None:
    """The role icon to send (image bytes or a unicode emoji), None when there is none or
    the server cannot show role icons (a skipped line says so)."""
    if not item.get("icon") and not item.get("unicode_emoji"):
        return None
    if "ROLE_ICONS" not in run.guild.features:
        run.record("skipped", f"role {item['name']} icon: the server has no role icons")
        return None
    if item.get("icon"):
        data = image_bytes(item["icon"])
        if data is None:
            run.record("skipped", f"role {item['name']} icon: the snapshot's image is unreadable")
        return data
    return str(item["unicode_emoji"])


async def _changes(run: RestoreRun, live: discord.Role, item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not live.is_default() and live.name != item["name"]:
        out["name"] = item["name"]
    if live.permissions.value != int(item.get("permissions") or 0):
        out["permissions"] = discord.Permissions(int(item.get("permissions") or 0))
    if live.is_default():
        return out
    if live.color.value != int(item.get("color") or 0):
        out["colour"] = discord.Colour(int(item.get("color") or 0))
    if live.hoist != bool(item.get("hoist")):
        out["hoist"] = bool(item.get("hoist"))
    if live.mentionable != bool(item.get("mentionable")):
        out["mentionable"] = bool(item.get("mentionable"))
    if "ROLE_ICONS" in run.guild.features:
        image = image_bytes(item.get("icon"))
        emoji = item.get("unicode_emoji") or None
        if image is not None:
            if await image_differs(live.icon, image):
                out["display_icon"] = image
        elif emoji is not None:
            if live.unicode_emoji != emoji or live.icon is not None:
                out["display_icon"] = str(emoji)
        elif live.icon is not None or live.unicode_emoji:
            out["display_icon"] = None
    return out


async def restore_roles(run: RestoreRun) -> None:
    run.begin("roles")
    items = sorted(run.snap.get("roles") or [], key=_order)
    anchor = _anchor(run, items)
    for item in reversed(items):  # hierarchy order: highest first
        try:
            await _restore_one(run, item, anchor)
        except StepFailed:
            pass
        await run.step(f"role {item['name']}")
    try:
        await reposition_roles(run, items)
    except StepFailed:
        pass
    await run.step("role order")


async def _restore_one(
    run: RestoreRun, item: dict[str, Any], anchor: tuple[int, int] | None
) -> None:
    sid = int(item["id"])
    label = "role @everyone" if item.get("default") else f"role {item['name']}"
    live = run.roles.get(sid)
    if isinstance(live, discord.Role):
        await _update(run, live, item, label)
        return
    if item.get("managed"):
        run.record("skipped", f"{label}: managed by an integration, cannot be created")
        return
    why = run.lacks("manage_roles")
    if why is None and anchor is not None and _order(item) > anchor:
        why = "above the bot's top role"
    if why is None:
        missing = run.ungrantable(int(item.get("permissions") or 0))
        if missing:
            why = f"grants permissions the bot lacks ({', '.join(missing)})"
    if why is not None:
        run.record("skipped", f"{label}: {why}")
        return
    run.created_roles.add(sid)
    icon = _icon(run, item)
    if run.dry_run:
        run.roles[sid] = Planned(str(item["name"]))
        run.record("created", label)
        return
    kwargs: dict[str, Any] = {
        "name": item["name"],
        "permissions": discord.Permissions(int(item.get("permissions") or 0)),
        "colour": discord.Colour(int(item.get("color") or 0)),
        "hoist": bool(item.get("hoist")),
        "mentionable": bool(item.get("mentionable")),
        "reason": run.audit_reason,
    }
    if icon is not None:
        kwargs["display_icon"] = icon
    try:
        role = await run.call(label, lambda: run.guild.create_role(**kwargs))
    except StepFailed:
        run.created_roles.discard(sid)
        raise
    run.roles[sid] = role
    run.record("created", label)


async def _update(run: RestoreRun, live: discord.Role, item: dict[str, Any], label: str) -> None:
    if not run.update_existing:
        return
    changes = await _changes(run, live, item)
    if not changes:
        return
    why = run.lacks("manage_roles")
    if why is None and live.managed:
        why = "managed by an integration"
    if why is None and not live.is_default() and not run.manageable(live):
        why = "above the bot's top role"
    if why is None and "permissions" in changes:
        added = changes["permissions"].value & ~live.permissions.value
        missing = run.ungrantable(added)
        if missing:
            why = f"grants permissions the bot lacks ({', '.join(missing)})"
    if why is not None:
        run.record("skipped", f"{label}: {why}")
        return
    if not run.dry_run:
        await run.call(label, lambda: live.edit(**changes, reason=run.audit_reason))
    run.record("updated", f"{label} ({', '.join(sorted(changes))})")


def _placed(run: RestoreRun, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The snapshot roles this restore puts in place: those it created, and with
    ``update_existing`` every matched role the bot may move."""
    out = []
    for item in items:
        live = run.roles.get(int(item["id"]))
        if item.get("default") or live is None:
            continue
        if int(item["id"]) in run.created_roles:
            out.append(item)
        elif run.update_existing and isinstance(live, discord.Role) and run.manageable(live):
            out.append(item)
    return out


async def reposition_roles(run: RestoreRun, items: list[dict[str, Any]]) -> None:
    placed = _placed(run, items)
    if not placed:
        return
    if run.dry_run:
        run.record("updated", f"role order ({len(placed)} role(s) placed)")
        return
    label = "role order"
    fetched = await run.call(label, run.guild.fetch_roles)
    mine = {r.id for r in run.me.roles}
    top = max((r.position for r in fetched if r.id in mine), default=0)
    movable = sorted(
        (r for r in fetched if not r.is_default() and r.position < top),
        key=lambda r: (r.position, -r.id),
    )
    movable_ids = {r.id for r in movable}
    placed_ids = {
        live.id
        for item in placed
        if isinstance(live := run.roles.get(int(item["id"])), discord.Role)
        and live.id in movable_ids
    }
    order: list[discord.Role] = [r for r in movable if r.id not in placed_ids]
    by_id = {r.id: r for r in movable}
    below: list[int] = []  # live IDs of the snapshot roles seen so far, bottom up
    for item in items:
        live = run.roles.get(int(item["id"]))
        if not isinstance(live, discord.Role):
            continue
        if live.id in placed_ids:
            index = 0
            for lower in reversed(below):
                found = next((i for i, r in enumerate(order) if r.id == lower), None)
                if found is not None:
                    index = found + 1
                    break
            order.insert(index, by_id[live.id])
        below.append(live.id)
    positions: dict[discord.abc.Snowflake, int] = dict(
        (role, index) for index, role in enumerate(order, 1)
    )
    if all(role.position == index for index, role in enumerate(order, 1)):
        return
    await run.call(label, lambda: run.guild.edit_role_positions(positions, reason=run.audit_reason))
    moved = sum(1 for index, role in enumerate(order, 1) if role.position != index)
    run.record("updated", f"role order ({moved} role(s) moved)")
