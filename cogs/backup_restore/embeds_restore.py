"""Embeds of a restore: the options screen, the confirmations, live progress and the
final report. Plain functions of the model's data (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable

import discord

from cogs.core import embeds as styles
from cogs.core._common import clip, join_lines, size

from .model import COMPONENTS, ComponentResult, JobInfo, RestoreReport, SnapshotInfo

COMPONENT_LABELS: dict[str, str] = {
    "roles": "Roles",
    "categories": "Categories",
    "channels": "Channels",
    "overwrites": "Permission overwrites",
    "emojis": "Emojis",
    "stickers": "Stickers",
    "server_settings": "Server settings",
    "bans": "Bans",
    "member_roles": "Member roles",
    "bot_settings": "Bot settings",
    "messages": "Messages",
}
COMPONENT_HELP: dict[str, str] = {
    "roles": "created in hierarchy order",
    "categories": "with their positions",
    "channels": "in the right category and order",
    "overwrites": "remapped to the new role/channel IDs",
    "emojis": "with their images",
    "stickers": "with their images",
    "server_settings": "name, icon, verification, AFK, locale…",
    "bans": "re-ban users who were banned",
    "member_roles": "re-add the roles members had",
    "bot_settings": "prefix, mention prefix, role rules",
    "messages": "replayed through a webhook",
}
BAR_WIDTH = 20
ITEMS_SHOWN = 300
"""Characters of skipped/failed item descriptions shown per component."""


def label(component: str) -> str:
    return COMPONENT_LABELS.get(component, component)


def ordered(components: Iterable[str]) -> list[str]:
    chosen = set(components)
    return [c for c in COMPONENTS if c in chosen]


def _options(components: Iterable[str], update_existing: bool, role_sync: bool) -> str:
    lines = [f"• **{label(c)}** — {COMPONENT_HELP.get(c, '')}" for c in ordered(components)]
    lines.append("")
    lines.append(
        "🔁 Update existing: **on** — matched objects are brought back to the backup's settings"
        if update_existing
        else "🔁 Update existing: **off** — only missing objects are created"
    )
    lines.append(
        "⚠️ Role sync: **on** — roles members did not have in the backup are removed"
        if role_sync
        else "👥 Role sync: **off** — member roles are only added, never removed"
    )
    return "\n".join(lines)


def _about(info: SnapshotInfo) -> str:
    label_text = f" “{clip(info.label, 80)}”" if info.label else ""
    return f"Backup `{info.id}`{label_text} · {size(info.size)} · <t:{int(info.created_at)}:R>"


def setup(info: SnapshotInfo, components: Iterable[str], update: bool, sync: bool) -> discord.Embed:
    embed = styles.info("♻️ Restore a backup", _about(info))
    embed.add_field(name="Will restore", value=_options(components, update, sync), inline=False)
    embed.set_footer(
        text="Pick components in the menu · Dry run shows what would change without "
        "changing anything · Restore asks once more"
    )
    return embed


def confirm(
    info: SnapshotInfo, components: Iterable[str], update: bool, sync: bool
) -> discord.Embed:
    embed = styles.warning(
        "Restore this backup?",
        f"{_about(info)}\n\nObjects are matched by ID first, then by name and type; "
        "anything the bot may not touch is skipped and listed.",
    )
    embed.add_field(name="Components", value=_options(components, update, sync), inline=False)
    return embed


def role_sync_warning(info: SnapshotInfo) -> discord.Embed:
    return styles.warning(
        "Turn on role sync?",
        f"{_about(info)}\n\nWith role sync on, the restore also **removes** every role a member "
        "has now but did not have in this backup (roles above the bot's top role and "
        "managed roles are left alone). Member roles are restored too.",
    )


def bar(fraction: float) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled) + f" {fraction * 100:.0f}%"


def progress(job: JobInfo, *, dry_run: bool) -> discord.Embed:
    step = job.progress
    what = "Dry run of" if dry_run else "Restoring"
    embed = styles.info(f"⏳ {what} backup {job.snapshot_id}", f"`{bar(step.fraction)}`")
    if step.total_steps:
        embed.add_field(name="Step", value=f"{step.done_steps}/{step.total_steps}")
    embed.add_field(name="Working on", value=label(step.component) if step.component else "—")
    embed.add_field(name="Now", value=clip(step.message, 300) or "—", inline=False)
    embed.set_footer(text=f"Job {job.job_id} · updated at most every 2 s")
    return embed


def _component_value(result: ComponentResult, dry_run: bool) -> str:
    verbs = ("would create", "would update") if dry_run else ("created", "updated")
    head = (
        f"{verbs[0]} {len(result.created)} · {verbs[1]} {len(result.updated)} · "
        f"skipped {len(result.skipped)} · failed {len(result.failed)}"
    )
    lines = [head]
    lines += [f"⏭️ {clip(item, 120)}" for item in result.skipped]
    lines += [f"❌ {clip(item, 120)}" for item in result.failed]
    return join_lines(lines, len(head) + ITEMS_SHOWN)


def report(rep: RestoreReport, snapshot_id: str = "") -> discord.Embed:
    """The summary; ``snapshot_id`` names the backup when the report does not."""
    totals = rep.totals()
    name = rep.snapshot_id or snapshot_id
    if rep.error:
        what = "Dry run" if rep.dry_run else "Restore"
        embed = styles.error(
            f"{what} of {name} stopped", f"It stopped early: {clip(rep.error, 500)}"
        )
    elif rep.dry_run:
        embed = styles.info(
            f"🧪 Dry run of backup {name}",
            "Nothing was changed. This is what a restore with these options would do.",
        )
    elif totals["failed"]:
        embed = styles.warning(
            f"Restore of {name} finished with failures",
            "Some items could not be restored; they are listed below.",
        )
    else:
        embed = styles.success(f"Restore of {name} finished")
    for component in ordered(rep.components):
        embed.add_field(
            name=label(component),
            value=_component_value(rep.components[component], rep.dry_run),
            inline=False,
        )
    if not rep.components:
        embed.add_field(name="Components", value="Nothing was restored.", inline=False)
    took = max(0.0, rep.finished_at - rep.started_at)
    embed.set_footer(
        text=f"Total: created {totals['created']} · updated {totals['updated']} · skipped "
        f"{totals['skipped']} · failed {totals['failed']} · {took:.1f} s"
    )
    return embed


def lost(job_id: str) -> discord.Embed:
    return styles.warning(
        "Restore job no longer tracked",
        f"Job `{job_id}` is not in the job list any more; the backups audit "
        "(`backup` → Audit) has its result.",
    )
