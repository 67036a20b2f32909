"""Preset queries between clusters (never arbitrary code) and the bounded table of
queries and broadcasts waiting for answers."""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from .errors import BusBusy
from .members import Report

__all__ = [
    "MAX_PENDING",
    "QUERY_KINDS",
    "Answers",
    "Pending",
    "PendingTable",
    "QueryHandler",
    "check_query",
    "guild_shard",
]

log = logging.getLogger("zoryx.cluster")

QUERY_KINDS = ("stats", "health", "guild")
#: Seconds a query handler may take.
HANDLER_TIMEOUT = 5.0
#: Queries and broadcasts of one bus waiting for answers at the same time.
MAX_PENDING = 64


def check_query(kind: str, arg: Any) -> Any:
    """``arg`` checked for a preset query ``kind``; ValueError saying what is wrong."""
    if kind not in QUERY_KINDS:
        raise ValueError(f"unknown query {kind!r}: use one of {', '.join(QUERY_KINDS)}")
    if kind == "guild":
        if isinstance(arg, bool) or not isinstance(arg, int) or not 0 < arg < 2**64:
            raise ValueError("the guild query needs a guild ID (a positive integer)")
        return arg
    if arg is not None:
        raise ValueError(f"the {kind} query takes no argument")
    return None


def guild_shard(guild_id: int, shard_count: int) -> int:
    """The shard Discord routes a guild to."""
    return (guild_id >> 22) % max(shard_count, 1)


class Pending:
    """Answers to one query or broadcast, by cluster name (at most ``limit``)."""

    def __init__(self, limit: int) -> None:
        self.expected: set[str] = set()
        self.answers: dict[str, Any] = {}
        self.done = asyncio.Event()
        self._limit = limit

    def expect(self, name: str) -> None:
        self.expected.add(name)
        self._check()

    def add(self, name: str, answer: Any) -> None:
        if name in self.answers or len(self.answers) < self._limit:
            self.answers[name] = answer
        self._check()

    def _check(self) -> None:
        if self.expected <= self.answers.keys():
            self.done.set()
        else:  # a cluster expected after the others answered
            self.done.clear()

    async def wait(self, timeout: float) -> None:
        """Until every expected cluster answered, or ``timeout`` seconds."""
        self._check()
        try:
            async with asyncio.timeout(timeout):
                await self.done.wait()
        except TimeoutError:
            pass


class PendingTable:
    """Open queries and broadcasts by correlation ID, at most :data:`MAX_PENDING`."""

    def __init__(self, answers_limit: int) -> None:
        self._open: dict[str, Pending] = {}
        self._answers_limit = answers_limit

    def __len__(self) -> int:
        return len(self._open)

    def open(self) -> tuple[str, Pending]:
        if len(self._open) >= MAX_PENDING:
            raise BusBusy(f"{MAX_PENDING} queries or broadcasts are already waiting for answers")
        cid = secrets.token_hex(8)
        pending = self._open[cid] = Pending(self._answers_limit)
        return cid, pending

    def close(self, cid: str) -> None:
        self._open.pop(cid, None)

    def answer(self, cid: object, name: str, answer: Any) -> bool:
        """Record an answer; False when no such query or broadcast is open."""
        pending = self._open.get(cid) if isinstance(cid, str) else None
        if pending is None:
            return False
        pending.add(name, answer)
        return True

    def clear(self) -> None:
        for pending in self._open.values():
            pending.done.set()
        self._open.clear()


QueryHandler = Callable[[Any], dict[str, Any] | Awaitable[dict[str, Any]]]


class Answers:
    """This cluster's answers to the preset queries: defaults from its own report, or
    handlers set with :meth:`set` (e.g. a guild lookup in the bot's cache)."""

    def __init__(self, report: Callable[[], Report]) -> None:
        self._report = report
        self._handlers: dict[str, QueryHandler] = {
            "stats": self._stats,
            "health": self._health,
            "guild": self._guild,
        }

    def set(self, kind: str, handler: QueryHandler) -> None:
        if kind not in QUERY_KINDS:
            raise ValueError(f"unknown query {kind!r}: use one of {', '.join(QUERY_KINDS)}")
        self._handlers[kind] = handler

    async def answer(self, kind: str, arg: Any) -> dict[str, Any]:
        """The answer, or ``{"error": ...}`` when the handler failed (logged)."""
        try:
            result = self._handlers[kind](arg)
            if inspect.isawaitable(result):
                async with asyncio.timeout(HANDLER_TIMEOUT):
                    result = await result
        except Exception:
            log.exception("cluster query handler %r failed", kind)
            return {"error": "the query failed"}
        return result if isinstance(result, dict) else {"error": "no answer"}

    def _stats(self, _arg: Any) -> dict[str, Any]:
        r = self._report()
        return {
            "guilds": r.guilds,
            "users": r.users,
            "shards": len(r.shard_ids),
            "shard_ids": list(r.shard_ids),
            "latency_ms": r.latency_ms,
        }

    def _health(self, _arg: Any) -> dict[str, Any]:
        r = self._report()
        return {"health": r.health, "latency_ms": r.latency_ms, "shards": list(r.shards)}

    def _guild(self, guild_id: int) -> dict[str, Any]:
        r = self._report()
        shard = guild_shard(guild_id, r.shard_count)
        return {"shard_id": shard, "holds": shard in r.shard_ids}
