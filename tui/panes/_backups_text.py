"""What the Backups pane writes: table cells, a diff, a restore's summary.

Pure functions of the plain data the backup views return (see
``zoryx/readmodel/views_backups.py``); no widgets here.
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text

from tui.widgets import FROZEN, clock, human_bytes, human_duration

from ._backups_dialogs import component_label

__all__ = [
    "audit_text",
    "created_text",
    "diff_text",
    "report_text",
    "schedule_text",
    "snapshot_cells",
    "snapshot_name",
    "why_off",
]

KIND_MARK = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow")}
#: Most changes listed one by one in a diff (the summary counts them all).
DIFF_LINES = 200
#: Most items listed per outcome of a component in a restore summary.
REPORT_ITEMS = 8


def created_text(at: float, frozen: bool) -> str:
    """When a snapshot was taken (local time), or a placeholder in snapshot mode."""
    return FROZEN if frozen else time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def snapshot_name(snapshot: dict[str, Any], frozen: bool = False) -> str:
    """How messages name a snapshot: its label, else its ID (masked in snapshot mode)."""
    if snapshot.get("label"):
        return f"“{snapshot['label']}”"
    return FROZEN if frozen else str(snapshot["id"])


def snapshot_cells(snapshot: dict[str, Any], frozen: bool, marked: bool) -> tuple[Any, ...]:
    """Created, Size, Members, Pin, Label, Note."""
    created = Text(("◆ " if marked else "") + created_text(snapshot["created_at"], frozen))
    if marked:
        created.stylize("bold cyan")
    label = snapshot["label"] or ("(automatic)" if snapshot.get("automatic") else "")
    members = str(snapshot["members"]) if snapshot.get("members_captured", True) else "n/a"
    return (
        created,
        human_bytes(snapshot["size"]),
        members,
        Text("✓", style="bold yellow") if snapshot["pinned"] else "",
        Text(label, style="dim" if not snapshot["label"] else ""),
        Text(snapshot["note"]),
    )


def schedule_text(schedule: dict[str, Any] | None, frozen: bool) -> str:
    if not schedule or not schedule.get("enabled"):
        return "schedule off"
    text = f"every {schedule['interval_hours']} h"
    next_run = schedule.get("next_run")
    if next_run is not None:
        left = FROZEN if frozen else human_duration(max(0.0, next_run - time.time()))
        text += f" (next in {left})"
    return text


def _value(value: Any) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def diff_text(data: dict[str, Any], before: str, after: str) -> Text:
    """A diff as lines: ``+ role Mods`` / ``- channel #x`` / ``~ role Admin: color 1 → 2``."""
    changes = data["changes"]
    total = data["total"]
    out = Text()
    out.append(f"{before} → {after}: ", style="bold")
    if not total:
        out.append("no differences")
        return out
    summary = ", ".join(f"{count} {key}" for key, count in sorted(data["summary"].items()))
    out.append(f"{total} change{'s' if total != 1 else ''} ({summary})")
    for change in changes[:DIFF_LINES]:
        mark, style = KIND_MARK.get(change["kind"], ("?", ""))
        out.append(f"\n{mark} {change['what']} {change['name']}", style=style)
        fields = change.get("fields") or {}
        if fields:
            parts = []
            for key, pair in fields.items():
                old, new = [*pair, None, None][:2] if isinstance(pair, list) else (pair, "")
                parts.append(f"{key} {_value(old)} → {_value(new)}")
            out.append(": " + "; ".join(parts))
    if total > min(len(changes), DIFF_LINES):
        out.append(f"\n… and {total - min(len(changes), DIFF_LINES)} more", style="dim")
    return out


def report_text(job: dict[str, Any]) -> tuple[Text, bool]:
    """A finished restore: one line per component, then what was skipped or failed.

    Returns the text and whether it reports a problem (failures or an early stop).
    """
    report = job["report"]
    totals = report["totals"]
    out = Text()
    head = "Dry run — nothing was changed. " if report["dry_run"] else "Restore finished. "
    out.append(head, style="bold")
    out.append(
        f"{totals['created']} created · {totals['updated']} updated · "
        f"{totals['skipped']} skipped · {totals['failed']} failed"
    )
    if report.get("error"):
        out.append(f"\nStopped early: {report['error']}", style="bold red")
    for name, result in report["components"].items():
        counts = result["counts"]
        out.append(f"\n{component_label(name):<16}", style="bold")
        out.append(
            f"{counts['created']:>4} created {counts['updated']:>4} updated "
            f"{counts['skipped']:>4} skipped {counts['failed']:>4} failed"
        )
        for outcome, style in (("failed", "red"), ("skipped", "yellow")):
            items = result[outcome]
            for item in items[:REPORT_ITEMS]:
                out.append(f"\n    {outcome}: {item}", style=style)
            more = counts[outcome] - min(len(items), REPORT_ITEMS)
            if more > 0:
                out.append(f"\n    … {more} more {outcome}", style="dim")
    return out, bool(totals["failed"] or report.get("error"))


def why_off(data: dict[str, Any]) -> Text:
    """Why the backup feature is not running, and how to turn it on."""
    if not data.get("ready", True):
        return Text("The bot is still starting.")
    if data.get("failure"):
        reason = f"The backup_restore framework cog failed to load: {data['failure']}"
    elif not data.get("load_cogs", True):
        reason = 'Framework cogs are switched off ("framework": {"load_cogs": false}).'
    elif not data.get("enable_backup_restore", True):
        reason = (
            'Backups are switched off ("framework": {"enable_backup_restore": false} in '
            "config.json, or ENABLE_BACKUP_RESTORE=false)."
        )
    else:
        reason = "The backup_restore framework cog is not loaded."
    text = Text(reason + "\n\n")
    text.append("To use backups: ", style="bold")
    text.append(
        'set "load_cogs" and "enable_backup_restore" to true in the "framework" section of '
        "config.json and restart the bot. Snapshots of each guild then appear here, to "
        "verify, compare, restore, pin, annotate, delete and schedule."
    )
    return text


def audit_text(guild: str, entries: list[dict[str, Any]], frozen: bool) -> Text:
    """A guild's backup audit trail, newest first: time, who, what, on what, outcome."""
    out = Text(f"Backup audit of {guild}", style="bold")
    if not entries:
        out.append(": nothing yet")
    for entry in entries:
        mark, style = ("✓", "green") if entry.get("ok") else ("✗", "red")
        out.append(f"\n{clock(float(entry.get('time') or 0), frozen)} ")
        out.append(mark, style=style)
        out.append(f" {entry.get('action', '?')} by {entry.get('actor', '?')}")
        target = str(entry.get("target") or "")
        if target:
            out.append(f" · {FROZEN if frozen else target}")
        if entry.get("detail"):
            out.append(f" · {entry['detail']}", style="" if entry.get("ok") else "red")
    return out
