"""Diagnostics and slash limiter across restarts, and switched off (config and ENABLE_* env)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from .conftest import run, title
from .fw_helpers import bot_dir, description, field, fresh_counters, service, start
from .test_slash_limiter import CONVTEST

ALERTS = "#off-topic"
REPORTS = (
    "framework_diagnostics.json",
    "framework_health.json",
    "framework_health_history.json",
    "framework_diagnostics_config.json",
)


async def test_history_and_alert_channel_survive_a_restart(tmp_path: Path) -> None:
    root = bot_dir(tmp_path)
    first = await start(root, options={"check_interval": 3600.0})
    try:
        counters = await fresh_counters(first)
        counters.add(100, 8)
        await service(first).run_check()
        channel = first.sandbox.channel_id(ALERTS)
        await run(first, "owner", f"!fw_alert_channel <#{channel}>")
        checks_before = service(first).snapshot().checks
    finally:
        await first.shutdown()
    for name in REPORTS:
        assert (root / "data" / name).is_file(), name
    report = json.loads((root / "data" / "framework_diagnostics.json").read_text("utf-8"))
    assert {"health", "system", "bot", "lag", "store", "recent_errors"} <= set(report)

    second = await start(root, options={"check_interval": 3600.0})
    try:
        svc = service(second)
        assert svc.alert_channel_id == channel  # restored from framework_diagnostics_config.json
        assert svc.snapshot().checks == checks_before + 1  # reloaded + the check at start
        msg = await run(second, "owner", "!fw_history 20")
        assert "**degraded** · 8.0% (lifetime)" in description(msg)
        diag = await run(second, "owner", "!fw_diagnostics")
        assert f"<#{channel}>" in field(diag, "Monitoring")
    finally:
        await second.shutdown()


async def test_disabled_components_leave_the_rest_working(tmp_path: Path) -> None:
    root = bot_dir(
        tmp_path,
        {
            "framework": {"enable_framework_diagnostics": False},
            "slash_limiter": {"max_limit": 100, "warning_threshold": 3, "safe_limit": 5},
        },
        {"convtest": CONVTEST},
    )
    rt = await start(root, environ={"ENABLE_SLASH_COMMAND_LIMITER": "off"})
    try:
        sb = rt.sandbox
        assert "diagnostics" not in rt.services.extra
        assert "slash_limiter" not in rt.services.extra
        tasks = {t.get_name() for t in asyncio.all_tasks()}
        assert not {n for n in tasks if n.startswith("zoryx-fw")}  # no background tasks
        for text in ("!fw_diagnostics", "!fw_history", "!fw_errors", "!slashlimit"):
            await sb.user("owner").say("#general", text)
            await sb.expect_no_message(sb.channel_id("#general"), within=0.4)
        assert rt.bot.get_command("fw_diagnostics") is None
        assert rt.bot.get_command("slashlimit") is None

        names = {c["name"] for c in sb.app_info.commands.values()}
        assert {"c_member", "c_admin", "c_num"} <= names  # nothing converted: all registered
        assert rt.bot.get_command("c_member") is None
        stats = await run(rt, "owner", "!stats")
        assert title(stats)  # the rest of the bot answers
        slash = await (await sb.user("owner").slash("c_check")).response()
        assert slash.data["content"] == "check ok"
    finally:
        await rt.shutdown()
    assert not (root / "data" / "framework_health.json").exists()
