"""Permission overwrites: remap the snapshot's to live roles and members, and apply them.

A role overwrite follows its role to the live role it was matched to or recreated as (the
``@everyone`` overwrite to this server's ``@everyone``); a member overwrite is kept only
for someone who is a member here. Channels created by this restore got their overwrites
in the create request already (:func:`creatable` picks the ones Discord accepts there;
without the overwrites component a channel takes its category's, as in Discord's client);
the overwrites component then adds what is missing on every restored channel in one
edit per channel and, with ``update_existing``, also corrects and removes the others.
Overwrites the bot may not write (permissions it lacks itself) are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord

from .restore_run import Planned, RestoreRun, StepFailed

Target = discord.Role | discord.Member | discord.Object | Planned


@dataclass(frozen=True)
class Wanted:
    target: Target
    name: str
    allow: int
    deny: int


def target_key(target: Target, planned_id: int = 0) -> int:
    """Live ID; a Planned role (dry run) is keyed by minus its snapshot ID."""
    return -planned_id if isinstance(target, Planned) else target.id


async def wanted_overwrites(
    run: RestoreRun, item: dict[str, Any]
) -> tuple[dict[int, Wanted], list[str]]:
    """The snapshot item's overwrites keyed by live target ID, and notes on those that
    have no target here."""
    out: dict[int, Wanted] = {}
    notes: list[str] = []
    for ow in item.get("overwrites") or []:
        tid = int(ow["target_id"])
        allow, deny = int(ow.get("allow") or 0), int(ow.get("deny") or 0)
        if ow.get("target_type") == "role":
            role = run.live_role(tid)
            name = (
                "@everyone"
                if isinstance(role, discord.Role) and role.is_default()
                else (f"@{ow.get('target_name') or run.role_name(tid)}")
            )
            if role is None:
                notes.append(f"overwrite for {name}: role not restored")
                continue
            out[target_key(role, tid)] = Wanted(role, name, allow, deny)
        else:
            name = f"member {ow.get('target_name') or tid}"
            member = await run.member(tid)
            if member is None:
                notes.append(f"overwrite for {name}: not a member of this server")
                continue
            out[member.id] = Wanted(member, name, allow, deny)
    return out, notes


def _blocked(run: RestoreRun, bits: int, *, creating: bool) -> list[str]:
    """Permissions in ``bits`` the bot cannot put in an overwrite (creating a channel,
    Discord also keeps Manage Roles in overwrites to administrators)."""
    missing = run.ungrantable(bits)
    if creating and not run.is_admin and bits & discord.Permissions(manage_roles=True).value:
        missing.append("Manage Roles (administrators only)")
    return missing


def as_mapping(wanted: dict[int, Wanted]) -> dict[Any, discord.PermissionOverwrite]:
    return {
        w.target: discord.PermissionOverwrite.from_pair(
            discord.Permissions(w.allow), discord.Permissions(w.deny)
        )
        for w in wanted.values()
    }


async def creatable(
    run: RestoreRun, item: dict[str, Any], parent: discord.CategoryChannel | None = None
) -> dict[Any, Any] | None:
    """The overwrites to send when creating ``item`` (None: none).

    When overwrites are not being restored, a channel created in a category gets the
    category's (as Discord's own client does); without Manage Roles it gets none.
    """
    if run.lacks("manage_roles"):
        return None
    if "overwrites" not in run.options.components:
        if parent is None:
            return None
        synced = {
            target: ow
            for target, ow in parent.overwrites.items()
            if not _blocked(run, ow.pair()[0].value | ow.pair()[1].value, creating=True)
        }
        return dict(synced)
    wanted, _ = await wanted_overwrites(run, item)
    ok = {
        k: w
        for k, w in wanted.items()
        if not isinstance(w.target, Planned) and not _blocked(run, w.allow | w.deny, creating=True)
    }
    run.preset_overwrites[int(item["id"])] = len(ok)
    return as_mapping(ok)


def _label(item: dict[str, Any], category: bool) -> str:
    return f"category {item['name']}" if category else f"#{item['name']}"


async def restore_overwrites(run: RestoreRun) -> None:
    run.begin("overwrites")
    cats = [(c, True) for c in run.snap.get("categories") or []]
    chans = [(c, False) for c in run.snap.get("channels") or []]
    for item, category in cats + chans:
        label = _label(item, category)
        try:
            await _restore_one(run, item, label)
        except StepFailed:
            pass
        await run.step(label)


async def _restore_one(run: RestoreRun, item: dict[str, Any], label: str) -> None:
    sid = int(item["id"])
    live = run.live_channel(sid)
    if live is None:
        if item.get("overwrites"):
            run.record("skipped", f"{label}: channel not restored")
        return
    wanted, notes = await wanted_overwrites(run, item)
    for note in notes:
        run.record("skipped", f"{label}: {note}")
    preset = run.preset_overwrites.get(sid, 0)
    if preset:
        run.record("created", f"{label}: {preset} overwrite(s)")
    if isinstance(live, Planned):
        if wanted:
            run.record("created", f"{label}: {len(wanted)} overwrite(s)")
        return
    current = {target.id: (target, ow.pair()) for target, ow in live.overwrites.items()}
    add = [k for k in wanted if k not in current]
    change = [
        k
        for k, w in wanted.items()
        if k in current and (current[k][1][0].value, current[k][1][1].value) != (w.allow, w.deny)
    ]
    remove = [k for k in current if k not in wanted] if run.update_existing else []
    if not run.update_existing:
        for k in change:
            run.record(
                "skipped",
                f"{label}: overwrite for {wanted[k].name} differs (update existing is off)",
            )
        change = []
    for keys in (add, change):
        for k in list(keys):
            w = wanted[k]
            old = current.get(k, (None, (discord.Permissions(0), discord.Permissions(0))))[1]
            bits = (w.allow ^ old[0].value) | (w.deny ^ old[1].value)
            blocked = _blocked(run, bits, creating=False)
            if blocked:
                keys.remove(k)
                reason = f"the bot cannot set {', '.join(blocked)}"
                run.record("skipped", f"{label}: overwrite for {w.name}: {reason}")
    for k in list(remove):
        allow, deny = current[k][1]
        if _blocked(run, allow.value | deny.value, creating=False):
            remove.remove(k)
            run.record("skipped", f"{label}: extra overwrite kept: the bot cannot clear it")
    if not (add or change or remove):
        return
    why = run.lacks("manage_roles")
    if why is not None:
        run.record("skipped", f"{label}: {why}")
        return
    if not run.dry_run:
        channel: Any = live
        mapping: dict[Any, discord.PermissionOverwrite] = {
            target: discord.PermissionOverwrite.from_pair(*pair)
            for k, (target, pair) in current.items()
            if k not in remove
        }
        mapping.update(as_mapping({k: wanted[k] for k in add + change}))
        await run.call(label, lambda: channel.edit(overwrites=mapping, reason=run.audit_reason))
    if add:
        run.record("created", f"{label}: {len(add)} overwrite(s)")
    if change or remove:
        run.record("updated", f"{label}: {len(change)} overwrite(s) changed, {len(remove)} removed")
