"""The windows behind refusal logging and reply throttling: bounded, and no count lost.

End-to-end behaviour (replies, audit records, log lines through the sandbox) is in
tests/core/test_refusals.py; these pin what it cannot reach cheaply: the memory cap,
the summary at shutdown and by the log's own timer, and the "0 means no limit" setting.
"""

from __future__ import annotations

from zoryx.refusals import Refusal, RefusalLog, WindowThrottle
from zoryx.testing.waits import eventually


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


JUDY = Refusal("judy", "visitor", "discord", "command:reload", "Lounge #general", "owner", 7)
GUEST = Refusal("guest", "visitor", "web", "shutdown", "bot", "needs the owner role")


def test_open_windows_are_capped_and_the_dropped_counts_still_reported() -> None:
    throttle: WindowThrottle[str, str] = WindowThrottle(
        60, cap=3, clock=FakeClock(), track_ended=True
    )
    for key in "abcde":
        assert throttle.hit(key, key) is True
        assert throttle.hit(key, key) is False
    assert len(throttle) == 3
    assert throttle.take_ended() == [("a", "a", 1), ("b", "b", 1)]
    assert throttle.take_ended() == []


def test_a_zero_window_lets_every_event_through_and_keeps_nothing() -> None:
    throttle: WindowThrottle[str, None] = WindowThrottle(0, clock=FakeClock())
    assert all(throttle.hit("judy", None) for _ in range(5))
    assert len(throttle) == 0


async def test_repeats_are_summed_up_once_per_window_and_at_close() -> None:
    clock = FakeClock()
    records: list[tuple[str, str, str]] = []

    async def record(refusal: Refusal, detail: str) -> None:
        records.append((refusal.who, refusal.action, detail))

    refusals = RefusalLog(record, window=60, clock=clock)
    for _ in range(3):
        await refusals.refused(JUDY)
    await refusals.refused(GUEST)
    assert records == [
        ("judy (7)", "command:reload", "refused: owner"),
        ("guest", "shutdown", "refused: needs the owner role"),
    ]
    clock.now += 59
    assert await refusals.flush() == 0
    clock.now += 1
    assert await refusals.flush() == 1  # judy's window, the one with repeats
    assert records[-1] == (
        "judy (7)",
        "command:reload",
        "refused: owner (2 more time(s) within 60 s)",
    )

    await refusals.refused(GUEST)  # a new window for the guest…
    await refusals.refused(GUEST)  # …and a repeat, reported at close without waiting
    await refusals.close()
    assert records[-2:] == [
        ("guest", "shutdown", "refused: needs the owner role"),
        ("guest", "shutdown", "refused: needs the owner role (1 more time(s) within 60 s)"),
    ]


async def test_the_log_reports_repeats_by_itself_when_a_window_ends() -> None:
    clock = FakeClock()
    details: list[str] = []

    async def record(refusal: Refusal, detail: str) -> None:
        details.append(detail)

    refusals = RefusalLog(record, window=0.2, clock=clock)
    await refusals.refused(JUDY)
    await refusals.refused(JUDY)
    clock.now += 0.2  # the window is over; nobody calls flush(): the log's timer does
    try:
        await eventually(lambda: len(details) == 2, timeout=10)
    finally:
        await refusals.close()
    assert details == ["refused: owner", "refused: owner (1 more time(s) within 0.2 s)"]
