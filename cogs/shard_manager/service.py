"""The shard manager service: this bot's place in the fleet, without any Discord UI.

It owns the :class:`~zoryx.cluster.bus.ClusterBus` (registered as
``bot.services.extra["cluster"]``), feeds it this cluster's stats, and turns what the bus
reports — clusters joining, leaving or going silent, broadcasts — into log lines and
:class:`Notice` values the cog delivers to an announcement channel. A refused cluster
(name taken, shards overlapping, wrong secret) keeps serving its own shards; the reason
is kept in :attr:`ShardManagerService.refusal` for the commands and the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from zoryx.cluster import ClusterBus, ClusterRefused, ClusterSettings

from .stats import cluster_stats

log = logging.getLogger("zoryx.cluster")

NOTICES_KEPT = 100
"""Recent notices kept for the commands (oldest dropped)."""
MAX_DELIVERIES = 20
"""Announcements being sent at once; more are only logged."""
MAX_BROADCAST = 1800
"""Longest broadcast text (it is shown in a Discord message on every cluster)."""


@dataclass(frozen=True)
class Notice:
    """Something the fleet did that the operator should see."""

    at: float
    kind: str  # "join" | "leave" | "dead" | "broadcast" | "refused"
    cluster: str
    text: str
    by: str | None = None


Announcer = Callable[[Notice], Awaitable[None]]


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line (no log-line injection), cut at ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ShardManagerService:
    """This cluster in the fleet: bus lifecycle, stats, notices.

    Args:
        bot: The running bot (stats are read from it).
        settings: The cluster's settings (:meth:`ClusterSettings.from_env`).
        bus: A bus to use instead of a new :class:`ClusterBus` (tests).
        clock: Wall clock for notices.
    """

    def __init__(
        self,
        bot: Any,
        settings: ClusterSettings,
        *,
        bus: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.clock = clock
        self.ready_shards: set[int] = set()
        self.bus = bus if bus is not None else ClusterBus(settings, stats=self.stats)
        self.refusal: str | None = None
        self.notices: deque[Notice] = deque(maxlen=NOTICES_KEPT)
        self.announcer: Announcer | None = None
        self._deliveries: set[asyncio.Task[None]] = set()

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def state(self) -> str:
        """The bus state (``refused`` when the fleet did not admit this cluster)."""
        return "refused" if self.refusal is not None else str(self.bus.state)

    def stats(self) -> dict[str, Any]:
        """This cluster's stats, as the bus reports them to the fleet."""
        return cluster_stats(self.bot, self.ready_shards)

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Join the fleet. A refusal is logged and kept; it never stops the bot."""
        self.bus.on_membership(self._on_membership)
        self.bus.on_broadcast(self._on_broadcast)
        try:
            await self.bus.start()
        except ClusterRefused as exc:
            self.refusal = str(exc)
            log.error(
                "cluster %s is not part of the fleet: %s. It keeps serving its own shards "
                "alone (no clusters view, broadcasts or shared IDENTIFY budget from others).",
                self.name,
                exc,
            )
            self._notify(Notice(self.clock(), "refused", self.name, str(exc)))
            return
        log.info(
            "cluster %s joined the fleet on %s (shards %s of %s)",
            self.name,
            self.settings.display_url,
            ",".join(map(str, self.settings.claimed_shards)),
            self.settings.shard_count,
        )

    async def stop(self) -> None:
        """Leave the fleet (announced to the others) and drop pending announcements."""
        for task in list(self._deliveries):
            task.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.bus.stop()

    # -- the fleet's events ----------------------------------------------------------------------
    def _on_membership(self, kind: str, cluster: str) -> None:
        if cluster == self.name:
            return
        if kind == "join":
            text = f"cluster {cluster} joined the fleet"
            log.info("%s", text)
        elif kind == "leave":
            text = f"cluster {cluster} left the fleet"
            log.warning("%s", text)
        else:
            text = (
                f"cluster {cluster} went silent (no heartbeat for "
                f"{self.settings.timeout:g} s) and is considered dead"
            )
            log.warning("%s", text)
        self._notify(Notice(self.clock(), kind, cluster, text))

    def _on_broadcast(self, sender: str, by: str, text: str) -> None:
        shown = one_line(text, MAX_BROADCAST)
        log.warning(
            "broadcast from cluster %s (by %s) received by %s: %s",
            sender,
            one_line(by, 100),
            self.name,
            shown,
        )
        self._notify(Notice(self.clock(), "broadcast", sender, shown, by=one_line(by, 100)))

    def _notify(self, notice: Notice) -> None:
        self.notices.append(notice)
        if self.announcer is None:
            return
        if len(self._deliveries) >= MAX_DELIVERIES:
            log.warning("too many cluster announcements in flight; %s only logged", notice.kind)
            return
        task = asyncio.get_running_loop().create_task(self._deliver(self.announcer, notice))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, announcer: Announcer, notice: Notice) -> None:
        try:
            await announcer(notice)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not announce a cluster %s", notice.kind)

    async def redis_reachable(self, timeout: float = 3.0) -> bool:
        """Whether Redis answers a PING now, on a connection of its own (the bus's may be
        down, or the cluster refused). Errors are not logged: they may hold the URL."""
        client = Redis.from_url(
            self.settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout
        )
        try:
            async with asyncio.timeout(timeout + 1):
                return bool(await client.ping())
        except (RedisError, OSError, TimeoutError):
            return False
        finally:
            with contextlib.suppress(RedisError, OSError, RuntimeError):
                await client.aclose()

    # -- actions -------------------------------------------------------------------------------
    async def broadcast(self, text: str, by: str) -> int:
        """Send ``text`` to every cluster of the fleet; how many received it.

        Raises:
            ClusterRefused: this cluster is not in the fleet.
            ValueError: the text is empty or too long.
        """
        if self.refusal is not None:
            raise ClusterRefused("refused", self.refusal)
        if not text.strip():
            raise ValueError("the broadcast text is empty")
        if len(text) > MAX_BROADCAST:
            raise ValueError(f"a broadcast holds at most {MAX_BROADCAST} characters")
        sent = int(await self.bus.broadcast(text, by))
        log.info("broadcast by %s reached %d cluster(s)", one_line(by, 100), sent)
        return sent
