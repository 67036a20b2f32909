"""Unit tests of the event-hook service, its circuit breaker and alert throttle."""

from __future__ import annotations

import asyncio
import time
import types
from typing import Any

import pytest

from cogs.event_hooks.breaker import AlertThrottle, CircuitBreaker
from cogs.event_hooks.service import EventHookService
from zoryx.hooks import HookService

from .conftest import FakeClock, eventually


class Alerts:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    async def __call__(self, kind: str, message: str) -> None:
        self.items.append((kind, message))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.items]


def make(**options: Any) -> tuple[EventHookService, Alerts]:
    alerts = Alerts()
    service = EventHookService(alert=alerts, **options)
    return service, alerts


async def settle(service: EventHookService) -> None:
    await service.drain()
    await asyncio.sleep(0)  # let alert tasks run


# -- breaker & throttle --------------------------------------------------------------------
def test_breaker_opens_half_opens_and_closes() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(clock=clock)
    for _ in range(4):
        assert breaker.allow()
        assert breaker.record_failure() is False
    assert breaker.state == "closed"
    assert breaker.record_failure() is True
    assert breaker.state == "open" and not breaker.allow()
    clock.advance(59.9)
    assert breaker.state == "open"
    clock.advance(0.1)
    assert breaker.state == "half-open"
    assert breaker.allow() is True
    assert breaker.allow() is False  # one trial at a time
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_breaker_failures_outside_the_window_do_not_open_it() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(clock=clock)
    for _ in range(4):
        breaker.record_failure()
    clock.advance(301)
    assert breaker.record_failure() is False
    assert breaker.state == "closed"


def test_breaker_half_open_failure_reopens_and_reset_closes() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=2, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.advance(60)
    assert breaker.allow()
    assert breaker.record_failure() is True
    assert breaker.state == "open" and breaker.opened_count == 2
    breaker.reset()
    assert breaker.state == "closed"


def test_throttle_one_per_kind_per_interval() -> None:
    clock = FakeClock()
    throttle = AlertThrottle(300, clock)
    assert throttle.allow("queue_full")
    assert not throttle.allow("queue_full")
    assert throttle.allow("worker_crash")
    clock.advance(300)
    assert throttle.allow("queue_full")
    assert throttle.suppressed == 1


# -- registration ----------------------------------------------------------------------------
async def test_priority_order_higher_first() -> None:
    service, _ = make()
    order: list[str] = []

    async def low(bot: Any) -> None:
        order.append("low")

    async def high(bot: Any) -> None:
        order.append("high")

    async def mid(bot: Any) -> None:
        order.append("mid")

    service.register("evt", low)
    service.register("evt", high, priority=15)
    service.register("evt", mid, priority=10)
    service.start()
    await service.emit("evt")
    await settle(service)
    assert order == ["high", "mid", "low"]
    assert [h.hook_id for h in service.hooks()] == ["evt:high", "evt:mid", "evt:low"]
    await service.stop()


async def test_double_registration_is_ignored() -> None:
    service, _ = make()
    calls: list[int] = []

    class Listener:
        async def on_evt(self, bot: Any, n: int) -> None:
            calls.append(n)

    listener = Listener()
    first = service.register("evt", listener.on_evt)
    second = service.register("evt", listener.on_evt, priority=3)  # a new bound method object
    assert first == second == "evt:Listener.on_evt"
    # A fresh instance (a cog re-created on reconnect/reload) replaces, not accumulates.
    service.register("evt", Listener().on_evt)
    assert len(service.hooks()) == 1 and service.hooks()[0].priority == 0
    service.start()
    await service.emit("evt", n=1)
    await settle(service)
    assert calls == [1]
    assert service.unregister("evt", listener.on_evt) is True
    assert service.hooks() == []
    await service.stop()


async def test_same_name_from_another_module_gets_its_own_id() -> None:
    service, _ = make()

    async def handler(bot: Any) -> None:
        pass

    # The same function defined in another module (another extension).
    other = types.FunctionType(handler.__code__, {"__name__": "extensions.other"}, "handler")
    other.__qualname__ = handler.__qualname__
    a = service.register("evt", handler)
    b = service.register("evt", other)
    assert a != b and b.startswith("evt:extensions.other.")
    assert len(service.hooks()) == 2


def test_register_rejects_bad_input() -> None:
    service, _ = make()
    with pytest.raises(ValueError):
        service.register("bad:event", lambda: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError):
        service.register("evt", "not callable")  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        service.set_enabled("evt:nothing", False)


# -- timeouts and isolation ------------------------------------------------------------------
async def test_timeout_is_a_failure() -> None:
    service, _ = make(timeout=0.2)

    async def sleeper(bot: Any) -> None:
        await asyncio.sleep(30)

    service.register("evt", sleeper)
    service.start()
    started = time.perf_counter()
    await service.emit("evt")
    await settle(service)
    assert time.perf_counter() - started < 2
    (info,) = service.hooks()
    assert info.calls == 1 and info.failures == 1
    assert info.last_error == "timed out after 0.2s"
    (entry,) = service.history()
    assert not entry.ok and 150 < entry.duration_ms < 1500
    await service.stop()


async def test_hung_hook_does_not_delay_other_hooks_or_events() -> None:
    service, _ = make()  # default 10 s timeout: the sleeper stays hung during the test
    done: dict[str, float] = {}

    async def hung(bot: Any) -> None:
        await asyncio.sleep(30)

    async def same_event_lower_priority(bot: Any) -> None:
        done["same"] = time.perf_counter()

    async def other_event(bot: Any) -> None:
        done["other"] = time.perf_counter()

    service.register("slow", hung, priority=100)
    service.register("slow", same_event_lower_priority)
    service.register("fast", other_event)
    service.start()
    start = time.perf_counter()
    await service.emit("slow")
    await service.emit("fast")
    await asyncio.wait_for(_until(lambda: len(done) == 2), 1.0)
    assert max(done.values()) - start < 0.2
    assert service.stats()["running"] == 1  # only the hung hook's lane is busy
    await service.stop()


async def _until(predicate: Any) -> None:
    await eventually(predicate, timeout=5)


# -- circuit breaker in the service --------------------------------------------------------
async def test_breaker_cycle_in_service_with_alert() -> None:
    clock = FakeClock()
    service, alerts = make(clock=clock)
    state = {"fail": True, "calls": 0}

    async def flaky(bot: Any) -> None:
        state["calls"] += 1
        if state["fail"]:
            raise RuntimeError("boom")

    hook_id = service.register("evt", flaky)
    service.start()
    for _ in range(5):
        await service.emit("evt")
        await settle(service)
    assert service.hooks()[0].circuit == "open"
    assert alerts.kinds() == [f"circuit_open:{hook_id}"]
    await service.emit("evt")
    await settle(service)
    assert state["calls"] == 5  # skipped while open
    clock.advance(60)
    assert service.hooks()[0].circuit == "half-open"
    state["fail"] = False
    await service.emit("evt")
    await settle(service)
    assert state["calls"] == 6
    assert service.hooks()[0].circuit == "closed"
    await service.stop()


async def test_timeouts_open_the_breaker_and_manual_reset() -> None:
    clock = FakeClock()
    service, _alerts = make(clock=clock, timeout=0.01)

    async def sleeper(bot: Any) -> None:
        await asyncio.sleep(1)

    hook_id = service.register("evt", sleeper)
    service.start()
    for _ in range(5):
        await service.emit("evt")
    await settle(service)
    assert service.hooks()[0].circuit == "open"
    assert service.hooks()[0].failures == 5
    service.reset_circuit(hook_id)
    assert service.hooks()[0].circuit == "closed"
    await service.stop()


async def test_disabled_hook_does_not_run() -> None:
    service, _ = make()
    calls: list[str] = []

    async def hook(bot: Any) -> None:
        calls.append("x")

    hook_id = service.register("evt", hook)
    service.set_enabled(hook_id, False)
    assert service.hooks()[0].enabled is False
    service.start()
    await service.emit("evt")
    await settle(service)
    assert calls == []
    service.set_enabled(hook_id, True)
    await service.emit("evt")
    await settle(service)
    assert calls == ["x"]
    await service.stop()


# -- queue: cheap emit, backpressure, drop -------------------------------------------------
async def test_emit_without_listeners_queues_nothing() -> None:
    service, _ = make()
    await service.emit("nobody_listens", x=1)
    assert service.stats()["queue"] == 0 and service.stats()["emitted"] == 1


async def test_backpressure_then_drop_with_throttled_alert() -> None:
    service, alerts = make(queue_size=2, backpressure=0.1)

    async def hook(bot: Any) -> None:
        pass

    service.register("evt", hook)  # worker not started: the queue fills up
    await service.emit("evt")
    await service.emit("evt")
    started = time.perf_counter()
    await service.emit("evt")
    assert 0.09 < time.perf_counter() - started < 1
    await service.emit("evt")
    await asyncio.sleep(0)
    assert service.stats()["dropped"] == 2
    assert alerts.kinds() == ["queue_full"]  # the second drop is throttled
    assert "dropped `evt`" in alerts.items[0][1]


async def test_backpressure_waits_for_room() -> None:
    service, _ = make(queue_size=1, backpressure=2)
    ran: list[int] = []

    async def hook(bot: Any, n: int) -> None:
        ran.append(n)

    service.register("evt", hook)
    await service.emit("evt", n=1)
    waiter = asyncio.create_task(service.emit("evt", n=2))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    service.start()
    await asyncio.wait_for(waiter, 1)
    await settle(service)
    assert ran == [1, 2] and service.dropped == 0
    await service.stop()


# -- worker supervision ----------------------------------------------------------------------
async def test_worker_restarts_after_a_crash() -> None:
    service, alerts = make(restart_delay=0)
    ran: list[int] = []

    async def hook(bot: Any, n: int) -> None:
        ran.append(n)

    service.register("evt", hook)
    real = service._dispatch
    crashes = {"left": 1}

    def crashing(item: Any) -> None:
        if crashes["left"]:
            crashes["left"] -= 1
            raise RuntimeError("dispatcher bug")
        real(item)

    service._dispatch = crashing  # type: ignore[method-assign]
    service.start()
    await service.emit("evt", n=1)
    await service.emit("evt", n=2)
    await settle(service)
    assert ran == [2]  # the event being dispatched during the crash is lost, not the worker
    assert service.stats()["restarts"] == 1 and service.worker_state == "running"
    assert alerts.kinds() == ["worker_crash"]
    assert "attempt 1/10" in alerts.items[0][1]
    await service.stop()


async def test_worker_gives_up_after_ten_restarts() -> None:
    service, alerts = make(restart_delay=0)

    async def hook(bot: Any) -> None:
        pass

    def always(item: Any) -> None:
        raise RuntimeError("broken")

    service.register("evt", hook)
    service._dispatch = always  # type: ignore[method-assign]
    service.start()
    for _ in range(11):
        await service.emit("evt")
        await asyncio.sleep(0.01)
    await asyncio.wait_for(_until(lambda: service.worker_state == "dead"), 2)
    assert service.stats()["restarts"] == 10
    await asyncio.sleep(0)
    assert alerts.kinds() == ["worker_crash", "worker_dead"]  # crash alerts throttled


# -- metrics & history ------------------------------------------------------------------------
async def test_metrics_and_bounded_history() -> None:
    service, _ = make()

    async def ok(bot: Any, **_: Any) -> None:
        await asyncio.sleep(0.001)

    async def bad(bot: Any, **_: Any) -> None:
        raise ValueError("nope")

    service.register("a", ok)
    service.register("b", bad)
    for i in range(60):
        await service.emit("a", i=i)
        await service.emit("b", i=i)
    await asyncio.sleep(0.05)  # queue delay: events wait for the worker
    service.start()
    await settle(service)
    infos = {h.hook_id: h for h in service.hooks()}
    assert infos["a:ok"].calls == 60 and infos["a:ok"].failures == 0
    assert infos["a:ok"].mean_ms >= 1.0
    assert infos["a:ok"].mean_queue_ms >= 40
    # The breaker opened after 5 failures: the rest of the backlog was skipped, not run.
    assert infos["b:bad"].calls == infos["b:bad"].failures == 5
    assert infos["b:bad"].last_error == "ValueError: nope" and infos["b:bad"].circuit == "open"
    assert len(service.history(1000)) == 65
    for i in range(60):
        await service.emit("a", i=i)
    await settle(service)
    assert len(service.history(1000)) == 100
    assert len(service.history(1000, "a")) == 20
    assert len(service.history(1000, "b")) == 5
    assert len(service.history(5)) == 5
    newest = service.history(1)[0]
    assert newest.at >= service.history(2)[1].at
    await service.stop()


async def test_sync_callbacks_are_accepted() -> None:
    service, _ = make()
    seen: list[int] = []
    service.register("evt", lambda bot, n: seen.append(n))  # type: ignore[arg-type,return-value]
    service.start()
    await service.emit("evt", n=7)
    await settle(service)
    assert seen == [7] and service.history()[0].ok
    await service.stop()


def test_implements_the_hook_service_protocol() -> None:
    service: HookService = EventHookService()  # checked by mypy
    assert service.stats()["queue_size"] == 1000 and service.stats()["timeout_s"] == 10.0


async def test_a_burst_larger_than_a_lane_reaches_healthy_hooks_without_drops() -> None:
    from cogs.event_hooks.service import EventHookService

    service = EventHookService(queue_size=1000, lane_size=100)
    service.start()
    seen: dict[str, int] = {"a": 0, "b": 0}

    async def hook_a(bot: Any, **kwargs: object) -> None:
        seen["a"] += 1

    async def hook_b(bot: Any, **kwargs: object) -> None:
        seen["b"] += 1

    service.register("burst", hook_a)
    service.register("burst", hook_b)
    for n in range(600):  # queued without yielding: more than a lane holds
        await service.emit("burst", n=n)
    await service.drain()
    await service.stop()
    assert seen == {"a": 600, "b": 600}
    assert all(h.failures == 0 for h in service.hooks())
