"""Extensions written against the earlier framework's documented extension API.

Written for these tests in that API's style (not copied): hooks taking ``bot`` first,
``bot.register_plugin``, ``global_file_handler``, ``bot.db`` and ``bot.config``. Each
records what it saw in module-level lists the tests read back.
"""

HOOKED = """
from discord.ext import commands

SEEN = []


class Hooked(commands.Cog):
    def __init__(self, bot):
        self.bot = bot
        if hasattr(bot, "register_hook"):
            bot.register_hook("extension_loaded", self.on_ext_loaded, priority=5)
            bot.register_hook("command_executed", self.on_cmd_used)
            bot.register_hook("command_error", self.on_cmd_error)
            bot.register_hook("bot_ready", self.on_bot_ready)
            bot.register_hook("guild_joined", self.on_guild_joined)
            bot.register_hook("custom_event", self.on_custom)

    async def on_ext_loaded(self, bot, extension_name: str, **kwargs):
        SEEN.append(("extension_loaded", bot is self.bot, extension_name))

    async def on_cmd_used(self, bot, command_name: str, author, **kwargs):
        SEEN.append(("command_executed", bot is self.bot, command_name, author.name,
                     getattr(kwargs.get("guild"), "name", None)))

    async def on_cmd_error(self, bot, command_name, error, author, **kwargs):
        SEEN.append(("command_error", command_name, type(error).__name__, author.name))

    async def on_bot_ready(self, bot, bot_user, **kwargs):
        SEEN.append(("bot_ready", bot_user.id == bot.user.id))

    async def on_guild_joined(self, bot, guild, **kwargs):
        SEEN.append(("guild_joined", guild.name))

    async def on_custom(self, bot, custom_param, **kwargs):
        SEEN.append(("custom_event", custom_param))

    def cog_unload(self):
        if hasattr(self.bot, "unregister_hook"):
            for event, cb in (("extension_loaded", self.on_ext_loaded),
                              ("command_executed", self.on_cmd_used),
                              ("command_error", self.on_cmd_error),
                              ("bot_ready", self.on_bot_ready),
                              ("guild_joined", self.on_guild_joined),
                              ("custom_event", self.on_custom)):
                self.bot.unregister_hook(event, cb)

    @commands.command()
    async def shout(self, ctx):
        await self.bot.emit_hook("custom_event", custom_param="loud")
        await ctx.send("shouted")

    @commands.command()
    async def boom(self, ctx):
        raise RuntimeError("kaboom")


async def setup(bot):
    await bot.add_cog(Hooked(bot))
"""

PLUGIN = """
from discord.ext import commands

__version__ = "1.0.0"
__author__ = "Ada"
__description__ = "declares itself"
__dependencies__ = []
__conflicts__ = []


class Declared(commands.Cog):
    def __init__(self, bot):
        self.bot = bot
        if hasattr(bot, "register_plugin"):
            bot.register_plugin(
                name="declared",
                version="2.1.0",
                author=__author__,
                description="registered at load time",
                dependencies=__dependencies__,
                conflicts_with=["old_declared"],
            )

    @commands.hybrid_command(name="declared")
    async def declared_cmd(self, ctx):
        await ctx.send("Hello from declared")


async def setup(bot):
    await bot.add_cog(Declared(bot))
"""

NEEDY = """
from discord.ext import commands


class Needy(commands.Cog):
    def __init__(self, bot):
        bot.register_plugin(name="needy", version="1.0", author="Bob",
                            description="needs a missing extension",
                            dependencies=["not_installed"], conflicts_with=[])


async def setup(bot):
    await bot.add_cog(Needy(bot))
"""

FILES = """
from datetime import datetime

from discord.ext import commands

from atomic_file_system import global_file_handler


class FileExt(commands.Cog):
    def __init__(self, bot):
        self.bot = bot
        self.data_file = "./data/my_extension_data.json"

    @commands.command()
    async def saveconfig(self, ctx, setting: str, value: str):
        data = await global_file_handler.atomic_read_json(self.data_file, use_cache=True) or {}
        data[setting] = {"value": value, "set_by": ctx.author.id,
                         "timestamp": datetime.now().isoformat()}
        ok = await global_file_handler.atomic_write_json(
            self.data_file, data, invalidate_cache_after=True)
        await ctx.send(f"saved {setting}" if ok else "failed")

    @commands.command()
    async def getconfig(self, ctx, setting: str):
        data = await global_file_handler.atomic_read_json(self.data_file, use_cache=True)
        if not data or setting not in data:
            await ctx.send(f"no {setting}")
            return
        await ctx.send(f"{setting} = {data[setting]['value']}")

    @commands.command()
    async def cachestats2(self, ctx):
        global_file_handler.invalidate_cache(self.data_file)
        stats = global_file_handler.get_cache_stats()
        total = stats["total_reads"] + stats["total_writes"]
        failures = stats["write_failures"] + stats["read_failures"]
        await ctx.send(f"size {stats['cache_size']}/{stats['max_cache_size']} "
                       f"hit {stats['hit_rate']}% ops {total} failures {failures}")
        global_file_handler.clear_all_cache()


async def setup(bot):
    await bot.add_cog(FileExt(bot))
"""

DATABASE = """
from discord.ext import commands


class DatabaseExtension(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    @commands.hybrid_command(name="savedata")
    async def save_data(self, ctx, key: str, value: str):
        conn = await self.bot.db._get_guild_connection(ctx.guild.id)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS custom_data (key TEXT PRIMARY KEY, value TEXT,"
            " user_id INTEGER, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
        )
        await conn.execute(
            "INSERT OR REPLACE INTO custom_data (key, value, user_id) VALUES (?, ?, ?)",
            (key, value, ctx.author.id),
        )
        await conn.commit()
        await self.bot.db.increment_command_usage("savedata_custom")
        await ctx.send(f"Saved: {key} = {value}")

    @commands.hybrid_command(name="getdata")
    async def get_data(self, ctx, key: str):
        conn = await self.bot.db._get_guild_connection(ctx.guild.id)
        async with conn.execute(
            "SELECT value, user_id FROM custom_data WHERE key = ?", (key,)
        ) as cursor:
            row = await cursor.fetchone()
        if row:
            await ctx.send(f"{key} = {row['value']} (saved by <@{row['user_id']}>)")
        else:
            await ctx.send(f"No data found for key: {key}")

    @commands.command()
    async def mainstat(self, ctx):
        async with self.bot.db.conn.execute(
            "SELECT COUNT(*) AS n FROM global_stats"
        ) as cursor:
            row = await cursor.fetchone()
        await ctx.send(f"global_stats rows: {row['n']}")

    @commands.command()
    async def dbprefix(self, ctx, prefix: str):
        await self.bot.db.set_guild_prefix(ctx.guild.id, prefix)
        now = await self.bot.db.get_guild_prefix(ctx.guild.id)
        await ctx.send(f"prefix now {now}")

    @commands.command()
    async def dbbackup(self, ctx):
        made = await self.bot.db.backup(ctx.guild.id)
        await ctx.send(f"backups: {len(made)}")

    @commands.command()
    async def channelcfg(self, ctx):
        channel_id = self.bot.config.get("reports_channel_id")
        prefix = await self.bot.config.get("prefix")
        stats = self.bot.metrics.get_stats()
        await ctx.send(f"reports {channel_id} prefix {prefix} "
                       f"processed>0 {stats['commands_processed'] > 0} "
                       f"errors {stats['error_count']}")


async def setup(bot):
    await bot.add_cog(DatabaseExtension(bot))
"""
