"""The sandbox HTTP/websocket server, runnable on the current loop or its own thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from aiohttp import web

from .gateway import Gateway, GatewayOptions
from .ratelimit import RateLimiter
from .rest import commands as rest_commands
from .rest import core as rest_core
from .rest import interactions as rest_interactions
from .rest import messages as rest_messages
from .rest.base import RestAPI
from .state import Application, SandboxState

log = logging.getLogger("zoryx.sandbox")
T = TypeVar("T")

WorldBuilder = Callable[[SandboxState, Application], None]

# Every sandbox created in this process (the pytest plugin checks them for 501 hits).
INSTANCES: weakref.WeakSet[SandboxServer] = weakref.WeakSet()


def _extra_route_modules() -> list[Any]:
    """Route modules beyond the core set (imported lazily so each stays optional)."""
    import importlib

    mods = []
    for name in ("guilds", "channels", "webhooks", "emojis"):
        try:
            mods.append(importlib.import_module(f"{__package__}.rest.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.rest.{name}":
                raise
    return mods


class SandboxServer:
    """A local Discord: REST under ``/api/v10``, gateway at ``/gateway``, control at ``/_sandbox``.

    Args:
        host: Interface to bind (loopback by default).
        port: TCP port (0 picks a free one).
        shards: Shard count recommended by ``GET /gateway/bot``.
        strict_rate_limits: Enforce route and global rate limits with real 429s.
        world: Builder called once to populate the state (``None`` = empty world).
        heartbeat_interval_ms: Interval announced in HELLO (Discord's 41,250 ms by default).
        heartbeat_ack_latency_ms: Round trip simulated before each heartbeat ACK; it is what
            ``bot.latency`` reports (an instant ACK makes discord.py report a whole interval).
        app_name: Name of the sandbox's bot application.
        deterministic: Reproducible IDs (for snapshot tests).
        max_concurrency: Discord's ``max_concurrency``: identifies are bucketed by
            ``shard_id % max_concurrency``, one per bucket per 5 s for the application.
        gateway_send_limit: Payloads a client may send per 60 s on one connection
            (Discord: 120, heartbeats included; more closes it with 4008; 0 = no limit).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        shards: int = 1,
        strict_rate_limits: bool = False,
        world: WorldBuilder | None = None,
        heartbeat_interval_ms: int = 41_250,
        heartbeat_ack_latency_ms: float = 25.0,
        app_name: str = "Zoryx Sandbox Bot",
        deterministic: bool = False,
        max_concurrency: int = 1,
        gateway_send_limit: int = 120,
    ) -> None:
        self.host = host
        self.port = port
        self.shards = shards
        self.state = SandboxState(deterministic=deterministic)
        self.app_info = self.state.create_application(app_name)
        self.limiter = RateLimiter(strict=strict_rate_limits)
        self.rest = RestAPI(self.state, self.limiter)
        self.gateway = Gateway(
            self.state,
            GatewayOptions(
                heartbeat_interval_ms=heartbeat_interval_ms,
                heartbeat_ack_latency_ms=heartbeat_ack_latency_ms,
                max_concurrency=max_concurrency,
                send_limit=gateway_send_limit,
            ),
        )
        self._world = world
        self.control_token = secrets.token_urlsafe(32)
        self.simulator: Any = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._build_app()
        INSTANCES.add(self)

    # -- construction ------------------------------------------------------------------
    def _build_app(self) -> None:
        rest_core.setup(
            self.rest, lambda: self.shards, self.gateway.identify_limits.session_start_limit
        )
        rest_messages.setup(self.rest)
        rest_interactions.setup(self.rest)
        rest_commands.setup(self.rest)
        for module in _extra_route_modules():
            module.setup(self.rest)
        # REST routes read bodies themselves, token first and with per-route caps
        # (rest/bodies.py); this cap only bounds the control API's JSON (base64 uploads),
        # which answers loopback clients holding the control token, checked first.
        self.app = web.Application(client_max_size=64 << 20)
        self.app.router.add_get("/gateway", self.gateway.handle)
        self.app.router.add_get("/", self._index)
        from .control import install_control

        install_control(self.app, self)
        self.rest.install(self.app)
        if self._world is not None:
            self._world(self.state, self.app_info)
        # Only the world is reproducible: later IDs carry real time, as discord.py derives
        # interaction expiry and message ages from them.
        self.state.ids.use_real_clock()

    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(
            text="Zoryx sandbox Discord. REST: /api/v10, gateway: /gateway, control: /_sandbox\n"
        )

    # -- addresses ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def token(self) -> str:
        """The token of the sandbox's bot application."""
        return self.app_info.token

    @property
    def bot_id(self) -> int:
        return self.app_info.bot_id

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the sandbox is not running")
        return self._loop

    # -- lifecycle on the current loop -----------------------------------------------------
    async def start(self) -> None:
        """Start serving on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        if self.port == 0 and self._runner.addresses:
            self.port = int(self._runner.addresses[0][1])
        self.state.base_url = self.api_url
        self.state.gateway_url = self.gateway_url
        self.gateway.url = self.gateway_url
        log.info("sandbox Discord listening on %s", self.url)

    async def stop(self) -> None:
        if self._runner is None:
            return
        if self.simulator is not None:
            self.simulator.stop()
        await self.gateway.close_all()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- lifecycle on a thread -------------------------------------------------------------
    def start_in_thread(self, timeout: float = 10.0) -> SandboxServer:
        """Run the sandbox on its own thread and event loop (so a slow bot cannot stall it)."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._stopped = asyncio.Event()
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # reported to the starting thread
                errors.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_until_complete(self._stopped.wait())
            loop.run_until_complete(self.stop())
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=main, name="zoryx-sandbox", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError("the sandbox did not start in time")
        if errors:
            raise errors[0]
        return self

    def stop_thread(self, timeout: float = 10.0) -> None:
        if self._thread is None or self._loop is None or self._stopped is None:
            return
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout)
        self._thread = None

    # -- running work on the sandbox loop ----------------------------------------------------
    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run ``fn()`` on the sandbox loop and await its result from any loop."""
        loop = self.loop
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is loop:
            return await fn()
        coro: Coroutine[Any, Any, T] = _as_coro(fn)
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))

    def call_sync(self, fn: Callable[[], Awaitable[T]], timeout: float = 30.0) -> T:
        """Run ``fn()`` on the sandbox loop from a thread with no running loop."""
        return asyncio.run_coroutine_threadsafe(_as_coro(fn), self.loop).result(timeout)


async def _as_coro(fn: Callable[[], Awaitable[T]]) -> T:
    return await fn()
