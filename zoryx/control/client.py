"""``RemoteSource``: the read model and operator API of a bot, over its control socket.

Used by ``zoryx tui --attach``, ``zoryx status`` and ``zoryx ctl``. When the connection
drops, :attr:`RemoteSource.connected` turns False, calls raise
:class:`~zoryx.readmodel.SourceLost`, subscribers of ``"lifecycle"`` receive
``{"state": "lost"}``, and a background task reconnects (0.5 s doubling to 10 s),
subscribes again to the topics that still have subscribers and announces
``{"state": "connected"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
from collections.abc import Callable
from typing import Any

import aiohttp

from zoryx.readmodel import ActionFailed, BotInfo, Source, SourceLost, UnknownView

from . import protocol
from .dial import TOKEN_ENV, Target, dial, parse_target

__all__ = ["RemoteSource"]

log = logging.getLogger("zoryx.control.client")
Callback = Callable[[dict[str, Any]], None]
FIRST_RETRY, LAST_RETRY = 0.5, 10.0
HELLO_TIMEOUT = 30.0
_INFO_FIELDS = ("name", "pid", "started_at", "bot_dir", "on_sandbox", "via", "role")


class RemoteSource(Source):
    """A :class:`~zoryx.readmodel.Source` for a bot in another process.

    Args:
        target: A bot directory, ``unix:PATH`` or ``tcp://host:port`` (TLS).
        token: A control token (``zxc_…``); default ``$ZORYX_CONTROL_TOKEN``. Required
            over TCP; on the Unix socket it sets the role (default: owner).
        reconnect: Reconnect in the background after a loss (off for one-shot commands).
        cafile: CA bundle for TCP (default ``$ZORYX_CONTROL_CA``, else the system's).

    Use :meth:`open` (or :meth:`connect`) before anything else.
    """

    def __init__(
        self,
        target: str | os.PathLike[str],
        token: str | None = None,
        *,
        reconnect: bool = True,
        cafile: str | None = None,
        heartbeat: float = 10.0,
    ) -> None:
        self.target: Target = parse_target(target)
        self._token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self._reconnect = reconnect
        self._cafile = cafile
        self._heartbeat = heartbeat
        self._info: BotInfo | None = None
        self.hello: dict[str, Any] = {}
        self._connected = False
        self._closing = False
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._retry: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._subscribers: dict[str, list[Callback]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    async def open(
        cls, target: str | os.PathLike[str], token: str | None = None, **options: Any
    ) -> RemoteSource:
        """A connected source; raises NoBot, Unreachable or ControlRefused (one line each)."""
        source = cls(target, token, **options)
        await source.connect()
        return source

    # -- Source ------------------------------------------------------------------------
    @property
    def info(self) -> BotInfo:
        if self._info is None:
            raise SourceLost("not connected yet")
        return self._info

    @property
    def connected(self) -> bool:
        return self._connected

    async def read(self, view: str, **params: Any) -> Any:
        return await self._call("read", {"view": view, "params": params})

    async def act(self, action: str, **params: Any) -> Any:
        return await self._call("act", {"action": action, "params": params})

    def subscribe(self, topic: str, callback: Callback) -> Callable[[], None]:
        callbacks = self._subscribers.setdefault(topic, [])
        callbacks.append(callback)
        if len(callbacks) == 1 and self._connected:
            self._spawn(self._remote("subscribe", topic))

        def unsubscribe() -> None:
            current = self._subscribers.get(topic, [])
            if callback in current:
                current.remove(callback)
                if not current and self._connected:
                    self._spawn(self._remote("unsubscribe", topic))

        return unsubscribe

    async def flush(self) -> None:
        """Wait until the bot has answered every (un)subscription asked for so far."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        self._closing = True
        for task in (self._retry, *self._tasks):
            if task is not None:
                task.cancel()
        await self._drop_connection()
        self._connected = False

    # -- connecting ----------------------------------------------------------------------
    async def connect(self) -> None:
        """Connect once (no retry): the handshake, ``hello``, then the subscriptions."""
        session, ws = await dial(
            self.target, self._token, heartbeat=self._heartbeat, cafile=self._cafile
        )
        self._session, self._ws = session, ws
        self._reader = asyncio.get_running_loop().create_task(self._read_loop(ws))
        try:
            hello = await asyncio.wait_for(self._send(ws, "hello", {}), HELLO_TIMEOUT)
            for topic, callbacks in self._subscribers.items():
                if callbacks:
                    await self._send(ws, "subscribe", {"topic": topic})
        except BaseException:
            await self._drop_connection()
            raise
        self.hello = hello
        self._info = BotInfo(**{name: hello[name] for name in _INFO_FIELDS})
        self._connected = True

    async def _drop_connection(self) -> None:
        ws, session, reader = self._ws, self._session, self._reader
        self._ws = self._session = self._reader = None
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        if session is not None:
            await session.close()
        self._fail_pending("the connection to the bot was closed")

    async def _read_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(message.data)
                except ValueError:
                    continue
                if isinstance(data, dict):
                    self._dispatch(data)
        finally:
            if ws is self._ws:
                self._lost()

    def _lost(self) -> None:
        was_connected = self._connected
        self._connected = False
        self._fail_pending("the connection to the bot was lost")
        if self._closing:
            return
        if was_connected:
            self._publish("lifecycle", {"state": "lost"})
        if was_connected and self._reconnect and (self._retry is None or self._retry.done()):
            self._retry = asyncio.get_running_loop().create_task(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        delay = FIRST_RETRY
        await self._drop_connection()
        while not self._closing:
            await asyncio.sleep(delay)
            try:
                await self.connect()
            except (SourceLost, OSError, TimeoutError, aiohttp.ClientError) as exc:
                log.debug("reconnecting to %s failed: %s", self.target, exc)
                delay = min(delay * 2, LAST_RETRY)
                continue
            self._publish("lifecycle", {"state": "connected"})
            return

    # -- messages ------------------------------------------------------------------------
    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        ws = self._ws
        if not self._connected or ws is None:
            raise SourceLost(f"the bot at {self.target} is unreachable (reconnecting)")
        return await self._send(ws, method, params)

    async def _send(
        self, ws: aiohttp.ClientWebSocketResponse, method: str, params: dict[str, Any]
    ) -> Any:
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            try:
                text = protocol.encode({"id": request_id, "method": method, "params": params})
            except (TypeError, ValueError) as exc:
                raise TypeError(f"{method} parameters must be JSON-able: {exc}") from None
            try:
                await ws.send_str(text)
            except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
                raise SourceLost(f"the connection to the bot was lost: {exc}") from None
            return await future
        finally:
            self._pending.pop(request_id, None)

    def _dispatch(self, data: dict[str, Any]) -> None:
        if "event" in data:
            topic = data["event"]
            payload = data.get("data")
            if isinstance(topic, str) and isinstance(payload, dict):
                self._publish(topic, payload)
            return
        request_id = data.get("id")
        future = self._pending.get(request_id) if isinstance(request_id, int) else None
        if future is None or future.done():
            return
        failure = data.get("error")
        if isinstance(failure, dict):
            kind = str(failure.get("kind", "Error"))
            message = str(failure.get("message", kind))
            future.set_exception(
                UnknownView(message) if kind == "UnknownView" else ActionFailed(kind, message)
            )
        else:
            future.set_result(data.get("result"))

    def _fail_pending(self, reason: str) -> None:
        pending = list(self._pending.values())
        self._pending.clear()
        for future in pending:
            if not future.done():
                future.set_exception(SourceLost(reason))

    def _publish(self, topic: str, event: dict[str, Any]) -> None:
        for callback in list(self._subscribers.get(topic, [])):
            try:
                callback(event)
            except Exception:  # one bad subscriber must not starve the others
                log.exception("subscriber of %r failed", topic)

    async def _remote(self, method: str, topic: str) -> None:
        with contextlib.suppress(SourceLost, ActionFailed):
            await self._call(method, {"topic": topic})

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
