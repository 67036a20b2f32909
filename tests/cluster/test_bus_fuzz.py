"""Hostile messages published on a live bus's channels (property tests): forged, replayed,
unsigned, oversized, truncated, stale and garbage messages are refused and counted, and
the listener keeps working."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from zoryx.cluster import REASONS, ClusterBus, Signer

from .conftest import RedisServer
from .helpers import SECRET, cluster_settings, until

pytestmark = pytest.mark.asyncio(loop_scope="module")

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
KINDS = ["join", "beat", "leave", "broadcast", "query", "answer", "ack", "other"]
FIELDS = ["instance", "shard_ids", "shard_count", "pid", "host", "stats", "to", "id", "kind"]
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), values, max_size=8)


@dataclass
class Target:
    bus: ClusterBus
    peer: ClusterBus
    client: Redis
    namespace: str

    @property
    def channels(self) -> list[str]:
        return [f"{self.namespace}:bus", f"{self.namespace}:to:c0"]

    def seen(self) -> int:
        counters = self.bus.counters
        return counters["received"] + sum(counters[r] for r in REASONS)

    async def send(self, channel: int, raw: bytes) -> dict[str, int]:
        """Publish ``raw``; the counters that changed once the bus took it in."""
        before, seen = dict(self.bus.counters), self.seen()
        await self.client.publish(self.channels[channel % 2], raw)
        await until(lambda: self.seen() > seen, "the bus to take the message in")
        counters = self.bus.counters
        return {k: v - before[k] for k, v in counters.items() if v != before[k] and k != "sent"}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def target(redis_session_server: RedisServer) -> AsyncIterator[Target]:
    redis_session_server.ensure_running()
    url, namespace = redis_session_server.url, "zoryx-fuzz:bus"
    # Default (slow) heartbeats: no background traffic moves the counters mid-example.
    quiet = {"heartbeat": 30.0, "timeout": 120.0, "stats_every": 60.0}
    bus = ClusterBus(
        cluster_settings(url, namespace, "c0", (0, 1, 2), **quiet), stats=lambda: {"guilds": 7}
    )
    peer = ClusterBus(cluster_settings(url, namespace, "c1", (3, 4, 5), **quiet), stats=dict)
    await bus.start()
    await peer.start()
    client = Redis.from_url(url)
    await until(lambda: len(bus.members()) == 2 and len(peer.members()) == 2, "two clusters")
    try:
        yield Target(bus, peer, client, namespace)
    finally:
        await client.aclose()
        await peer.stop()
        await bus.stop()


async def still_serving(target: Target) -> None:
    assert target.bus.state == "connected"
    answers = await target.peer.query("stats")
    assert answers["c0"]["guilds"] == 7
    assert [m.name for m in target.bus.members()] == ["c0", "c1"]


@FUZZ
@given(junk=st.binary(max_size=4096), channel=st.integers(0, 1))
async def test_garbage_is_refused_and_counted(target: Target, junk: bytes, channel: int) -> None:
    changed = await target.send(channel, junk)
    assert set(changed) <= {"malformed", "unsigned", "bad_signature"} and sum(changed.values()) == 1
    await still_serving(target)


@FUZZ
@given(kind=st.sampled_from(KINDS), body=bodies, channel=st.integers(0, 1))
async def test_forged_messages_are_refused(
    target: Target, kind: str, body: dict[str, Any], channel: int
) -> None:
    forged = Signer("not-the-fleet-secret-at-all").seal(kind, "c1", body)
    assert await target.send(channel, forged) == {"bad_signature": 1}


@FUZZ
@given(kind=st.sampled_from(KINDS), body=bodies, data=st.data())
async def test_truncated_messages_are_refused(
    target: Target, kind: str, body: dict[str, Any], data: st.DataObject
) -> None:
    # a fixed timestamp keeps the length the same when hypothesis replays an example;
    # a cut message never gets as far as the freshness check
    raw = Signer(SECRET, clock=lambda: 1_700_000_000.0).seal(kind, "fuzzer", body)
    cut = data.draw(st.integers(0, len(raw) - 1), label="cut")
    changed = await target.send(cut, raw[:cut])
    assert set(changed) <= {"malformed", "bad_signature"} and sum(changed.values()) == 1


@FUZZ
@given(
    envelope=st.fixed_dictionaries(
        {"kind": st.sampled_from(KINDS), "from": st.just("c1"), "body": bodies}
    )
)
async def test_unsigned_messages_are_refused(target: Target, envelope: dict[str, Any]) -> None:
    raw = json.dumps({**envelope, "v": 1, "ts": 0.0, "nonce": "0" * 32}).encode()
    assert await target.send(0, raw) == {"unsigned": 1}


@FUZZ
@given(
    channel=st.integers(0, 1),
    skew=st.floats(min_value=120, max_value=1e6) | st.floats(min_value=-1e6, max_value=-120),
)
async def test_replayed_and_stale_messages_are_refused(
    target: Target, channel: int, skew: float
) -> None:
    ack = {"to": "c0", "id": "no-such-query"}
    raw = Signer(SECRET).seal("ack", "c1", ack)
    assert await target.send(channel, raw) == {"received": 1}  # genuine: taken once
    assert await target.send(channel, raw) == {"replayed": 1}
    old = Signer(SECRET, clock=lambda: time.time() + skew).seal("ack", "c1", ack)
    assert await target.send(channel, old) == {"stale": 1}


@FUZZ
@given(kind=st.sampled_from(KINDS), body=bodies, channel=st.integers(0, 1))
async def test_signed_nonsense_never_breaks_the_bus(
    target: Target, kind: str, body: dict[str, Any], channel: int
) -> None:
    raw = Signer(SECRET).seal(kind, "fuzzer", body)
    changed = await target.send(channel, raw)
    assert set(changed) <= {"received", "malformed"}
    assert target.bus.state == "connected"
    assert (await target.peer.query("stats"))["c0"]["guilds"] == 7


async def test_oversized_messages_are_refused(target: Target) -> None:
    for size in ((1 << 20) + 1, (1 << 20) + 4096, 3 << 20):
        assert await target.send(0, b"Z1." + b"0" * size) == {"oversized": 1}
        assert await target.send(1, b"{" + b" " * size) == {"oversized": 1}
    await still_serving(target)
