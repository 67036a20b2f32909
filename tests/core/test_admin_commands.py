"""Owner-only maintenance: sync, load/unload/reload (a real extension file), cleanup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import greeter_source, run, silent, title

LOOP = pytest.mark.asyncio(loop_scope="module")


def field(msg: Any, name: str) -> str:
    for f in msg.embeds[0].get("fields", []):
        if f["name"] == name:
            return str(f["value"])
    raise AssertionError(f"no field {name!r}")


def ext_file(rt: Any, name: str) -> Path:
    return Path(rt.bot_dir) / "extensions" / f"{name}.py"


@LOOP
async def test_plain_members_are_refused(runtime: Any) -> None:
    sb = runtime.sandbox
    for text in ("!sync", "!reload greeter", "!load greeter", "!unload greeter", "!cleanup"):
        msg = await run(runtime, "carol", text)
        assert title(msg) == "❌ Owner only", text
    res = await (await sb.user("carol").slash("reload", extension="greeter")).response()
    assert res.ephemeral and "Owner only" in res.text()
    assert (await run(runtime, "carol", "!hello")).content == "Hello v1"
    assert runtime.bot.extension_manager.get("greeter").reloads == 0


@LOOP
async def test_sync_prefix_and_slash(runtime: Any) -> None:
    msg = await run(runtime, "owner", "!sync")
    assert title(msg) == "✅ Slash commands synced"
    count = len(runtime.bot.tree.get_commands())
    assert f"{count} command(s)" in msg.text()
    res = await (await runtime.sandbox.user("owner").slash("sync")).response()
    assert title(res.message) == "✅ Slash commands synced"
    records = await runtime.bot.operator.audit.recent(10)
    assert any(r.action == "sync_commands" and r.source == "discord" for r in records)


@LOOP
async def test_reload_really_reloads_the_file(runtime: Any) -> None:
    hello = await run(runtime, "dave", "!hello")
    assert hello.content == "Hello v1"
    ext_file(runtime, "greeter").write_text(greeter_source("Hello, version two!"), "utf-8")
    msg = await run(runtime, "owner", "!reload greeter")
    assert title(msg) == "✅ Reloaded greeter"
    assert field(msg, "Load time").endswith(" ms")
    assert field(msg, "Version") == "1.2.3"
    assert field(msg, "Reloads this run") == "1"
    assert (await run(runtime, "dave", "!hello")).content == "Hello, version two!"

    ext_file(runtime, "greeter").write_text(greeter_source("Hello from slash reload"), "utf-8")
    res = await (
        await runtime.sandbox.user("owner").slash("reload", extension="greeter")
    ).response()
    assert title(res.message) == "✅ Reloaded greeter"
    assert (await run(runtime, "erin", "!hello")).content == "Hello from slash reload"


@LOOP
async def test_failed_reload_keeps_old_version_and_shows_traceback(runtime: Any) -> None:
    path = ext_file(runtime, "greeter")
    good = path.read_text("utf-8")
    path.write_text(good + "\ndef broken(:\n", "utf-8")
    try:
        msg = await run(runtime, "owner", "!reload greeter")
        assert title(msg) == "❌ Could not reload greeter"
        assert "previous version kept" in msg.text() and "SyntaxError" in msg.text()
        trace = field(msg, "Traceback (end)")
        assert trace.startswith("```py\n") and trace.endswith("\n```")
        assert len(trace) <= 1024
        assert (await run(runtime, "frank", "!hello")).content == "Hello from slash reload"
        # what the faces show is still the running version, not the broken file's
        info = runtime.bot.extension_manager.get("greeter")
        assert info.state == "loaded" and info.metadata.get("version") == "1.2.3"
        await runtime.bot.extension_manager.discover()  # a rescan keeps it too
        assert info.metadata.get("version") == "1.2.3"
    finally:
        path.write_text(good, "utf-8")


@LOOP
async def test_unload_and_load(runtime: Any) -> None:
    sb = runtime.sandbox
    msg = await run(runtime, "owner", "!unload greeter")
    assert title(msg) == "✅ Unloaded greeter"
    await silent(runtime, "grace", "!hello")
    msg = await run(runtime, "owner", "!unload greeter")
    assert title(msg) == "❌ Could not unload greeter" and "not loaded" in msg.text()
    msg = await run(runtime, "owner", "!load greeter")
    assert title(msg) == "✅ Loaded greeter"
    assert field(msg, "Load time").endswith(" ms")
    assert (await run(runtime, "grace", "!hello")).content == "Hello from slash reload"

    res = await (await sb.user("owner").slash("unload", extension="greeter")).response()
    assert title(res.message) == "✅ Unloaded greeter"
    res = await (await sb.user("owner").slash("load", extension="greeter")).response()
    assert title(res.message) == "✅ Loaded greeter"


@LOOP
async def test_load_failures_explain_why(runtime: Any) -> None:
    msg = await run(runtime, "owner", "!load broken")
    assert title(msg) == "❌ Could not load broken"
    assert "broken on purpose" in msg.text()
    assert "RuntimeError" in field(msg, "Traceback (end)")
    msg = await run(runtime, "owner", "!load nothere")
    assert title(msg) == "❌ Could not load nothere"
    assert "no extension named" in msg.text()


@LOOP
async def test_cleanup_removes_orphans_only_after_confirmation(runtime: Any) -> None:
    sb = runtime.sandbox
    owner = sb.user("owner")
    await run(runtime, "owner", "!mentionprefix enable")  # gives this guild a database
    data = runtime.services.data_dir
    active = data / str(sb.guild().id)
    assert (active / "guild.db").is_file()
    orphan = data / "4242"
    orphan.mkdir()
    (orphan / "guild.db").write_bytes(b"")

    msg = await run(runtime, "owner", "!cleanup")
    assert title(msg) == "⚠️ Orphaned server data found"
    assert "`4242`" in msg.text() and str(sb.guild().id) not in msg.text()
    res = await (await sb.user("dave").click(msg, "zoryx:cleanup:confirm")).response()
    assert res.ephemeral and "Only the owner" in res.text()
    res = await (await owner.click(msg, "zoryx:cleanup:cancel")).response()
    assert title(res.message) == "Cleanup cancelled"
    assert orphan.is_dir()

    msg = await run(runtime, "owner", "!cleanup")
    handle = await owner.click(msg, "zoryx:cleanup:confirm")
    done = await handle.wait_original(lambda m: "deleted" in title(m))
    assert title(done) == "✅ Orphaned server data deleted"
    assert "`4242`" in done.text()
    assert not orphan.exists()
    assert (active / "guild.db").is_file()
    records = await runtime.bot.operator.audit.recent(10)
    assert any(r.action == "cleanup_orphans" and r.ok for r in records)
    assert any(r.action == "clear_caches" for r in records)

    res = await (await owner.slash("cleanup")).response()
    assert title(res.message) == "✅ Cleanup done"
    assert field(res.message, "Orphaned server data") == "None found"
