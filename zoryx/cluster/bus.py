"""The cluster bus: one bot's clusters meeting over Redis.

Each cluster registers in the fleet registry (:mod:`.registry`), heartbeats every
``heartbeat`` seconds with its stats, and listens on two pub/sub channels: the fleet's
(``ns:bus``: join, beat, leave, broadcast) and its own (``ns:to:<name>``: queries,
answers, acknowledgements). Every message is signed (:mod:`.signing`); anything refused is
dropped and counted in :attr:`ClusterBus.counters`, never raised in the listener.

When Redis cannot be reached the bus turns ``"unavailable"``, the bot keeps serving its
own shards, and the bus reconnects by itself (5 s, doubling up to 120 s) and registers
again, also after a Redis restart that lost every key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import AuthenticationError

from ..redaction import Redactor
from .errors import BusUnavailable, ClusterRefused
from .identify import IdentifyGate
from .inbox import MAX_BROADCAST, BroadcastCallback, Inbox, MembershipCallback
from .members import ClusterInfo, MemberTable, Report, info_of, parse_report
from .queries import Answers, PendingTable, QueryHandler, check_query
from .registry import Registry
from .session import DOWN, IO_TIMEOUT, Session, close_session, new_session
from .settings import ClusterSettings, url_password
from .signing import Rejected, Signer

__all__ = ["STATES", "ClusterBus", "ClusterInfo"]

log = logging.getLogger("zoryx.cluster")

STATES = ("connecting", "connected", "unavailable", "refused", "stopped")


class ClusterBus:
    """This cluster's seat on the bus.

    Args:
        settings: Who this cluster is and where Redis is.
        stats: Called for this cluster's current stats: a dict with ``guilds``, ``users``
            (ints), ``latency_ms`` (float or None), ``health`` (str) and ``shards`` (a
            list of ``{"id", "state", "latency_ms", "guilds", "ready"}``); missing or bad
            values count as unknown. Must be quick and not block.
        clock: Wall clock for timestamps (injectable for tests).
    """

    def __init__(
        self,
        settings: ClusterSettings,
        *,
        stats: Callable[[], dict[str, Any]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self.state = "stopped"
        self._stats = stats
        self._clock = clock
        window = max(60.0, settings.heartbeat * 2)
        self._signer = Signer(settings.secret, window=window, clock=clock)
        self._redactor = Redactor([settings.secret, url_password(settings.redis_url) or ""])
        self._instance = secrets.token_hex(8)
        host = socket.gethostname()[:255]
        self._registry = Registry(settings, instance=self._instance, host=host)
        self._report = Report(
            instance=self._instance,
            shard_ids=settings.claimed_shards,
            shard_count=settings.shard_count or 0,
            pid=os.getpid(),
            host=host,
        )
        self._table = MemberTable(
            timeout=settings.timeout,
            max_members=settings.max_members,
            prune_after=5 * settings.timeout,
        )
        self._pending = PendingTable(settings.max_members)
        self._gate = IdentifyGate(
            f"{settings.namespace}:identify",
            owner=settings.name,
            window=settings.identify_window,
            margin=settings.identify_margin,
        )
        self._bus_channel = f"{settings.namespace}:bus"
        self._session: Session | None = None
        self._runner: asyncio.Task[None] | None = None
        self._answers = Answers(self._fresh_report)
        self._inbox = Inbox(
            settings.name,
            signer=self._signer,
            table=self._table,
            pending=self._pending,
            clock=clock,
            reply=self._reply,
            answer=self._answers.answer,
        )
        #: Messages sent and received, and refused ones by reason (see REASONS).
        self.counters = self._inbox.counters
        self._last_beat = clock()
        self._last_stats = -float("inf")
        self._last_resync = -float("inf")

    def __repr__(self) -> str:
        return f"ClusterBus(name={self.name!r}, state={self.state!r})"

    def _channel(self, name: str) -> str:
        return f"{self.settings.namespace}:to:{name}"

    # -- life cycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Connect and register. Raises ClusterRefused (state ``"refused"``) when the
        fleet refuses this cluster; with Redis down the state is ``"unavailable"`` and
        the bus keeps trying in the background."""
        if self._runner is not None:
            raise RuntimeError("the cluster bus is already started")
        self.state = "connecting"
        session: Session | None = None
        try:
            session = await self._open()
        except DOWN as exc:
            self._unavailable(exc, self.settings.backoff[0])
        except ClusterRefused as exc:
            self._refused(exc)
            raise
        except BaseException:
            self.state = "stopped"
            raise
        self._runner = asyncio.create_task(self._supervise(session), name="cluster-bus")

    async def stop(self) -> None:
        """Announce leaving, drop the registration and close the connection."""
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(*DOWN):
                async with asyncio.timeout(5):
                    await self._publish(session.client, self._bus_channel, self._seal("leave"))
                    await self._registry.leave(session.client)
            await close_session(session)
        await self._inbox.close()
        self._pending.clear()
        self.state = "stopped"

    async def _open(self) -> Session:
        s = self.settings
        session = new_session(s)
        client = session.client
        try:
            async with asyncio.timeout(IO_TIMEOUT):
                await client.ping()
                await self._registry.register(client)
                await session.pubsub.subscribe(self._bus_channel, self._channel(self.name))
                await self._announce(session, "join")
                await self._resync(session)
        except BaseException:
            await close_session(session)
            raise
        self._session = session
        self._table.refresh(self._clock())
        self.state = "connected"
        log.info("cluster bus connected: %r joined the fleet at %s", s.name, s.display_url)
        return session

    def _unavailable(self, exc: BaseException, retry_in: float) -> None:
        first = self.state != "unavailable"
        self.state = "unavailable"
        if isinstance(exc, AuthenticationError):
            why = "authentication failed: check the password in REDIS_URL"
        else:
            why = self._redactor.redact(str(exc) or type(exc).__name__)
        (log.warning if first else log.info)(
            "cluster bus unavailable (Redis at %s: %s); retrying in %g s",
            self.settings.display_url,
            why,
            retry_in,
        )

    async def _supervise(self, session: Session | None) -> None:
        first, most = self.settings.backoff
        delay = first
        while True:
            if session is not None:
                delay = first
                try:
                    await self._serve(session)
                except ClusterRefused as exc:  # refused on re-registration: terminal
                    await self._drop_session(session)
                    self._refused(exc)
                    return
                except Exception as exc:
                    await self._drop_session(session)
                    if not isinstance(exc, DOWN):
                        log.exception("cluster bus failed; reconnecting")
                    self._unavailable(exc, delay)
                session = None
            await asyncio.sleep(delay)
            delay = min(delay * 2, most)
            try:
                session = await self._open()
            except ClusterRefused as exc:
                self._refused(exc)
                return
            except Exception as exc:
                if not isinstance(exc, DOWN):
                    log.exception("cluster bus could not connect")
                self._unavailable(exc, delay)

    async def _drop_session(self, session: Session) -> None:
        self._session = None
        await close_session(session)

    def _refused(self, exc: ClusterRefused) -> None:
        self.state = "refused"
        log.error("cluster bus stopped: %s", self._redactor.redact(str(exc)))

    async def _serve(self, session: Session) -> None:
        loops = [
            asyncio.create_task(self._listen(session)),
            asyncio.create_task(self._beat_loop(session)),
            asyncio.create_task(self._sweep_loop(session)),
        ]
        try:
            done, _ = await asyncio.wait(loops, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if (exc := task.exception()) is not None:
                    raise exc
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)

    # -- loops ------------------------------------------------------------------------
    async def _listen(self, session: Session) -> None:
        while True:
            async with asyncio.timeout(IO_TIMEOUT):
                message = await session.pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
            if message is None or message.get("type") != "message":
                continue
            data = message.get("data")
            try:
                self._inbox.handle(data if isinstance(data, bytes) else b"")
            except Exception:  # one bad message must never stop the listener
                log.exception("cluster bus: a message could not be handled")
                self._inbox.drop("malformed")

    async def _beat_loop(self, session: Session) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat)
            async with asyncio.timeout(IO_TIMEOUT):
                if not await self._registry.heartbeat(session.client):
                    log.warning(
                        "cluster bus: registration of %r was lost; registering again", self.name
                    )
                    await self._registry.register(session.client)
                await self._announce(session, "beat")

    async def _sweep_loop(self, session: Session) -> None:
        every = min(self.settings.heartbeat, self.settings.timeout / 8)
        while True:
            await asyncio.sleep(every)
            now = self._clock()
            for name in self._table.sweep(now):
                log.warning("cluster %r is silent for over %g s: dead", name, self.settings.timeout)
                self._inbox.emit("dead", name)
            if now - self._last_resync >= self.settings.stats_every:
                async with asyncio.timeout(IO_TIMEOUT):
                    await self._resync(session)

    async def _announce(self, session: Session, kind: str) -> None:
        """Refresh stats when due, store the signed report and publish it."""
        now = self._clock()
        if now - self._last_stats >= self.settings.stats_every or kind == "join":
            self._report = self._fresh_report()
            self._last_stats = now
        raw = self._seal(kind, self._report.to_body())
        await self._registry.write_record(session.client, raw)
        await self._publish(session.client, self._bus_channel, raw)
        self._last_beat = now

    async def _resync(self, session: Session) -> None:
        """Learn every registered cluster from its stored report (catches missed
        messages, and fills the table on joining)."""
        self._last_resync = now = self._clock()
        for name, raw in (await self._registry.records(session.client)).items():
            if name == self.name:
                continue
            try:
                envelope = self._signer.verify(raw, max_age=self.settings.timeout)
                report = parse_report(envelope.body)
            except (Rejected, ValueError):
                continue  # not fresh (a dead cluster's last word) or not from the fleet
            self._inbox.learn(name, report, min(envelope.ts, now))

    # -- messages ---------------------------------------------------------------------
    def _seal(self, kind: str, body: dict[str, Any] | None = None) -> bytes:
        return self._signer.seal(kind, self.name, {"instance": self._instance, **(body or {})})

    async def _publish(self, client: Redis, channel: str, raw: bytes) -> int:
        receivers = int(await client.publish(channel, raw))
        self.counters["sent"] += 1
        return receivers

    async def _reply(self, to: str, kind: str, body: dict[str, Any]) -> None:
        raw = self._seal(kind, {"to": to, **body})  # ValueError when too large
        session = self._session
        if session is not None:
            with contextlib.suppress(*DOWN):
                async with asyncio.timeout(IO_TIMEOUT):
                    await self._publish(session.client, self._channel(to), raw)

    # -- callbacks --------------------------------------------------------------------
    def on_broadcast(self, callback: BroadcastCallback) -> None:
        """Call ``callback(from_cluster, by, text)`` for every broadcast, own ones too
        (a coroutine function is run as a task)."""
        self._inbox.on_broadcast(callback)

    def on_membership(self, callback: MembershipCallback) -> None:
        """Call ``callback(event, name)`` with event ``join``, ``leave`` or ``dead``."""
        self._inbox.on_membership(callback)

    def on_query(self, kind: str, handler: QueryHandler) -> None:
        """Answer the preset query ``kind`` with ``handler(arg)`` (a dict, or an awaitable
        of one) instead of the default answer; ``guild`` gets the guild ID."""
        self._answers.set(kind, handler)

    # -- what a user asks ---------------------------------------------------------------
    def _fresh_report(self) -> Report:
        try:
            stats = self._stats()
        except Exception:
            log.exception("cluster stats provider failed")
            stats = {}
        return self._report.with_stats(stats if isinstance(stats, dict) else {})

    def members(self) -> list[ClusterInfo]:
        """Every known cluster, this one included; dead ones have ``alive`` False."""
        alive = self.state in ("connecting", "connected", "unavailable")
        own = info_of(self.name, self._fresh_report(), seen=self._last_beat, alive=alive)
        return sorted([own, *self._table.infos()], key=lambda info: info.name)

    def global_stats(self) -> dict[str, int]:
        """Totals over the live clusters: clusters, shards, guilds, users."""
        live = [m for m in self.members() if m.alive]
        return {
            "clusters": len(live),
            "shards": sum(len(m.shard_ids) for m in live),
            "guilds": sum(m.guilds for m in live),
            "users": sum(m.users for m in live),
        }

    def _live_session(self) -> Session:
        if self.state != "connected" or self._session is None:
            raise BusUnavailable(f"cluster bus {self.state}: Redis cannot be reached right now")
        return self._session

    async def broadcast(self, text: str, by: str, timeout: float = 5.0) -> int:
        """Send ``text`` to every cluster; how many received it (this one included).
        Raises BusUnavailable while Redis is down."""
        if not isinstance(text, str) or not 0 < len(text) <= MAX_BROADCAST:
            raise ValueError(f"a broadcast holds 1 to {MAX_BROADCAST} characters")
        session = self._live_session()
        cid, pending = self._pending.open()
        try:
            for info in self._table.infos():
                if info.alive:
                    pending.expect(info.name)
            raw = self._seal("broadcast", {"id": cid, "by": by[:255], "text": text})
            await self._guarded_publish(session, self._bus_channel, raw)
            self._inbox.deliver(self.name, by[:255], text)
            await pending.wait(timeout)
            return 1 + len(pending.answers)
        finally:
            self._pending.close(cid)

    async def query(self, kind: str, arg: Any = None, timeout: float = 5.0) -> dict[str, Any]:
        """Ask every live cluster a preset query (``stats``, ``health``, or ``guild``
        with a guild ID): ``{cluster: answer}`` for those that answered in time, this one
        included. ValueError for another kind; BusUnavailable while Redis is down."""
        arg = check_query(kind, arg)
        session = self._live_session()
        cid, pending = self._pending.open()
        try:
            for info in self._table.infos():
                if not info.alive:
                    continue
                raw = self._seal("query", {"to": info.name, "id": cid, "kind": kind, "arg": arg})
                if await self._guarded_publish(session, self._channel(info.name), raw):
                    pending.expect(info.name)
            own = await self._answers.answer(kind, arg)
            await pending.wait(timeout)
            return {self.name: own, **pending.answers}
        finally:
            self._pending.close(cid)

    async def _guarded_publish(self, session: Session, channel: str, raw: bytes) -> int:
        try:
            async with asyncio.timeout(IO_TIMEOUT):
                return await self._publish(session.client, channel, raw)
        except DOWN as exc:
            raise BusUnavailable("cluster bus unavailable: Redis cannot be reached") from exc

    async def identify_turn(self, shard_id: int, max_concurrency: int) -> None:
        """Wait until ``shard_id`` may IDENTIFY: one per bucket per 5 s across the fleet
        (paced by this process alone while Redis is down)."""
        session = self._session if self.state == "connected" else None
        await self._gate.turn(session.client if session else None, shard_id, max_concurrency)
