"""Restore bans, members' roles and the bot's own settings for the server.

Bans: the users banned in the snapshot and not banned now are banned again, in bulk
(up to 200 a request, one request per distinct reason) when the bot may, else one by one.
Member roles: each member gets back the roles they had (one edit per member); with
``role_sync`` the roles they did not have are removed too. Roles the bot cannot assign
(managed ones, those at or above its top role) are left alone and listed.
Bot settings: prefix and mention prefix, and the per-command role rules with their role
IDs remapped to the restored roles.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

import aiohttp
import discord

from .restore_run import RestoreRun, StepFailed, failure_reason

#: Users per bulk-ban request (Discord's maximum).
BULK_BAN_MAX = 200


# -- bans --------------------------------------------------------------------------------
async def restore_bans(run: RestoreRun) -> None:
    run.begin("bans")
    items = list(run.snap.get("bans") or [])
    labels = [f"ban {b.get('name') or b['user_id']}" for b in items]
    why = run.lacks("ban_members")
    if why is not None:
        await run.skip_all(labels, why)
        return
    try:
        banned = {entry.user.id async for entry in run.guild.bans(limit=None)}
    except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
        await run.skip_all(labels, f"the ban list could not be read ({failure_reason(exc)})")
        return
    missing = [b for b in items if int(b["user_id"]) not in banned]
    await run.step("bans already in place", len(items) - len(missing))
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ban in missing:
        groups[str(ban.get("reason") or run.audit_reason)[:512]].append(ban)
    bulk = run.lacks("manage_guild") is None
    for reason, bans in groups.items():
        for start in range(0, len(bans), BULK_BAN_MAX if bulk else 1):
            chunk = bans[start : start + (BULK_BAN_MAX if bulk else 1)]
            await _ban(run, chunk, reason, bulk)
            await run.step(f"bans {start + len(chunk)}/{len(bans)}", len(chunk))


async def _ban(run: RestoreRun, chunk: list[dict[str, Any]], reason: str, bulk: bool) -> None:
    names = {int(b["user_id"]): f"ban {b.get('name') or b['user_id']}" for b in chunk}
    if run.dry_run:
        for name in names.values():
            run.record("created", name)
        return
    users = [discord.Object(uid) for uid in names]
    label = ", ".join(names.values()) if len(names) <= 3 else f"{len(names)} bans"
    try:
        if not bulk:
            await run.call(
                label, lambda: run.guild.ban(users[0], reason=reason, delete_message_seconds=0)
            )
            run.record("created", names[users[0].id])
            return
        result = await run.call(
            label, lambda: run.guild.bulk_ban(users, reason=reason, delete_message_seconds=0)
        )
    except StepFailed:
        return
    for user in result.banned:
        run.record("created", names.get(user.id, f"ban {user.id}"))
    for user in result.failed:
        run.record("failed", f"{names.get(user.id, f'ban {user.id}')}: Discord refused it")


# -- member roles ------------------------------------------------------------------------
async def restore_member_roles(run: RestoreRun) -> None:
    run.begin("member_roles")
    members = run.snap.get("members") or {}
    items = list(members.get("items") or [])
    if not members.get("captured"):
        note = str(members.get("note") or "member roles are not in this snapshot")
        run.record("skipped", f"member roles: {note}")
        await run.step("member roles not in the snapshot", max(1, len(items)))
        return
    for item in items:
        label = f"member {item.get('name') or item['id']}"
        try:
            await _member(run, item, label)
        except StepFailed:
            pass
        await run.step(label)


def _assignable(run: RestoreRun, role: discord.Role) -> str | None:
    if role.managed:
        return "managed by an integration"
    if not run.manageable(role):
        return "above the bot's top role"
    return None


async def _member(run: RestoreRun, item: dict[str, Any], label: str) -> None:
    member = await run.member(int(item["id"]))
    if member is None:
        run.record("skipped", f"{label}: not a member of this server")
        return
    current = {r.id: r for r in member.roles if not r.is_default()}
    wanted: dict[int, Any] = {}
    for rid in item.get("roles") or []:
        live = run.live_role(int(rid))
        if live is None:
            run.record("skipped", f"{label}: role {run.role_name(int(rid))} was not restored")
        elif not (isinstance(live, discord.Role) and live.is_default()):
            wanted[live.id if isinstance(live, discord.Role) else -int(rid)] = live
    add = [r for k, r in wanted.items() if k not in current]
    remove = [r for k, r in current.items() if k not in wanted] if run.options.role_sync else []
    for role in list(add) + list(remove):
        why = _assignable(run, role) if isinstance(role, discord.Role) else None
        if why is not None:
            verb = "add" if role in add else "remove"
            run.record("skipped", f"{label}: cannot {verb} role {role.name}: {why}")
            (add if role in add else remove).remove(role)
    if not add and not remove:
        return
    why = run.lacks("manage_roles")
    if why is not None:
        run.record("skipped", f"{label}: {why}")
        return
    if not run.dry_run:
        kept = [r for r in current.values() if r not in remove]
        roles = kept + [r for r in add if isinstance(r, discord.Role)]
        await run.call(label, lambda: member.edit(roles=roles, reason=run.audit_reason))
    parts = [f"+{r.name}" for r in add] + [f"-{r.name}" for r in remove]
    run.record("updated", f"{label} ({' '.join(parts)})")


# -- bot settings ------------------------------------------------------------------------
_DB_ERRORS = (ValueError, RuntimeError, OSError, sqlite3.Error)


async def restore_bot_settings(run: RestoreRun) -> None:
    run.begin("bot_settings")
    try:
        await _bot_settings(run, run.snap.get("bot_settings") or {})
    except _DB_ERRORS as exc:
        run.record("failed", f"bot settings: {exc}")
    await run.step("bot settings")


async def _bot_settings(run: RestoreRun, settings: dict[str, Any]) -> None:
    db = run.bot.services.db
    gid = run.guild.id
    prefix = settings.get("prefix")
    if prefix != await db.get_prefix(gid):
        if not run.dry_run:
            await db.set_prefix(gid, prefix)
        run.record("updated", f"prefix ({prefix or 'default'})")
    mention = settings.get("mention_prefix")
    if mention != await db.get_mention_prefix(gid):
        if not run.dry_run:
            await db.set_mention_prefix(gid, mention)
        shown = "default" if mention is None else ("on" if mention else "off")
        run.record("updated", f"mention prefix ({shown})")
    current = await db.list_command_permissions(gid)
    rules: dict[str, Any] = settings.get("role_rules") or {}
    for command, role_ids in sorted(rules.items()):
        await _rule(run, command, role_ids, current.get(command))
    if run.update_existing:
        for command in sorted(set(current) - set(rules)):
            if not run.dry_run:
                await db.set_command_roles(gid, command, [])
            run.record("updated", f"role rule {command} (removed)")


async def _rule(run: RestoreRun, command: str, role_ids: list[int], now: list[int] | None) -> None:
    label = f"role rule {command}"
    mapped: list[int] = []
    for rid in role_ids:
        live = run.live_role(int(rid))
        if live is None:
            run.record("skipped", f"{label}: role {run.role_name(int(rid))} was not restored")
        else:
            mapped.append(live.id if isinstance(live, discord.Role) else -int(rid))
    if not mapped:
        run.record("skipped", f"{label}: none of its roles were restored")
        return
    if now is not None and sorted(now) == sorted(mapped):
        return
    if now is not None and not run.update_existing:
        run.record("skipped", f"{label}: differs (update existing is off)")
        return
    if not run.dry_run:
        await run.bot.services.db.set_command_roles(run.guild.id, command, mapped)
    run.record("created" if now is None else "updated", label)
