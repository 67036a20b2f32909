"""What a new gateway session receives: READY, then one GUILD_CREATE per guild.

A bot in thousands of guilds gets thousands of GUILD_CREATEs (hundreds of megabytes with
member lists). They are built and queued in slices of a few milliseconds, and only while
the connection's outbound queue is short, so the sandbox loop keeps answering heartbeats,
REST calls and other shards, and memory stays bounded whatever the number of guilds. The
first slice goes out at once, so a small world is complete right after READY.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .constants import Intent

if TYPE_CHECKING:
    from .gateway import Gateway
    from .gateway_conn import Session
    from .state import Application

SLICE_SECONDS = 0.005


def ready_payload(
    gateway: Gateway, session: Session, app: Application, guild_ids: list[int]
) -> dict[str, Any]:
    return {
        "v": 10,
        "user": gateway.state.users[app.bot_id],
        "user_settings": {},
        "guilds": [{"id": str(gid), "unavailable": True} for gid in guild_ids],
        "session_id": session.id,
        "session_type": "normal",
        "resume_gateway_url": gateway.url,
        "shard": [session.shard_id, session.shard_count],
        "application": {"id": str(app.id), "flags": app.flags},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["sandbox"],
        "auth": {},
        "_trace": ["zoryx-sandbox"],
    }


@dataclass
class GuildStream:
    """The GUILD_CREATEs a session is still owed, sent a slice at a time."""

    gateway: Gateway
    session: Session
    guild_ids: Iterator[int]
    large_threshold: int

    def alive(self) -> bool:
        return self.gateway.sessions.get(self.session.id) is self.session

    def send_slice(self, budget: float = SLICE_SECONDS) -> bool:
        """Send GUILD_CREATEs for ``budget`` seconds (at least one), or until the client's
        queue is long; True if some are left."""
        session, state = self.session, self.gateway.state
        high = self.gateway.options.stream_high_water
        intents = session.intents
        members = bool(intents & Intent.GUILD_MEMBERS)
        presences = bool(intents & Intent.GUILD_PRESENCES)
        deadline = time.perf_counter() + budget
        for gid in self.guild_ids:
            if gid not in session.pending:
                continue  # a GUILD_CREATE or GUILD_DELETE event went out meanwhile
            session.pending.discard(gid)
            guild = state.guilds.get(gid)
            if guild is None or session.app.bot_id not in guild.members:
                continue
            payload = state.guild_payload(
                guild,
                bot_id=session.app.bot_id,
                members=members,
                presences=presences,
                large_threshold=self.large_threshold,
            )
            self.gateway.send_to(session, "GUILD_CREATE", payload)
            conn = session.conn
            if time.perf_counter() >= deadline or (conn is not None and conn.queue.qsize() >= high):
                return bool(session.pending)
        session.pending.clear()
        return False

    async def run(self) -> None:
        """Send the rest, yielding to the loop between slices and while the client's
        queue is long; stops when the session is invalidated."""
        high = self.gateway.options.stream_high_water
        with contextlib.suppress(asyncio.CancelledError):
            while self.alive():
                conn = self.session.conn
                if conn is None or conn.closed:  # detached: go on once the client resumes
                    await asyncio.sleep(0.05)
                    continue
                await conn.wait_drained(high)
                if not self.alive() or self.session.conn is not conn or conn.closed:
                    continue
                if not self.send_slice():
                    return
                await asyncio.sleep(0)


__all__ = ["GuildStream", "ready_payload"]
