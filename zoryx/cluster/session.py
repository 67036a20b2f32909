"""One connection of a bus to Redis: a client for commands and a pub/sub listener."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from .settings import ClusterSettings

__all__ = ["DOWN", "IO_TIMEOUT", "Session", "close_session", "new_session"]

#: What a lost, refused or hung Redis connection raises.
DOWN = (RedisError, OSError, TimeoutError)
#: Seconds one round of Redis work (a heartbeat, a resync, a read) may take before the
#: connection counts as down. Enforced by the bus with asyncio.timeout, not with
#: redis-py's socket_timeout: on Python 3.11 redis-py applies that one to writes through
#: asyncio.wait_for, which can swallow a task's cancellation (CPython gh-86296), so a
#: stopped bus could keep running.
IO_TIMEOUT = 15.0


@dataclass
class Session:
    client: Redis
    pubsub: PubSub


def new_session(settings: ClusterSettings) -> Session:
    """A client for ``settings.redis_url`` (not connected yet: the first command does).
    No retries inside redis-py: the bus reconnects with its own backoff."""
    client = Redis.from_url(
        settings.redis_url,
        retry=Retry(NoBackoff(), 0),
        socket_connect_timeout=5,
        socket_timeout=None,  # see IO_TIMEOUT
        health_check_interval=max(1, int(settings.heartbeat)),
        client_name=f"zoryx-{settings.name}",
    )
    return Session(client, client.pubsub())


async def close_session(session: Session) -> None:
    """Close both connections, giving up on each after 5 s (Redis may be gone)."""
    for closing in (session.pubsub.aclose, session.client.aclose):
        with contextlib.suppress(*DOWN, RuntimeError):
            async with asyncio.timeout(5):
                await closing()
