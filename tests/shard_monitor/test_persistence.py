"""The background loops, the saved statistics across a restart, and the feature switched off."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from zoryx.readmodel.registry import read_view

from .conftest import HOUR, ask, bot_dir, say, service, start, text_of, title, wait_for

FAST = {"collect_interval": 0.2, "health_interval": 0.3, "persist_interval": 0.4}


def saved_messages(path: Path) -> dict[str, int]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return {sid: shard["messages"] for sid, shard in data["shards"].items()}


async def test_loops_collect_check_and_save_and_a_restart_keeps_it_all(tmp_path: Path) -> None:
    root = bot_dir(tmp_path)
    rt = await start(root, options=FAST)
    metrics = root / "data" / "shard_monitor" / "shard_metrics.json"
    try:
        svc = service(rt)
        await ask(rt, "!shardalerts #off-topic 4")
        await say(rt, 1, "hello from shard one", user="carol")
        await wait_for(lambda: svc.shard(1).messages == 1)
        # The loops run by themselves: samples, health checks and the file on disk.
        await wait_for(lambda: len(svc.shard(0).samples) >= 2 and svc.checks >= 2)
        await wait_for(lambda: saved_messages(metrics).get("1") == 1)
        assert svc.snapshot().last_check is not None
        before = {sid: svc.shard(sid).messages for sid in (0, 1)}
    finally:
        await rt.shutdown()
    # The shutdown saved the last counts.
    assert saved_messages(metrics) == {str(sid): n for sid, n in before.items()}

    second = await start(root, options={"collect_interval": HOUR, "health_interval": HOUR})
    try:
        svc = service(second)
        assert svc.shard(1).messages == before[1]
        assert len(svc.shard(0).samples) >= 2  # the latency history came back too
        assert svc.alert_channel_id is not None and svc.thresholds.failure_warning == 4
        details = await ask(second, "!sharddetails 1")
        assert f"Messages {before[1]} · commands 0" in text_of(details)
        assert "Connects 2 · resumes 0" in text_of(details)  # one session per run
        shown = await ask(second, "!shardalerts")
        assert "Failure threshold 4 (critical at 5)" in text_of(shown)
    finally:
        await second.shutdown()


async def test_switched_off_there_is_no_monitor(tmp_path: Path) -> None:
    rt = await start(bot_dir(tmp_path), environ={"ENABLE_SHARD_MONITOR": "false"}, wait=False)
    try:
        assert "shard_monitor" not in rt.services.extra
        assert rt.bot.get_command("shardmonitor") is None
        tasks = {t.get_name() for t in asyncio.all_tasks()}
        assert not {n for n in tasks if n.startswith("zoryx-shard-")}
        assert await read_view(rt, "shard_health") == {"enabled": False, "shards": []}
        stats = await ask(rt, "!stats")
        assert title(stats)  # the rest of the bot answers
    finally:
        await rt.shutdown()
