"""The shard manager cog on a real Redis: a bot (cluster ``cluster-a``) and a peer cluster.

The bot runs on a sandbox with two shards and serves the shard its guild is on; the peer
is a bare :class:`~zoryx.cluster.ClusterBus` in the test that claims the other shard. The
owner drives the bot with the commands a user would type.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.cluster.conftest import RedisServer
from zoryx.cluster import ClusterBus, ClusterSettings, Signer
from zoryx.runtime import Runtime
from zoryx.sandbox import WORLDS, Sandbox
from zoryx.sandbox.snowflake import shard_for
from zoryx.sandbox.views import SandboxMessage
from zoryx.testing import eventually

SECRET = "cog-test-ipc-secret-0123456789"
FAST = {
    "SHARD_HEARTBEAT_INTERVAL": "0.5",
    "SHARD_CLUSTER_TIMEOUT": "2",
    "SHARD_STATS_INTERVAL": "0.5",
}


@dataclass
class Fleet:
    sandbox: Sandbox
    rt: Runtime
    peer: ClusterBus
    namespace: str
    redis_url: str
    shard: int  # the bot's shard (its guild's)
    broadcasts: list[tuple[str, str, str]] = field(default_factory=list)

    def service(self) -> Any:
        return self.rt.services.extra["shard_manager"]

    async def say(self, text: str, user: str = "owner", reply: str | None = None) -> SandboxMessage:
        """Post ``text``; the bot's next message (containing ``reply`` when given)."""
        await self.sandbox.user(user).say("#general", text)
        return await self.sandbox.expect_message("#general", contains=reply, timeout=15)

    async def expect(self, contains: str) -> SandboxMessage:
        return await self.sandbox.expect_message("#general", contains=contains, timeout=15)

    def log(self) -> str:
        return "\n".join(e.haystack() for e in self.rt.log_tail.all())


def peer_settings(fleet_ns: str, url: str, name: str, ids: tuple[int, ...]) -> ClusterSettings:
    return ClusterSettings(
        redis_url=url,
        name=name,
        shard_count=2,
        shard_ids=ids,
        secret=SECRET,
        namespace=fleet_ns,
        heartbeat=0.5,
        timeout=30.0,
        stats_every=0.5,
        backoff=(0.2, 1.0),
    )


def peer_stats() -> dict[str, Any]:
    row = {"id": 0, "state": "ready", "latency_ms": 12.0, "guilds": 5, "ready": True}
    return {"guilds": 5, "users": 7, "latency_ms": 12.0, "health": "healthy", "shards": [row]}


def write_bot_dir(root: Path) -> Path:
    (root / "extensions").mkdir(parents=True)
    off = {"enable_framework_diagnostics": False, "enable_slash_command_limiter": False}
    config = {"auto_reload": False, "framework": off, "cooldowns": {"error_reply_window": 0}}
    (root / "config.json").write_text(json.dumps(config))
    return root


async def start_bot(
    sandbox: Sandbox, root: Path, url: str, namespace: str, shard: int, name: str = "cluster-a"
) -> Runtime:
    environ = {
        "ZORYX_SANDBOX_URL": sandbox.url,
        "ZORYX_SANDBOX_TOKEN": sandbox.control_token,
        "ENABLE_SHARD_MANAGER": "true",
        "REDIS_URL": url,
        "SHARD_IPC_SECRET": SECRET,
        "SHARD_COUNT": "2",
        "SHARD_IDS": str(shard),
        "SHARD_CLUSTER_NAME": name,
        **FAST,
    }
    rt = Runtime(root, console_logging=False, environ=environ)
    await rt.build()
    # Each test has its own key namespace on the session's Redis; the reconnect backoff is
    # shortened so that a Redis restart is noticed quickly.
    rt.services.extra["shard_manager_options"] = {"namespace": namespace, "backoff": (0.2, 1.0)}
    await rt.start()
    return rt


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox(world=WORLDS["empty"], shards=2)
    sb.start_in_thread()
    try:
        yield sb
    finally:
        sb.stop_thread()


def guild_shard(sandbox: Sandbox) -> int:
    (guild_id,) = sandbox.state.guilds
    return shard_for(guild_id, 2)


@pytest.fixture
async def fleet(
    sandbox: Sandbox, redis_server: RedisServer, namespace: str, tmp_path: Path
) -> AsyncIterator[Fleet]:
    shard = guild_shard(sandbox)
    peer = ClusterBus(
        peer_settings(namespace, redis_server.url, "peer", (1 - shard,)), stats=peer_stats
    )
    fleet = Fleet(sandbox, None, peer, namespace, redis_server.url, shard)  # type: ignore[arg-type]
    peer.on_broadcast(lambda sender, by, text: fleet.broadcasts.append((sender, by, text)))
    await peer.start()
    try:
        fleet.rt = await start_bot(
            sandbox, write_bot_dir(tmp_path / "bot"), redis_server.url, namespace, shard
        )
        try:
            yield fleet
        finally:
            await fleet.rt.shutdown("test done")
    finally:
        await peer.stop()


def fields(msg: SandboxMessage) -> dict[str, str]:
    return {f["name"]: f["value"] for f in msg.embeds[0].get("fields", [])}


def description(msg: SandboxMessage) -> str:
    return str(msg.embeds[0].get("description") or "")


def title(msg: SandboxMessage) -> str:
    return str(msg.embeds[0].get("title") or "")


# -- the fleet view ---------------------------------------------------------------------------
async def test_clusters_lists_every_cluster_with_the_fleet_totals(fleet: Fleet) -> None:
    reply = await fleet.say("!clusters")
    text = description(reply)
    assert "Bus: **connected** · this cluster: **cluster-a**" in text
    # The bot's one guild plus the peer's five; one shard each.
    assert "**2** live cluster(s) · **2** shard(s) · **6** guild(s)" in text
    listed = fields(reply)
    own = next(v for k, v in listed.items() if "cluster-a (this cluster)" in k)
    assert f"Shards {fleet.shard} of 2 · 1/1 ready" in own and "1 guild(s)" in own
    peer = next(v for k, v in listed.items() if k.endswith(" peer"))
    assert "5 guild(s) · 7 user(s) · 12 ms" in peer and "Health: healthy" in peer
    assert "last heartbeat <t:" in peer

    # A member who is not a bot owner sees nothing of the fleet.
    refusal = await fleet.say("!clusters", user="alice")
    assert "bot owner" in refusal.text().lower() and "peer" not in json.dumps(refusal.raw)


async def test_broadcast_reaches_every_cluster_and_is_announced(fleet: Fleet) -> None:
    reply = await fleet.say("!clusteralerts")
    assert title(reply) == "✅ Cluster announcements set"
    reply = await fleet.say("!broadcastmsg Maintenance at noon", reply="Received by")
    assert title(reply) == "✅ Broadcast sent"
    assert "Received by **2** of 2 live cluster(s)" in description(reply)
    await eventually(lambda: len(fleet.broadcasts) == 1, timeout=10)
    sender, by, text = fleet.broadcasts[0]
    assert (sender, text) == ("cluster-a", "Maintenance at noon") and by.startswith("owner")
    own = await fleet.expect("Maintenance at noon")  # this cluster announces it as well
    assert title(own) == "📢 Broadcast from cluster-a"

    await fleet.peer.broadcast("Deploy finished", "ops")
    announced = await fleet.expect("Deploy finished")
    assert title(announced) == "📢 Broadcast from peer"
    assert "by ops · received by cluster-a" in announced.embeds[0]["footer"]["text"]
    await eventually(lambda: "broadcast from cluster peer (by ops)" in fleet.log(), timeout=10)

    # A member cannot broadcast.
    refusal = await fleet.say("!broadcastmsg spam", user="alice")
    assert "bot owner" in refusal.text().lower()
    assert [b[2] for b in fleet.broadcasts] == ["Maintenance at noon", "Deploy finished"]


async def test_clusters_joining_and_leaving_are_logged_and_announced(fleet: Fleet) -> None:
    await fleet.say("!clusteralerts #general")
    other = ClusterBus(peer_settings(fleet.namespace, fleet.redis_url, "late", ()), stats=dict)
    await other.start()
    joined = await fleet.expect("Cluster late joined")
    assert "cluster late joined the fleet" in description(joined)
    await other.stop()
    left = await fleet.expect("Cluster late left")
    assert "cluster late left the fleet" in description(left)
    log = fleet.log()
    assert "cluster late joined the fleet" in log and "cluster late left the fleet" in log
    # Turned off: the next event is only logged.
    reply = await fleet.say("!clusteralerts off")
    assert title(reply) == "✅ Cluster announcements off"
    other = ClusterBus(peer_settings(fleet.namespace, fleet.redis_url, "again", ()), stats=dict)
    await other.start()
    try:
        await eventually(lambda: "cluster again joined the fleet" in fleet.log(), timeout=10)
        assert not fleet.sandbox.messages("#general")[-1].text().count("again")
    finally:
        await other.stop()


# -- the bus's health ---------------------------------------------------------------------------
async def test_ipcstatus_counts_forged_and_garbage_messages(fleet: Fleet) -> None:
    redis = Redis.from_url(fleet.redis_url)
    try:
        channel = f"{fleet.namespace}:bus"
        forged = Signer("not-the-fleet-secret-at-all").seal("broadcast", "peer", {"text": "x"})
        await redis.publish(channel, forged)
        await redis.publish(channel, b"\x00 not a bus message")
    finally:
        await redis.aclose()
    bus = fleet.rt.services.extra["cluster"]
    await eventually(lambda: bus.counters["bad_signature"] + bus.counters["malformed"] >= 2, 10)
    reply = await fleet.say("!ipcstatus")
    assert "bus **connected**" in description(reply)
    listed = fields(reply)
    assert listed["Redis"].startswith("reachable")
    dropped = listed["Dropped messages (2)"]
    assert "bad signature: 1" in dropped and "malformed: 1" in dropped
    assert fleet.broadcasts == []  # the forged broadcast reached no one
    assert SECRET not in json.dumps(reply.raw)


async def test_redis_down_shows_the_bus_unavailable_and_the_bot_keeps_answering(
    fleet: Fleet, redis_server: RedisServer
) -> None:
    bus = fleet.rt.services.extra["cluster"]
    with redis_server.restarted():
        redis_server.kill()
        await eventually(lambda: bus.state == "unavailable", timeout=30)
        reply = await fleet.say("!clusters")
        assert "bus unavailable" in description(reply)
        reply = await fleet.say("!ipcstatus")
        assert fields(reply)["Redis"].startswith("not reachable")
        reply = await fleet.say("!broadcastmsg anyone?")
        assert title(reply) == "❌ Not sent" and "unavailable" in description(reply)
        redis_server.start()
        await eventually(lambda: bus.state == "connected", timeout=30)
    await eventually(lambda: len([m for m in bus.members() if m.alive]) == 2, timeout=30)
    reply = await fleet.say("!clusters")
    assert "**2** live cluster(s)" in description(reply)


# -- refusal and identify --------------------------------------------------------------------
async def test_a_refused_cluster_says_why_and_keeps_serving_its_shard(
    sandbox: Sandbox, redis_server: RedisServer, namespace: str, tmp_path: Path
) -> None:
    shard = guild_shard(sandbox)
    holder = ClusterBus(
        peer_settings(namespace, redis_server.url, "cluster-a", (1 - shard,)), stats=peer_stats
    )
    await holder.start()
    try:
        rt = await start_bot(
            sandbox, write_bot_dir(tmp_path / "bot"), redis_server.url, namespace, shard
        )
        try:
            assert "cogs.shard_manager" not in rt.bot.framework_failures
            fleet = Fleet(sandbox, rt, holder, namespace, redis_server.url, shard)
            reply = await fleet.say("!clusters")
            assert title(reply) == "❌ 🧩 Clusters"
            assert "cluster name 'cluster-a' is already taken" in description(reply)
            assert "keeps serving its shards alone" in description(reply)
            reply = await fleet.say("!broadcastmsg hello")
            assert title(reply) == "❌ Not sent" and "not in the fleet" in description(reply)
            assert "is not part of the fleet" in fleet.log()
        finally:
            await rt.shutdown("test done")
    finally:
        await holder.stop()


async def test_the_first_identify_waits_for_the_fleet_budget(
    sandbox: Sandbox, redis_server: RedisServer, namespace: str, tmp_path: Path
) -> None:
    # Another cluster of the fleet has just taken bucket 0 (max_concurrency 1): 3 s left.
    redis = Redis.from_url(redis_server.url)
    try:
        await redis.set(f"{namespace}:identify:1:0", "other", px=3000)
        taken_until = time.time() + 3.0
    finally:
        await redis.aclose()
    rt = await start_bot(
        sandbox, write_bot_dir(tmp_path / "bot"), redis_server.url, namespace, guild_shard(sandbox)
    )
    try:
        accepted = [r for r in sandbox.gateway.identify_limits.records() if r.accepted]
        assert len(accepted) == 1
        assert accepted[0].time >= taken_until - 0.05
    finally:
        await rt.shutdown("test done")


def test_a_large_fleet_fits_in_one_discord_embed() -> None:
    from cogs.shard_manager import render
    from zoryx.cluster import ClusterInfo

    infos = [
        ClusterInfo(
            name=f"cluster-{i:03d}-" + "x" * 40,
            shard_ids=tuple(range(i, 1000, 7)),
            shard_count=1000,
            guilds=10**6,
            users=10**8,
            latency_ms=1234.5,
            health="warning",
            last_heartbeat=1.7e9,
            alive=i % 3 != 0,
            pid=4_000_000,
            host="h" * 255,
        )
        for i in range(100)
    ]
    totals = {"clusters": 66, "shards": 1000, "guilds": 10**8, "users": 10**10}
    embed = render.clusters("cluster-000", "connected", None, infos, totals)
    assert len(embed) <= 6000 and len(embed.fields) <= 25  # what Discord accepts
    shown = len(embed.fields) - 1
    assert embed.fields[-1].value == f"and {100 - shown} more cluster(s)"
    assert all(len(f.value or "") <= 1024 for f in embed.fields)
