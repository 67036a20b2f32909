"""Views of guild backups: what the console's Backups pane shows.

Every view reads the backup service (``services.extra["backups"]``, see
``cogs/backup_restore/service.py``) and returns plain data. A refusal the operator should
read (an invalid or unknown snapshot ID, a corrupt file, a guild the bot left) comes back
as ``{"error": message}`` rather than an exception, so a pane shows it the same way in
process and over the control socket. Lists that can grow with a guild (diff changes,
restore item lists, the audit trail) are cut to a bounded length and say how many there
were.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .registry import plain, view

if TYPE_CHECKING:
    from zoryx.runtime import Runtime

__all__ = ["BACKUP_COG", "DIFF_MAX", "ITEMS_MAX"]

BACKUP_COG = "cogs.backup_restore"
#: Most diff changes a view returns (the total is always given).
DIFF_MAX = 500
#: Most item descriptions per outcome and component of a restore report.
ITEMS_MAX = 50
#: Longest text shown for one changed value (base64 images become a size).
VALUE_MAX = 80
AUDIT_MAX = 200
OUTCOMES = ("created", "updated", "skipped", "failed")


def _service(runtime: Runtime) -> Any | None:
    services = runtime.services
    return None if services is None or runtime.bot is None else services.extra.get("backups")


def _off(runtime: Runtime) -> dict[str, Any]:
    """Why there is no backup service: the switches and a load failure."""
    services = runtime.services
    toggles = {} if services is None else services.toggles
    failures = getattr(runtime.bot, "framework_failures", {}) or {}
    load_cogs = bool(toggles.get("load_cogs", True))
    enabled = bool(toggles.get("enable_backup_restore", True))
    return {
        "on": False,
        "switched_on": load_cogs and enabled,
        "ready": runtime.bot is not None and services is not None,
        "failure": failures.get(BACKUP_COG),
        "load_cogs": load_cogs,
        "enable_backup_restore": enabled,
    }


def _backup_error() -> type[Exception]:
    from cogs.backup_restore.model import BackupError

    return BackupError


def _guild_names(runtime: Runtime) -> dict[int, str]:
    bot = runtime.bot
    return {} if bot is None else {guild.id: guild.name for guild in bot.guilds}


def _limits(runtime: Runtime) -> dict[str, int]:
    env = runtime.services.env if runtime.services is not None else None
    return {
        "max_per_guild": int(getattr(env, "backup_max_per_guild", 25)),
        "cooldown": int(getattr(env, "backup_cooldown", 300)),
        "auto_interval": int(getattr(env, "backup_auto_interval", 0)),
        "retention_days": int(getattr(env, "backup_retention_days", 0)),
    }


def _snapshot(info: Any) -> dict[str, Any]:
    """One index entry, as the pane lists it."""
    data: dict[str, Any] = plain(info)
    data["members"] = int(info.counts.get("members", 0))
    return data


# -- guilds and their snapshots ---------------------------------------------------------------
@view("backups")
async def backups(
    runtime: Runtime, guild_id: int | None = None, details: bool = True
) -> dict[str, Any]:
    """The guilds (the bot's, and any other that has backups) with their backup counts,
    and the details of one guild: its snapshots (newest first), cooldown and schedule;
    also the restore components and the limits from ``.env``.

    Args:
        guild_id: The guild to detail; the first listed when None or not listed.
        details: False: only whether the feature is switched on and running.
    """
    service = _service(runtime)
    if service is None:
        return _off(runtime)
    if not details:
        return {"on": True, "switched_on": True}
    from cogs.backup_restore.model import COMPONENTS, RestoreOptions

    names = _guild_names(runtime)
    stats = await service.stats()
    per_guild = {int(row["guild_id"]): row for row in stats.get("per_guild", [])}
    rows = [
        {
            "id": gid,
            "name": names.get(gid, f"guild {gid}"),
            "present": gid in names,
            "snapshots": int(per_guild.get(gid, {}).get("snapshots", 0)),
            "bytes": int(per_guild.get(gid, {}).get("bytes", 0)),
        }
        for gid in {*names, *per_guild}
    ]
    rows.sort(key=lambda row: (not row["present"], str(row["name"]).lower(), row["id"]))
    out: dict[str, Any] = {
        "on": True,
        "switched_on": True,
        "guilds": rows,
        "limits": _limits(runtime),
        "components": list(COMPONENTS),
        "default_components": [c for c in COMPONENTS if c in RestoreOptions().components],
        "guild": None,
    }
    wanted = None if guild_id is None else int(guild_id)
    row = next((r for r in rows if r["id"] == wanted), rows[0] if rows else None)
    if row is not None:
        out["guild"] = await _guild_detail(service, row)
    return out


async def _guild_detail(service: Any, row: dict[str, Any]) -> dict[str, Any]:
    detail = {"id": row["id"], "name": row["name"], "present": row["present"], "error": None}
    try:
        snapshots = await service.list(row["id"])
        schedule = await service.schedule(row["id"])
    except _backup_error() as exc:
        return {
            **detail,
            "snapshots": [],
            "schedule": None,
            "cooldown_left": 0.0,
            "error": str(exc),
        }
    return {
        **detail,
        "snapshots": [_snapshot(info) for info in snapshots],
        "schedule": plain(schedule),
        "cooldown_left": max(0.0, float(service.cooldown_left(row["id"]))),
    }


@view("backup")
async def backup(
    runtime: Runtime, guild_id: int, snapshot_id: str, verify: bool = True
) -> dict[str, Any]:
    """One snapshot: its index entry with content counts, and (``verify``) the result of
    recomputing its checksum."""
    service = _service(runtime)
    if service is None:
        return {"error": "backup & restore is disabled"}
    try:
        info = await service.get(int(guild_id), str(snapshot_id))
        result = await service.verify(int(guild_id), info.id) if verify else None
    except _backup_error() as exc:
        return {"error": str(exc)}
    return {"info": _snapshot(info), "counts": dict(info.counts), "verify": plain(result)}


# -- diff ---------------------------------------------------------------------------------------
def _short(value: Any) -> Any:
    """A changed value as the pane shows it: long text (an image's base64) becomes its size."""
    if isinstance(value, str) and len(value) > VALUE_MAX:
        return f"<{len(value)} characters>"
    if isinstance(value, list | tuple):
        return [_short(item) for item in value[:20]]
    if isinstance(value, dict):
        return {str(key): _short(item) for key, item in list(value.items())[:20]}
    return value


@view("backup_diff")
async def backup_diff(
    runtime: Runtime, guild_id: int, a: str | None = None, b: str = "current"
) -> dict[str, Any]:
    """Changes from snapshot ``a`` to snapshot ``b``; ``b="current"``: from ``a`` (default
    the newest snapshot) to the guild as it is now (drift)."""
    service = _service(runtime)
    if service is None:
        return {"error": "backup & restore is disabled"}
    gid = int(guild_id)
    try:
        if b == "current":
            guild = runtime.bot.get_guild(gid) if runtime.bot is not None else None
            if guild is None:
                return {"error": f"the bot is not in guild {gid}: compare two snapshots instead"}
            diff = await service.drift(guild, a)
        else:
            if a is None:
                return {"error": "name the two snapshots to compare"}
            diff = await service.diff(gid, str(a), str(b))
    except _backup_error() as exc:
        return {"error": str(exc)}
    changes = [
        {
            "kind": change.kind,
            "what": change.what,
            "name": change.name,
            "fields": {key: _short(pair) for key, pair in change.fields.items()},
        }
        for change in diff.changes[:DIFF_MAX]
    ]
    return {
        "before": diff.before,
        "after": diff.after,
        "summary": diff.summary(),
        "total": len(diff.changes),
        "changes": changes,
    }


# -- restore jobs -------------------------------------------------------------------------------
def _report(report: Any) -> dict[str, Any] | None:
    if report is None:
        return None
    components: dict[str, Any] = {}
    for name, result in report.components.items():
        lists = {outcome: list(getattr(result, outcome)) for outcome in OUTCOMES}
        components[name] = {
            "counts": {outcome: len(items) for outcome, items in lists.items()},
            **{outcome: items[:ITEMS_MAX] for outcome, items in lists.items()},
        }
    return {
        "guild_id": report.guild_id,
        "snapshot_id": report.snapshot_id,
        "dry_run": report.dry_run,
        "components": components,
        "totals": report.totals(),
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "error": report.error,
    }


def _job(job: Any) -> dict[str, Any]:
    progress = plain(job.progress)
    progress["fraction"] = job.progress.fraction
    return {
        "job_id": job.job_id,
        "guild_id": job.guild_id,
        "snapshot_id": job.snapshot_id,
        "started_by": job.started_by,
        "done": job.report is not None,
        "progress": progress,
        "report": _report(job.report),
    }


@view("backup_jobs")
async def backup_jobs(runtime: Runtime) -> list[dict[str, Any]]:
    """The restores the service remembers (running and finished)."""
    service = _service(runtime)
    return [] if service is None else [_job(job) for job in service.jobs()]


@view("backup_job")
async def backup_job(runtime: Runtime, job_id: str) -> dict[str, Any] | None:
    """One restore's progress and, once done, its per-component report (None: unknown)."""
    service = _service(runtime)
    job = None if service is None else service.job(str(job_id))
    return None if job is None else _job(job)


# -- audit ----------------------------------------------------------------------------------------
@view("backup_audit")
async def backup_audit(runtime: Runtime, guild_id: int, limit: int = 50) -> dict[str, Any]:
    """A guild's backup audit trail, newest first."""
    service = _service(runtime)
    if service is None:
        return {"error": "backup & restore is disabled"}
    try:
        entries = await service.audit(int(guild_id), max(1, min(int(limit), AUDIT_MAX)))
    except _backup_error() as exc:
        return {"error": str(exc)}
    return {"entries": plain(entries)}
