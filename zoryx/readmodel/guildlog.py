"""The bot's recent guild joins and leaves, kept for the faces and pushed as ``"guild"`` events.

The runtime owns one :class:`GuildLog` and attaches it to its bot; the console's Logs pane
reads it through the ``logs`` view (with a sequence-number cursor, so only what is new is
sent), in-process or over the control socket.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .hub import EventHub

__all__ = ["GuildChange", "GuildLog"]


@dataclass(frozen=True, slots=True)
class GuildChange:
    seq: int
    at: float
    kind: str  # "joined" | "left"
    guild_id: int
    name: str


class GuildLog:
    """The last ``capacity`` guild changes, each with an increasing sequence number."""

    def __init__(self, hub: EventHub | None = None, capacity: int = 200) -> None:
        self.hub = hub
        self._changes: deque[GuildChange] = deque(maxlen=capacity)
        self._seq = 0

    def attach(self, bot: Any) -> None:
        """Listen to ``bot``'s guild joins and leaves (a listener, beside its own handlers)."""
        bot.add_listener(self._joined, "on_guild_join")
        bot.add_listener(self._left, "on_guild_remove")

    def detach(self, bot: Any) -> None:
        bot.remove_listener(self._joined, "on_guild_join")
        bot.remove_listener(self._left, "on_guild_remove")

    async def _joined(self, guild: Any) -> None:
        self.add("joined", int(guild.id), str(guild.name))

    async def _left(self, guild: Any) -> None:
        self.add("left", int(guild.id), str(guild.name))

    def add(self, kind: str, guild_id: int, name: str) -> GuildChange:
        self._seq += 1
        change = GuildChange(self._seq, time.time(), kind, guild_id, name)
        self._changes.append(change)
        if self.hub is not None:
            event = {"seq": change.seq, "at": change.at, "kind": kind, "guild_id": guild_id}
            self.hub.publish("guild", {**event, "name": name})
        return change

    def since(self, seq: int) -> tuple[list[GuildChange], bool]:
        """The changes after ``seq``, oldest first, and whether they follow ``seq`` without
        a gap (False: ``seq`` fell out of the history, or came from another run — the
        whole history is returned)."""
        changes = self._changes
        first = changes[0].seq if changes else self._seq + 1
        continuous = first - 1 <= seq <= self._seq
        if not continuous:
            return list(changes), False
        return [change for change in changes if change.seq > seq], True

    @property
    def last_seq(self) -> int:
        return self._seq

    def __len__(self) -> int:
        return len(self._changes)
