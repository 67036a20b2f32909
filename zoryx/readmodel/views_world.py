"""Read-model views of the bot's world: guilds, shards, its process, files and the sandbox.

Each view returns plain JSON-able data, only what the console pane showing it needs (see
:mod:`zoryx.readmodel`). The sandbox views read the embedded sandbox's state on the
sandbox's own loop (:meth:`~zoryx.sandbox.SandboxServer.call`), never across threads.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .hot_reloads import hot_reload_log
from .probes import probes
from .registry import plain, view
from .sandbox_reads import (
    sandbox_guild_options,
    sandbox_overview,
    wait_for_bot_messages,
    wait_for_interaction,
)

if TYPE_CHECKING:
    from zoryx.extensions import ExtensionManager
    from zoryx.runtime import Runtime

__all__ = ["PACKAGES", "extension_of"]

#: The packages whose versions the System pane lists.
PACKAGES = ("discord.py", "textual", "rich", "psutil", "aiohttp", "zoryx")
#: Longest a view waits for something to happen (``wait=`` parameters), in seconds.
MAX_WAIT = 30.0
SHARD_EVENTS_KEY = "shard_events"
STARTUP_KEY = "startup"


def _day(moment: dt.datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d") if moment is not None else None


def _wait(seconds: float) -> float:
    return min(MAX_WAIT, max(0.0, float(seconds)))


# -- guilds ------------------------------------------------------------------------------
def _guild_row(guild: Any) -> dict[str, Any]:
    import discord

    text = voice = 0
    channels = guild.channels
    for channel in channels:
        if isinstance(channel, discord.TextChannel):
            text += 1
        elif isinstance(channel, discord.VoiceChannel):
            voice += 1
    owner = guild.owner
    return {
        "id": guild.id,
        "name": guild.name,
        "members": guild.member_count or len(guild.members),
        "channels": len(channels),
        "text": text,
        "voice": voice,
        "roles": len(guild.roles),
        "owner": str(owner) if owner is not None else (str(guild.owner_id or "") or None),
        "joined": _day(getattr(guild.me, "joined_at", None)),
        "created": _day(guild.created_at),
        "shard": guild.shard_id,
    }


@view("guilds")
async def guilds(runtime: Runtime) -> list[dict[str, Any]]:
    """Every guild the bot is in: counts, owner, join and creation days (UTC), shard."""
    bot = runtime.bot
    if bot is None:
        return []
    return [_guild_row(guild) for guild in bot.guilds]


@view("guild")
async def guild(runtime: Runtime, guild_id: int) -> dict[str, Any] | None:
    """One guild (as in ``guilds``) plus its text channels; None if the bot is not in it."""
    bot = runtime.bot
    found = None if bot is None else bot.get_guild(int(guild_id))
    if found is None:
        return None
    row = _guild_row(found)
    row["text_channels"] = [{"id": c.id, "name": c.name} for c in found.text_channels]
    return row


# -- shards ------------------------------------------------------------------------------
def _when(events: Any, method: str, shard_id: int) -> float | None:
    reader = getattr(events, method, None)
    at = reader(shard_id) if callable(reader) else None
    return None if at is None else float(at)


def _start_up(runtime: Runtime) -> tuple[dict[int, Any], dict[str, Any]]:
    """Per-shard start-up progress (by shard ID) and the start-up summary, from the
    ``startup`` service (:class:`zoryx.startup.StartupTracker`) when there is one."""
    tracker = runtime.services.extra.get(STARTUP_KEY)
    if tracker is None:
        return {}, {"chunking": None, "done": None, "seconds": None}
    from zoryx.chunking import strategy_of

    progress = {p.shard_id: p for p in tracker.progress()}
    done = tracker.done_after is not None
    return progress, {
        "chunking": strategy_of(runtime.bot),
        "done": done,
        "seconds": tracker.done_after if done else time.monotonic() - tracker.started_at,
    }


@view("shards")
async def shards(runtime: Runtime) -> dict[str, Any] | None:
    """Per shard: state, heartbeat latency (ms, None before the first ack), guilds,
    members, last connect/disconnect (UNIX times, when a ``shard_events`` service says),
    and start-up progress: ``ready`` (discord.py declared the shard ready),
    ``guilds_ready`` (guilds that arrived: the bot answers there) and ``guilds_chunked``
    (full member list cached), each out of ``guilds``. ``startup`` holds the chunking
    strategy, whether every shard was ready once (``done``) and the seconds start-up
    took (or has taken so far)."""
    bot = runtime.bot
    if bot is None:
        return None
    progress, startup = _start_up(runtime)
    shard_map = dict(sorted(bot.shards.items()))
    for shard_id in progress:  # shards still waiting to connect are listed too
        shard_map.setdefault(shard_id, None)
    shard_map = dict(sorted(shard_map.items()))
    counts: dict[int, list[int]] = {shard_id: [0, 0] for shard_id in shard_map}
    for found in bot.guilds:
        count = counts.setdefault(found.shard_id or 0, [0, 0])
        count[0] += 1
        count[1] += found.member_count or len(found.members)
    events = runtime.services.extra.get(SHARD_EVENTS_KEY)
    rows = []
    for shard_id, shard in shard_map.items():
        latency = math.inf if shard is None else shard.latency
        started = progress.get(shard_id)
        guild_count = counts.get(shard_id, [0, 0])[0]
        rows.append(
            {
                "id": shard_id,
                "closed": True if shard is None else shard.is_closed(),
                "rate_limited": False if shard is None else shard.is_ws_ratelimited(),
                "latency_ms": latency * 1000 if math.isfinite(latency) else None,
                "guilds": guild_count,
                "members": counts.get(shard_id, [0, 0])[1],
                "last_connect": _when(events, "last_connect", shard_id),
                "last_disconnect": _when(events, "last_disconnect", shard_id),
                "ready": None if started is None else started.ready,
                "startup_state": None if started is None else started.state,
                "guilds_ready": None if started is None else started.guilds_ready,
                "guilds_chunked": None if started is None else started.guilds_chunked,
            }
        )
    return {
        "shard_count": bot.shard_count or len(shard_map) or 1,
        "guilds": len(bot.guilds),
        "shards": rows,
        "startup": startup,
    }


# -- the process ---------------------------------------------------------------------------
_versions: list[tuple[str, str]] | None = None


def _read_versions() -> list[tuple[str, str]]:
    from importlib import metadata

    out: list[tuple[str, str]] = []
    for name in PACKAGES:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, "not installed"))
    return out


@view("system")
async def system(runtime: Runtime, lag_samples: int = 0) -> dict[str, Any]:
    """The bot's process (psutil, read off the loop), versions (``[name, version]`` pairs
    in :data:`PACKAGES` order), and its loop lag.

    Args:
        lag_samples: How many of the latest lag samples (one per second) to include.
    """
    global _versions
    if _versions is None:
        _versions = await asyncio.to_thread(_read_versions)
    found = probes(runtime)
    sample = await found.process.sample(connections=True)
    p50, p99, worst = found.lag.stats()
    samples = list(found.lag.samples)
    return {
        "pid": os.getpid(),
        "python": platform.python_version(),
        "platform": f"{sys.platform} {platform.machine()}",
        "versions": [list(pair) for pair in _versions],
        "process": None
        if sample is None
        else {
            "cpu_percent": sample.cpu_percent,
            "rss": sample.rss,
            "system_memory_percent": sample.system_memory_percent,
            "threads": sample.threads,
            "open_files": sample.open_files,
            "connections": sample.connections,
        },
        "lag": {
            "p50": p50,
            "p99": p99,
            "max": worst,
            "count": len(samples),
            "samples": samples[-lag_samples:] if lag_samples > 0 else [],
        },
    }


# -- files ---------------------------------------------------------------------------------
def extension_of(manager: ExtensionManager, root: Path, path: str) -> str | None:
    """The extension a file of the bot directory belongs to (``extensions/<name>[.py]/…``)."""
    return manager.owner_of(root / path)


@view("file_info")
async def file_info(runtime: Runtime, path: str) -> dict[str, Any]:
    """What saving ``path`` (relative to the bot directory) means for the extensions.

    ``extension`` is the extension the file belongs to (None if none) and ``state`` its
    state (None if the manager does not know it yet); ``auto_reload`` whether the folder
    watcher reloads it on a save. ``mark`` is this process's clock now: pass it as
    ``since`` to the ``hot_reload`` view after writing, to wait for that save's outcome.
    """
    manager = runtime.bot.extension_manager
    name = extension_of(manager, runtime.bot_dir, path)
    info = None if name is None else manager.get(name)
    if name is not None:
        hot_reload_log(manager)  # listen before the face writes
    return {
        "path": path,
        "extension": info.name if info is not None else name,
        "auto_reload": bool(runtime.services.config.auto_reload),
        "state": None if info is None else info.state,
        "reloads": 0 if info is None else info.reloads,
        "error": None if info is None else info.error,
        "traceback": None if info is None else info.traceback,
        "mark": time.monotonic(),
    }


@view("hot_reload")
async def hot_reload(
    runtime: Runtime, name: str, since: float, wait: float = 0.0
) -> dict[str, Any] | None:
    """The folder watcher's outcome for the extension ``name`` after ``since`` (a
    ``file_info`` mark), waiting up to ``wait`` seconds; None if there was none."""
    log = hot_reload_log(runtime.bot.extension_manager)
    outcome = await log.wait(name, float(since), _wait(wait))
    return None if outcome is None else plain(outcome)


# -- the sandbox -----------------------------------------------------------------------------
@view("sandbox")
async def sandbox(runtime: Runtime) -> dict[str, Any] | None:
    """The embedded sandbox as the Sandbox pane shows it (None without one): the guilds
    the bot is in there, the bot's name and prefix, and the activity simulator's figures."""
    if runtime.sandbox is None:
        return None
    out = await sandbox_overview(runtime.sandbox)
    user = runtime.bot.user if runtime.bot is not None else None
    out["bot_name"] = str(user.name) if user is not None else "bot"
    out["prefix"] = str(runtime.services.config.prefix)
    return out


@view("sandbox_guild")
async def sandbox_guild(runtime: Runtime, guild_id: int) -> dict[str, Any] | None:
    """One sandbox guild's text channels and human members (the owner first)."""
    if runtime.sandbox is None:
        return None
    return await sandbox_guild_options(runtime.sandbox, int(guild_id))


@view("sandbox_messages")
async def sandbox_messages(
    runtime: Runtime, channel_id: int, after: int = 0, wait: float = 0.0, limit: int = 10
) -> list[dict[str, Any]]:
    """The bot's messages in a sandbox channel after the message id ``after``, oldest
    first (at most ``limit``); waits up to ``wait`` seconds for a first one."""
    if runtime.sandbox is None:
        return []
    limit = max(1, min(100, int(limit)))
    return await wait_for_bot_messages(
        runtime.sandbox, int(channel_id), int(after), _wait(wait), limit
    )


@view("sandbox_interaction")
async def sandbox_interaction(
    runtime: Runtime, interaction_id: int, wait: float = 0.0
) -> dict[str, Any] | None:
    """The bot's answer to a sandbox interaction (``answered``, ``text``, ``ephemeral``),
    waiting up to ``wait`` seconds for it; None if the sandbox no longer knows it."""
    if runtime.sandbox is None:
        return None
    return await wait_for_interaction(runtime.sandbox, int(interaction_id), _wait(wait))
