"""Embeds of the shard manager's commands and announcements (plain data in, embed out)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import discord

from cogs.core import embeds
from cogs.core._common import clip, join_lines

if TYPE_CHECKING:
    from zoryx.cluster import ClusterInfo

    from .service import Notice

MAX_FIELDS = 24
EMBED_BUDGET = 5500
"""Characters an embed may use here (Discord refuses one over 6,000 in total)."""
HEALTH_ICONS = {"healthy": "🟢", "warning": "🟡", "critical": "🔴"}
DROP_REASONS = ("oversized", "malformed", "unsigned", "bad_signature", "stale", "replayed")
STATE_TEXT = {
    "connected": "connected",
    "connecting": "connecting…",
    "unavailable": "bus unavailable (Redis cannot be reached; retrying with backoff)",
    "refused": "refused (not admitted to the fleet)",
    "stopped": "stopped",
}


def shard_span(ids: Sequence[int]) -> str:
    """``0,1,2,5`` → ``0-2, 5``."""
    if not ids:
        return "none"
    ordered = sorted(ids)
    parts: list[str] = []
    start = prev = ordered[0]
    for shard in [*ordered[1:], None]:
        if shard is not None and shard == prev + 1:
            prev = shard
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if shard is not None:
            start = prev = shard
    return ", ".join(parts)


def _latency(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def cluster_field(info: ClusterInfo, own: str) -> tuple[str, str]:
    """The field name and value describing one cluster."""
    icon = HEALTH_ICONS.get(info.health, "⚪") if info.alive else "💀"
    name = f"{icon} {info.name}"
    if info.name == own:
        name += " (this cluster)"
    if not info.alive:
        name += " — dead"
    ready = sum(1 for row in info.shards if row.get("ready"))
    shards = f"Shards {clip(shard_span(info.shard_ids), 80)} of {info.shard_count}"
    if info.shards:
        shards += f" · {ready}/{len(info.shard_ids)} ready"
    lines = [
        shards,
        f"{info.guilds} guild(s) · {info.users} user(s) · {_latency(info.latency_ms)}",
        f"Health: {info.health} · last heartbeat <t:{int(info.last_heartbeat)}:R>",
        clip(f"pid {info.pid} on {info.host}", 80),
    ]
    return clip(name, 256), join_lines(lines)


def clusters(
    own: str,
    state: str,
    refusal: str | None,
    members: Iterable[ClusterInfo],
    totals: Mapping[str, int],
) -> discord.Embed:
    """The ``clusters`` reply: bus state, fleet totals, one field per cluster."""
    summary = [
        f"Bus: **{STATE_TEXT.get(state, state)}** · this cluster: **{own}**",
        f"Fleet: **{totals.get('clusters', 0)}** live cluster(s) · "
        f"**{totals.get('shards', 0)}** shard(s) · **{totals.get('guilds', 0)}** guild(s) · "
        f"**{totals.get('users', 0)}** user(s)",
    ]
    if refusal is not None:
        summary.append(f"⛔ {clip(refusal, 1500)}\nThis cluster keeps serving its shards alone.")
    elif state == "unavailable":
        summary.append("Showing what was known before Redis went away.")
    build = embeds.error if refusal is not None else embeds.info
    embed = build("🧩 Clusters", "\n".join(summary))
    listed = list(members)
    for shown, info in enumerate(listed):
        name, value = cluster_field(info, own)
        if shown == MAX_FIELDS or len(embed) + len(name) + len(value) > EMBED_BUDGET:
            rest = len(listed) - shown
            embed.add_field(name="…", value=f"and {rest} more cluster(s)", inline=False)
            break
        embed.add_field(name=name, value=value, inline=False)
    if not listed:
        embed.add_field(name="No clusters", value="No cluster of this bot is known yet.")
    return embed


def ipc_status(
    own: str,
    state: str,
    refusal: str | None,
    redis_url: str,
    reachable: bool,
    counters: Mapping[str, int],
) -> discord.Embed:
    """The ``ipcstatus`` reply: bus state, Redis, message counters, drops by reason."""
    healthy = state == "connected" and reachable
    build = embeds.info if healthy else embeds.warning
    embed = build("📡 Cluster bus", f"Cluster **{own}** · bus **{STATE_TEXT.get(state, state)}**")
    if refusal is not None:
        embed.add_field(name="Refused", value=clip(refusal), inline=False)
    embed.add_field(
        name="Redis",
        value=f"{'reachable' if reachable else 'not reachable'} · `{clip(redis_url, 200)}`",
        inline=False,
    )
    embed.add_field(
        name="Messages",
        value=f"sent {counters.get('sent', 0)} · received {counters.get('received', 0)}",
        inline=False,
    )
    dropped = {reason: int(counters.get(reason, 0)) for reason in DROP_REASONS}
    extra = {
        k: int(v)
        for k, v in counters.items()
        if k not in dropped and k not in ("sent", "received") and isinstance(v, int)
    }
    lines = [f"{reason.replace('_', ' ')}: {count}" for reason, count in dropped.items()]
    lines += [f"{reason.replace('_', ' ')}: {count}" for reason, count in sorted(extra.items())]
    total = sum(dropped.values())
    embed.add_field(name=f"Dropped messages ({total})", value=join_lines(lines), inline=False)
    return embed


def notice(item: Notice, own: str) -> discord.Embed:
    """An announcement of a fleet event, as posted to the announcement channel."""
    if item.kind == "broadcast":
        shown = embeds.info(f"📢 Broadcast from {item.cluster}", clip(item.text, 4000))
        shown.set_footer(text=clip(f"by {item.by} · received by {own}", 2048))
        return shown
    titles: dict[str, Any] = {
        "join": (embeds.success, f"Cluster {item.cluster} joined"),
        "leave": (embeds.warning, f"Cluster {item.cluster} left"),
        "dead": (embeds.error, f"Cluster {item.cluster} is gone"),
        "refused": (embeds.error, f"Cluster {item.cluster} was refused"),
    }
    build, title = titles.get(item.kind, (embeds.info, f"Cluster {item.cluster}"))
    embed: discord.Embed = build(title, clip(item.text, 4000))
    embed.set_footer(text=f"seen by {own}")
    return embed
