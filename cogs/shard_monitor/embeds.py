"""Embeds of the shard monitor: the four dashboard tabs, shard details and alerts."""

from __future__ import annotations

import discord

from cogs.core import embeds
from cogs.core._common import clip, duration, join_lines

from .alerts import ShardAlert
from .health import CONDITION_LABELS, TIER_ICONS
from .snapshot import MonitorSnapshot, ShardView

TIER_COLOURS = {"healthy": embeds.SUCCESS, "warning": embeds.WARNING, "critical": embeds.ERROR}
TABS = ("overview", "health", "latency", "events")
BAR_WIDTH = 10
NO_SHARDS = "No shard has connected yet."


def _when(at: float | None, style: str = "R") -> str:
    return f"<t:{int(at)}:{style}>" if at is not None else "never"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def _worst(snap: MonitorSnapshot) -> str:
    tiers = {s.health for s in snap.shards}
    return next((t for t in ("critical", "warning") if t in tiers), "healthy")


def _footer(embed: discord.Embed, snap: MonitorSnapshot) -> discord.Embed:
    collect, health, persist = snap.intervals
    embed.set_footer(
        text=f"Collects every {duration(collect)} · health check every {duration(health)} · "
        f"saved every {duration(persist)} · {snap.checks} check(s) run"
    )
    return embed


def _counts(snap: MonitorSnapshot) -> str:
    return (
        f"{len(snap.shards)} shard(s) · {TIER_ICONS['healthy']} {snap.count('healthy')} healthy · "
        f"{TIER_ICONS['warning']} {snap.count('warning')} warning · "
        f"{TIER_ICONS['critical']} {snap.count('critical')} critical"
    )


def alert_settings(snap: MonitorSnapshot) -> str:
    channel = f"<#{snap.alert_channel_id}>" if snap.alert_channel_id else "off (log only)"
    return (
        f"Channel {channel}\nFailure threshold {snap.thresholds.failure_warning} "
        f"(critical at {max(snap.thresholds.failure_critical, snap.thresholds.failure_warning)})"
    )


def overview(snap: MonitorSnapshot) -> discord.Embed:
    tier = _worst(snap)
    embed = discord.Embed(
        title=f"📊 Shard monitor — {TIER_ICONS[tier]} {tier}",
        description=_counts(snap),
        color=TIER_COLOURS[tier],
    )
    shards = snap.shards
    latencies = [s.latency_ms for s in shards if s.latency_ms is not None]
    average = sum(latencies) / len(latencies) if latencies else None
    embed.add_field(
        name="Totals",
        value=f"Guilds {sum(s.guilds for s in shards)} · members {sum(s.members for s in shards)}\n"
        f"Messages {sum(s.messages for s in shards)} · commands "
        f"{sum(s.commands for s in shards)}\nAverage latency {_ms(average)}",
        inline=False,
    )
    lines = [
        f"{TIER_ICONS[s.health]} **Shard {s.id}** · {s.state} · {_ms(s.latency_ms)} · "
        f"{s.guilds} guild(s) · up {duration(s.uptime_s)}"
        for s in shards
    ]
    embed.add_field(name="Shards", value=join_lines(lines, empty=NO_SHARDS), inline=False)
    embed.add_field(name="Alerts", value=alert_settings(snap), inline=False)
    embed.add_field(name="Last health check", value=_when(snap.last_check), inline=False)
    return _footer(embed, snap)


def health(snap: MonitorSnapshot) -> discord.Embed:
    tier = _worst(snap)
    embed = discord.Embed(
        title=f"🏥 Shard health — {TIER_ICONS[tier]} {tier}",
        description=_counts(snap) + f"\nLast health check {_when(snap.last_check)}",
        color=TIER_COLOURS[tier],
    )
    for level, label in (("critical", "🔴 Critical"), ("warning", "🟡 Warning")):
        lines = [
            f"**Shard {s.id}**: " + "; ".join(i.detail for i in s.issues)
            for s in snap.shards
            if s.health == level
        ]
        if lines:
            embed.add_field(name=label, value=join_lines(lines), inline=False)
    healthy = [str(s.id) for s in snap.shards if s.health == "healthy"]
    embed.add_field(
        name="🟢 Healthy",
        value=clip("Shard(s) " + ", ".join(healthy), 1024) if healthy else "none",
        inline=False,
    )
    return _footer(embed, snap)


def _bar(value: float | None, scale: float) -> str:
    if value is None:
        return "▱" * BAR_WIDTH
    filled = max(0, min(BAR_WIDTH, round(value / scale * BAR_WIDTH)))
    return "▰" * filled + "▱" * (BAR_WIDTH - filled)


def latency(snap: MonitorSnapshot) -> discord.Embed:
    critical_ms = snap.thresholds.latency_critical * 1000
    embed = discord.Embed(
        title="📡 Shard latency",
        description=f"Bars are full at {critical_ms:.0f} ms (critical); warning above "
        f"{snap.thresholds.latency_warning * 1000:.0f} ms on average.",
        color=embeds.INFO,
    )
    lines = [
        f"`{_bar(s.latency_avg_ms, critical_ms)}` **Shard {s.id}** now {_ms(s.latency_ms)} · "
        f"avg {_ms(s.latency_avg_ms)} · min {_ms(s.latency_min_ms)} · max {_ms(s.latency_max_ms)}"
        for s in snap.shards
    ]
    embed.add_field(name="Per shard", value=join_lines(lines, empty=NO_SHARDS), inline=False)
    averages = [s.latency_avg_ms for s in snap.shards if s.latency_avg_ms is not None]
    if averages:
        embed.add_field(
            name="All shards",
            value=f"min {_ms(min(averages))} · avg {_ms(sum(averages) / len(averages))} · "
            f"max {_ms(max(averages))}",
            inline=False,
        )
    return _footer(embed, snap)


def events(snap: MonitorSnapshot) -> discord.Embed:
    embed = discord.Embed(title="📈 Shard events", color=embeds.INFO)
    lines = [
        f"**Shard {s.id}** · {s.messages} msg · {s.commands} cmd · {s.connects} connect · "
        f"{s.disconnects} disconnect · {s.resumes} resume · {s.errors} error · "
        f"+{s.guild_joins}/-{s.guild_leaves} guilds · last event {_when(s.last_event)}"
        for s in snap.shards
    ]
    embed.description = join_lines(lines, 4096, empty=NO_SHARDS)
    return _footer(embed, snap)


TAB_BUILDERS = {"overview": overview, "health": health, "latency": latency, "events": events}


def details(shard: ShardView, snap: MonitorSnapshot) -> discord.Embed:
    embed = discord.Embed(
        title=f"{TIER_ICONS[shard.health]} Shard {shard.id} — {shard.health}",
        description="\n".join(f"• {i.detail}" for i in shard.issues) or "No issue.",
        color=TIER_COLOURS[shard.health],
    )
    embed.add_field(
        name="Basics",
        value=f"State {shard.state}\nGuilds {shard.guilds} · members {shard.members}\n"
        f"Latency {_ms(shard.latency_ms)} (avg {_ms(shard.latency_avg_ms)}, min "
        f"{_ms(shard.latency_min_ms)}, max {_ms(shard.latency_max_ms)})",
        inline=False,
    )
    embed.add_field(
        name="Activity",
        value=f"Messages {shard.messages} · commands {shard.commands}\n"
        f"Guild joins {shard.guild_joins} · leaves {shard.guild_leaves}\n"
        f"Last event {_when(shard.last_event)}",
        inline=False,
    )
    embed.add_field(
        name="Reliability",
        value=f"Uptime {duration(shard.uptime_s)} · available {shard.availability:.1%} since "
        f"{_when(shard.monitored_since, 'f')}\nConnects {shard.connects} · resumes "
        f"{shard.resumes} · disconnects {shard.disconnects}\n"
        f"Consecutive failures {shard.consecutive_failures}",
        inline=False,
    )
    error = shard.last_error
    last = "none" if error is None else f"{_when(error.at)} ({error.kind}) {clip(error.text, 300)}"
    embed.add_field(name="Errors", value=f"Total {shard.errors}\nLast: {last}", inline=False)
    embed.add_field(
        name="Connection history",
        value=f"Last connect {_when(shard.last_connect)}\n"
        f"Last disconnect {_when(shard.last_disconnect)}",
        inline=False,
    )
    return _footer(embed, snap)


def alert(item: ShardAlert) -> discord.Embed:
    critical = item.level == "critical"
    shards = sorted({s for s, _ in item.issues})
    lines = [
        f"{TIER_ICONS[i.level]} **Shard {s}** — {CONDITION_LABELS.get(i.condition, i.condition)}: "
        f"{i.detail}"
        for s, i in item.issues
    ]
    embed = discord.Embed(
        title=("🚨 Shard alert: critical" if critical else "⚠️ Shard alert: warning"),
        description=join_lines(lines, 4096),
        color=embeds.ERROR if critical else embeds.WARNING,
    )
    embed.set_footer(
        text=f"Shard(s) {', '.join(map(str, shards))} · one alert per shard and condition "
        "until it clears"
    )
    return embed
