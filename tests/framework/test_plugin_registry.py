"""Plugin registry end to end: dependency-first loading, refusal BEFORE an extension's code
runs (missing dependency, version mismatch, conflicts both ways, cycles), enforcement
toggles, alerts, persistence, and the pr_* commands through the sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from zoryx.runtime import Runtime
from zoryx.sandbox.views import SandboxMessage

from .conftest import mention, run, start_runtime, title, write_bot_dir

LOOP = pytest.mark.asyncio(loop_scope="module")
ALERTS = "#off-topic"
PREV, NEXT = "zoryx:pr_list:prev", "zoryx:pr_list:next"


def ext(name: str, *, meta: str = "", command: str | None = None) -> str:
    """An extension that logs its import to order.log and leaves ``<name>.ran`` behind."""
    cmd = ""
    if command:
        cmd = (
            f"    @commands.command()\n    async def {command}(self, ctx):\n"
            f"        await ctx.send('{command} ok')\n"
        )
    return f'''
from pathlib import Path
from discord.ext import commands

{meta}
HERE = Path(__file__).parent
HERE.joinpath("{name}.ran").write_text("imported")
with HERE.joinpath("order.log").open("a") as log:
    log.write("{name}\\n")


class Cog_{name}(commands.Cog):
    """Cog of {name}."""
{cmd or "    pass"}

async def setup(bot):
    await bot.add_cog(Cog_{name}())
'''


STARTUP = {
    "a_child": ext(
        "a_child",
        meta='__version__ = "0.5"\n__dependencies__ = ["z_base"]\n__conflicts__ = ["legacy"]',
    ),
    "m_versioned": ext(
        "m_versioned",
        meta='__version__ = "2.0"\n__author__ = "Tester"\n'
        '__description__ = "Needs a recent base"\n'
        '__dependencies__ = {"z_base": ">=1.0,<2", "event_hooks": ">=0.1"}\n'
        '__provides_hooks__ = ["versioned_ready"]\n'
        '__listens_to_hooks__ = ["bot_ready"]',
    ),
    "z_base": ext(
        "z_base", meta='__version__ = "1.0.0"\n__author__ = "Base Author"', command="zbase"
    ),
    **{
        f"filler_{i:02d}": ext(f"filler_{i:02d}", meta=f'__version__ = "0.0.{i}"')
        for i in range(1, 9)
    },
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def reg_rt(tmp_path_factory: Any) -> AsyncIterator[Runtime]:
    rt = await start_runtime(write_bot_dir(tmp_path_factory.mktemp("registry"), STARTUP))
    try:
        yield rt
    finally:
        await rt.shutdown()


def ext_dir(rt: Runtime) -> Path:
    return Path(rt.bot_dir) / "extensions"


def add_ext(rt: Runtime, name: str, meta: str) -> None:
    (ext_dir(rt) / f"{name}.py").write_text(ext(name, meta=meta), encoding="utf-8")


def ran(rt: Runtime, name: str) -> bool:
    return (ext_dir(rt) / f"{name}.ran").exists()


def buttons(msg: SandboxMessage) -> dict[str, dict[str, Any]]:
    return {c["custom_id"]: c for row in msg.components for c in row.get("components", [])}


async def refused(rt: Runtime, name: str, meta: str, *expected: str) -> SandboxMessage:
    """Write an extension, `!load` it, and check it was refused before its code ran."""
    add_ext(rt, name, meta)
    msg = await run(rt, "owner", f"!load {name}")
    info = rt.bot.extension_manager.get(name)
    assert info.state == "failed", info
    assert info.error.startswith("refused by the plugin registry: ")
    for text in expected:
        assert text in info.error, (text, info.error)
        assert text in msg.text(), (text, msg.text())
    assert not ran(rt, name), "the refused extension's code ran"
    assert f"extensions.{name}" not in rt.bot.extensions
    return msg


@LOOP
async def test_dependencies_are_loaded_first(reg_rt: Runtime) -> None:
    order = (ext_dir(reg_rt) / "order.log").read_text().split()
    assert sorted(order) == sorted(STARTUP)  # each imported once, none refused
    assert order.index("z_base") < order.index("a_child")
    assert order.index("z_base") < order.index("m_versioned")
    manager = reg_rt.bot.extension_manager
    assert all(manager.get(name).state == "loaded" for name in STARTUP)


@LOOP
async def test_pr_list_pages_with_buttons_for_the_invoker_only(reg_rt: Runtime) -> None:
    sb = reg_rt.sandbox
    page = await run(reg_rt, "alice", "!pr_list")
    assert title(page).startswith("🔌 Plugins (")
    lines = page.embeds[0]["description"].splitlines()
    assert len(lines) == 10
    assert lines[0].startswith("✅ **a_child** v0.5 · loaded")
    assert "Page 1/2" in page.embeds[0]["footer"]["text"]
    assert buttons(page)[PREV].get("disabled") is True
    assert not buttons(page)[NEXT].get("disabled")
    res = await (await sb.user("bob").click(page, NEXT)).response()
    assert res.ephemeral and "Not your list" in res.text()
    res = await (await sb.user("alice").click(page, NEXT)).response()
    second = res.message
    assert "Page 2/2" in second.embeds[0]["footer"]["text"]
    text = second.text()
    assert "✅ **z_base** v1.0.0 · loaded · 1 cmd(s)" in text
    assert "**event_hooks**" in text and "(framework)" in text
    assert buttons(second)[NEXT].get("disabled") is True
    res = await (await sb.user("alice").click(second, PREV)).response()
    assert "Page 1/2" in res.message.embeds[0]["footer"]["text"]
    slash = await (await sb.user("alice").slash("pr_list")).response()
    assert "Page 1/2" in slash.text()


@LOOP
async def test_pr_info_shows_metadata_commands_cogs_and_dependents(reg_rt: Runtime) -> None:
    msg = await run(reg_rt, "dave", "!pr_info z_base")  # members may use it
    assert title(msg) == "✅ z_base"
    text = msg.text()
    for part in (
        "1.0.0",
        "Base Author",
        "loaded",
        "zbase",
        "Cog_z_base",
        "a_child",
        "m_versioned",
        " ms",
    ):
        assert part in text, part
    msg = await run(reg_rt, "owner", "!pr_info m_versioned")
    text = msg.text()
    assert "Needs a recent base" in text and "Tester" in text
    assert "✅ z_base >=1.0,<2 (has 1.0.0)" in text
    assert "✅ event_hooks >=0.1" in text
    assert "provides: versioned_ready" in text and "listens to: bot_ready" in text
    msg = await run(reg_rt, "owner", "!pr_info nothing_here")
    assert title(msg) == "❌ Unknown plugin"


@LOOP
async def test_missing_dependency_is_refused_before_it_runs(reg_rt: Runtime) -> None:
    await refused(
        reg_rt,
        "needs_ghost",
        '__dependencies__ = ["ghost"]',
        "requires ghost, which is not installed",
    )
    msg = await run(reg_rt, "owner", "!pr_validate needs_ghost")
    assert title(msg) == "❌ needs_ghost would be refused"
    assert "❌ requires ghost, which is not installed" in msg.text()
    msg = await run(reg_rt, "owner", "!pr_info needs_ghost")
    assert title(msg) == "❌ needs_ghost"
    assert "Last refusal" in msg.text()


@LOOP
async def test_version_mismatch_is_refused(reg_rt: Runtime) -> None:
    await refused(
        reg_rt,
        "needs_new",
        '__dependencies__ = {"z_base": ">=2.0"}',
        "requires z_base >=2.0, but z_base has version 1.0.0",
    )


@LOOP
async def test_conflicts_are_refused_in_both_directions(reg_rt: Runtime) -> None:
    await refused(
        reg_rt, "rival", '__conflicts__ = ["z_base"]', "conflicts with z_base, which is loaded"
    )
    await refused(
        reg_rt, "legacy", '__version__ = "9"', "a_child (loaded) declares a conflict with legacy"
    )


@LOOP
async def test_cycles_are_refused_with_the_path(reg_rt: Runtime) -> None:
    add_ext(reg_rt, "cyc_b", '__dependencies__ = ["cyc_c"]')
    add_ext(reg_rt, "cyc_c", '__dependencies__ = ["cyc_a"]')
    await refused(
        reg_rt,
        "cyc_a",
        '__dependencies__ = ["cyc_b"]',
        "dependency cycle cyc_a → cyc_b → cyc_c → cyc_a",
    )
    results = await reg_rt.bot.extension_manager.load_all()
    by_name = {r.name: r for r in results}
    assert "cyc_b → cyc_c → cyc_a → cyc_b" in by_name["cyc_b"].error
    assert not any(ran(reg_rt, n) for n in ("cyc_a", "cyc_b", "cyc_c"))
    msg = await run(reg_rt, "owner", "!pr_info cyc_c")
    assert title(msg) == "🔄 cyc_c"
    assert "cyc_c → cyc_a → cyc_b → cyc_c" in msg.text()
    msg = await run(reg_rt, "owner", "!pr_validate")
    assert "🔄 **cyc_a**" in msg.text() and "❌ **needs_ghost**" in msg.text()
    assert "⚠️ **rival**" in msg.text()


@LOOP
async def test_pr_validate_valid_and_owner_only(reg_rt: Runtime) -> None:
    msg = await run(reg_rt, "owner", "!pr_validate a_child")
    assert title(msg) == "✅ a_child is valid"
    for command in ("!pr_validate", "!pr_enforce deps", "!pr_alert_channel"):
        msg = await run(reg_rt, "carol", command)
        assert title(msg) == "❌ Owner only", command


@LOOP
async def test_alert_channel_receives_refusals_and_is_persisted(reg_rt: Runtime) -> None:
    sb = reg_rt.sandbox
    msg = await run(reg_rt, "owner", f"!pr_alert_channel {mention(reg_rt, ALERTS)}")
    assert title(msg) == "✅ Plugin alert channel set"
    config = Path(reg_rt.services.data_dir) / "plugin_registry_config.json"
    assert json.loads(config.read_text())["alert_channel_id"] == sb.channel_id(ALERTS)
    sb.skip_existing(ALERTS)
    await refused(
        reg_rt,
        "needs_phantom",
        '__dependencies__ = {"phantom": "==1.0"}',
        "requires phantom (==1.0), which is not installed",
    )
    alert = await sb.expect_message(ALERTS, contains="Refused to load `needs_phantom`")
    assert title(alert) == "⚠️ Extension refused"
    # Throttled: the same refusal again within 5 minutes sends nothing new.
    await reg_rt.bot.extension_manager.load("needs_phantom")
    await sb.expect_no_message(ALERTS, within=0.4)


@LOOP
async def test_enforcement_toggles_are_persisted_and_obeyed(reg_rt: Runtime) -> None:
    sb = reg_rt.sandbox
    config = Path(reg_rt.services.data_dir) / "plugin_registry_config.json"
    msg = await run(reg_rt, "owner", "!pr_enforce")
    assert "Dependencies: **on**" in msg.text() and "Conflicts: **on**" in msg.text()
    msg = await run(reg_rt, "owner", "!pr_enforce deps")
    assert title(msg) == "✅ Dependency enforcement off"
    assert json.loads(config.read_text())["enforce_dependencies"] is False
    sb.skip_existing(ALERTS)
    info = await reg_rt.bot.extension_manager.load("needs_new")
    assert info.state == "loaded" and ran(reg_rt, "needs_new")
    alert = await sb.expect_message(ALERTS, contains="`needs_new` despite issues")
    assert title(alert) == "⚠️ Extension loaded with issues"
    msg = await run(reg_rt, "owner", "!pr_validate needs_new")
    assert title(msg) == "⚠️ needs_new can load, with warnings"
    msg = await run(reg_rt, "owner", "!pr_enforce deps on")
    assert title(msg) == "✅ Dependency enforcement on"
    msg = await run(reg_rt, "owner", "!pr_enforce conflicts off")
    assert title(msg) == "✅ Conflict enforcement off"
    assert json.loads(config.read_text())["enforce_conflicts"] is False
    info = await reg_rt.bot.extension_manager.load("rival")
    assert info.state == "loaded" and ran(reg_rt, "rival")
    msg = await run(reg_rt, "owner", "!pr_enforce conflicts")
    assert title(msg) == "✅ Conflict enforcement on"
    msg = await run(reg_rt, "owner", "!pr_enforce sideways")
    assert title(msg) == "❌ Bad argument"
    saved = json.loads(config.read_text())
    assert saved["enforce_dependencies"] is True and saved["enforce_conflicts"] is True
    # Loaded despite issues: the list says so.
    msg = await run(reg_rt, "owner", "!pr_info rival")
    assert title(msg) == "⚠️ rival" and "conflicts with z_base" in msg.text()


@LOOP
async def test_registry_file_is_persisted(reg_rt: Runtime) -> None:
    await run(reg_rt, "owner", "!pr_list")
    data = json.loads((Path(reg_rt.services.data_dir) / "plugin_registry.json").read_text())
    plugins = data["plugins"]
    assert plugins["filler_01"]["status"] == "✅"
    assert plugins["z_base"]["version"] == "1.0.0" and plugins["z_base"]["status"] == "⚠️"
    assert plugins["z_base"]["issues"] == ["rival (loaded) declares a conflict with z_base"]
    assert plugins["z_base"]["commands"] == ["zbase"]
    assert plugins["a_child"]["dependencies"] == {"z_base": ""}
    assert plugins["cyc_a"]["status"] == "🔄"
    assert plugins["needs_ghost"]["status"] == "❌" and plugins["needs_ghost"]["refused"]
    assert plugins["event_hooks"]["kind"] == "framework"
    assert data["enforcement"] == {"deps": True, "conflicts": True}


@LOOP
async def test_settings_survive_a_restart(tmp_path: Path) -> None:
    """Hook and registry settings written by an earlier run are read back at start."""
    hook_id = "command_executed:Greeter.on_command"
    greeter = (
        "from discord.ext import commands\n\n__dependencies__ = ['ghost']\nCALLS = []\n\n\n"
        "class Greeter(commands.Cog):\n"
        "    def __init__(self, bot):\n        self.bot = bot\n\n"
        "    async def on_command(self, bot, **kwargs):\n        CALLS.append(kwargs)\n\n"
        "    async def cog_load(self):\n"
        "        self.bot.register_hook('command_executed', self.on_command)\n\n\n"
        "async def setup(bot):\n    await bot.add_cog(Greeter(bot))\n"
    )
    bot_dir = write_bot_dir(tmp_path, {"greeter": greeter})
    data = bot_dir / "data"
    data.mkdir()
    (data / "event_hooks_config.json").write_text(
        json.dumps({"alert_channel_id": 1234, "disabled": [hook_id]})
    )
    (data / "plugin_registry_config.json").write_text(
        json.dumps(
            {"alert_channel_id": 5678, "enforce_dependencies": False, "enforce_conflicts": True}
        )
    )
    rt = await start_runtime(bot_dir)
    try:
        # Dependency enforcement was off: the extension with a missing dependency loaded.
        assert rt.bot.extension_manager.get("greeter").state == "loaded"
        assert rt.services.extra["plugins"].alert_channel_id == 5678
        assert rt.bot.get_cog("Event Hooks").alert_channel_id == 1234
        msg = await run(rt, "owner", "!eh_list")
        assert f"🔴 `{hook_id}`" in msg.text()
        msg = await run(rt, "owner", "!pr_enforce")
        assert "Dependencies: **off**" in msg.text() and "Conflicts: **on**" in msg.text()
    finally:
        await rt.shutdown()
