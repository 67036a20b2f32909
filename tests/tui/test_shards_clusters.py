"""The Shards pane with the cluster manager on: every cluster of the fleet, on a real Redis.

The console's bot is one cluster (``console``, shard 0 of 3; the shard manager and the
shard monitor loaded from its configuration); the other clusters are real
:class:`~zoryx.cluster.ClusterBus` instances on the same ``redis-server`` — two in this
process, and one in a process of its own that the test SIGKILLs, as a crash. Timings are
short (heartbeat 0.5 s, a cluster silent 2 s is dead) and every wait is on what the
screen shows.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.cluster import conftest as redis_fixtures
from tests.cluster.conftest import RedisServer
from tests.helpers.cluster_peer_proc import peer_process
from tui.app import ZoryxConsole
from tui.panes._shards_rows import shard_row
from zoryx.cluster import ClusterBus, ClusterSettings
from zoryx.runtime import Runtime

from .conftest import CONFIG, SANDBOX, Console, make_bot_dir, screen_text, show

SECRET = "console-test-ipc-secret-0123456789"
SHARD_COUNT = 3
HEARTBEAT, TIMEOUT = 0.5, 2.0
#: Only the two features this pane reads; the others would change the console.
FRAMEWORK = {
    "enable_event_hooks": False,
    "enable_plugin_registry": False,
    "enable_framework_diagnostics": False,
    "enable_slash_command_limiter": False,
    "enable_backup_restore": False,
    "enable_ai_assistant": False,
    "enable_shard_monitor": True,
    "enable_shard_manager": True,
}
# The cluster tests' real redis-server (session-wide) and a key namespace per test.
redis_session_server = redis_fixtures.redis_session_server
redis_server = redis_fixtures.redis_server
namespace = redis_fixtures.namespace
WAIT = 20.0  # seconds for the fleet to notice something on a busy machine


@pytest.fixture
def fleet_dir(tmp_path: Path) -> Path:
    return make_bot_dir(tmp_path / "bot", {**CONFIG, "framework": FRAMEWORK})


def environ(redis: RedisServer) -> dict[str, str]:
    return {
        "REDIS_URL": redis.url,
        "SHARD_IPC_SECRET": SECRET,
        "SHARD_COUNT": str(SHARD_COUNT),
        "SHARD_IDS": "0",
        "SHARD_CLUSTER_NAME": "console",
        "SHARD_HEARTBEAT_INTERVAL": str(HEARTBEAT),
        "SHARD_CLUSTER_TIMEOUT": str(TIMEOUT),
        "SHARD_STATS_INTERVAL": str(HEARTBEAT),
    }


@asynccontextmanager
async def fleet_console(
    bot_dir: Path, redis: RedisServer, namespace: str
) -> AsyncIterator[Pilot[int]]:
    """A console whose bot is the cluster ``console`` of a fleet on ``redis``."""
    runtime = Runtime(bot_dir, console_logging=False, environ=environ(redis), **SANDBOX)  # type: ignore[arg-type]
    await runtime.build()
    # The test's own key namespace on the session's Redis; a quick reconnect after a restart.
    options = {"namespace": namespace, "backoff": (0.2, 1.0)}
    runtime.services.extra["shard_manager_options"] = options
    app = ZoryxConsole(runtime=runtime)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        try:
            await asyncio.wait_for(app.ready_event.wait(), 30)
            await pilot.pause()
            yield pilot
        finally:
            if not app.shutdown_finished.is_set():
                await app.action_quit()
                await asyncio.wait_for(app.shutdown_finished.wait(), 30)


def peer_settings(redis: RedisServer, namespace: str, name: str, shard: int) -> ClusterSettings:
    return ClusterSettings(
        redis_url=redis.url,
        name=name,
        shard_count=SHARD_COUNT,
        shard_ids=(shard,),
        secret=SECRET,
        namespace=namespace,
        heartbeat=HEARTBEAT,
        timeout=TIMEOUT,
        stats_every=HEARTBEAT,
        backoff=(0.2, 1.0),
    )


def peer_stats(shard: int, guilds: int, users: int, health: str = "healthy") -> dict[str, Any]:
    row = {"id": shard, "state": "ready", "latency_ms": 12.5, "guilds": guilds, "ready": True}
    return {
        "guilds": guilds,
        "users": users,
        "latency_ms": 12.5,
        "health": health,
        "shards": [row],
    }


@asynccontextmanager
async def peers(redis: RedisServer, namespace: str) -> AsyncIterator[dict[str, ClusterBus]]:
    """Two more clusters in this process: ``peer-b`` (shard 1) and ``peer-c`` (shard 2)."""
    buses = {
        "peer-b": ClusterBus(
            peer_settings(redis, namespace, "peer-b", 1), stats=lambda: peer_stats(1, 5, 40)
        ),
        "peer-c": ClusterBus(
            peer_settings(redis, namespace, "peer-c", 2),
            stats=lambda: peer_stats(2, 7, 60, "warning"),
        ),
    }
    for bus in buses.values():
        await bus.start()
    try:
        yield buses
    finally:
        for bus in buses.values():
            await bus.stop()


def killable_peer(redis: RedisServer, namespace: str, name: str) -> Any:
    """A cluster in a process of its own (shard 1: 4 guilds, 30 users), joined."""
    return peer_process(
        redis_url=redis.url,
        namespace=namespace,
        name=name,
        shard_count=SHARD_COUNT,
        shard_ids=(1,),
        secret=SECRET,
        heartbeat=HEARTBEAT,
        timeout=TIMEOUT,
        guilds=4,
        users=30,
    )


# -- reading the screen -----------------------------------------------------------------------
def row_of(app: Any, label: str) -> str:
    """The screen line of the clusters table row that starts with ``label``."""
    lines = [line for line in screen_text(app).splitlines() if line.strip().startswith(label)]
    assert lines, f"no row {label!r} on screen:\n{screen_text(app)}"
    return lines[0]


def has_row(app: Any, label: str) -> bool:
    return any(line.strip().startswith(label) for line in screen_text(app).splitlines())


def row_contrast(app: Any, label: str) -> list[int]:
    """How far each letter's colour is from its background, on the row starting with
    ``label`` (Textual draws dim text in a colour blended towards the background)."""
    update = app.screen._compositor.render_full_update()
    for chops in update.strips:
        segments = [segment for strip in chops for segment in strip]
        if "".join(segment.text for segment in segments).strip().startswith(label):
            out = []
            for segment in segments:
                if segment.text.strip() and segment.style is not None:
                    fg = segment.style.color.get_truecolor()  # type: ignore[union-attr]
                    bg = segment.style.bgcolor.get_truecolor()  # type: ignore[union-attr]
                    out.append(sum(abs(a - b) for a, b in zip(fg, bg, strict=True)))
            return out
    raise AssertionError(f"no row {label!r} on screen")


def row_dimmed(app: Any, label: str, live: str = "console (this)") -> bool:
    """Whether the row ``label`` is drawn fainter than every letter of the row ``live``."""
    return max(row_contrast(app, label)) < min(row_contrast(app, live))


async def wait_screen(pilot: Pilot[int], check: Any, what: str) -> None:
    """Refresh the pane until ``check()`` holds (the pane also refreshes on its timer)."""
    pane = pilot.app.current_pane()

    async def settled() -> bool:
        await pane.refresh_data()
        await pilot.pause()
        return bool(check())

    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not await settled():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{screen_text(pilot.app)}")
        await pilot.pause(0.1)


def own_report(app: Any) -> Any:
    """What the console's cluster reports about itself (the bus's own member entry)."""
    bus = app.runtime.services.extra["cluster"]
    return next(info for info in bus.members() if info.name == "console")


# -- tests --------------------------------------------------------------------------------------
async def test_every_cluster_with_its_shards_health_and_global_totals(
    fleet_dir: Path, redis_server: RedisServer, namespace: str
) -> None:
    async with (
        peers(redis_server, namespace) as buses,
        fleet_console(fleet_dir, redis_server, namespace) as pilot,
    ):
        app = pilot.app
        await show(pilot, "shards")
        await wait_screen(
            pilot,
            lambda: has_row(app, "peer-c") and "3 live" in screen_text(app),
            "the three clusters",
        )
        bot = app.runtime.bot
        own = own_report(app)
        text = screen_text(app)
        assert "bus connected · 3 live" in text
        guilds = len(bot.guilds) + 5 + 7
        assert f"3 live · 3 shards · {guilds} guilds · {own.users + 40 + 60} users" in text
        # This cluster first (shard 0), then the others by their first shard.
        lines = text.splitlines()
        order = [lines.index(row_of(app, name)) for name in ("console (this)", "peer-b", "peer-c")]
        assert order == sorted(order)
        peer_b = row_of(app, "peer-b").split()
        assert peer_b[:8] == ["peer-b", "●", "live", "12.5", "ms", "5", "40", "healthy"]
        assert peer_b[9] == "ago", "the last heartbeat's age"
        assert row_of(app, "peer-c").split()[7] == "warning"
        shard_2 = row_of(app, "└ shard 2").split()
        assert shard_2[:7] == ["└", "shard", "2", "●", "ready", "12.5", "ms"] and shard_2[7] == "7"
        console_row = row_of(app, "console (this)")
        guilds_users = rf"● live\s+(\d+\.\d ms|—)\s+{len(bot.guilds)}\s+{own.users}\s"
        assert re.search(guilds_users, console_row), console_row
        # This process's shard, with the shard monitor's health beside its start-up state.
        own_shard = row_of(app, "0 ").split()
        assert own_shard[1:3] == ["●", "connected"] and "✓" in own_shard
        assert "healthy" in own_shard
        assert not row_dimmed(app, "peer-b")

        await buses["peer-b"].stop()  # leaves the fleet, said goodbye: gone, not dead
        await wait_screen(pilot, lambda: not has_row(app, "peer-b"), "peer-b to leave")
        assert "2 live · 2 shards" in screen_text(app) and "dead" not in screen_text(app)
        assert not has_row(app, "└ shard 1")


async def test_a_killed_cluster_is_dead_and_a_lost_redis_says_bus_unavailable(
    fleet_dir: Path, redis_server: RedisServer, namespace: str
) -> None:
    async with fleet_console(fleet_dir, redis_server, namespace) as pilot:
        app = pilot.app
        await show(pilot, "shards")
        async with killable_peer(redis_server, namespace, "peer-x") as process:
            await wait_screen(pilot, lambda: has_row(app, "peer-x"), "peer-x to join")
            assert row_of(app, "peer-x").split()[1:3] == ["●", "live"]
            assert not row_dimmed(app, "peer-x")
            process.kill()  # SIGKILL: no goodbye, the heartbeats just stop
            await process.wait()
            await wait_screen(pilot, lambda: "dead" in row_of(app, "peer-x"), "peer-x dead")
        dead = row_of(app, "peer-x").split()
        assert dead[1:3] == ["✕", "dead"]
        assert row_dimmed(app, "peer-x") and row_dimmed(app, "└ shard 1")
        text = screen_text(app)
        bot = app.runtime.bot
        # The totals count the live clusters only.
        assert f"1 live, 1 dead · 1 shards · {len(bot.guilds)} guilds" in text

        with redis_server.restarted():
            redis_server.kill()
            await wait_screen(pilot, lambda: "bus unavailable" in screen_text(app), "the bus down")
            # The bot keeps serving its own shard meanwhile.
            assert row_of(app, "0 ").split()[1:3] == ["●", "connected"]
            assert not bot.is_closed()
            redis_server.start()
            await wait_screen(pilot, lambda: "bus connected" in screen_text(app), "the bus back")
        assert has_row(app, "console (this)")


async def test_without_the_cluster_manager_only_this_process_shows(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        await show(pilot, "shards")
        text = screen_text(app)
        assert "1/1 shards connected" in text and "Ready" in text
        assert "Cluster" not in text and "bus " not in text
        own_shard = row_of(app, "0 ").split()
        assert "✓" in own_shard, "shard 0 is ready"


def test_ready_column_shows_start_up_progress() -> None:
    """While a shard loads its guilds the pane shows how many are ready, then a tick."""
    shard = {
        "id": 0,
        "closed": False,
        "rate_limited": False,
        "latency_ms": 40.0,
        "guilds": 2500,
        "members": 9000,
        "last_connect": None,
        "last_disconnect": None,
        "ready": False,
        "startup_state": "loading",
        "guilds_ready": 1200,
        "guilds_chunked": 300,
    }
    _, cells = shard_row(shard, [40.0], None)
    shown = [getattr(cell, "plain", cell) for cell in cells]
    assert shown[1] == "◐ starting" and shown[6] == "1,200/2,500" and shown[7] == "300"
    _, cells = shard_row({**shard, "ready": True, "startup_state": "ready"}, [40.0], None)
    assert [getattr(cell, "plain", cell) for cell in cells][6] == "✓"
    _, cells = shard_row({**shard, "closed": True, "startup_state": "connecting"}, [], None)
    assert [getattr(cell, "plain", cell) for cell in cells][1] == "◐ connecting"
