"""The tabs of the ``backup`` dashboard: Overview, Backups, Compare, Audit, Analytics.
Plain functions of the service's data (no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import discord

from cogs.core import embeds as styles
from cogs.core._common import DESCRIPTION_LIMIT, clip, duration, join_lines, size

from .embeds import (
    LEGEND,
    audit_lines,
    change_line,
    chunks,
    counts_text,
    snapshot_line,
    stamp,
)
from .model import Diff, ScheduleInfo, SnapshotInfo

TABS: dict[str, str] = {
    "overview": "Overview",
    "backups": "Backups",
    "compare": "Compare",
    "audit": "Audit",
    "analytics": "Analytics",
}
BACKUPS_PAGE = 5
AUDIT_PAGE = 10
COMPARE_SHOWN = 10


def pages_of(tab: str, items: int) -> int:
    per = {"backups": BACKUPS_PAGE, "audit": AUDIT_PAGE}.get(tab)
    return 1 if per is None else max(1, -(-items // per))


def _title(tab: str, guild: str) -> str:
    return f"💾 Backups · {TABS[tab]} · {clip(guild, 100)}"


def overview(
    guild: str,
    infos: Sequence[SnapshotInfo],
    sched: ScheduleInfo,
    cooldown_left: float,
    limit: int,
) -> discord.Embed:
    pinned = sum(1 for i in infos if i.pinned)
    total = sum(i.size for i in infos)
    embed = styles.info(
        _title("overview", guild),
        f"**{len(infos)}** backup(s) of {limit} kept · {size(total)} · {pinned} pinned",
    )
    if infos:
        latest = infos[0]
        embed.add_field(name="Latest", value=snapshot_line(latest), inline=False)
        embed.add_field(
            name="Latest contents",
            value=counts_text(latest.counts, members_captured=latest.members_captured),
            inline=False,
        )
        embed.add_field(name="Oldest", value=snapshot_line(infos[-1]), inline=False)
    else:
        embed.add_field(name="No backups yet", value="Make one with `backupcreate`.", inline=False)
    if sched.enabled:
        when = f" · next {stamp(sched.next_run, 'R')}" if sched.next_run else ""
        text = f"every {sched.interval_hours} h{when}"
    else:
        text = "off (`backupschedule enable <hours>`)"
    embed.add_field(name="Schedule", value=text, inline=True)
    embed.add_field(
        name="Cooldown",
        value=f"{duration(cooldown_left)} left" if cooldown_left > 0 else "ready",
        inline=True,
    )
    embed.set_footer(text=LEGEND)
    return embed


def backups(guild: str, infos: Sequence[SnapshotInfo], page: int) -> discord.Embed:
    pages = chunks(infos, BACKUPS_PAGE)
    page = max(0, min(page, len(pages) - 1))
    embed = styles.info(_title("backups", guild), None if infos else "No backups yet.")
    for info in pages[page]:
        lines = [
            f"{stamp(info.created_at)} by {clip(info.created_by, 80)} · {size(info.size)}",
            counts_text(info.counts, members_captured=info.members_captured),
        ]
        if info.label:
            lines.append(f"Label: {clip(info.label, 100)}")
        if info.note:
            lines.append(f"📝 {clip(info.note, 200)}")
        marks = ("📌 " if info.pinned else "") + ("🤖 " if info.automatic else "")
        embed.add_field(name=f"{marks}{info.id}", value="\n".join(lines)[:1024], inline=False)
    embed.set_footer(
        text=f"Page {page + 1}/{len(pages)} · {len(infos)} backup(s) · quick delete below "
        "(pinned backups are not offered)"
    )
    return embed


def compare(
    guild: str, latest: SnapshotInfo | None, diff: Diff | None, error: str | None
) -> discord.Embed:
    embed = styles.info(_title("compare", guild))
    if latest is None:
        embed.description = "No backup to compare with yet."
        return embed
    if error is not None or diff is None:
        embed.description = f"Could not compare with `{latest.id}`: {clip(error or '?', 500)}"
        return embed
    summary = diff.summary()
    head = f"Changes since the latest backup `{latest.id}` ({stamp(latest.created_at, 'R')})"
    if not diff.changes:
        embed.description = f"{head}\n\nThe server matches it: no drift. ✅"
        return embed
    counts = " · ".join(f"{n} {what}" for what, n in sorted(summary.items()))
    body = join_lines((change_line(c) for c in diff.changes[:COMPARE_SHOWN]), 2500)
    more = len(diff.changes) - COMPARE_SHOWN
    tail = f"\n… and {more} more" if more > 0 else ""
    embed.description = clip(f"{head}\n{counts}\n\n{body}{tail}", DESCRIPTION_LIMIT)
    embed.set_footer(text=f"Full list: backupdiff {latest.id} current")
    return embed


def audit(guild: str, entries: Sequence[dict[str, Any]], page: int) -> discord.Embed:
    pages = chunks(entries, AUDIT_PAGE)
    page = max(0, min(page, len(pages) - 1))
    body = join_lines(audit_lines(pages[page]), DESCRIPTION_LIMIT, empty="Nothing recorded yet.")
    embed = styles.info(_title("audit", guild), body)
    embed.set_footer(
        text=f"Page {page + 1}/{len(pages)} · {len(entries)} operation(s), newest first "
        "(the last 200 are kept)"
    )
    return embed


def analytics(
    guild: str, infos: Sequence[SnapshotInfo], entries: Sequence[dict[str, Any]]
) -> discord.Embed:
    embed = styles.info(_title("analytics", guild))
    if not infos:
        embed.description = "No backups yet."
    else:
        sizes = [i.size for i in infos]
        largest = max(infos, key=lambda i: i.size)
        auto = sum(1 for i in infos if i.automatic)
        embed.add_field(
            name="Backups",
            value=f"{len(infos)} ({len(infos) - auto} manual, {auto} automatic, "
            f"{sum(1 for i in infos if i.pinned)} pinned)",
            inline=False,
        )
        embed.add_field(
            name="Size",
            value=f"total {size(sum(sizes))} · average {size(sum(sizes) / len(sizes))} · "
            f"largest {size(largest.size)} (`{largest.id}`)",
            inline=False,
        )
        if len(infos) > 1:
            span = infos[0].created_at - infos[-1].created_at
            embed.add_field(
                name="Frequency",
                value=f"one every {duration(span / (len(infos) - 1))} on average",
                inline=False,
            )
            embed.add_field(name="Growth (oldest → latest)", value=_growth(infos), inline=False)
    if entries:
        actions = Counter(str(e.get("action", "?")) for e in entries)
        failed = sum(1 for e in entries if not e.get("ok", True))
        top = " · ".join(f"{name} {n}" for name, n in actions.most_common(6))
        embed.add_field(
            name="Operations (audit)",
            value=f"{len(entries)} recorded, {failed} failed\n{top}",
            inline=False,
        )
    return embed


def _growth(infos: Sequence[SnapshotInfo]) -> str:
    old, new = infos[-1].counts, infos[0].counts
    parts = []
    for key in ("roles", "channels", "emojis", "members"):
        if key in old or key in new:
            a, b = old.get(key, 0), new.get(key, 0)
            sign = f"+{b - a}" if b >= a else str(b - a)
            parts.append(f"{key} {a} → {b} ({sign})")
    return " · ".join(parts) or "—"
