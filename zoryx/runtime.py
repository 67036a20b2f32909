"""One runtime for every face: config → logging → storage → sandbox? → bot → cogs → extensions.

``zoryx run --headless`` and ``zoryx tui`` both build a :class:`Runtime`; they differ only in
what they show. The runtime never calls ``bot.run()``: it starts the bot as a task on the
caller's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import (
    ConfigError,
    check_settings,
    effective_toggles,
    load_config,
    load_env,
    owner_ids,
    secrets,
)
from .gctune import tune_for_long_run, tuning_enabled
from .logs import CONSOLE_EXTRA
from .readmodel.guildlog import GuildLog
from .readmodel.hub import EventHub
from .readmodel.logtail import ConsoleLogHandler, LogBuffer
from .voice_warnings import mute_client_warnings, read_voice_sources, voice_warnings

log = logging.getLogger("zoryx.runtime")
SHUTDOWN_BACKUP_SECONDS = 5.0
"""Time the shutdown backup may take; copies not done by then are skipped (logged)."""


@dataclass
class ReadyInfo:
    user: str
    guilds: int
    shards: int
    sandbox: bool
    attached_to: str | None = None

    def line(self) -> str:
        if self.attached_to is not None:
            world = f"SANDBOX Discord at {self.attached_to} (attached)"
        elif self.sandbox:
            world = "SANDBOX Discord (no DISCORD_TOKEN set)"
        else:
            world = "live Discord"
        return (
            f"Zoryx ready: {self.user} in {self.guilds} guild(s) on {self.shards} "
            f"shard(s) — {world}"
        )


class Runtime:
    """Builds and runs the bot for one bot directory.

    Args:
        bot_dir: The bot directory (config.json, .env, data/, extensions/…).
        console_logging: Print logs to the terminal (the TUI passes False).
        sandbox_world: World for the sandbox when no token is set.
        sandbox_options: Extra :class:`~zoryx.sandbox.Sandbox` options (tests).
        environ: Environment to read instead of ``os.environ`` (tests).
    """

    def __init__(
        self,
        bot_dir: Path,
        *,
        console_logging: bool = True,
        sandbox_world: str = "demo",
        sandbox_options: dict[str, Any] | None = None,
        environ: dict[str, str] | None = None,
        tune_gc: bool = False,
    ) -> None:
        self.bot_dir = bot_dir.resolve()
        # The CLI faces (run --headless, tui) tune the collector once ready; see gctune.
        self.tune_gc = tune_gc
        self.console_logging = console_logging
        self.sandbox_world = sandbox_world
        self.sandbox_options = sandbox_options or {}
        self.environ = environ
        self.services: Any = None
        self.bot: Any = None
        self.sandbox: Any = None
        # A sandbox run by another process (ZORYX_SANDBOX_URL): an AttachedSandbox.
        self.attached: Any = None
        self._connection_file: Path | None = None
        self.ready: ReadyInfo | None = None
        self.crash: BaseException | None = None
        self._bot_task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._shutdown_done = asyncio.Event()
        self._shutting_down = False
        self._sandbox_ctx: contextlib.ExitStack | None = None
        self.on_ready: list[Callable[[ReadyInfo], None]] = []
        # What every face reads: pushed events and the last 2,000 log lines (redacted).
        self.events = EventHub()
        self.log_tail = LogBuffer(2000)
        self.guild_log = GuildLog(self.events)  # the last 200 guild joins and leaves
        self.started_at = time.time()
        # The control socket (zoryx status/ctl, tui --attach): set up by build, served by start.
        self.control_settings: Any = None
        self.control: Any = None

    # -- build ---------------------------------------------------------------------------
    async def build(self) -> None:
        """Load configuration and open storage; raises ConfigError on bad settings."""
        from .builtin_commands import check_builtin_commands
        from .logs import setup_logging
        from .metrics import BotMetrics
        from .services import Services
        from .storage.atomic import AtomicStore
        from .storage.databases import Databases

        config = load_config(self.bot_dir)
        env = load_env(self.bot_dir, environ=self.environ)
        check_settings(config, env)
        from .control import load_control_settings  # ConfigError: TCP without TLS

        self.control_settings = load_control_settings(
            self.bot_dir, config.database.resolve(self.bot_dir), self.environ
        )
        if env.sandbox_url is not None and env.sandbox_token is not None:
            from .sandbox.link import attach

            self.attached = await attach(env.sandbox_url, env.sandbox_token)
        check_builtin_commands(config)  # builtin_commands names exist (imports cogs.*)
        handles = setup_logging(
            self.bot_dir, config.logging, secrets(env, config), console=self.console_logging
        )
        self.events.bind(asyncio.get_running_loop())
        handles.add_handler(ConsoleLogHandler(self.log_tail, hub=self.events))
        for warning in config.warnings:
            log.warning("config.json: %s", warning)
        for notice in env.notices:
            log.warning(".env: %s", notice)
        data_dir = config.database.resolve(self.bot_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        from .storage.leftovers import remove_leftovers  # temp files and partial backups

        await asyncio.to_thread(remove_leftovers, {self.bot_dir, data_dir})
        db = Databases(
            data_dir,
            pool_size=config.database.guild_pool_size,
            flush_interval=float(config.database.usage_flush_interval),
        )
        await db.open()
        owners = set(owner_ids(config, env))
        sandbox = None
        if self.attached is not None:
            self._use_attached_sandbox()
            if self.attached.owner_user_id is not None:
                owners.add(self.attached.owner_user_id)
        elif env.sandbox:
            sandbox = self._start_sandbox()
            if sandbox.state.owner_user_id is not None:
                owners.add(sandbox.state.owner_user_id)
        self.services = Services(
            bot_dir=self.bot_dir,
            config=config,
            env=env,
            toggles=effective_toggles(config, env),
            store=AtomicStore(private_dirs=[data_dir]),  # data files may hold error texts
            db=db,
            metrics=BotMetrics(redact=handles.redactor.redact),
            owner_ids=frozenset(owners),
            sandbox=sandbox,
            logging=handles,
            sandbox_url=self.attached.url if self.attached is not None else None,
        )
        self.sandbox = sandbox
        if sandbox is not None:
            self.services.sandbox_url = sandbox.url
        # The bot is created with the services, before the next await, so a shutdown that
        # starts while the build finishes always finds (and closes) it.
        self.bot = self._make_bot()
        if sandbox is not None:
            await self._publish_sandbox(data_dir)

    @property
    def on_sandbox(self) -> bool:
        """Whether the bot runs on a sandbox Discord (embedded or attached), not live Discord."""
        return self.sandbox is not None or self.attached is not None

    @property
    def sandbox_url(self) -> str | None:
        if self.sandbox is not None:
            return str(self.sandbox.url)
        return str(self.attached.url) if self.attached is not None else None

    def _use_attached_sandbox(self) -> None:
        from .sandbox import use_sandbox

        self._sandbox_ctx = contextlib.ExitStack()
        self._sandbox_ctx.enter_context(use_sandbox(self.attached.url))
        log.warning(
            "ZORYX_SANDBOX_URL is set: running on the SANDBOX Discord at %s (not real Discord).",
            self.attached.url,
        )

    async def _publish_sandbox(self, data_dir: Path) -> None:
        """Write the embedded sandbox's URL and control token to data/sandbox.json (0600)."""
        from .sandbox.link import CONNECTION_FILE, write_connection_file

        path = data_dir / CONNECTION_FILE
        try:
            await write_connection_file(self.services.store, path, self.sandbox)
        except Exception:
            log.exception("could not write %s", path)
            return
        if self._shutting_down:  # shut down while writing: leave no stale file behind
            from .sandbox.link import remove_connection_file

            with contextlib.suppress(OSError):
                await remove_connection_file(path)
            return
        self._connection_file = path
        shown = path.relative_to(self.bot_dir) if path.is_relative_to(self.bot_dir) else path
        log.info("sandbox control API at %s/_sandbox (token in %s)", self.sandbox.url, shown)

    def _start_sandbox(self) -> Any:
        from .sandbox import WORLDS, Sandbox, use_sandbox

        options = {"world": WORLDS[self.sandbox_world]}
        options.update(self.sandbox_options)
        sandbox = Sandbox(**options)
        sandbox.start_in_thread()
        self._sandbox_ctx = contextlib.ExitStack()
        self._sandbox_ctx.enter_context(use_sandbox(sandbox.url))
        log.warning(
            "No DISCORD_TOKEN set: running on the SANDBOX Discord at %s (not real "
            "Discord). Put a token in .env to go live.",
            sandbox.url,
        )
        return sandbox

    def _make_bot(self) -> Any:
        from .bot import ZoryxBot
        from .operator import OperatorAPI

        env = self.services.env
        options: dict[str, Any] = {}
        if env.shard_count is not None:
            options["shard_count"] = env.shard_count
        if env.shard_ids is not None:
            options["shard_ids"] = list(env.shard_ids)
        if self.on_sandbox:
            options["guild_ready_timeout"] = 0.2
        # discord.py warns about missing voice libraries when a client is created; the
        # runtime warns once the extensions are loaded, and only if one uses voice.
        mute_client_warnings()
        bot = ZoryxBot(self.services, **options)
        bot.operator = OperatorAPI(
            bot, self.bot_dir, shutdown=self.shutdown, events=self.events.publish
        )
        self.guild_log.attach(bot)
        self.services.extra["runtime"] = self
        return bot

    @property
    def token(self) -> str:
        if self.sandbox is not None:
            return str(self.sandbox.token)
        if self.attached is not None:
            return str(self.attached.bot_token)
        return str(self.services.env.discord_token)

    # -- run -------------------------------------------------------------------------------
    async def start(
        self, stall_timeout: float | None = None, *, ready_timeout: float | None = None
    ) -> ReadyInfo:
        """Build if needed, start the bot as a task and wait until every shard is ready.

        Start-up is never cut short while shards make progress (see :mod:`zoryx.startup`).

        Args:
            stall_timeout: Seconds without progress before start-up fails (default:
                ``startup.stall_timeout`` of config.json).
            ready_timeout: An overall limit in seconds, for callers that want one.

        Raises:
            TimeoutError: start-up stalled (:class:`~zoryx.startup.StartupStalled`).
            RuntimeError: the bot stopped during start-up.
        """
        from .startup import StartupStalled, wait_until_ready

        if self.services is None:
            await self.build()
        if self.control is None and self.control_settings is not None:
            await self._start_control()
        bot = self.bot
        settings = self.services.config.startup
        bot.startup.restart_clock()
        self._bot_task = asyncio.get_running_loop().create_task(self._run_bot(), name="zoryx-bot")
        try:
            await wait_until_ready(
                bot,
                self._bot_task,
                bot.startup,
                stall_timeout=settings.stall_timeout if stall_timeout is None else stall_timeout,
                progress_interval=settings.progress_interval,
                ready_timeout=ready_timeout,
                on_first_shard=bot.sync_commands,
            )
        except StartupStalled as exc:
            # The face shows the reason; the log files keep it too.
            log.error("%s", exc, extra={CONSOLE_EXTRA: False})
            await self.shutdown("start-up stalled")
            raise
        except Exception:
            await self.shutdown("start-up failed")
            raise
        log.info(
            "all %d shard(s) ready after %.1f s",
            len(bot.startup.ready) or 1,
            bot.startup.done_after or 0.0,
        )
        self.ready = ReadyInfo(
            str(bot.user),
            len(bot.guilds),
            bot.shard_count or 1,
            self.on_sandbox,
            self.attached.url if self.attached is not None else None,
        )
        # The face prints the ready line itself; the log files get it too, not the console.
        log.info(self.ready.line(), extra={CONSOLE_EXTRA: False})
        loaded = {
            name: info.path
            for name, info in bot.extension_manager.extensions.items()
            if info.state == "loaded"
        }
        missing, sources = await asyncio.to_thread(read_voice_sources, loaded)
        for warning in voice_warnings(missing, sources):
            log.warning(warning)
        if self.tune_gc and tuning_enabled():
            tune_for_long_run()
        for callback in self.on_ready:
            callback(self.ready)
        return self.ready

    async def _start_control(self) -> None:
        """Serve the control socket; a refusal (socket taken, bad TLS) stops the start-up."""
        from .control import ControlServer

        self.control = ControlServer(self, self.control_settings)
        try:
            await self.control.start()
        except BaseException:
            await self.shutdown("the control socket could not start")
            raise
        if self._shutting_down:  # shut down while it started
            await self.control.stop()

    async def _run_bot(self) -> None:
        try:
            await self.bot.start(self.token)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self.crash = exc
            log.exception("the bot crashed")
            raise
        finally:
            self._stopped.set()

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    async def shutdown(self, reason: str = "shutdown") -> None:
        """Close the bot, flush and back up databases, stop the sandbox. Idempotent."""
        if self._shutting_down:
            await self._shutdown_done.wait()
            return
        self._shutting_down = True
        log.info("shutting down (%s)", reason)
        try:
            if self.control is not None:  # no new actions; attached consoles see it go
                try:
                    await self.control.stop()
                except Exception:
                    log.exception("stopping the control socket failed")
            if self.bot is not None and not self.bot.is_closed():
                if self._bot_task is None:  # never started: discord.py's close fails half-way
                    with contextlib.suppress(Exception):
                        await self.bot.close()
                else:
                    await self.bot.close()
            if self._bot_task is not None:
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(self._bot_task, 15)
            if self.services is not None:
                db = self.services.db
                with contextlib.suppress(Exception):
                    await db.flush_usage()
                try:
                    paths = await db.backup(time_limit=SHUTDOWN_BACKUP_SECONDS)
                    log.info("backed up %d database(s)", len(paths))
                except Exception:
                    log.exception("database backup at shutdown failed")
                await db.close()
            if self.bot is not None:
                self.bot.extension_manager.uninstall()
        finally:
            if self._connection_file is not None:
                from .sandbox.link import remove_connection_file

                with contextlib.suppress(OSError):
                    await remove_connection_file(self._connection_file)
            if self._sandbox_ctx is not None:
                self._sandbox_ctx.close()
            if self.sandbox is not None:
                self.sandbox.stop_thread()
            if self.services is not None and self.services.logging is not None:
                self.services.logging.teardown()
            self._stopped.set()
            self._shutdown_done.set()


def run_headless(bot_dir: Path, **options: Any) -> int:
    """Run until SIGINT/SIGTERM; a second signal forces exit. Returns the exit code."""
    return asyncio.run(_headless(bot_dir, **options))


async def _headless(bot_dir: Path, **options: Any) -> int:
    options.setdefault("tune_gc", True)
    runtime = Runtime(bot_dir, **options)
    loop = asyncio.get_running_loop()
    signals_seen = 0
    tasks: set[asyncio.Task[None]] = set()

    def on_signal(signame: str) -> None:
        nonlocal signals_seen
        signals_seen += 1
        if signals_seen > 1:
            print("Second signal: forcing exit.", file=sys.stderr, flush=True)
            os._exit(1)
        print(
            f"{signame} received: shutting down gracefully (send again to force).",
            file=sys.stderr,
            flush=True,
        )
        tasks.add(loop.create_task(runtime.shutdown(signame)))

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, AttributeError):
            loop.add_signal_handler(sig, on_signal, sig.name)
    try:
        ready = await runtime.start()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    except (RuntimeError, TimeoutError) as exc:
        print(f"Could not start: {exc}", file=sys.stderr)
        return 1
    print(ready.line(), flush=True)
    if runtime.sandbox is not None:
        from .sandbox.link import control_lines

        print(control_lines(runtime.sandbox, runtime._connection_file), flush=True)
    await runtime.wait_stopped()
    await runtime.shutdown("bot stopped")
    return 1 if runtime.crash is not None else 0
