"""What a cluster reports about itself, and the bounded table of the clusters one bus knows.

A report travels in ``join`` and ``beat`` messages and in the signed record each cluster
keeps in Redis. Whatever another cluster (or its stats provider) puts in it is checked
and trimmed here, so a bad report can neither crash a reader nor grow its memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["MAX_SHARDS_LISTED", "ClusterInfo", "MemberTable", "Report", "info_of", "parse_report"]

#: Per-shard rows kept from one cluster's report.
MAX_SHARDS_LISTED = 4096
_MAX_TEXT = 255
_MAX_INT = 2**53


@dataclass(frozen=True)
class ClusterInfo:
    """One cluster as seen from this bus (``alive`` False: silent past the timeout)."""

    name: str
    shard_ids: tuple[int, ...]
    shard_count: int
    guilds: int
    users: int
    latency_ms: float | None
    health: str
    last_heartbeat: float
    alive: bool
    pid: int
    host: str
    shards: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data for views."""
        data = asdict(self)
        data["shard_ids"] = list(self.shard_ids)
        return data


@dataclass(frozen=True)
class Report:
    """A cluster's own account: who it is and its latest stats (already checked)."""

    instance: str
    shard_ids: tuple[int, ...]
    shard_count: int
    pid: int
    host: str
    guilds: int = 0
    users: int = 0
    latency_ms: float | None = None
    health: str = "unknown"
    shards: tuple[dict[str, Any], ...] = ()

    def to_body(self) -> dict[str, Any]:
        """The wire form (what :func:`parse_report` reads back)."""
        return {
            "instance": self.instance,
            "shard_ids": list(self.shard_ids),
            "shard_count": self.shard_count,
            "pid": self.pid,
            "host": self.host,
            "stats": {
                "guilds": self.guilds,
                "users": self.users,
                "latency_ms": self.latency_ms,
                "health": self.health,
                "shards": list(self.shards),
            },
        }

    def with_stats(self, stats: Mapping[str, Any]) -> Report:
        """This report with ``stats`` (a stats provider's answer) checked and trimmed;
        missing or bad values fall back to zero / None / "unknown"."""
        return Report(
            instance=self.instance,
            shard_ids=self.shard_ids,
            shard_count=self.shard_count,
            pid=self.pid,
            host=self.host,
            guilds=_count(stats.get("guilds")),
            users=_count(stats.get("users")),
            latency_ms=_latency(stats.get("latency_ms")),
            health=_text(stats.get("health"), "unknown"),
            shards=_shard_rows(stats.get("shards")),
        )


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return min(max(value, 0), _MAX_INT)


def _latency(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _text(value: object, default: str) -> str:
    return value[:_MAX_TEXT] if isinstance(value, str) and value else default


def _shard_rows(value: object) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list | tuple):
        return ()
    rows = []
    for row in value[:MAX_SHARDS_LISTED]:
        if not isinstance(row, Mapping) or _count(row.get("id")) != row.get("id"):
            continue
        rows.append(
            {
                "id": row["id"],
                "state": _text(row.get("state"), "unknown"),
                "latency_ms": _latency(row.get("latency_ms")),
                "guilds": _count(row.get("guilds")),
                "ready": row.get("ready") is True,
            }
        )
    return tuple(rows)


def parse_report(body: Mapping[str, Any]) -> Report:
    """A :class:`Report` from a message body; ValueError when the identity part is bad."""
    instance, count, pid = body.get("instance"), body.get("shard_count"), body.get("pid")
    ids, host, stats = body.get("shard_ids"), body.get("host"), body.get("stats")
    if not (isinstance(instance, str) and 0 < len(instance) <= 64):
        raise ValueError("bad instance")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 100_000:
        raise ValueError("bad shard count")
    if not isinstance(ids, list) or len(ids) > 100_000:
        raise ValueError("bad shard ids")
    if any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < count for i in ids):
        raise ValueError("bad shard ids")
    if isinstance(pid, bool) or not isinstance(pid, int) or not 0 <= pid < 2**32:
        raise ValueError("bad pid")
    if not isinstance(host, str) or len(host) > _MAX_TEXT:
        raise ValueError("bad host")
    if not isinstance(stats, Mapping):
        raise ValueError("bad stats")
    report = Report(instance=instance, shard_ids=tuple(ids), shard_count=count, pid=pid, host=host)
    return report.with_stats(stats)


@dataclass
class _Entry:
    report: Report
    seen: float
    alive: bool = True


class MemberTable:
    """The clusters this bus knows, by name: at most ``max_members``.

    A cluster not heard from for ``timeout`` seconds turns dead (``alive`` False); one
    dead for ``prune_after`` more seconds is forgotten. When the table is full, the
    longest-silent dead cluster makes room; with none dead a newcomer is not added.
    """

    def __init__(self, *, timeout: float, max_members: int, prune_after: float) -> None:
        self.timeout = timeout
        self.max_members = max_members
        self.prune_after = prune_after
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def instance_of(self, name: str) -> str | None:
        entry = self._entries.get(name)
        return entry.report.instance if entry else None

    def update(self, name: str, report: Report, seen: float) -> str | None:
        """Record a sign of life. Returns ``"join"`` for a new (or revived) cluster,
        ``"full"`` when there is no room for it, None otherwise."""
        entry = self._entries.get(name)
        if entry is not None:
            revived = not entry.alive
            entry.report, entry.seen, entry.alive = report, max(seen, entry.seen), True
            return "join" if revived else None
        if len(self._entries) >= self.max_members and not self._make_room():
            return "full"
        self._entries[name] = _Entry(report, seen)
        return "join"

    def _make_room(self) -> bool:
        dead = [(e.seen, n) for n, e in self._entries.items() if not e.alive]
        if not dead:
            return False
        del self._entries[min(dead)[1]]
        return True

    def remove(self, name: str) -> bool:
        return self._entries.pop(name, None) is not None

    def refresh(self, now: float) -> None:
        """Give every live cluster a full timeout from ``now`` (after a reconnect: their
        heartbeats could not reach us while the bus was down)."""
        for entry in self._entries.values():
            if entry.alive:
                entry.seen = max(entry.seen, now)

    def sweep(self, now: float) -> list[str]:
        """Mark clusters silent past the timeout dead and forget long-dead ones; the
        names that just died."""
        died = []
        for name, entry in list(self._entries.items()):
            silent = now - entry.seen
            if entry.alive and silent > self.timeout:
                entry.alive = False
                died.append(name)
            elif not entry.alive and silent > self.timeout + self.prune_after:
                del self._entries[name]
        return died

    def infos(self, names: Iterable[str] | None = None) -> list[ClusterInfo]:
        chosen = self._entries if names is None else [n for n in names if n in self._entries]
        return [self._info(name, self._entries[name]) for name in sorted(chosen)]

    def _info(self, name: str, entry: _Entry) -> ClusterInfo:
        return info_of(name, entry.report, seen=entry.seen, alive=entry.alive)


def info_of(name: str, report: Report, *, seen: float, alive: bool) -> ClusterInfo:
    """The :class:`ClusterInfo` view of a report."""
    return ClusterInfo(
        name=name,
        shard_ids=report.shard_ids,
        shard_count=report.shard_count,
        guilds=report.guilds,
        users=report.users,
        latency_ms=report.latency_ms,
        health=report.health,
        last_heartbeat=seen,
        alive=alive,
        pid=report.pid,
        host=report.host,
        shards=[dict(row) for row in report.shards],
    )
