"""Embeds of the backup commands: snapshot lists and details, verify, schedule, diff,
statistics and the audit trail. Plain functions of the service's data (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import discord

from cogs.core import embeds as styles
from cogs.core._common import DESCRIPTION_LIMIT, clip, join_lines, size

from .model import Change, Diff, ScheduleInfo, SnapshotInfo, VerifyResult

T = TypeVar("T")

LIST_PAGE = 10
DIFF_PAGE = 15
STATS_PAGE = 10
COUNT_ORDER = ("roles", "categories", "channels", "emojis", "stickers", "bans", "members")
KIND_MARKS = {"added": "➕", "removed": "➖", "changed": "✏️"}
ID_HINT = "Backup IDs look like `20261202T194400Z-a1b2c3`; `backuplist` shows them."


def stamp(when: float, style: str = "f") -> str:
    """A Discord timestamp (each reader sees it in their own time zone)."""
    return f"<t:{int(when)}:{style}>"


def chunks(items: Sequence[T], per_page: int) -> list[list[T]]:
    """``items`` in pages of ``per_page`` (always at least one, possibly empty, page)."""
    return [list(items[i : i + per_page]) for i in range(0, len(items), per_page)] or [[]]


def counts_text(counts: dict[str, int], *, members_captured: bool = True) -> str:
    parts = [f"{counts.get(key, 0)} {key}" for key in COUNT_ORDER if key in counts]
    if not members_captured:
        parts = [p for p in parts if not p.endswith(" members")] + ["member roles not captured"]
    if counts.get("messages"):
        parts.append(f"{counts['messages']} messages")
    return " · ".join(parts) or "empty"


def snapshot_line(info: SnapshotInfo) -> str:
    marks = ("📌 " if info.pinned else "") + ("🤖 " if info.automatic else "")
    parts = [f"{marks}`{info.id}`", stamp(info.created_at, "R"), size(info.size)]
    if info.label:
        parts.append(f"“{clip(info.label, 60)}”")
    if info.note:
        parts.append("📝")
    return " · ".join(parts)


LEGEND = "📌 pinned (never pruned or deleted) · 🤖 automatic · 📝 has a note"


def created(info: SnapshotInfo, *, bypassed: bool) -> discord.Embed:
    embed = styles.success("Backup created", f"`{info.id}` · {size(info.size)}")
    embed.add_field(name="Label", value=clip(info.label) or "—", inline=True)
    embed.add_field(name="By", value=clip(info.created_by, 200) or "—", inline=True)
    embed.add_field(
        name="Contents",
        value=counts_text(info.counts, members_captured=info.members_captured),
        inline=False,
    )
    if not info.members_captured:
        embed.add_field(
            name="Member roles",
            value="Not captured: the bot needs the members intent (and the member list).",
            inline=False,
        )
    if bypassed:
        embed.add_field(
            name="⏱️ Cooldown bypassed",
            value="A backup of this server was made recently; as a bot owner you skipped "
            "the cooldown.",
            inline=False,
        )
    embed.set_footer(text=f"Checksum {info.checksum[:16]}… · restore with backuprestore")
    return embed


def details(info: SnapshotInfo) -> discord.Embed:
    title = f"{'📌 ' if info.pinned else ''}💾 Backup {info.id}"
    embed = styles.info(title, clip(info.label, DESCRIPTION_LIMIT) or None)
    embed.add_field(
        name="Created", value=f"{stamp(info.created_at)} ({stamp(info.created_at, 'R')})"
    )
    embed.add_field(name="By", value=clip(info.created_by, 200) or "—")
    embed.add_field(name="Size", value=size(info.size))
    embed.add_field(name="Pinned", value="yes" if info.pinned else "no")
    embed.add_field(name="Kind", value="automatic" if info.automatic else "manual")
    for key in COUNT_ORDER:
        if key == "members" and not info.members_captured:
            embed.add_field(name="Members", value="not captured")
        else:
            embed.add_field(name=key.capitalize(), value=str(info.counts.get(key, 0)))
    embed.add_field(name="Messages", value=str(info.counts.get("messages", 0)))
    embed.add_field(name="Note", value=clip(info.note) or "—", inline=False)
    embed.add_field(name="Checksum (SHA-256)", value=f"`{info.checksum}`", inline=False)
    return embed


def list_pages(infos: Sequence[SnapshotInfo], guild_name: str, limit: int) -> list[discord.Embed]:
    pages = chunks(infos, LIST_PAGE)
    out = []
    for number, chunk in enumerate(pages, 1):
        body = join_lines(
            (snapshot_line(i) for i in chunk),
            DESCRIPTION_LIMIT,
            empty="No backups yet. Make one with `backupcreate`.",
        )
        embed = styles.info(f"💾 Backups of {clip(guild_name, 200)} ({len(infos)})", body)
        embed.set_footer(
            text=f"Page {number}/{len(pages)} · kept: {limit} per server (oldest unpinned "
            f"pruned)\n{LEGEND}"
        )
        out.append(embed)
    return out


def verified(snapshot_id: str, result: VerifyResult) -> discord.Embed:
    if result.ok:
        embed = styles.success("Backup verified", f"`{snapshot_id}`: {result.reason}.")
    else:
        embed = styles.error(
            "Backup failed verification",
            f"`{snapshot_id}`: {result.reason}. It will not be restored.",
        )
    if result.checksum:
        embed.add_field(name="SHA-256 (recomputed)", value=f"`{result.checksum}`", inline=False)
    return embed


def schedule(info: ScheduleInfo, *, changed: str | None = None) -> discord.Embed:
    if info.enabled:
        text = f"Automatic backups every **{info.interval_hours} h**."
    else:
        text = "Automatic backups are **off**."
    embed = styles.success(changed, text) if changed else styles.info("⏰ Backup schedule", text)
    if info.enabled and info.next_run is not None:
        embed.add_field(
            name="Next run", value=f"{stamp(info.next_run)} ({stamp(info.next_run, 'R')})"
        )
    if info.last_run is not None:
        embed.add_field(name="Last run", value=stamp(info.last_run, "R"))
    if info.last_result:
        embed.add_field(name="Last result", value=clip(info.last_result), inline=False)
    embed.set_footer(text="backupschedule enable <1-168> · backupschedule disable")
    return embed


def _value(value: Any) -> str:
    if value is None or value == "":
        return "∅"
    if isinstance(value, list | tuple):
        return clip(", ".join(str(v) for v in value) or "∅", 80)
    return clip(str(value), 80)


def change_line(change: Change) -> str:
    line = f"{KIND_MARKS.get(change.kind, '•')} {change.what} **{clip(change.name, 100)}**"
    if change.fields:
        shown = [f"{k}: {_value(b)} → {_value(a)}" for k, (b, a) in list(change.fields.items())[:4]]
        more = len(change.fields) - len(shown)
        line += " — " + "; ".join(shown) + (f"; +{more} more" if more > 0 else "")
    return clip(line, 400)


def diff_pages(diff: Diff) -> list[discord.Embed]:
    pages = chunks(diff.changes, DIFF_PAGE)
    summary = diff.summary()
    head = (
        " · ".join(f"{n} {what}" for what, n in sorted(summary.items()))
        if summary
        else "No differences."
    )
    out = []
    for number, chunk in enumerate(pages, 1):
        body = join_lines((change_line(c) for c in chunk), DESCRIPTION_LIMIT - 1200, empty="—")
        embed = styles.info(
            f"🔍 {clip(diff.before, 100)} → {clip(diff.after, 100)}",
            f"{clip(head, 1000)}\n\n{body}" if diff.changes else head,
        )
        embed.set_footer(
            text=f"Page {number}/{len(pages)} · {len(diff.changes)} change(s) · "
            "➕ added ➖ removed ✏️ changed"
        )
        out.append(embed)
    return out


def stats_pages(stats: dict[str, Any], names: dict[int, str]) -> list[discord.Embed]:
    rows = list(stats.get("per_guild") or [])
    pages = chunks(rows, STATS_PAGE)
    head = (
        f"{stats.get('guilds', 0)} server(s) · {stats.get('snapshots', 0)} backup(s) · "
        f"{size(stats.get('bytes', 0))} on disk"
    )
    out = []
    for number, chunk in enumerate(pages, 1):
        lines = []
        for row in chunk:
            gid = int(row.get("guild_id", 0))
            latest = row.get("latest")
            when = stamp(float(latest), "R") if latest else "never"
            lines.append(
                f"**{clip(names.get(gid, 'unknown server'), 60)}** (`{gid}`) · "
                f"{row.get('snapshots', 0)} backup(s) · {size(row.get('bytes', 0))} · "
                f"latest {when}"
            )
        embed = styles.info(
            "📊 Backups on all servers",
            head + "\n\n" + join_lines(lines, DESCRIPTION_LIMIT - 300, empty="No backups yet."),
        )
        embed.set_footer(text=f"Page {number}/{len(pages)}")
        out.append(embed)
    return out


def audit_line(entry: dict[str, Any]) -> str:
    mark = "✅" if entry.get("ok", True) else "❌"
    when = entry.get("time")
    at = stamp(float(when), "R") if isinstance(when, int | float) else "?"
    line = (
        f"{mark} {at} **{clip(str(entry.get('action', '?')), 40)}** "
        f"`{clip(str(entry.get('target', '')), 40)}` by {clip(str(entry.get('actor', '?')), 60)}"
    )
    detail = str(entry.get("detail") or "")
    return line + (f" — {clip(detail, 150)}" if detail else "")


def audit_lines(entries: Iterable[dict[str, Any]]) -> list[str]:
    return [audit_line(e) for e in entries]
