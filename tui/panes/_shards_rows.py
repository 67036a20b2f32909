"""What the Shards pane's tables and status lines show, from its views' plain data.

Plain functions from view data (dicts) to table cells and status text, so the pane module
only lays widgets out. This process's shards come from the ``shards`` view (and the shard
monitor's ``shard_health``); the fleet from the ``clusters`` view, where a cluster row is
followed by one row per shard it reported, and a dead cluster (``alive`` False: silent
past the bus timeout) and its shards are dimmed and say "dead". Volatile values (latency,
times, heartbeat age) render as placeholders when frozen.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from rich.text import Text

from tui.widgets import FROZEN, ago, clock, sparkline

#: (label, key) of this process's shards table's columns.
SHARD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Shard", "id"),
    ("State", "state"),
    ("Latency", "latency"),
    ("Recent", "recent"),
    ("Guilds", "guilds"),
    ("Members", "members"),
    ("Ready", "ready"),
    ("Chunked", "chunked"),
    ("Health", "health"),
    ("Up since", "connect"),
    ("Last drop", "disconnect"),
)
#: (label, key) of the clusters table's columns.
CLUSTER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Cluster", "name"),
    ("State", "state"),
    ("Latency", "latency"),
    ("Guilds", "guilds"),
    ("Users", "users"),
    ("Health", "health"),
    ("Heartbeat", "heartbeat"),
)
#: The shard monitor's and the shard manager's health tiers.
HEALTH_STYLES = {"healthy": "green", "warning": "yellow", "critical": "bold red"}
#: Shard states as clusters report them (others are shown as they are, unstyled).
SHARD_STATES = {
    "ready": ("●", "green"),
    "connected": ("●", "green"),
    "starting": ("◐", "yellow"),
    "connecting": ("◐", "yellow"),
    "disconnected": ("○", "bold red"),
    "closed": ("○", "bold red"),
}
BUS_STYLES = {
    "connected": "green",
    "connecting": "yellow",
    "unavailable": "bold red",
    "refused": "bold red",
    "stopped": "bold red",
}
DEAD_STYLE = "dim"

Row = tuple[str, tuple[Any, ...]]
"""A table row: its key and its cells (one per column)."""


def cell_key(cell: object) -> object:
    """What a cell shows, comparable with ``==`` (Rich's Text equality ignores its style)."""
    if isinstance(cell, Text):
        return (cell.plain, str(cell.style), tuple(cell.spans))
    return cell


def latency_text(ms: float | None, frozen: bool) -> str:
    if ms is None:
        return "—"
    return FROZEN if frozen else f"{ms:.1f} ms"


def health_text(health: str | None, dead: bool = False) -> Text:
    if not health:
        return Text("—")
    return Text(health, style="" if dead else HEALTH_STYLES.get(health.lower(), ""))


def shard_state_text(state: str | None) -> Text:
    """A shard's state as its cluster reported it (``ready``, ``connecting``, ``closed``…)."""
    name = str(state or "unknown")
    mark, style = SHARD_STATES.get(name.lower(), ("●", ""))
    return Text(f"{mark} {name.replace('_', '-')}", style=style)


def _heartbeat(at: float | None, frozen: bool, now: float) -> str:
    if at is None:
        return "—"
    return FROZEN if frozen else ago(at, now)


def _dim(cells: tuple[Any, ...]) -> tuple[Any, ...]:
    """Every cell of a dead cluster's row, dimmed."""
    out: list[Any] = []
    for cell in cells:
        text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
        text.stylize(DEAD_STYLE)
        out.append(text)
    return tuple(out)


# -- this process's shards -----------------------------------------------------------------
def health_by_shard(data: dict[str, Any] | None) -> dict[int, dict[str, Any]]:
    """The shard monitor's record of each shard (``shard_health`` view), by shard ID."""
    if not data or not data.get("enabled"):
        return {}
    return {int(shard["id"]): shard for shard in data.get("shards", [])}


def _own_state(shard: dict[str, Any]) -> Text:
    starting = shard.get("startup_state")
    if shard["closed"]:
        if starting == "connecting":
            return Text("◐ connecting", style="yellow")
        return Text("○ closed", style="bold red")
    if shard["rate_limited"]:
        return Text("● rate-limited", style="bold yellow")
    if starting == "loading":
        return Text("◐ starting", style="yellow")
    return Text("● connected", style="green")


def _ready(shard: dict[str, Any]) -> tuple[Text | str, str]:
    """The Ready and Chunked cells: start-up progress, when the bot tracks it."""
    if shard.get("ready") is None:
        return "—", "—"
    chunked = f"{shard.get('guilds_chunked') or 0:,}"
    if shard["ready"]:
        return Text("✓", style="green"), chunked
    if shard.get("startup_state") == "connecting":
        return Text("…", style="yellow"), chunked
    return Text(f"{shard.get('guilds_ready') or 0:,}/{shard['guilds']:,}", style="yellow"), chunked


def _when(at: float | None, frozen: bool) -> str:
    return "—" if at is None else clock(at, frozen=frozen)


def shard_row(
    shard: dict[str, Any],
    samples: Sequence[float],
    monitor: dict[str, Any] | None,
    frozen: bool = False,
) -> Row:
    """One of this process's shards (``shards`` view), with the monitor's record if any."""
    ms = shard["latency_ms"]
    if ms is None:
        latency, recent = "—", ""
    elif frozen:
        latency, recent = FROZEN, FROZEN
    else:
        latency, recent = f"{ms:.1f} ms", sparkline(samples, 8)
    monitor = monitor or {}
    connect = shard.get("last_connect") or monitor.get("last_connect")
    drop = shard.get("last_disconnect") or monitor.get("last_disconnect")
    ready, chunked = _ready(shard)
    cells = (
        str(shard["id"]),
        _own_state(shard),
        latency,
        recent,
        str(shard["guilds"]),
        str(shard["members"]),
        ready,
        chunked,
        health_text(monitor.get("health")),
        _when(connect, frozen),
        _when(drop, frozen),
    )
    return str(shard["id"]), cells


def shards_line(
    data: dict[str, Any], mean: str, monitor: dict[int, dict[str, Any]] | None = None
) -> str:
    """The status line: shards connected, mean latency, guilds, start-up and health."""
    shards = data["shards"]
    connected = sum(1 for shard in shards if not shard["closed"])
    line = (
        f"{connected}/{data['shard_count']} shards connected · mean latency {mean} · "
        f"{data['guilds']} guilds"
    )
    startup = data.get("startup") or {}
    if startup.get("done") is False:
        ready = sum(shard.get("guilds_ready") or 0 for shard in shards)
        chunked = sum(shard.get("guilds_chunked") or 0 for shard in shards)
        line += f" · starting: {ready:,}/{data['guilds']:,} guilds ready, {chunked:,} chunked"
    tiers = [str(record.get("health")) for record in (monitor or {}).values()]
    unwell = [f"{tiers.count(tier)} {tier}" for tier in ("critical", "warning") if tier in tiers]
    if unwell:
        line += " · " + ", ".join(unwell)
    return line


# -- the fleet -------------------------------------------------------------------------------
def cluster_rows(data: dict[str, Any], frozen: bool = False, now: float | None = None) -> list[Row]:
    """The clusters table: each cluster, then its shards indented under it."""
    now = time.time() if now is None else now
    own, bus = data.get("self"), data.get("bus")
    rows: list[Row] = []
    for info in data.get("clusters", []):
        name = str(info["name"])
        dead = not info.get("alive", True)
        label = f"{name} (this)" if name == own else name
        state = Text("✕ dead", style="bold") if dead else Text("● live", style="green")
        if dead and name == own and bus in ("refused", "stopped"):
            state = Text(f"✕ {bus}", style="bold")  # this cluster is not in the fleet
        cells: tuple[Any, ...] = (
            Text(label, style="bold"),
            state,
            latency_text(info.get("latency_ms"), frozen),
            str(info.get("guilds", 0)),
            str(info.get("users", 0)),
            health_text(info.get("health"), dead),
            _heartbeat(info.get("last_heartbeat"), frozen, now),
        )
        rows.append((f"c:{name}", _dim(cells) if dead else cells))
        shards = info.get("shards", [])
        for index, shard in enumerate(shards):
            last = index == len(shards) - 1 and info.get("shards_total", 0) <= len(shards)
            cells = (
                f"  {'└' if last else '├'} shard {shard.get('id', '?')}",
                shard_state_text(shard.get("state")),
                latency_text(shard.get("latency_ms"), frozen),
                str(shard.get("guilds", 0)),
                "",
                health_text(shard["health"], dead) if shard.get("health") else "",
                "",
            )
            rows.append((f"c:{name}:s:{shard.get('id')}", _dim(cells) if dead else cells))
        hidden = int(info.get("shards_total", 0)) - len(shards)
        if hidden > 0:
            cells = (f"  └ {hidden} more shards", "", "", "", "", "", "")
            rows.append((f"c:{name}:more", _dim(cells) if dead else cells))
    return rows


def bus_line(data: dict[str, Any]) -> Text:
    """The line above the clusters table: the bus state, the global totals, drops."""
    state = str(data.get("bus") or "unknown")
    line = Text()
    if state == "unavailable":
        line.append("bus unavailable", style=BUS_STYLES[state])
        line.append(" (Redis unreachable; this process keeps serving its shards) · last known")
    elif state == "refused":
        line.append("bus refused", style=BUS_STYLES[state])
        if data.get("refusal"):
            line.append(f": {data['refusal']}")
    else:
        line.append(f"bus {state}", style=BUS_STYLES.get(state, ""))
    totals = data.get("global", {})
    dead = sum(1 for info in data.get("clusters", []) if not info.get("alive", True))
    line.append(
        f" · {totals.get('clusters', 0)} live"
        + (f", {dead} dead" if dead else "")
        + f" · {totals.get('shards', 0)} shards · {totals.get('guilds', 0)} guilds"
        + f" · {totals.get('users', 0)} users"
    )
    dropped = sum(
        int(count)
        for reason, count in data.get("counters", {}).items()
        if reason not in ("sent", "received")
    )
    if dropped:
        line.append(f" · {dropped} dropped", style="yellow")
    return line
