"""Reading the bot's shards for a collection: latency, connection, guilds, members.

:func:`read_shards` is the only place that touches discord.py objects for the monitor;
the service sees plain :class:`ShardReading` values (tests can hand it their own).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ShardReading:
    """One shard as read now."""

    shard_id: int
    latency: float | None  # seconds; None before the first heartbeat ACK
    closed: bool
    guilds: int
    members: int
    sequence: int | None  # the gateway sequence number (changes with every event)


def read_shards(bot: Any) -> list[ShardReading]:
    """Every shard this process runs (none before they are launched)."""
    shards: dict[int, Any] = dict(getattr(bot, "shards", {}) or {})
    counts: dict[int, list[int]] = {shard_id: [0, 0] for shard_id in shards}
    for guild in bot.guilds:
        count = counts.setdefault(guild.shard_id or 0, [0, 0])
        count[0] += 1
        count[1] += guild.member_count or 0
    readings = []
    for shard_id in sorted(shards):
        info = shards[shard_id]
        latency = float(info.latency)
        guilds, members = counts.get(shard_id, (0, 0))
        readings.append(
            ShardReading(
                shard_id=shard_id,
                latency=latency if math.isfinite(latency) and latency >= 0 else None,
                closed=bool(info.is_closed()),
                guilds=guilds,
                members=members,
                sequence=_sequence(info),
            )
        )
    return readings


def _sequence(info: Any) -> int | None:
    """The shard's gateway sequence number, which discord.py keeps on its websocket.

    discord.py has no public per-shard event hook, so a change of this number between two
    collections is how events other than the ones the cog listens to (presences, typing,
    member updates…) count as activity. None when the attribute is not there.
    """
    websocket = getattr(getattr(info, "_parent", None), "ws", None)
    sequence = getattr(websocket, "sequence", None)
    return sequence if isinstance(sequence, int) else None
