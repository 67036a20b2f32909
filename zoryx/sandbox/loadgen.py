"""Load generation inside the sandbox process: users send a command, the bot answers.

Running the load on the sandbox's own loop keeps the measuring side out of the bot's
process, so a benchmark measures the bot and the protocol, not the test harness.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
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


async def paced_load(
    state: SandboxState,
    channel_id: int,
    user_id: int,
    bot_id: int,
    *,
    rate: float,
    seconds: float,
    content: str = "!ping",
    raw: bool = False,
    poisson: bool = False,
) -> dict[str, Any]:
    """Send ``content`` at ``rate`` per second for ``seconds``; time each bot reply.

    Messages go out evenly spaced, or with ``poisson`` at random moments (exponential gaps
    of mean ``1 / rate``, from a fixed seed: bursts and lulls, as real traffic has).

    Replies are matched to requests first-in first-out (one reply per command), which holds
    for a bot that answers every command once and in order. ``raw`` adds every latency
    (``latencies_ms``, in the order sent) so that several runs can be pooled.
    """
    sent: list[float] = []
    latencies: list[float] = []
    total = int(rate * seconds)
    all_answered = asyncio.Event()

    def on_event(event: Event) -> None:
        data = event.data
        if (
            event.name == "MESSAGE_CREATE"
            and data.get("channel_id") == str(channel_id)
            and data["author"]["id"] == str(bot_id)
            and len(latencies) < len(sent)
        ):
            latencies.append(time.perf_counter() - sent[len(latencies)])
            if len(latencies) >= total:
                all_answered.set()

    state.listeners.append(on_event)
    try:
        start = time.perf_counter()
        gaps = random.Random(total)
        target = start
        for n in range(total):
            target = target + gaps.expovariate(rate) if poisson else start + n / rate
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent.append(time.perf_counter())
            state.create_message(channel_id, user_id, content=content)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_answered.wait(), 10)
    finally:
        state.listeners.remove(on_event)
    ms = sorted(v * 1000 for v in latencies)

    def pct(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(len(ms) * p))], 2) if ms else 0.0

    result: dict[str, Any] = {
        "sent": len(sent),
        "answered": len(latencies),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": round(ms[-1], 2) if ms else 0.0,
    }
    if raw:
        result["latencies_ms"] = [round(v * 1000, 3) for v in latencies]
    return result
