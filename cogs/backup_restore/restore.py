"""Restore a snapshot into a guild: the engine behind every restore face.

:func:`restore_snapshot` walks the chosen components in :data:`~.model.COMPONENTS`
order. Before any of them it matches the snapshot's roles, categories and channels to
the guild's (by ID, then by name and type: :mod:`.restore_match`), so each component can
find what an earlier one restored or found. Each component creates only what is missing
and, with ``update_existing``, brings matched objects back to the snapshot's settings
(server and bot settings are always set to the snapshot's: there is nothing to create).

What the bot may not do is skipped with the reason, checked up front where possible
(missing permission, a role above the bot's top role, a managed role or emoji) and
caught otherwise (Discord's 403 or any other refusal lands in ``failed``): a restore
never raises for Discord's answer. Requests go one at a time; discord.py's rate limiter
paces them (the engine never sleeps). Progress is published after every step.

A dry run walks the same way without writing anything and reports what it would create,
update and skip.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from .model import COMPONENTS, FORMAT_VERSION, RestoreOptions, RestoreProgress, RestoreReport
from .restore_assets import restore_emojis, restore_settings, restore_stickers
from .restore_channels import restore_categories, restore_channels
from .restore_match import match_all
from .restore_members import restore_bans, restore_bot_settings, restore_member_roles
from .restore_messages import restore_messages
from .restore_overwrites import restore_overwrites
from .restore_roles import restore_roles
from .restore_run import RestoreRun

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

__all__ = ["restore_snapshot"]

log = logging.getLogger("zoryx.backups.restore")

Runner = Callable[[RestoreRun], Awaitable[None]]

RUNNERS: dict[str, Runner] = {
    "roles": restore_roles,
    "categories": restore_categories,
    "channels": restore_channels,
    "overwrites": restore_overwrites,
    "emojis": restore_emojis,
    "stickers": restore_stickers,
    "server_settings": restore_settings,
    "bans": restore_bans,
    "member_roles": restore_member_roles,
    "bot_settings": restore_bot_settings,
    "messages": restore_messages,
}


def count_steps(snapshot: dict[str, Any], component: str) -> int:
    """The progress steps ``component`` takes for ``snapshot`` (one per item, plus one
    for each bulk reorder)."""
    size = {
        "roles": len(snapshot.get("roles") or []) + 1,
        "categories": len(snapshot.get("categories") or []),
        "channels": len(snapshot.get("channels") or []) + 1,
        "overwrites": len(snapshot.get("categories") or []) + len(snapshot.get("channels") or []),
        "emojis": len(snapshot.get("emojis") or []),
        "stickers": len(snapshot.get("stickers") or []),
        "server_settings": 1,
        "bans": len(snapshot.get("bans") or []),
        "member_roles": max(1, len((snapshot.get("members") or {}).get("items") or [])),
        "bot_settings": 1,
        "messages": sum(len(v) for v in (snapshot.get("messages") or {}).values()),
    }
    return size[component]


async def restore_snapshot(
    guild: discord.Guild,
    snapshot: dict[str, Any],
    options: RestoreOptions,
    *,
    bot: ZoryxBot,
    progress: Callable[[RestoreProgress], None] | None = None,
    snapshot_id: str = "",
) -> RestoreReport:
    """Restore ``snapshot`` (a verified document, see ``model.py``) into ``guild``.

    Args:
        guild: Where to restore: the snapshot's own guild or another one.
        snapshot: The snapshot document.
        options: Components, ``update_existing``, ``role_sync``, ``dry_run``.
        bot: The bot (its per-guild settings database for ``bot_settings``).
        progress: Called after every step with a :class:`RestoreProgress`, and once more
            with ``done=True`` at the end.
        snapshot_id: The snapshot's ID, shown in progress, the report and the audit log.

    Returns:
        What was (or, in a dry run, would be) created, updated, skipped and failed, per
        component; ``error`` is set when the restore could not start.
    """
    report = RestoreReport(
        guild_id=guild.id, snapshot_id=snapshot_id, dry_run=options.dry_run, started_at=time.time()
    )
    wanted = [c for c in COMPONENTS if c in options.components]
    me = guild.me
    if snapshot.get("format") != FORMAT_VERSION:
        report.error = f"this snapshot's format ({snapshot.get('format')!r}) is not supported"
    elif me is None:
        report.error = "the bot is not a member of this server"
    if report.error is not None or me is None:
        report.finished_at = time.time()
        _final(guild, report, progress)
        return report
    run = RestoreRun(guild, me, snapshot, options, bot=bot, report=report, progress=progress)
    run.total_steps = sum(count_steps(snapshot, c) for c in wanted)
    match_all(run)
    for component in wanted:
        await RUNNERS[component](run)
    report.finished_at = time.time()
    run.component = ""
    run.done_steps = run.total_steps
    run.emit(_summary(report), done=True)
    return report


def _summary(report: RestoreReport) -> str:
    totals = report.totals()
    verb = "dry run done" if report.dry_run else "restore done"
    return f"{verb}: " + ", ".join(f"{n} {key}" for key, n in totals.items())


def _final(
    guild: discord.Guild,
    report: RestoreReport,
    progress: Callable[[RestoreProgress], None] | None,
) -> None:
    if progress is None:
        return
    update = RestoreProgress(guild.id, report.snapshot_id, "", 0, 0, report.error or "", done=True)
    try:
        progress(update)
    except Exception:  # a broken progress display must not hide the report
        log.exception("restore progress callback failed")
