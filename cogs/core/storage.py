"""Owner-only storage diagnostics: cachestats, dbstats, integritycheck, atomicstats, atomictest."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from . import embeds
from ._common import Ctx, duration, join_lines, percent, size
from .info import process_stats

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

OWNER_ONLY = {"owner_only": True}
HEALTH_ICONS = {"healthy": "🟢", "degraded": "🟡", "critical": "🔴"}
_admin_only_slash = app_commands.default_permissions(administrator=True)


class Storage(commands.Cog):
    """Owner-only views of the file store, the databases and their health."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot

    # -- caches --------------------------------------------------------------------------
    @commands.hybrid_command(description="Cache sizes and hit rates (owner)", extras=OWNER_ONLY)
    @_admin_only_slash
    async def cachestats(self, ctx: Ctx) -> None:
        """File cache, settings cache and connection pool at a glance."""
        store = self.bot.services.store.metrics()
        db = self.bot.services.db.stats()
        settings_lookups = db.settings_cache_hits + db.settings_cache_misses
        settings_rate = db.settings_cache_hits / settings_lookups if settings_lookups else 0.0
        pool_lookups = db.pool_hits + db.pool_misses
        embed = embeds.info("🗃️ Cache statistics")
        embed.add_field(
            name="File cache (atomic store)",
            value=f"{store.cache_size} entries\nHit rate {percent(store.hit_rate)}\n"
            f"{store.lock_count} path lock(s)",
        )
        embed.add_field(
            name="Prefix & settings cache",
            value=f"{db.settings_cache_entries} server(s)\nHit rate {percent(settings_rate)}",
        )
        embed.add_field(
            name="Database pool",
            value=f"{db.open_guild_connections}/{db.pool_cap} open\n"
            f"Hit rate {percent(db.pool_hits / pool_lookups if pool_lookups else 0)}\n"
            f"{db.pool_evictions} eviction(s)",
        )
        embed.add_field(
            name="Metrics",
            value=f"{len(self.bot.services.metrics.top(500))} command name(s) tracked\n"
            f"{len(self.bot.services.metrics.recent_commands())} recent command(s) kept",
        )
        embed.add_field(name="Pending usage counts", value=str(db.pending_usage_entries))
        await ctx.send(embed=embed)

    # -- databases -----------------------------------------------------------------------
    @commands.hybrid_command(
        description="Database connections and counters (owner)", extras=OWNER_ONLY
    )
    @_admin_only_slash
    async def dbstats(self, ctx: Ctx) -> None:
        """Open connections, queries, writes, usage flushes and size on disk."""
        databases = self.bot.services.db
        disk = await databases.refresh_disk_usage()
        db = databases.stats()
        top = await databases.command_stats(10)
        embed = embeds.info("🗄️ Database statistics")
        embed.add_field(
            name="Connections",
            value=f"main.db + {db.open_guild_connections}/{db.pool_cap} server database(s)",
        )
        embed.add_field(
            name="Pool",
            value=f"{db.pool_hits} hit(s) · {db.pool_misses} miss(es) · "
            f"{db.pool_evictions} eviction(s)",
        )
        embed.add_field(
            name="Statements", value=f"{db.queries_executed} ({db.writes_executed} writes)"
        )
        embed.add_field(
            name="Usage counting",
            value=f"{db.pending_usage_entries} pending · {db.usage_flushes} flush(es) · "
            f"{db.usage_dropped} dropped",
        )
        embed.add_field(name="Size on disk", value=size(disk))
        embed.add_field(
            name="Most used commands",
            value=join_lines(f"`{n}` × {c}" for n, c in top),
            inline=False,
        )
        await ctx.send(embed=embed)

    # -- integrity -----------------------------------------------------------------------
    @commands.hybrid_command(
        description="Check databases, file store and shards (owner)", extras=OWNER_ONLY
    )
    @_admin_only_slash
    async def integritycheck(self, ctx: Ctx) -> None:
        """PRAGMA integrity_check of every database plus store, extension and shard health."""
        await ctx.defer()
        bot = self.bot
        results, proc = await asyncio.gather(
            bot.services.db.integrity_check(), asyncio.to_thread(process_stats)
        )
        bad_dbs = {name: text for name, text in results.items() if text != "ok"}
        store = bot.services.store.metrics()
        failed_ext = [i for i in bot.extension_manager.extensions.values() if i.state == "failed"]
        closed = [sid for sid, shard in bot.shards.items() if shard.is_closed()]
        problems = bool(bad_dbs) or store.health != "healthy" or bool(failed_ext) or bool(closed)
        embed = (embeds.warning if problems else embeds.success)(
            "Integrity check: problems found" if problems else "Integrity check passed"
        )
        db_lines = [f"✅ {len(results) - len(bad_dbs)} of {len(results)} database(s) ok"]
        db_lines += [f"❌ {name}: {text[:200]}" for name, text in sorted(bad_dbs.items())]
        embed.add_field(name="Databases", value=join_lines(db_lines), inline=False)
        embed.add_field(
            name="File store",
            value=f"{HEALTH_ICONS.get(store.health, '❔')} {store.health} · "
            f"{store.failures} failure(s) in {store.reads + store.writes} operation(s)",
            inline=False,
        )
        ext_lines = [f"❌ {i.name}: {i.error or 'failed'}" for i in failed_ext]
        embed.add_field(
            name="Extensions", value=join_lines(ext_lines, empty="✅ none failed"), inline=False
        )
        embed.add_field(
            name="Shards",
            value=f"❌ disconnected: {', '.join(map(str, closed))}"
            if closed
            else f"✅ {len(bot.shards)} connected",
        )
        embed.add_field(
            name="Memory", value=f"{size(proc['rss'])} · {int(proc['threads'])} threads"
        )
        await ctx.send(embed=embed)

    # -- atomic store --------------------------------------------------------------------
    @commands.hybrid_command(description="Atomic file store statistics (owner)", extras=OWNER_ONLY)
    @_admin_only_slash
    async def atomicstats(self, ctx: Ctx) -> None:
        """Reads, writes, cache hit rate, locks, failures and health of the file store."""
        m = self.bot.services.store.metrics()
        embed = embeds.info(
            "💾 Atomic file store", f"{HEALTH_ICONS.get(m.health, '❔')} **{m.health}**"
        )
        embed.add_field(name="Reads", value=str(m.reads))
        embed.add_field(name="Writes", value=str(m.writes))
        embed.add_field(name="Write retries", value=str(m.retries))
        embed.add_field(name="Cache", value=f"{m.cache_size} entries · {percent(m.hit_rate)} hits")
        embed.add_field(name="Cache hits / misses", value=f"{m.cache_hits} / {m.cache_misses}")
        embed.add_field(name="Path locks", value=str(m.lock_count))
        embed.add_field(
            name="Failures",
            value=f"{m.read_failures} read · {m.write_failures} write ({percent(m.failure_rate)})",
        )
        embed.add_field(name="Uptime", value=duration(self.bot.services.metrics.uptime))
        await ctx.send(embed=embed)

    @commands.hybrid_command(
        description="Run the atomic file store self-test (owner)", extras=OWNER_ONLY
    )
    @_admin_only_slash
    async def atomictest(self, ctx: Ctx) -> None:
        """Write, read, cached read, concurrent writes, integrity and invalidation checks."""
        await ctx.defer()
        directory = self.bot.services.data_dir / "tmp"
        started = time.perf_counter()
        results = await self.bot.services.store.self_test(directory)
        total_ms = (time.perf_counter() - started) * 1000
        passed = sum(1 for r in results if r.passed)
        lines = [
            f"{'✅' if r.passed else '❌'} **{r.name}** — {r.duration_ms:.1f} ms — {r.detail}"
            for r in results
        ]
        if passed == len(results):
            embed = embeds.success(f"Atomic self-test: all {len(results)} checks passed")
        else:
            embed = embeds.error(
                f"Atomic self-test: {len(results) - passed} of {len(results)} failed"
            )
        embed.description = join_lines(lines, limit=4000)
        embed.set_footer(
            text=f"Ran in a temporary folder under data/tmp · {total_ms:.0f} ms in total"
        )
        await ctx.send(embed=embed)


async def setup(bot: ZoryxBot) -> None:
    await bot.add_cog(Storage(bot))
