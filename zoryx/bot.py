"""The Zoryx bot: an AutoShardedBot wired to the framework's services."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sys
import time
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from . import compat
from .checks import PermissionPolicy
from .chunking import ChunkingState, client_options
from .command_registry import CommandRegistryMixin
from .compat.config import ConfigAccess
from .compat.database import DatabaseCompat
from .extensions import ExtensionManager
from .prefix import PrefixResolver
from .shards import ShardEvents
from .startup import StartupTracker

if TYPE_CHECKING:
    from pathlib import Path

    from cogs.plugin_registry.registry import PluginRecord

    from .config import Config
    from .hooks import HookService
    from .metrics import BotMetrics
    from .operator import OperatorAPI
    from .services import Services
    from .storage.atomic import AtomicStore
    from .storage.databases import Databases

log = logging.getLogger("zoryx.bot")

CORE_COGS = ("cogs.core",)
# Framework feature packages, loaded when their toggle is on and the package exists.
FRAMEWORK_COGS = {
    "enable_event_hooks": "cogs.event_hooks",
    "enable_plugin_registry": "cogs.plugin_registry",
    "enable_framework_diagnostics": "cogs.framework_diagnostics",
    "enable_slash_command_limiter": "cogs.slash_limiter",
    "enable_backup_restore": "cogs.backup_restore",
    "enable_shard_monitor": "cogs.shard_monitor",
    "enable_shard_manager": "cogs.shard_manager",
}
TREE_HASH_FILE = "command_tree.json"


def default_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True
    return intents


def default_allowed_mentions(config: Config) -> discord.AllowedMentions:
    """What the bot's messages may ping unless a call passes ``allowed_mentions``: users and
    the replied-to author, never @everyone/@here or roles (``allow_mass_mentions`` opts in)."""
    mass = config.allow_mass_mentions
    return discord.AllowedMentions(everyone=mass, roles=mass, users=True, replied_user=True)


class ZoryxBot(CommandRegistryMixin, commands.AutoShardedBot):
    """The bot class every face runs.

    Args:
        services: Config, storage, metrics… (see :class:`zoryx.services.Services`).
        intents: Gateway intents (default: default + members + message content).
        **options: Passed to :class:`discord.ext.commands.AutoShardedBot`.
    """

    def __init__(
        self, services: Services, *, intents: discord.Intents | None = None, **options: Any
    ) -> None:
        config = services.config
        self.services = services
        self.prefixes = PrefixResolver(services.db, config.prefix, config.allow_mention_prefix)
        options.setdefault("allowed_mentions", default_allowed_mentions(config))
        intents = intents or default_intents()
        for key, value in client_options(config.members, intents).items():
            options.setdefault(key, value)
        super().__init__(
            command_prefix=self.prefixes,
            intents=intents,
            owner_ids=set(services.owner_ids) or None,
            help_command=None,
            case_insensitive=True,
            **options,
        )
        self.setup_command_registry(config)  # built-in overrides, clashes, slash auto-sync
        self.policy = PermissionPolicy(self)
        self.add_check(self.policy)
        self.extension_manager = ExtensionManager(
            self, services.bot_dir / "extensions", config.extensions.blacklist
        )
        self.operator: OperatorAPI | None = None
        self.started_at = time.time()
        self.ready_once = False
        self.framework_failures: dict[str, str] = {}
        self.shard_events = ShardEvents()
        services.extra["shard_events"] = self.shard_events
        self.startup = StartupTracker(self)  # per-shard start-up progress (zoryx.startup)
        self.startup.attach()
        services.extra["startup"] = self.startup
        self._db_compat: DatabaseCompat | None = None
        self._config_access: ConfigAccess | None = None
        self._max_concurrency: int | None = None  # IDENTIFYs per 5 s (GET /gateway/bot)
        compat.install(self)

    # -- lifecycle -------------------------------------------------------------------------
    def _get_state(self, **options: Any) -> ChunkingState:  # type: ignore[override]
        """discord.py's sharded state, chunking per ``members.chunking`` (zoryx.chunking)."""
        state = ChunkingState(
            dispatch=self.dispatch,
            handlers=self._handlers,
            hooks=self._hooks,
            http=self.http,
            **options,
        )
        state.configure(self.services.config.members)
        return state

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Waiting for an IDENTIFY turn is not a start-up stall (zoryx.startup). With the
        shard manager on, the turn comes from the fleet's shared budget (zoryx.cluster)."""
        async with self.startup.waiting():
            bus = self.services.extra.get("cluster")
            if bus is not None and await self._fleet_identify_turn(bus, shard_id or 0):
                return
            await super().before_identify_hook(shard_id, initial=initial)

    async def _fleet_identify_turn(self, bus: Any, shard_id: int) -> bool:
        """Wait for ``shard_id``'s turn in the fleet's IDENTIFY budget (``max_concurrency``
        from Discord's gateway info); False when there is none to take (local pacing then)."""
        try:
            if self._max_concurrency is None:
                limits = await self.fetch_session_start_limits()
                self._max_concurrency = max(1, int(limits.max_concurrency))
            await bus.identify_turn(shard_id, self._max_concurrency)
        except Exception:
            log.warning(
                "no fleet IDENTIFY turn for shard %s; pacing locally", shard_id, exc_info=True
            )
            return False
        return True

    async def setup_hook(self) -> None:
        self.extension_manager.install()
        for name in CORE_COGS:
            await self.load_extension(name)
        if self.services.toggles.get("load_cogs", True):
            for toggle, module in FRAMEWORK_COGS.items():
                if self.services.toggles.get(toggle, True) and _exists(module):
                    await self._load_framework_cog(module)
        if self.services.config.extensions.auto_load:
            await self.extension_manager.load_all()
        if self.services.config.auto_reload:
            self.extension_manager.start_watching()

    async def _load_framework_cog(self, module: str) -> None:
        """Load one framework feature; a broken feature is reported, the bot still starts."""
        try:
            await self.load_extension(module)
        except commands.ExtensionError as exc:
            cause = exc.__cause__ or exc
            self.framework_failures[module] = f"{type(cause).__name__}: {cause}"
            log.error(
                "framework cog %s failed to load; the rest of the bot keeps running",
                module,
                exc_info=cause,
            )
        else:
            self.framework_failures.pop(module, None)

    async def close(self) -> None:
        await self.extension_manager.stop_watching()
        await super().close()

    async def emit_hook(self, event: str, **kwargs: Any) -> None:
        """Emit a framework event to the hook system, when it is enabled."""
        hooks = self.services.extra.get("hooks")
        if hooks is not None:
            await hooks.emit(event, **kwargs)

    def register_hook(self, event: str, callback: Any, priority: int = 0) -> str | None:
        """Register an event hook (None when the hook system is disabled)."""
        hooks = self.services.extra.get("hooks")
        return None if hooks is None else hooks.register(event, callback, priority)

    def unregister_hook(self, event: str, callback: Any) -> bool:
        """Remove a hook registered with :meth:`register_hook`; False if it was not there."""
        hooks = self.services.extra.get("hooks")
        return False if hooks is None else bool(hooks.unregister(event, callback))

    # -- extension API (see docs/extensions.md) -----------------------------------------------
    def register_plugin(
        self,
        name: str,
        version: str | None = None,
        author: str | None = None,
        description: str | None = None,
        dependencies: Iterable[str] | Mapping[str, str] | None = None,
        conflicts_with: Iterable[str] | None = None,
    ) -> bool:
        """Declare the calling extension's plugin metadata (call it while it loads).

        Adds to the module's ``__version__``… literals. Returns False when no installed
        extension matches.

        Raises:
            zoryx.ExtensionRefused: the plugin registry enforces dependencies/conflicts and
                this metadata breaks them; the load in progress fails with the reason.
        """
        from .compat.plugins import register_plugin

        caller = sys._getframe(1).f_globals.get("__name__")
        return register_plugin(
            self,
            caller,
            name=name,
            version=version,
            author=author,
            description=description,
            dependencies=dependencies,
            conflicts_with=conflicts_with,
        )

    @property
    def db(self) -> DatabaseCompat:
        """The earlier framework's database API (``conn``, ``_get_guild_connection``…).

        New code can use ``bot.services.db`` (:class:`zoryx.Databases`) directly.
        """
        if self._db_compat is None:
            self._db_compat = DatabaseCompat(self.services.db)
        return self._db_compat

    @property
    def config(self) -> ConfigAccess:
        """``config.json`` by key: ``bot.config.get("prefix")``."""
        if self._config_access is None:
            self._config_access = ConfigAccess(lambda: self.services.config)
        return self._config_access

    @property
    def metrics(self) -> BotMetrics:
        """Live counters (``bot.metrics.get_stats()``, ``snapshot()``)."""
        return self.services.metrics

    @property
    def store(self) -> AtomicStore:
        """The crash-safe JSON/text store (``await bot.store.write_json(path, data)``)."""
        return self.services.store

    @property
    def databases(self) -> Databases:
        """main.db and the per-guild databases (``async with bot.databases.guild_connection``)."""
        return self.services.db

    @property
    def settings(self) -> Config:
        """The typed ``config.json`` (``bot.settings.prefix``)."""
        return self.services.config

    @property
    def data_dir(self) -> Path:
        """The bot's data folder (``data/`` by default)."""
        return self.services.data_dir

    @property
    def hooks(self) -> HookService | None:
        """The event-hook service, or None when the feature is switched off."""
        hooks: HookService | None = self.services.extra.get("hooks")
        return hooks

    def plugin(self, name: str) -> PluginRecord | None:
        """What the plugin registry knows of extension ``name`` (None: unknown or registry off)."""
        plugins = self.services.extra.get("plugins")
        if plugins is None:
            return None
        plugins.sync()
        record: PluginRecord | None = plugins.registry.get(name)
        return record

    async def is_owner(self, user: discord.abc.User) -> bool:
        return user.id in self.services.owner_ids

    # -- per-message path --------------------------------------------------------------------
    async def on_message(self, message: discord.Message) -> None:
        self.services.metrics.record_message()
        if message.author.bot:
            return
        await self.process_commands(message)

    async def invoke(self, ctx: commands.Context) -> None:  # type: ignore[type-arg]
        """Run a prefix command, then record it inline (no extra event task per command)."""
        await super().invoke(ctx)
        asyncio.get_running_loop().call_soon(_release_context, weakref.ref(ctx))
        command = ctx.command
        if command is not None and not ctx.command_failed:
            name = command.qualified_name
            guild_id = self._count(ctx, name, None)
            hooks = self.services.extra.get("hooks")
            if hooks is not None:
                await hooks.emit(
                    "command_executed",
                    command_name=name,
                    author=ctx.author,
                    guild=ctx.guild,
                    command=name,
                    user_id=ctx.author.id,
                    guild_id=guild_id,
                )

    async def on_ready(self) -> None:
        if not self.ready_once:
            self.ready_once = True
            await self.emit_hook("bot_ready", bot_user=self.user, guilds=len(self.guilds))

    async def on_shard_connect(self, shard_id: int) -> None:
        self.shard_events.record(shard_id, "connect")

    async def on_shard_resumed(self, shard_id: int) -> None:
        self.shard_events.record(shard_id, "resume")

    async def on_shard_disconnect(self, shard_id: int) -> None:
        self.shard_events.record(shard_id, "disconnect")

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.emit_hook("guild_joined", guild=guild, guild_id=guild.id, name=guild.name)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.emit_hook("guild_left", guild=guild, guild_id=guild.id, name=guild.name)

    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: discord.app_commands.Command | Any
    ) -> None:
        """Slash invocations, including hybrid commands used as slash commands."""
        if isinstance(command, discord.app_commands.Command | discord.app_commands.ContextMenu):
            name = command.qualified_name
            self.services.metrics.record_command(
                name, user=str(interaction.user), guild=_guild_name(interaction.guild)
            )
            self.services.db.increment_usage(name, interaction.guild_id)
            await self.emit_hook(
                "command_executed",
                command_name=name,
                author=interaction.user,
                guild=interaction.guild,
                command=name,
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
            )

    def _count(
        self,
        ctx: commands.Context,  # type: ignore[type-arg]
        name: str,
        error: BaseException | None,
    ) -> int | None:
        """Count one execution in the metrics and the usage buffer; returns the guild ID."""
        guild = ctx.guild
        self.services.metrics.record_command(
            name, user=str(ctx.author), guild=None if guild is None else guild.name, error=error
        )
        guild_id = None if guild is None else guild.id
        self.services.db.increment_usage(name, guild_id, error=error is not None)
        return guild_id

    async def record_command_error(self, ctx: commands.Context, error: BaseException) -> None:  # type: ignore[type-arg]
        """Called by the error handler so failed invocations count (and hooks hear of it)."""
        if ctx.command is None:
            return
        name = ctx.command.qualified_name
        guild_id = self._count(ctx, name, error)
        await self.emit_hook(
            "command_error",
            command_name=name,
            error=error,
            author=ctx.author,
            guild=ctx.guild,
            command=name,
            user_id=ctx.author.id,
            guild_id=guild_id,
        )

    # -- slash command sync -------------------------------------------------------------------
    def tree_fingerprint(self) -> str:
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands()]
        blob = json.dumps(
            sorted(payload, key=lambda c: (c.get("type", 1), c["name"])),
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    async def sync_commands(self, *, force: bool = False) -> int:
        """Sync global app commands if the tree changed since the last sync (or ``force``).

        Returns the number of commands synced, or -1 when nothing needed syncing.
        """
        path = self.services.data_dir / TREE_HASH_FILE
        app_id = str(self.application_id)
        fingerprint = self.tree_fingerprint()
        known = await self.services.store.read_json(path, default={})
        if not force and isinstance(known, dict) and known.get(app_id) == fingerprint:
            log.info("slash commands unchanged; not syncing")
            return -1
        synced = await self.tree.sync()
        known = known if isinstance(known, dict) else {}
        known[app_id] = fingerprint
        await self.services.store.write_json(path, known)
        log.info("synced %d slash commands", len(synced))
        return len(synced)


def _guild_name(guild: discord.Guild | None) -> str | None:
    return guild.name if guild is not None else None


def _exists(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _release_context(ref: weakref.ref[commands.Context]) -> None:  # type: ignore[type-arg]
    """Break the reference cycle of a finished command's context, once nothing else holds it.

    discord.py puts the context into its own ``ctx.args`` (the callback's arguments), so
    every prefix command leaves a cycle (context, argument list, string view) that only
    the cyclic garbage collector can free. With the collector tuned for a long run
    (:mod:`zoryx.gctune`) that garbage piles up between collections, and each collection
    then stops the bot for several milliseconds. Emptying ``ctx.args`` lets reference
    counting free the context at once. It is only done when no one else (an
    ``on_command_completion`` or error listener, a stored reference) can still see the
    context: its only references are then this function's name and the argument list.
    """
    ctx = ref()
    if ctx is None:
        return
    own = sum(1 for arg in ctx.args if arg is ctx)
    # sys.getrefcount counts its own argument too.
    if own and sys.getrefcount(ctx) == own + 2:
        ctx.args = []
