"""Views of the bot itself: the status line, Overview, Logs, the audit trail and the
names the console's command line completes.

The Commands, Plugins and Hooks panes' views are in :mod:`._views_features` (registered
when this module is imported). Every view returns plain data built from the live objects
on the spot and keeps nothing of them. Where a pane shows only what is new (log lines,
recent commands, guild changes), the view takes a sequence-number cursor and returns
what came after it, so each refresh costs what changed, not the whole history.
"""

from __future__ import annotations

import math
import os
import time
from typing import TYPE_CHECKING, Any

from . import _views_features  # noqa: F401  (registers the Commands/Plugins/Hooks views)
from .probes import probes
from .registry import plain, view

if TYPE_CHECKING:
    from zoryx.metrics import BotMetrics, CommandRecord
    from zoryx.runtime import Runtime

__all__ = ["health_tier"]

#: Most recent log lines, commands and guild changes a view sends at once.
MAX_BATCH = 2000


def health_tier(error_rate: float) -> str:
    """``healthy`` below 5 % command errors, ``degraded`` below 10 %, else ``critical``."""
    if error_rate < 0.05:
        return "healthy"
    return "degraded" if error_rate < 0.10 else "critical"


def _state(runtime: Runtime) -> str:
    bot = runtime.bot
    if runtime.crash is not None:
        return "crashed"
    if bot is None or runtime.ready is None:
        return "stopped" if bot is not None and bot.is_closed() else "starting"
    return "stopped" if bot.is_closed() else "ready"


def _sandbox(runtime: Runtime) -> str | None:
    if runtime.sandbox is not None:
        return "embedded"
    return "attached" if runtime.attached is not None else None


def _latency(bot: Any) -> float | None:
    latency = float(bot.latency)
    return latency if math.isfinite(latency) else None


def _tier(runtime: Runtime, metrics: BotMetrics) -> tuple[str, str]:
    """The health tier and what it is computed over (the diagnostics feature owns it)."""
    diagnostics = runtime.services.extra.get("diagnostics")
    if diagnostics is not None:
        snap = diagnostics.snapshot()
        return str(snap.tier), str(snap.basis)
    return health_tier(metrics.error_rate), "lifetime"


def _command(record: CommandRecord, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": record.at,
        "name": record.name,
        "user": record.user,
        "guild": record.guild,
        "error": record.error,
        "user_error": record.user_error,
    }


def recent_commands(
    metrics: BotMetrics,
    after: int,
    limit: int,
    records: tuple[CommandRecord, ...] | None = None,
) -> dict[str, Any]:
    """The recorded commands after the sequence number ``after`` (the n-th command ever
    recorded has number n), at most the newest ``limit``, oldest first.

    ``continuous`` is False when ``after`` is no longer in the kept history (or comes from
    another run): then the items are the whole history, to show afresh. ``records``: the
    metrics' recent commands when already copied.
    """
    if records is None:
        records = metrics.recent_commands()
    last = metrics.commands
    first = last - len(records) + 1
    continuous = first - 1 <= after <= last
    fresh = records[after - first + 1 :] if continuous else records
    fresh = fresh[-limit:] if limit > 0 else ()
    base = last - len(fresh) + 1
    items = [_command(record, base + i) for i, record in enumerate(fresh)]
    return {"items": items, "last_seq": last, "continuous": continuous}


@view("status")
async def status(runtime: Runtime, errors: int = 0) -> dict[str, Any]:
    """The status line's data (and ``zoryx status``'s): state, identity, counts, health.

    Args:
        errors: Also return this many of the latest command errors.
    """
    bot, services = runtime.bot, runtime.services
    out: dict[str, Any] = {
        "state": _state(runtime),
        "pid": os.getpid(),
        "started_at": runtime.started_at,
        "uptime": max(0.0, time.time() - runtime.started_at),
        "bot_dir": str(runtime.bot_dir),
        "sandbox": _sandbox(runtime),
        "sandbox_url": runtime.sandbox_url,
        "lag_ms": probes(runtime).lag.last,
    }
    out["ready"] = out["state"] == "ready"
    if bot is None or services is None or runtime.ready is None:
        return out
    metrics = services.metrics
    tier, basis = _tier(runtime, metrics)
    out.update(
        user=str(bot.user),
        guilds=len(bot.guilds),
        shards=bot.shard_count or 1,
        latency=_latency(bot),
        tier=tier,
        basis=basis,
        commands=metrics.commands,
        command_errors=metrics.command_errors,
    )
    if errors > 0:
        latest = metrics.recent_errors()[-errors:]
        out["errors"] = [{"at": r.at, "name": r.name, "error": r.error} for r in reversed(latest)]
    return out


@view("overview")
async def overview(
    runtime: Runtime,
    recent_after: int = 0,
    recent_limit: int = 50,
    minutes: int = 60,
    top: int = 5,
    process: bool = True,
) -> dict[str, Any]:
    """What the Overview pane shows.

    Args:
        recent_after: Cursor of the recent-commands table (see :func:`recent_commands`).
        recent_limit: At most this many recent commands.
        minutes: Length of the per-minute series and of the loop-lag series.
        top: Most used commands listed.
        process: Take a psutil reading of the bot's process (CPU, memory).
    """
    bot, services = runtime.bot, runtime.services
    if bot is None or services is None:
        return {"ready": False}
    metrics = services.metrics
    snap = metrics.snapshot(top_n=top)
    # Before the await below: the command count must match the copied history.
    recent = recent_commands(metrics, recent_after, recent_limit, snap.recent_commands)
    tier, basis = _tier(runtime, metrics)
    monitors = probes(runtime)
    sample = await monitors.process.sample() if process else None
    lag = monitors.lag
    p50, p99, worst = lag.stats()
    minutes = max(1, min(minutes, 60))
    return {
        "ready": True,
        "user": str(bot.user),
        "sandbox_url": runtime.sandbox_url,
        "guilds": len(bot.guilds),
        "users": metrics.users(bot.guilds),
        "shards": bot.shard_count or 1,
        "latency": _latency(bot),
        "uptime": metrics.uptime,
        "tier": tier,
        "basis": basis,
        "commands": snap.commands,
        "command_errors": snap.command_errors,
        "user_errors": snap.user_errors,
        "error_rate": snap.error_rate,
        "messages": snap.messages,
        "cpu_percent": None if sample is None else sample.cpu_percent,
        "rss": None if sample is None else sample.rss,
        "lag": {
            "last": lag.last,
            "p50": p50,
            "p99": p99,
            "max": worst,
            "series": list(lag.samples)[-minutes:],
        },
        "commands_per_minute": list(snap.commands_per_minute[-minutes:]),
        "messages_per_minute": list(snap.messages_per_minute[-minutes:]),
        "top_commands": [[name, count] for name, count in snap.top_commands],
        "recent": recent,
    }


@view("logs")
async def logs(
    runtime: Runtime,
    after: int = 0,
    commands_after: int | None = None,
    guilds_after: int | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """The log lines after the sequence number ``after`` (the runtime's redacted log
    tail), and what the Logs pane's events table adds: commands and guild changes.

    Args:
        after: Log cursor (0: every kept line).
        commands_after: Cursor of the recorded commands (omitted: none are sent).
        guilds_after: Cursor of the guild joins and leaves (omitted: none are sent).
        limit: At most this many commands and guild changes.
    """
    tail = runtime.log_tail
    entries = tail.since(after)[-MAX_BATCH:]
    out: dict[str, Any] = {
        "entries": [
            {
                "seq": e.seq,
                "created": e.created,
                "levelno": e.levelno,
                "levelname": e.levelname,
                "logger": e.logger,
                "message": e.message,
            }
            for e in entries
        ],
        "last_seq": tail.last_seq,
        "capacity": tail.capacity,
    }
    if commands_after is not None and runtime.services is not None:
        out["commands"] = recent_commands(runtime.services.metrics, commands_after, limit)
    if guilds_after is not None:
        changes, continuous = runtime.guild_log.since(guilds_after)
        out["guilds"] = {
            "items": plain(changes[-limit:] if limit > 0 else []),
            "last_seq": runtime.guild_log.last_seq,
            "continuous": continuous,
        }
    return out


@view("audit")
async def audit(runtime: Runtime, limit: int = 50) -> list[dict[str, Any]]:
    """The newest ``limit`` operator actions (any face), newest first."""
    bot = runtime.bot
    if bot is None or bot.operator is None or runtime.services is None:
        return []
    records = await bot.operator.audit.recent(max(1, min(limit, 1000)))
    return list(plain(records))


@view("targets")
async def targets(runtime: Runtime) -> dict[str, Any]:
    """Names the command line completes and resolves: extensions, guilds, text channels
    (guilds in the bot's order, so "the first guild" is the same everywhere)."""
    bot = runtime.bot
    if bot is None or runtime.ready is None:
        return {"ready": False, "extensions": [], "guilds": []}
    return {
        "ready": not bot.is_closed(),
        "extensions": sorted(bot.extension_manager.extensions),
        "guilds": [
            {
                "id": guild.id,
                "name": guild.name,
                "channels": [{"id": c.id, "name": c.name} for c in guild.text_channels],
            }
            for guild in bot.guilds
        ],
    }
