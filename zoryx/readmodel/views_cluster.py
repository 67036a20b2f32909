"""The ``clusters`` view: the bot's fleet of clusters as this process's cluster bus sees it.

The bus is the shard manager's :class:`zoryx.cluster.ClusterBus`, registered as
``services.extra["cluster"]`` while the cluster manager runs (``ENABLE_SHARD_MANAGER``).
The view hands out what the bus already keeps in memory — its state, the members it
knows (dead ones included until pruned), the global totals over the live ones and its
message counters — as plain data; it never talks to Redis itself, so reading it costs
nothing when the bus is down. No setting of the bus (URL, secret) ever leaves it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .registry import plain, view

if TYPE_CHECKING:
    from zoryx.runtime import Runtime

__all__ = ["CLUSTERS_MAX", "CLUSTER_KEY", "SHARDS_MAX"]

#: Where the shard manager registers its bus in ``services.extra``.
CLUSTER_KEY = "cluster"
#: Where the shard manager registers its service (it keeps a refusal's reason).
MANAGER_KEY = "shard_manager"
#: Most clusters the view lists (``total`` says how many the bus knows).
CLUSTERS_MAX = 200
#: Most shards listed per cluster (``shards_total`` on a cluster says how many it reported).
SHARDS_MAX = 64
GLOBAL_KEYS = ("clusters", "shards", "guilds", "users")


def _bus(runtime: Runtime) -> Any | None:
    services = runtime.services
    return None if services is None else services.extra.get(CLUSTER_KEY)


def _refusal(runtime: Runtime) -> str | None:
    """Why the fleet refused this cluster (the shard manager keeps the reason), if it did."""
    manager = runtime.services.extra.get(MANAGER_KEY)
    reason = getattr(manager, "refusal", None)
    return None if reason is None else str(reason)


def _first_shard(info: dict[str, Any]) -> int:
    shard_ids = info.get("shard_ids") or []
    return min(shard_ids) if shard_ids else 1 << 30


def _cluster(info: Any) -> dict[str, Any]:
    """One member as plain data, its shard list cut to :data:`SHARDS_MAX`."""
    data: dict[str, Any] = plain(info)
    shards = sorted(data.get("shards") or [], key=lambda shard: int(shard.get("id", 0)))
    data["shards_total"] = len(shards)
    data["shards"] = shards[:SHARDS_MAX]
    return data


@view("clusters")
async def clusters(runtime: Runtime) -> dict[str, Any]:
    """Every cluster of the fleet (this one included) and the bus's own state.

    ``enabled`` is False while no cluster bus runs in this process (the cluster manager
    is off, or the bot has not started it yet); then the rest is empty. ``bus`` is the
    bus state (``connecting``, ``connected``, ``unavailable``, ``refused``, ``stopped``),
    ``self`` this cluster's name, ``clusters`` the members (as
    :class:`zoryx.cluster.ClusterInfo`, ordered by their first shard; a dead cluster has
    ``alive`` False), ``global`` the totals over the live ones (counted as
    :meth:`~zoryx.cluster.ClusterBus.global_stats` does, from the same members),
    ``counters`` the bus's counts of messages sent, received and dropped (by reason), and
    ``refusal`` why the fleet refused this cluster (name taken, shards overlapping,
    another secret).
    """
    bus = _bus(runtime)
    if bus is None:
        return {
            "enabled": False,
            "bus": None,
            "self": None,
            "refusal": None,
            "clusters": [],
            "total": 0,
            "global": dict.fromkeys(GLOBAL_KEYS, 0),
            "counters": {},
        }
    members = [_cluster(info) for info in bus.members()]
    members.sort(key=lambda info: (_first_shard(info), str(info.get("name", ""))))
    live = [info for info in members if info.get("alive")]
    return {
        "enabled": True,
        "bus": str(bus.state),
        "self": str(bus.name),
        "refusal": _refusal(runtime),
        "clusters": members[:CLUSTERS_MAX],
        "total": len(members),
        "global": {
            "clusters": len(live),
            "shards": sum(len(info.get("shard_ids") or []) for info in live),
            "guilds": sum(int(info.get("guilds", 0)) for info in live),
            "users": sum(int(info.get("users", 0)) for info in live),
        },
        "counters": {str(key): int(value) for key, value in dict(bus.counters).items()},
    }
