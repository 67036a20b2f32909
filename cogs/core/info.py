"""Information commands: help, stats, extensions, discordbotframework, shardinfo."""

from __future__ import annotations

import asyncio
import platform
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

import zoryx
from zoryx.checks import is_owner_only

from . import embeds
from ._common import (
    Ctx,
    bot_of,
    clip,
    duration,
    guild_prefix,
    is_bot_owner,
    join_lines,
    member_count,
    millis,
    owner_exempt_cooldown,
    percent,
    size,
)
from .help_view import (
    KIND_LABELS,
    MARKERS,
    SLASH,
    HelpView,
    collect_entries,
    group_entries,
    kind_of,
)

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

STATE_ICONS = {"loaded": "✅", "failed": "❌", "unloaded": "⏸", "blacklisted": "⏸"}
FEATURES = (
    "Terminal operator console with the bot running inside it",
    "Built-in sandbox Discord for offline development and tests",
    "Crash-safe JSON storage and per-guild SQLite databases (WAL)",
    "Extensions loaded from extensions/ with hot reload and load-time tracking",
    "Prefix, slash and hybrid commands; per-guild prefix and @mention switch",
    "Bot owner / server owner / per-command role permissions",
    "Command metrics, status rotation, auto-sharding",
)


_process: Any = None  # one psutil.Process, so cpu_percent measures since the last call


def process_stats() -> dict[str, float]:
    """Memory, CPU and threads of this process (blocking: call it in a thread)."""
    global _process
    import psutil

    if _process is None:
        _process = psutil.Process()
    proc = _process
    with proc.oneshot():
        return {
            "rss": float(proc.memory_info().rss),
            "cpu": proc.cpu_percent(interval=None),
            "threads": float(proc.num_threads()),
        }


def _cooldown_text(bot: ZoryxBot, command: commands.Command[Any, ..., Any], owner: bool) -> str:
    mapping = command._buckets  # discord.py keeps a command's cooldowns here
    factory = getattr(mapping, "_factory", None)
    spec = getattr(factory, "zoryx_cooldown", None)
    if spec is not None:
        return f"{spec[0]} use(s) per {spec[1]:g}s per user (bot owners exempt)"
    cooldown = getattr(mapping, "_cooldown", None)
    if cooldown is not None:
        return f"{cooldown.rate} use(s) per {cooldown.per:g}s"
    if owner:
        return "none"
    cfg = bot.services.config.cooldowns
    return f"{cfg.default_rate} use(s) per {cfg.default_per:g}s per user (default)"


async def _permission_text(ctx: Ctx, command: commands.Command[Any, ..., Any]) -> str:
    if is_owner_only(command):
        return "🔒 Bot owner only"
    lines: list[str] = []
    for cmd in (*reversed(command.parents), command):
        lines += getattr(cmd.callback, "__zoryx_requires__", [])
    bot = bot_of(ctx)
    name = command.qualified_name
    roles: list[int] = []
    if ctx.guild is not None:
        roles = await bot.services.db.get_command_roles(ctx.guild.id, name)
    roles = roles or list(bot.services.config.command_permissions.get(name, []))
    if roles:
        names = []
        for rid in roles:
            role = ctx.guild.get_role(int(rid)) if ctx.guild else None
            names.append(role.mention if role else f"role {rid}")
        lines.append("One of these roles here: " + ", ".join(names))
    return "\n".join(dict.fromkeys(lines)) or "Everyone"


class Info(commands.Cog):
    """Help, bot statistics, extensions and framework information."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot

    # -- help ----------------------------------------------------------------------------
    @commands.hybrid_command(name="help", description="Browse the bot's commands")
    @app_commands.describe(command="A command to show details for")
    @owner_exempt_cooldown(3, 10)
    async def help_command(self, ctx: Ctx, *, command: str | None = None) -> None:
        """Browse commands by category, or show one command's usage and rules."""
        prefix = await guild_prefix(self.bot, ctx.guild)
        if command:
            await ctx.send(embed=await self._command_embed(ctx, command.strip(), prefix))
            return
        entries, descriptions = collect_entries(self.bot)
        view = HelpView(ctx.author.id, group_entries(entries, descriptions), prefix)
        view.message = await ctx.send(embed=view.embed(), view=view)

    @help_command.autocomplete("command")
    async def _help_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = sorted({c.qualified_name for c in self.bot.walk_commands() if not c.hidden})
        current = current.lower()
        return [app_commands.Choice(name=n, value=n) for n in names if current in n][:25]

    async def _command_embed(self, ctx: Ctx, name: str, prefix: str) -> discord.Embed:
        command = self.bot.get_command(name.removeprefix(prefix))
        if command is None or command.hidden:
            app = self.bot.tree.get_command(name.removeprefix("/"))
            if app is None:
                raise commands.BadArgument(f"There is no command called `{name}`.")
            return self._slash_embed(app)
        embed = embeds.info(
            f"{MARKERS[kind_of(command)]} {prefix}{command.qualified_name}",
            command.help or command.description or "No description.",
        )
        embed.add_field(
            name="Usage",
            value=f"`{prefix}{command.qualified_name} {command.signature}`".replace(" `", "`"),
            inline=False,
        )
        embed.add_field(name="Type", value=KIND_LABELS[kind_of(command)], inline=True)
        embed.add_field(
            name="Aliases", value=", ".join(f"`{a}`" for a in command.aliases) or "—", inline=True
        )
        owner = ctx.author.id in self.bot.services.owner_ids
        embed.add_field(
            name="Cooldown", value=_cooldown_text(self.bot, command, owner), inline=True
        )
        embed.add_field(name="Permission", value=await _permission_text(ctx, command), inline=False)
        if isinstance(command, commands.Group):
            subs = sorted(command.commands, key=lambda c: c.name)
            lines = [f"`{prefix}{c.qualified_name} {c.signature}`".replace(" `", "`") for c in subs]
            embed.add_field(name="Subcommands", value=join_lines(lines), inline=False)
        return embed

    def _slash_embed(self, app: Any) -> discord.Embed:
        embed = embeds.info(f"{MARKERS[SLASH]} /{app.name}", app.description or "No description.")
        params = getattr(app, "parameters", [])
        usage = " ".join(f"<{p.name}>" if p.required else f"[{p.name}]" for p in params)
        embed.add_field(name="Usage", value=f"`/{app.name} {usage}`".replace(" `", "`"))
        embed.add_field(name="Type", value=KIND_LABELS[SLASH])
        return embed

    # -- stats ---------------------------------------------------------------------------
    @commands.hybrid_command(description="Bot statistics: uptime, usage, latency, memory")
    @owner_exempt_cooldown(3, 10)
    async def stats(self, ctx: Ctx) -> None:
        """Uptime, servers, users, command usage, error rate, latency and memory."""
        bot = self.bot
        snap = bot.services.metrics.snapshot(top_n=5)
        proc, top_all = await asyncio.gather(
            asyncio.to_thread(process_stats), bot.services.db.command_stats(5)
        )
        embed = embeds.info("📊 Bot statistics")
        embed.add_field(name="Uptime", value=duration(snap.uptime))
        embed.add_field(name="Servers", value=str(len(bot.guilds)))
        embed.add_field(name="Users", value=str(member_count(bot)))
        embed.add_field(
            name="Commands run",
            value=f"{snap.commands} ({snap.command_errors} failed · "
            f"{snap.user_errors} user errors)",
        )
        embed.add_field(name="Messages seen", value=str(snap.messages))
        embed.add_field(name="Error rate", value=percent(snap.error_rate))
        embed.add_field(name="Latency", value=millis(bot.latency))
        embed.add_field(name="Shards", value=str(bot.shard_count or 1))
        embed.add_field(name="Memory", value=f"{size(proc['rss'])} · CPU {proc['cpu']:.0f}%")
        session = [f"`{name}` × {count}" for name, count in snap.top_commands]
        alltime = [f"`{name}` × {count}" for name, count in top_all]
        embed.add_field(name="Top commands (this run)", value=join_lines(session), inline=False)
        embed.add_field(name="Top commands (all time)", value=join_lines(alltime), inline=False)
        embed.set_footer(text=f"Zoryx {zoryx.__version__} · discord.py {discord.__version__}")
        await ctx.send(embed=embed)

    # -- extensions ----------------------------------------------------------------------
    @commands.hybrid_command(description="User extensions and framework cogs")
    @owner_exempt_cooldown(3, 10)
    async def extensions(self, ctx: Ctx) -> None:
        """List user extensions (state, version, load time) and the framework cogs."""
        manager = self.bot.extension_manager
        found = await manager.discover()
        owner = is_bot_owner(ctx)
        lines = []
        for name, info in sorted(found.items()):
            version = info.metadata.get("version")
            parts = [f"{STATE_ICONS.get(info.state, '❔')} **{name}**"]
            if version:
                parts.append(f"v{version}")
            parts.append(info.state)
            if info.state == "loaded" and info.load_ms is not None:
                parts.append(f"{info.load_ms:.0f} ms")
            if info.error:  # the reason (redacted) is for bot owners only
                reason = clip(info.error, 120) if owner else "the reason is shown to bot owners"
                parts.append(f"— {reason}")
            lines.append(" · ".join(parts))
        framework = sorted(n for n in self.bot.extensions if not n.startswith("extensions."))
        loaded = sum(1 for i in found.values() if i.state == "loaded")
        embed = embeds.info(
            "🧩 Extensions",
            f"{loaded} of {len(found)} user extension(s) loaded from `extensions/`.",
        )
        embed.add_field(
            name="User extensions", value=join_lines(lines, empty="None found."), inline=False
        )
        embed.add_field(
            name="Framework cogs",
            value=join_lines(
                [f"📦 `{n}`" for n in framework]
                + [f"• {c}" for c in sorted(self.bot.cogs) if not _is_extension_cog(self.bot, c)]
            ),
            inline=False,
        )
        embed.set_footer(text="✅ loaded · ❌ failed · ⏸ not loaded / blacklisted")
        await ctx.send(embed=embed)

    # -- framework -----------------------------------------------------------------------
    @commands.hybrid_command(
        name="discordbotframework",
        aliases=["framework", "botinfo"],
        description="About the Zoryx framework and its features",
    )
    @owner_exempt_cooldown(3, 10)
    async def discordbotframework(self, ctx: Ctx) -> None:
        """What this bot runs on: versions, live numbers and the feature list."""
        bot = self.bot
        prefix = await guild_prefix(bot, ctx.guild)
        embed = embeds.info(
            "🤖 Zoryx bot framework",
            "A discord.py framework operated from the terminal, with a sandbox Discord "
            "built in for offline development.",
        )
        embed.add_field(name="Zoryx", value=zoryx.__version__)
        embed.add_field(name="discord.py", value=discord.__version__)
        embed.add_field(name="Python", value=platform.python_version())
        embed.add_field(name="Servers", value=str(len(bot.guilds)))
        embed.add_field(name="Cogs", value=str(len(bot.cogs)))
        loaded = sum(1 for i in bot.extension_manager.extensions.values() if i.state == "loaded")
        embed.add_field(name="Extensions", value=str(loaded))
        embed.add_field(
            name="Framework features", value=join_lines(f"• {f}" for f in FEATURES), inline=False
        )
        user_cmds = ["help", "stats", "extensions", "shardinfo", "serversettings", "setprefix"]
        embed.add_field(
            name="User commands",
            value=" ".join(f"`{prefix}{c}`" for c in user_cmds if bot.get_command(c)),
            inline=False,
        )
        if bot.user is not None:
            embed.set_thumbnail(url=bot.user.display_avatar.url)
        await ctx.send(embed=embed)

    # -- shards --------------------------------------------------------------------------
    @commands.hybrid_command(description="Shard latency and server distribution")
    @owner_exempt_cooldown(3, 10)
    async def shardinfo(self, ctx: Ctx) -> None:
        """Latency, state and server count of every shard."""
        bot = self.bot
        counts: dict[int, int] = {}
        for guild in bot.guilds:
            counts[guild.shard_id] = counts.get(guild.shard_id, 0) + 1
        here = ctx.guild.shard_id if ctx.guild else 0
        embed = embeds.info(
            "🧭 Shards",
            f"{len(bot.shards)} shard(s) · {len(bot.guilds)} server(s) · "
            f"average latency {millis(bot.latency)}",
        )
        for shard_id, shard in sorted(bot.shards.items())[:24]:
            state = "🔴 disconnected" if shard.is_closed() else "🟢 connected"
            marker = " (this server)" if shard_id == here else ""
            embed.add_field(
                name=f"Shard {shard_id}{marker}",
                value=f"{state}\nLatency: {millis(shard.latency)}\n"
                f"Servers: {counts.get(shard_id, 0)}",
            )
        if len(bot.shards) > 24:
            embed.set_footer(text=f"… {len(bot.shards) - 24} more shards not shown")
        await ctx.send(embed=embed)


def _is_extension_cog(bot: ZoryxBot, cog_name: str) -> bool:
    cog = bot.get_cog(cog_name)
    return cog is not None and type(cog).__module__.startswith("extensions.")


async def setup(bot: ZoryxBot) -> None:
    await bot.add_cog(Info(bot))
