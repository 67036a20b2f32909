"""What a bus does with each message it receives: open it (refusals are counted, never
raised), then update the member table, deliver broadcasts, answer queries or record
answers. Replies run as tasks, at most :data:`MAX_TASKS` at once."""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from .members import MemberTable, Report, parse_report
from .queries import PendingTable, check_query
from .signing import REASONS, Envelope, Rejected, Signer

__all__ = ["MAX_BROADCAST", "MAX_TASKS", "Inbox"]

log = logging.getLogger("zoryx.cluster")

MAX_TASKS = 256
MAX_BROADCAST = 4000
_MAX_CALLBACKS = 32
_LOG_DROPS_EVERY = 60.0
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

BroadcastCallback = Callable[[str, str, str], Awaitable[None] | None]
MembershipCallback = Callable[[str, str], None]
Reply = Callable[[str, str, dict[str, Any]], Coroutine[Any, Any, None]]
Answer = Callable[[str, Any], Awaitable[dict[str, Any]]]


class Inbox:
    """Handles the messages of one bus.

    Args:
        name: This cluster's name (its own echoed messages are skipped).
        signer: Opens (checks) every message.
        table: The member table that reports update.
        pending: Open queries and broadcasts that answers and acks belong to.
        clock: Wall clock.
        reply: ``reply(to, kind, body)`` sends a signed message to one cluster.
        answer: ``answer(kind, arg)`` this cluster's answer to a preset query.
    """

    def __init__(
        self,
        name: str,
        *,
        signer: Signer,
        table: MemberTable,
        pending: PendingTable,
        clock: Callable[[], float],
        reply: Reply,
        answer: Answer,
    ) -> None:
        self.name = name
        self.counters: dict[str, int] = {"sent": 0, "received": 0, **dict.fromkeys(REASONS, 0)}
        self._signer = signer
        self._table = table
        self._pending = pending
        self._clock = clock
        self._reply = reply
        self._answer = answer
        self._on_broadcast: list[BroadcastCallback] = []
        self._on_membership: list[MembershipCallback] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._drops_logged: dict[str, float] = {}

    # -- callbacks --------------------------------------------------------------------
    def on_broadcast(self, callback: BroadcastCallback) -> None:
        if len(self._on_broadcast) >= _MAX_CALLBACKS:
            raise ValueError("too many broadcast callbacks")
        self._on_broadcast.append(callback)

    def on_membership(self, callback: MembershipCallback) -> None:
        if len(self._on_membership) >= _MAX_CALLBACKS:
            raise ValueError("too many membership callbacks")
        self._on_membership.append(callback)

    def emit(self, event: str, name: str) -> None:
        """Tell the membership callbacks (``join``, ``leave``, ``dead``)."""
        for callback in list(self._on_membership):
            try:
                callback(event, name)
            except Exception:
                log.exception("cluster membership callback failed")

    def deliver(self, sender: str, by: str, text: str) -> None:
        """Hand a broadcast to the broadcast callbacks."""
        for callback in list(self._on_broadcast):
            try:
                result = callback(sender, by, text)
            except Exception:
                log.exception("cluster broadcast callback failed")
                continue
            if result is not None and inspect.isawaitable(result):
                self.spawn(_awaited(result))

    # -- tasks ------------------------------------------------------------------------
    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` as a task, unless :data:`MAX_TASKS` are running already."""
        if len(self._tasks) >= MAX_TASKS:
            work.close()
            log.warning("cluster bus: %d tasks running already; one reply dropped", MAX_TASKS)
            return
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("cluster bus task failed", exc_info=exc)

    async def close(self) -> None:
        """Cancel the running reply tasks."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- messages ---------------------------------------------------------------------
    def drop(self, reason: str) -> None:
        """Count a refused message (and log it, at most once a minute per reason)."""
        self.counters[reason] += 1
        now = time.monotonic()
        if now - self._drops_logged.get(reason, -_LOG_DROPS_EVERY) >= _LOG_DROPS_EVERY:
            self._drops_logged[reason] = now
            log.warning(
                "cluster bus dropped a message (%s); %d dropped for this reason so far",
                reason,
                self.counters[reason],
            )

    def handle(self, raw: bytes) -> None:
        """Open and act on one message; refusals are counted, nothing is raised."""
        try:
            envelope = self._signer.open(raw)
        except Rejected as refused:
            self.drop(refused.reason)
            return
        if envelope.sender == self.name:
            return  # our own message, echoed by Redis
        handler = {
            "join": self._on_report,
            "beat": self._on_report,
            "leave": self._on_leave,
            "broadcast": self._on_broadcast_message,
            "query": self._on_query,
            "answer": self._on_answer,
            "ack": self._on_answer,
        }.get(envelope.kind)
        if handler is None or not _NAME.fullmatch(envelope.sender):
            self.drop("malformed")
            return
        try:
            handler(envelope)
        except (ValueError, TypeError, KeyError):
            self.drop("malformed")
            return
        self.counters["received"] += 1

    def learn(self, name: str, report: Report, seen: float) -> None:
        """Record a sign of life from cluster ``name``."""
        event = self._table.update(name, report, seen)
        if event == "join":
            log.info("cluster %r joined (shards %s)", name, list(report.shard_ids))
            self.emit("join", name)
        elif event == "full":
            log.warning("cluster %r ignored: %d clusters known already", name, len(self._table))

    def _addressed(self, envelope: Envelope) -> dict[str, Any]:
        body = envelope.body
        if body.get("to") != self.name or not isinstance(body.get("id"), str):
            raise ValueError("not addressed to this cluster")
        return body

    def _on_report(self, envelope: Envelope) -> None:
        self.learn(envelope.sender, parse_report(envelope.body), self._clock())

    def _on_leave(self, envelope: Envelope) -> None:
        name = envelope.sender
        if self._table.instance_of(name) != envelope.body.get("instance"):
            return  # a leave from an older instance of a cluster that came back since
        if self._table.remove(name):
            log.info("cluster %r left", name)
            self.emit("leave", name)

    def _on_broadcast_message(self, envelope: Envelope) -> None:
        body = envelope.body
        text, by, cid = body.get("text"), body.get("by"), body.get("id")
        if not (isinstance(text, str) and isinstance(by, str) and isinstance(cid, str)):
            raise ValueError("bad broadcast")
        self.deliver(envelope.sender, by[:255], text[:MAX_BROADCAST])
        self.spawn(self._reply(envelope.sender, "ack", {"id": cid}))

    def _on_query(self, envelope: Envelope) -> None:
        body = self._addressed(envelope)
        kind = body.get("kind")
        if not isinstance(kind, str):
            raise ValueError("bad query")
        arg = check_query(kind, body.get("arg"))
        self.spawn(self._answer_query(envelope.sender, body["id"], kind, arg))

    def _on_answer(self, envelope: Envelope) -> None:
        body = self._addressed(envelope)
        answer = body.get("answer") if envelope.kind == "answer" else True
        if envelope.kind == "answer" and not isinstance(answer, dict):
            raise ValueError("bad answer")
        self._pending.answer(body["id"], envelope.sender, answer)

    async def _answer_query(self, asker: str, cid: str, kind: str, arg: Any) -> None:
        answer = await self._answer(kind, arg)
        try:
            await self._reply(asker, "answer", {"id": cid, "answer": answer})
        except ValueError:  # larger than a message may be
            await self._reply(asker, "answer", {"id": cid, "answer": {"error": "too large"}})


async def _awaited(result: Awaitable[Any]) -> None:
    await result
