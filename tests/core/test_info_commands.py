"""help (menu + details), stats, extensions, discordbotframework and shardinfo, end to end."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from cogs.core import help_view
from cogs.core.help_view import (
    CONVERTED,
    HYBRID,
    PREFIX,
    SLASH,
    HelpEntry,
    clamp_page,
    entry_line,
    group_entries,
    page_count,
    page_items,
)

from .conftest import run, silent, title

LOOP = pytest.mark.asyncio(loop_scope="module")

IDS = help_view.CUSTOM_IDS


def field_names(msg: Any) -> list[str]:
    return [f["name"] for f in msg.embeds[0].get("fields", [])]


def field(msg: Any, name: str) -> str:
    for f in msg.embeds[0].get("fields", []):
        if f["name"] == name:
            return str(f["value"])
    raise AssertionError(f"no field {name!r} in {field_names(msg)}")


def components(msg: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for row in msg.components:
        for item in row.get("components", []):
            out[item["custom_id"]] = item
    return out


# -- plain pagination / grouping logic ------------------------------------------------------
def test_pages_and_clamping() -> None:
    assert page_count(0) == 1
    assert page_count(5) == 1
    assert page_count(6) == 2
    assert page_count(11, per_page=5) == 3
    assert clamp_page(-3, 11) == 0
    assert clamp_page(7, 11) == 2
    entries = [HelpEntry(f"c{i}", PREFIX, "", "X") for i in range(7)]
    assert [e.name for e in page_items(entries, 0)] == ["c0", "c1", "c2", "c3", "c4"]
    assert [e.name for e in page_items(entries, 1)] == ["c5", "c6"]
    assert [e.name for e in page_items(entries, 9)] == ["c5", "c6"]


def test_grouping_sorts_and_puts_other_last() -> None:
    entries = [
        HelpEntry("zeta", HYBRID, "", "Info"),
        HelpEntry("alpha", PREFIX, "", "Other"),
        HelpEntry("beta", SLASH, "", "admin"),
        HelpEntry("alpha", HYBRID, "", "Info"),
    ]
    cats = group_entries(entries, {"Info": "About the bot"})
    assert [c.name for c in cats] == ["admin", "Info", "Other"]
    assert [e.name for e in cats[1].entries] == ["alpha", "zeta"]
    assert cats[1].description == "About the bot"


def test_entry_markers() -> None:
    assert entry_line(HelpEntry("a", HYBRID, "d", "X"), "!")[0] == "⚡ !a"
    assert entry_line(HelpEntry("a", PREFIX, "d", "X"), "?")[0] == "🔸 ?a"
    assert entry_line(HelpEntry("a", CONVERTED, "d", "X"), "!")[0] == "🔹 !a"
    assert entry_line(HelpEntry("a", SLASH, "d", "X"), "!")[0] == "🔷 /a"
    assert "owner" in entry_line(HelpEntry("a", PREFIX, "d", "X", owner_only=True), "!")[1]


# -- the help menu ----------------------------------------------------------------------------
@LOOP
async def test_help_menu_categories_pages_and_markers(runtime: Any) -> None:
    sb = runtime.sandbox
    menu = await run(runtime, "carol", "!help")
    assert title(menu) == "📖 Zoryx help"
    assert set(menu.custom_ids()) == set(IDS.values())
    options = [o["value"] for o in components(menu)[IDS["category"]]["options"]]
    assert options[0] == help_view.HOME
    assert {"Admin", "Info", "Settings", "Status", "Storage", "Greeter", "Toolbox"} <= set(options)

    res = await (await sb.user("carol").select(menu, IDS["category"], ["Toolbox"])).response()
    page = res.message
    assert title(page) == "📂 Toolbox"
    assert field_names(page) == [f"🔸 !tool{i}" for i in range(1, 6)]
    assert "Page 1/2" in page.embeds[0]["footer"]["text"]
    assert components(page)[IDS["prev"]].get("disabled") is True

    res = await (await sb.user("carol").click(page, IDS["next"])).response()
    page = res.message
    assert field_names(page) == ["🔸 !tool6", "🔸 !tool7"]
    assert "Page 2/2" in page.embeds[0]["footer"]["text"]
    assert components(page)[IDS["next"]].get("disabled") is True

    res = await (await sb.user("carol").click(page, IDS["prev"])).response()
    assert "Page 1/2" in res.message.embeds[0]["footer"]["text"]

    res = await (await sb.user("carol").select(menu, IDS["category"], ["Greeter"])).response()
    names = field_names(res.message)
    assert names == ["🔸 !hello", "🔷 /ping", "🔹 !wave"]

    res = await (await sb.user("carol").select(menu, IDS["category"], ["Info"])).response()
    assert "⚡ !stats" in field_names(res.message)
    res = await (await sb.user("carol").select(menu, IDS["category"], ["Admin"])).response()
    assert "owner" in field(res.message, "⚡ !reload")


@LOOP
async def test_help_menu_refuses_other_users_and_shows_credits(runtime: Any) -> None:
    sb = runtime.sandbox
    menu = await run(runtime, "dave", "!help")
    res = await (await sb.user("erin").select(menu, IDS["category"], ["Info"])).response()
    assert res.ephemeral
    assert "Not your menu" in res.text()
    res = await (await sb.user("erin").click(menu, IDS["credits"])).response()
    assert res.ephemeral and "Not your menu" in res.text()
    unchanged = next(m for m in sb.messages("#general") if m.id == menu.id)
    assert title(unchanged) == "📖 Zoryx help"

    res = await (await sb.user("dave").click(menu, IDS["credits"])).response()
    assert res.ephemeral
    assert "Credits" in res.text() and "MIT" in res.text()


@LOOP
async def test_help_menu_disables_itself_on_timeout(
    runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the bot's own copy of the module: Bot.close() unloads extensions, so every runtime
    # imports cogs.core afresh and the module imported by this test file may be stale
    live = importlib.import_module("cogs.core.help_view")
    monkeypatch.setattr(live.HelpView, "TIMEOUT", 0.3)
    sb = runtime.sandbox
    menu = await run(runtime, "frank", "!help")
    enabled = [k for k, c in components(menu).items() if not c.get("disabled")]
    assert enabled == [IDS["category"], IDS["credits"]]

    def disabled() -> bool:
        msg = sb.state.messages[menu.channel_id][menu.id]
        items = [c for row in msg["components"] for c in row["components"]]
        return bool(items) and all(c.get("disabled") for c in items)

    await sb.wait_until(disabled, timeout=5, what="help menu disabled")


@LOOP
async def test_help_slash_and_command_details(runtime: Any) -> None:
    sb = runtime.sandbox
    res = await (await sb.user("grace").slash("help")).response()
    assert title(res.message) == "📖 Zoryx help"
    res = await (
        await sb.user("grace").select(res.message, IDS["category"], ["Storage"])
    ).response()
    assert title(res.message) == "📂 Storage"

    res = await (await sb.user("grace").slash("help", command="config")).response()
    assert title(res.message) == "⚡ !config"
    assert field(res.message, "Usage") == "`!config [command] [role]`"
    assert field(res.message, "Permission") == "Server owner or bot owner"

    detail = await run(runtime, "heidi", "!help framework")
    assert title(detail) == "⚡ !discordbotframework"
    assert "`framework`" in field(detail, "Aliases") and "`botinfo`" in field(detail, "Aliases")
    assert "per 10s" in field(detail, "Cooldown")
    assert field(detail, "Permission") == "Everyone"

    detail = await run(runtime, "heidi", "!help setprefix")
    assert "Manage Server" in field(detail, "Permission")
    detail = await run(runtime, "ivan", "!help reload")
    assert "owner" in field(detail, "Permission").lower()
    detail = await run(runtime, "ivan", "!help mentionprefix")
    assert "enable" in field(detail, "Subcommands")
    detail = await run(runtime, "ivan", "!help ping")
    assert title(detail) == "🔷 /ping"

    bad = await run(runtime, "judy", "!help nosuchthing")
    assert title(bad) == "❌ Bad argument"
    assert "nosuchthing" in bad.text()


# -- stats, extensions, framework, shards ------------------------------------------------------
@LOOP
async def test_stats_prefix_and_slash(runtime: Any) -> None:
    sb = runtime.sandbox
    msg = await run(runtime, "dave", "!stats")
    assert title(msg) == "📊 Bot statistics"
    assert field(msg, "Servers") == "3"
    assert field(msg, "Latency").endswith("ms")
    assert "MiB" in field(msg, "Memory")
    assert int(field(msg, "Users")) > 50
    res = await (await sb.user("erin").slash("stats")).response()
    assert not res.ephemeral
    assert "`stats`" in field(res.message, "Top commands (this run)")
    assert "`stats`" in field(res.message, "Top commands (all time)")
    assert "failed" in field(res.message, "Commands run")


@LOOP
async def test_extensions_shows_states_versions_and_framework_cogs(runtime: Any) -> None:
    sb = runtime.sandbox
    msg = await run(runtime, "dave", "!extensions")
    users = field(msg, "User extensions")
    assert "✅ **greeter** · v1.2.3 · loaded ·" in users and " ms" in users
    assert "❌ **broken** · failed" in users and "broken on purpose" not in users
    assert "the reason is shown to bot owners" in users  # the reason: owners only (#13)
    assert "⏸ **sleepy** · blacklisted" in users
    as_owner = await run(runtime, "owner", "!extensions")
    assert "broken on purpose" in field(as_owner, "User extensions")
    assert "cogs.core" in field(msg, "Framework cogs")
    res = await (await sb.user("erin").slash("extensions")).response()
    assert title(res.message) == "🧩 Extensions"
    assert "2 of 4" in res.message.embeds[0]["description"]


@LOOP
async def test_discordbotframework_and_aliases(runtime: Any) -> None:
    sb = runtime.sandbox
    for user, text in (
        ("dave", "!discordbotframework"),
        ("erin", "!framework"),
        ("frank", "!botinfo"),
    ):
        msg = await run(runtime, user, text)
        assert title(msg) == "🤖 Zoryx bot framework"
        assert "sandbox" in field(msg, "Framework features").lower()
        assert "`!help`" in field(msg, "User commands")
    res = await (await sb.user("grace").slash("discordbotframework")).response()
    assert field(res.message, "Servers") == "3"


@LOOP
async def test_shardinfo_prefix_and_slash(runtime: Any) -> None:
    sb = runtime.sandbox
    msg = await run(runtime, "dave", "!shardinfo")
    value = field(msg, "Shard 0 (this server)")
    assert "connected" in value and "Servers: 3" in value
    res = await (await sb.user("erin").slash("shardinfo")).response()
    assert title(res.message) == "🧭 Shards"


@LOOP
async def test_unknown_command_is_silent(runtime: Any) -> None:
    await silent(runtime, "carol", "!definitelynotacommand")
