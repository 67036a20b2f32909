"""One attached peer: its requests, its subscriptions and its bounded push queue.

Each request runs in its own task, at most :data:`MAX_IN_FLIGHT` at a time per
connection (a peer sending faster than it reads its answers stops being read, so the
socket pushes back instead of memory growing). One writer task sends, answers first,
then pushed events; pushes wait in a ring of :data:`PUSH_QUEUE` and a slow peer loses
the oldest (it then receives a ``dropped`` event with the count). An action keeps
running if its peer goes away mid-way: half an action is worse than an unread answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

from zoryx.operator import ACTIONS, Actor, Role
from zoryx.readmodel import VIEWS, UnknownView, plain, read_view

from . import protocol
from .protocol import ProtocolError
from .tokens import TokenRecord

if TYPE_CHECKING:
    from .server import ControlServer

__all__ = ["MAX_IN_FLIGHT", "PUSH_QUEUE", "Connection", "Peer"]

log = logging.getLogger("zoryx.control")
MAX_IN_FLIGHT = 8
PUSH_QUEUE = 1000
ACTOR_SOURCE = "console-attach"


@dataclass(frozen=True)
class Peer:
    """Who is attached: the operator name and role used for every action."""

    name: str
    role: Role
    via: str  # "socket" or "tcp"
    token: TokenRecord | None = None

    @property
    def actor(self) -> Actor:
        return Actor(name=self.name, role=self.role, source=ACTOR_SOURCE)


class Connection:
    def __init__(self, server: ControlServer, ws: web.WebSocketResponse, peer: Peer) -> None:
        self.server = server
        self.ws = ws
        self.peer = peer
        self.dropped_total = 0
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._answers: deque[str] = deque()  # bounded by _slots
        self._pushes: deque[tuple[str, dict[str, Any]]] = deque(maxlen=PUSH_QUEUE)
        self._dropped = 0
        self._wake = asyncio.Event()
        self._subscriptions: dict[str, Callable[[], None]] = {}
        self._reads: set[asyncio.Task[None]] = set()
        self._closed = False
        self._close_when_flushed = False
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "hello": self._hello,
            "read": self._read,
            "act": self._act,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
        }

    # -- life --------------------------------------------------------------------------
    async def serve(self) -> None:
        """Answer the peer until it goes away (or the server closes it)."""
        writer = asyncio.get_running_loop().create_task(self._write_loop())
        try:
            async for message in self.ws:
                if message.type is WSMsgType.TEXT:
                    await self._slots.acquire()
                    self._start(message.data)
                elif message.type is WSMsgType.BINARY:
                    await self._slots.acquire()
                    self._answer(protocol.error(None, "InvalidRequest", "send JSON text frames"))
                elif message.type is WSMsgType.ERROR:
                    break  # aiohttp has closed it with 1007/1009/1002 already
        finally:
            self._closed = True
            for unsubscribe in self._subscriptions.values():
                unsubscribe()
            self._subscriptions.clear()
            for task in self._reads:
                task.cancel()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def close(self, code: int, message: bytes) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, message=message)

    def _start(self, text: str) -> None:
        try:
            request_id, method, params = protocol.decode(text)
        except ProtocolError as exc:
            self._answer(protocol.error(exc.request_id, exc.kind, str(exc)))
            return
        task = asyncio.get_running_loop().create_task(self._run(request_id, method, params))
        if method == "act":  # runs to its end even if the peer leaves (see the module doc)
            self.server.keep(task)
        else:
            self._reads.add(task)
            task.add_done_callback(self._reads.discard)

    # -- sending -----------------------------------------------------------------------
    def _answer(self, text: str) -> None:
        if self._closed:
            self._slots.release()
            return
        self._answers.append(text)
        self._wake.set()

    def push(self, topic: str, event: dict[str, Any]) -> None:
        """An EventHub callback: queue ``event`` for the peer (never blocks)."""
        if len(self._pushes) == PUSH_QUEUE:
            self._dropped += 1
            self.dropped_total += 1
        self._pushes.append((topic, event))
        self._wake.set()

    async def _write_loop(self) -> None:
        ws = self.ws
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._answers or self._pushes or self._dropped:
                    if self._answers:
                        text = self._answers.popleft()
                        self._slots.release()
                    elif self._dropped:
                        text = protocol.event("dropped", {"count": self._dropped})
                        self._dropped = 0
                    else:
                        topic, data = self._pushes.popleft()
                        try:
                            text = protocol.event(topic, data)
                        except (TypeError, ValueError):
                            continue  # not JSON-able: a publisher's bug, never the peer's
                    await ws.send_str(text)
                if self._close_when_flushed:
                    await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"token revoked")
                    return
        except Exception as exc:  # the peer is gone (reset, closing): serve() cleans up
            log.debug("control connection writer stopped: %r", exc)

    # -- requests ----------------------------------------------------------------------
    async def _run(self, request_id: Any, method: str, params: dict[str, Any]) -> None:
        try:
            if self.peer.token is not None and not await self.server.tokens.is_valid(
                self.peer.token
            ):
                self._close_when_flushed = True
                raise ProtocolError("TokenRevoked", "this connection's token was revoked")
            value = await self._handlers[method](params)
            answer = protocol.result(request_id, value)
        except ProtocolError as exc:
            answer = protocol.error(request_id, exc.kind, str(exc))
        except asyncio.CancelledError:
            self._slots.release()
            raise
        except Exception as exc:
            answer = self._failure(request_id, exc)
        if len(answer) > protocol.MAX_MSG_SIZE // 4 and (
            len(answer.encode("utf-8", "surrogatepass")) > protocol.MAX_MSG_SIZE
        ):
            answer = protocol.error(
                request_id, "ResultTooLarge", f"the answer exceeds {protocol.MAX_MSG_SIZE} bytes"
            )
        self._answer(answer)

    def _failure(self, request_id: Any, exc: Exception) -> str:
        from zoryx.operator import OperatorError

        kind = type(exc).__name__
        if not isinstance(exc, OperatorError | UnknownView):
            log.warning("control request failed: %s: %s", kind, exc, exc_info=exc)
        message = self.server.redact(str(exc) or kind)
        return protocol.error(request_id, kind, message)

    async def _hello(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.server.hello(self.peer)

    async def _read(self, params: dict[str, Any]) -> Any:
        name, view_params = _name_and_params(params, "view")
        try:
            return await read_view(self.server.runtime, name, view_params)
        except TypeError as exc:
            fn = VIEWS.get(name)
            if fn is not None:
                try:
                    inspect.signature(fn).bind(self.server.runtime, **view_params)
                except TypeError:
                    raise ProtocolError("InvalidParams", f"view {name}: {exc}") from None
            raise

    async def _act(self, params: dict[str, Any]) -> Any:
        name, args = _name_and_params(params, "action")
        if name not in ACTIONS:
            raise ProtocolError("UnknownAction", f"no operator action {name[:80]!r}")
        method = getattr(self.server.runtime.bot.operator, name)
        actor = self.peer.actor
        try:
            inspect.signature(method).bind(actor, **args)
        except TypeError as exc:
            raise ProtocolError("InvalidParams", f"{name}: {exc}") from None
        return plain(await method(actor, **args))

    async def _subscribe(self, params: dict[str, Any]) -> dict[str, str]:
        topic = _topic(params)
        if topic not in self._subscriptions:

            def deliver(event: dict[str, Any], topic: str = topic) -> None:
                self.push(topic, event)

            self._subscriptions[topic] = self.server.runtime.events.subscribe(topic, deliver)
        return {"topic": topic}

    async def _unsubscribe(self, params: dict[str, Any]) -> dict[str, str]:
        topic = _topic(params)
        unsubscribe = self._subscriptions.pop(topic, None)
        if unsubscribe is not None:
            unsubscribe()
        return {"topic": topic}


def _name_and_params(params: dict[str, Any], key: str) -> tuple[str, dict[str, Any]]:
    name = params.get(key)
    inner = params.get("params", {})
    if not isinstance(name, str) or not name:
        raise ProtocolError("InvalidParams", f"{key} must be a name")
    if not isinstance(inner, dict):
        raise ProtocolError("InvalidParams", "params.params must be an object")
    return name, inner


def _topic(params: dict[str, Any]) -> str:
    topic = params.get("topic")
    if topic not in protocol.TOPICS:
        known = ", ".join(sorted(protocol.TOPICS))
        raise ProtocolError("UnknownTopic", f"topic must be one of {known}")
    return str(topic)


def user_name(uid: int) -> str:
    """The login name of ``uid`` (may block on NSS: call it in a thread)."""
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
