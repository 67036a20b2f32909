"""Checks for ``bench_backup.py``: that a restore did the work (its report against the
snapshot and the sandbox's own state), and emptying the target guild between rounds."""

from __future__ import annotations

import asyncio
from typing import Any

import discord

from cogs.backup_restore.model import RestoreReport

_CATEGORY = 4
_KINDS = {"text": 0, "voice": 2, "news": 5, "stage": 13, "forum": 15}


async def target_truth(rt: Any, guild_id: int) -> dict[str, Any]:
    """The guild as the sandbox holds it: role names (and the managed ones), categories,
    channels as (name, type, category name) and the number of overwrites."""

    async def read() -> dict[str, Any]:
        guild = rt.sandbox.guild(guild_id)
        channels = list(guild.channels.values())
        names = {int(c["id"]): c["name"] for c in channels}
        role_names = {int(r["id"]): r["name"] for r in guild.roles.values()}
        users = rt.sandbox.state.users
        return {
            "roles": sorted(r["name"] for r in guild.roles.values() if int(r["id"]) != guild_id),
            "managed_roles": sorted(r["name"] for r in guild.roles.values() if r.get("managed")),
            "categories": sorted(c["name"] for c in channels if c["type"] == _CATEGORY),
            "channels": sorted(
                (c["name"], c["type"], names.get(int(c.get("parent_id") or 0), ""))
                for c in channels
                if c["type"] != _CATEGORY
            ),
            "overwrites": sum(len(c.get("permission_overwrites") or []) for c in channels),
            "member_roles": {
                uid: sorted(role_names[int(r)] for r in fields["roles"])
                for uid, fields in guild.members.items()
                if not users[uid].get("bot")
            },
        }

    return await rt.sandbox.call(read)  # type: ignore[no-any-return]


def _names(lines: list[str], prefix: str) -> set[str]:
    """Item names of report lines such as ``"role Mods"`` or ``"#general (text)"``,
    and of skipped lines such as ``"role Bots: managed by an integration"``."""
    out = set()
    for line in lines:
        head = line.split(": ", 1)[0]
        if head.startswith(prefix):
            out.add(head[len(prefix) :].rsplit(" (", 1)[0])
    return out


def check_report(
    snapshot: dict[str, Any],
    report: RestoreReport,
    before: dict[str, Any],
    after: dict[str, Any],
) -> dict[str, Any]:
    """Whether the restore created every role, category and channel of the snapshot that
    the target lacked and the report does not skip with a reason, with nothing failed,
    and whether the sandbox now holds them (with every overwrite of the snapshot)."""
    problems: list[str] = []
    parts = report.components
    totals = report.totals()
    if report.error is not None:
        problems.append(f"restore stopped: {report.error}")
    if totals["failed"]:
        problems.append(f"{totals['failed']} item(s) failed")
    categories = {int(c["id"]): c["name"] for c in snapshot["categories"]}
    wanted = {
        "roles": {r["name"] for r in snapshot["roles"] if not r.get("default")}
        - set(before["roles"]),
        "categories": set(categories.values()) - set(before["categories"]),
        "channels": {c["name"] for c in snapshot["channels"]}
        - {name for name, _, _ in before["channels"]},
    }
    prefixes = {"roles": "role ", "categories": "category ", "channels": "#"}
    created_counts = {}
    for part, prefix in prefixes.items():
        result = parts.get(part)
        created = _names(result.created, prefix) if result else set()
        skipped = _names(result.skipped, prefix) if result else set()
        expect = wanted[part] - skipped
        created_counts[part] = len(result.created) if result else 0
        if created != expect or created_counts[part] != len(expect):
            problems.append(
                f"{part}: created {created_counts[part]}, expected {len(expect)} "
                f"(snapshot {len(wanted[part])} missing, {len(skipped)} skipped)"
            )
    have_roles = set(after["roles"])
    skipped_roles = _names(parts["roles"].skipped, "role ") if "roles" in parts else set()
    missing_roles = wanted["roles"] - skipped_roles - have_roles
    if missing_roles:
        problems.append(f"{len(missing_roles)} role(s) not in the sandbox after the restore")
    want_channels = sorted(
        (c["name"], _KINDS[c["type"]], categories.get(int(c.get("category_id") or 0), ""))
        for c in snapshot["channels"]
    )
    if sorted(after["channels"]) != want_channels:
        problems.append("the sandbox's channels (name, type, category) differ from the snapshot")
    if set(after["categories"]) != set(categories.values()):
        problems.append("the sandbox's categories differ from the snapshot")
    snapshot_overwrites = sum(
        len(item.get("overwrites") or []) for item in snapshot["categories"] + snapshot["channels"]
    )
    if after["overwrites"] != snapshot_overwrites:
        problems.append(
            f"{after['overwrites']} overwrites in the sandbox, "
            f"{snapshot_overwrites} in the snapshot"
        )
    members = _check_members(snapshot, report, after, problems)
    return {
        "ok": not problems,
        "problems": problems,
        "created": created_counts,
        "skipped": {k: len(v.skipped) for k, v in parts.items() if v.skipped},
        "overwrites": after["overwrites"],
        "roles_after": len(after["roles"]),
        "channels_after": len(after["channels"]) + len(after["categories"]),
        "members_given_roles": members,
    }


def _check_members(
    snapshot: dict[str, Any], report: RestoreReport, after: dict[str, Any], problems: list[str]
) -> int:
    """Members of the target who are in the snapshot must now hold the snapshot's roles
    (by name), one report line each; returns how many were given roles."""
    names = {int(r["id"]): r["name"] for r in snapshot["roles"]}
    present = after["member_roles"]
    given = 0
    for item in snapshot["members"]["items"]:
        if item["id"] not in present:
            continue
        want = sorted(names[int(rid)] for rid in item["roles"])
        given += bool(want)
        if present[item["id"]] != want:
            problems.append(f"member {item['name']} has {present[item['id']]}, wanted {want}")
            break
    result = report.components.get("member_roles")
    updated = len(result.updated) if result else 0
    if updated != given:
        problems.append(f"member roles: {updated} member(s) updated, expected {given}")
    return given


async def empty_target(rt: Any, target: discord.Guild, name: str, timeout: float = 120.0) -> None:
    """Delete every channel and every unmanaged role of ``target`` and give it back its
    ``name`` through the sandbox (as its owner would, with the gateway events), and wait
    until the bot has seen it."""

    async def ids() -> tuple[list[int], list[int]]:
        guild = rt.sandbox.guild(target.id)
        channels = [int(c["id"]) for c in guild.channels.values()]
        roles = [
            int(r["id"])
            for r in guild.roles.values()
            if int(r["id"]) != target.id and not r.get("managed")
        ]
        return channels, roles

    channels, roles = await rt.sandbox.call(ids)
    for cid in channels:
        await rt.sandbox.delete_channel(cid, target.id)
    for rid in roles:
        await rt.sandbox.delete_role(rid, target.id)
    await rt.sandbox.edit_guild(target.id, name=name)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while target.channels or len(target.roles) > 2 or target.name != name:
        if loop.time() > deadline:
            raise RuntimeError("the bot did not see the target emptied")
        await asyncio.sleep(0.05)
