"""Console work waits for a quiet moment of the event loop it shares with the bot.

A step of console work (a paint, a card worked out) cannot be interrupted: a bot event
that is already waiting when it starts waits until it ends. So the console starts such a
step only when nothing else is queued on the loop (``asyncio``'s ready queue is empty),
and re-checks every millisecond while the bot is busy, up to ``MAX_DEFER`` seconds: under
a flood the console still paints, at worst that much later.
"""

from __future__ import annotations

import asyncio

__all__ = ["MAX_DEFER", "RETRY", "loop_busy", "loop_quiet"]

#: The longest a console step waits for the loop to be quiet (seconds).
MAX_DEFER = 0.05
#: How often a waiting step looks again (seconds).
RETRY = 0.001


def loop_busy(loop: asyncio.AbstractEventLoop | None = None) -> bool:
    """Whether other callbacks are queued on the loop behind the one running now.

    Reads the ready queue of asyncio's own event loops; on a loop without one (uvloop)
    this cannot tell and says ``False``, so the console never waits.
    """
    loop = loop or asyncio.get_running_loop()
    return bool(getattr(loop, "_ready", None))


async def loop_quiet(max_wait: float = MAX_DEFER) -> None:
    """Yield to the loop, then wait (at most ``max_wait`` s) until nothing else is queued."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait
    await asyncio.sleep(0)
    while loop_busy(loop) and loop.time() < deadline:  # noqa: ASYNC110 (nothing signals it)
        await asyncio.sleep(RETRY)
