"""Load generation inside the sandbox process: users send a command, the bot answers.

Running the load on the sandbox's own loop keeps the measuring side out of the bot's
process, so a benchmark measures the bot and the protocol, not the test harness.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import Event, SandboxState


@dataclass
class LoadResult:
    sent: int
    answered: int
    seconds: float
    in_flight: int

    @property
    def per_second(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"per_second": round(self.per_second, 1)}


async def command_load(
    state: SandboxState,
    channel_id: int,
    user_id: int,
    bot_id: int,
    *,
    total: int,
    in_flight: int,
    content: str = "!ping",
    timeout: float = 120.0,
) -> LoadResult:
    """Send ``content`` ``total`` times keeping ``in_flight`` outstanding; count bot replies.

    Messages stored by the sandbox are capped per channel, so load runs never grow memory.
    """
    slots = asyncio.Semaphore(in_flight)
    answered = 0
    done = asyncio.Event()

    def on_event(event: Event) -> None:
        nonlocal answered
        data = event.data
        if (
            event.name == "MESSAGE_CREATE"
            and data.get("channel_id") == str(channel_id)
            and data["author"]["id"] == str(bot_id)
        ):
            answered += 1
            slots.release()
            if answered >= total:
                done.set()

    state.listeners.append(on_event)
    start = time.perf_counter()
    try:
        for _ in range(total):
            await slots.acquire()
            state.create_message(channel_id, user_id, content=content)
        await asyncio.wait_for(done.wait(), timeout)
    finally:
        state.listeners.remove(on_event)
    return LoadResult(total, answered, time.perf_counter() - start, in_flight)
