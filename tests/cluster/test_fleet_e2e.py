"""End to end: ``zoryx cluster --clusters 3`` on one Redis and a 6-shard sandbox.

The launcher runs as a real subprocess and starts three ``zoryx run`` processes
(cluster-0: shards 0-1, cluster-1: 2-3, cluster-2: 4-5). Each shard holds two guilds of
the sandbox world built here. The test then checks what an operator sees:

- ``clusters`` asked in a guild of each cluster lists all three with the fleet's totals;
- ``broadcastmsg`` reaches all three, and each one logs it;
- the fleet's IDENTIFYs share one budget: with max_concurrency 2, the three processes'
  first shards (0, 2, 4) are all in bucket 0, yet no two IDENTIFYs of a bucket land
  within 5 s and the sandbox refuses none;
- SIGKILL cluster-1: the other two see it go silent within the (short) timeout and
  announce it, the launcher restarts it, it rejoins and its guilds answer commands again;
- SIGTERM to the launcher stops every cluster gracefully.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import RedisServer
from zoryx.sandbox import Sandbox
from zoryx.sandbox.constants import ChannelType
from zoryx.sandbox.snowflake import DISCORD_EPOCH_MS, shard_for
from zoryx.sandbox.views import SandboxMessage
from zoryx.testing import eventually

SHARDS = 6
GUILDS_PER_SHARD = 2
SECRET = "fleet-e2e-ipc-secret-0123456789"
CLUSTERS = {"cluster-0": (0, 1), "cluster-1": (2, 3), "cluster-2": (4, 5)}
TIMEOUT = 3.0  # seconds of silence after which a cluster is dead (heartbeat 0.5 s)
MAX_CONCURRENCY = 2  # buckets: even shards in one, odd ones in the other
RESTART_DELAY = 5.0  # longer than the timeout: the others see it go before it is back

pytestmark = pytest.mark.timeout(240)


def fleet_world(state: Any, app: Any) -> None:
    """An owner, a member and two guilds on each of the six shards, with #general."""
    from zoryx.sandbox import payloads

    owner = int(state.create_user("owner")["id"])
    state.owner_user_id = owner
    alice = int(state.create_user("alice")["id"])
    # Snowflakes from a day ago (never met by new IDs), one millisecond per guild:
    # Discord routes a guild to shard (id >> 22) % shard_count.
    base = int(time.time() * 1000) - DISCORD_EPOCH_MS - 86_400_000
    base -= base % SHARDS
    for index in range(SHARDS * GUILDS_PER_SHARD):
        gid = ((base + index) << 22) | 1
        guild = state.create_guild(f"Guild {index}", owner, gid=gid)
        state.create_channel(guild, ChannelType.GUILD_TEXT, "general", position=0, dispatch=False)
        guild.members[alice] = payloads.member_fields(0)
        state.add_member(guild, app.bot_id, dispatch=False)


class Output:
    """The launcher's output lines, read by a thread while it runs."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def text(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def count(self, pattern: str) -> int:
        return len(re.findall(pattern, self.text()))

    def tail(self, n: int = 80) -> str:
        with self._lock:
            return "\n".join(self.lines[-n:])


@dataclass
class Fleet:
    sandbox: Sandbox
    proc: subprocess.Popen[str]
    out: Output
    bot_dir: Path

    def guild_of(self, cluster: str) -> int:
        shard = CLUSTERS[cluster][0]
        return next(g for g in sorted(self.sandbox.state.guilds) if shard_for(g, SHARDS) == shard)

    async def say(self, cluster: str, text: str, contains: str | None = None) -> SandboxMessage:
        """The owner posts in #general of a guild ``cluster`` runs; the bot's reply there."""
        guild = self.guild_of(cluster)
        await self.sandbox.user("owner").say("#general", text, guild=guild)
        return await self.sandbox.expect_message(
            "#general", guild=guild, contains=contains, timeout=30
        )

    async def clusters_view(self, cluster: str) -> SandboxMessage:
        """Ask ``clusters`` in a guild of ``cluster`` until the whole fleet shows up ready
        (each cluster's stats reach the others every 0.5 s); the last reply."""
        deadline = time.monotonic() + 60
        while True:
            reply = await self.say(cluster, "!clusters", contains="Clusters")
            if _fleet_ready(reply) or time.monotonic() > deadline:
                return reply

    def log(self, cluster: str) -> str:
        """What ``cluster`` wrote to its log file (in its own directory) in this run."""
        path = self.bot_dir / "data" / "clusters" / cluster / "botlogs" / "current_run.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def pid_of(self, cluster: str) -> int:
        found = re.findall(rf"{cluster} started \(pid (\d+)\)", self.out.text())
        return int(found[-1])


TOTALS = "**3** live cluster(s) · **6** shard(s) · **12** guild(s)"


def _fleet_ready(reply: SandboxMessage) -> bool:
    fields = [f["value"] for f in reply.embeds[0].get("fields", [])] if reply.embeds else []
    return TOTALS in _description(reply) and sum("2/2 ready" in v for v in fields) == 3


def _description(msg: SandboxMessage) -> str:
    return str(msg.embeds[0].get("description") or "") if msg.embeds else msg.content


def _launcher_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHARD_", "ZORYX_"))}
    env.pop("DISCORD_TOKEN", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _write_bot_dir(root: Path, sandbox: Sandbox, redis_url: str) -> Path:
    (root / "extensions").mkdir(parents=True)
    off = {"enable_framework_diagnostics": False, "enable_slash_command_limiter": False}
    config = {"auto_reload": False, "framework": off, "cooldowns": {"error_reply_window": 0}}
    (root / "config.json").write_text(json.dumps(config))
    env = {
        "ZORYX_SANDBOX_URL": sandbox.url,
        "ZORYX_SANDBOX_TOKEN": sandbox.control_token,
        "ENABLE_SHARD_MANAGER": "true",
        "REDIS_URL": redis_url,
        "SHARD_IPC_SECRET": SECRET,
        "SHARD_HEARTBEAT_INTERVAL": "0.5",
        "SHARD_CLUSTER_TIMEOUT": str(TIMEOUT),
        "SHARD_STATS_INTERVAL": "0.5",
    }
    (root / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    (root / ".env").chmod(0o600)
    return root


@pytest.fixture
def fleet(tmp_path: Path, redis_server: RedisServer) -> Iterator[Fleet]:
    sandbox = Sandbox(world=fleet_world, shards=SHARDS, max_concurrency=MAX_CONCURRENCY)
    sandbox.start_in_thread()
    bot_dir = _write_bot_dir(tmp_path / "bot", sandbox, redis_server.url)
    command = ["zoryx", "cluster", "--clusters", "3", "--shards", str(SHARDS)]
    command += ["--dir", str(bot_dir), "--stop-timeout", "20"]
    command += ["--restart-delay", str(RESTART_DELAY)]
    proc = subprocess.Popen(
        [sys.executable, "-m", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_launcher_env(),
    )
    out = Output(proc)
    try:
        yield Fleet(sandbox, proc, out, bot_dir)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(40)
            except subprocess.TimeoutExpired:
                proc.kill()
        _kill_leftovers(bot_dir)
        sandbox.stop_thread()


def _kill_leftovers(bot_dir: Path) -> None:
    """A failed test must not leave cluster processes behind (their pid is in the lock)."""
    for lock in bot_dir.glob("data/clusters/*/data/zoryx.lock"):
        text = lock.read_text().strip()
        if text.isdigit():
            try:
                os.kill(int(text), signal.SIGKILL)
            except ProcessLookupError:
                pass


async def test_three_clusters_act_as_one_bot_and_survive_a_kill(fleet: Fleet) -> None:
    out = fleet.out

    async def until(check: Any, what: str, timeout: float = 90) -> None:
        try:
            await eventually(check, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"{what}; launcher output:\n{out.tail()}") from None

    # The launcher says which cluster owns which shards, then every cluster gets ready.
    await until(lambda: "cluster-2    shards 4-5 of 6" in out.text(), "no shard plan")
    assert "cluster-0    shards 0-1 of 6" in out.text()
    assert "cluster-1    shards 2-3 of 6" in out.text()
    for name in CLUSTERS:
        await until(lambda n=name: out.count(rf"\[{n}\] Zoryx ready:") == 1, f"{name} not ready")

    # Any cluster's view lists all three with the fleet's totals.
    for name in CLUSTERS:
        reply = await fleet.clusters_view(name)
        assert TOTALS in _description(reply), _description(reply)
        assert f"this cluster: **{name}**" in _description(reply)
        listed = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
        for other, ids in CLUSTERS.items():
            value = next(v for k, v in listed.items() if other in k)
            assert f"Shards {ids[0]}-{ids[1]} of 6 · 2/2 ready" in value
            assert "4 guild(s)" in value

    # The launcher holds the bot directory: a plain `zoryx run` on it is refused.
    run = [sys.executable, "-m", "zoryx", "run", "--dir", str(fleet.bot_dir)]
    refused = await asyncio.to_thread(
        subprocess.run, run, capture_output=True, text=True, env=_launcher_env(), timeout=60
    )
    assert refused.returncode == 1
    assert f"already in use by process {fleet.proc.pid}" in refused.stderr

    # The IDENTIFYs of the three processes shared one budget: none was refused.
    limits = fleet.sandbox.gateway.identify_limits
    assert limits.refused == 0
    accepted = [r for r in limits.records() if r.accepted]
    assert sorted(r.shard_id for r in accepted) == list(range(SHARDS))
    for bucket in range(MAX_CONCURRENCY):
        times = sorted(r.monotonic for r in accepted if r.bucket == bucket)
        assert all(b - a >= 5.0 for a, b in itertools.pairwise(times))

    # cluster-0 announces fleet events in its guild's #general.
    reply = await fleet.say("cluster-0", "!clusteralerts", contains="announcements set")
    # A broadcast from cluster-1 reaches every cluster, and each logs it.
    reply = await fleet.say("cluster-1", "!broadcastmsg Fleet check", contains="Received by")
    assert "Received by **3** of 3 live cluster(s)" in _description(reply)
    for name in CLUSTERS:
        await until(
            lambda n=name: f"received by {n}: Fleet check" in fleet.log(n), f"{name} no broadcast"
        )
    await fleet.sandbox.expect_message(
        "#general", guild=fleet.guild_of("cluster-0"), contains="Fleet check", timeout=30
    )

    # SIGKILL cluster-1: the others see it go silent, the launcher restarts it.
    os.kill(fleet.pid_of("cluster-1"), signal.SIGKILL)
    for name in ("cluster-0", "cluster-2"):
        await until(
            lambda n=name: "cluster cluster-1 went silent" in fleet.log(n),
            f"{name} did not see cluster-1 go",
            timeout=60,
        )
    gone = await fleet.sandbox.expect_message(
        "#general", guild=fleet.guild_of("cluster-0"), contains="cluster-1 is gone", timeout=30
    )
    assert "went silent" in _description(gone)
    await until(
        lambda: "cluster-1 died (killed by SIGKILL); restarting in 5s" in out.text(), "no restart"
    )
    await until(lambda: out.count(r"\[cluster-1\] Zoryx ready:") == 2, "cluster-1 not back")
    for name in ("cluster-0", "cluster-2"):
        await until(
            lambda n=name: fleet.log(n).count("cluster cluster-1 joined the fleet") >= 2,
            f"{name} did not see cluster-1 rejoin",
        )
    await fleet.sandbox.expect_message(
        "#general",
        guild=fleet.guild_of("cluster-0"),
        contains="Cluster cluster-1 joined",
        timeout=30,
    )
    # Its guilds answer again, and it sees the whole fleet.
    reply = await fleet.clusters_view("cluster-1")
    assert TOTALS in _description(reply) and "this cluster: **cluster-1**" in _description(reply)
    assert fleet.sandbox.gateway.identify_limits.refused == 0

    # SIGTERM stops the launcher and every cluster gracefully.
    pids = [fleet.pid_of(name) for name in CLUSTERS]
    fleet.proc.send_signal(signal.SIGTERM)
    assert fleet.proc.wait(60) == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    for name in CLUSTERS:
        assert "shutting down (SIGTERM)" in fleet.log(name)
        assert SECRET not in fleet.log(name)
    assert SECRET not in out.text()
