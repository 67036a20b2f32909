"""setprefix, mentionprefix, serversettings and config (per-guild role rules), end to end."""

from __future__ import annotations

from typing import Any

import pytest

from zoryx.operator import CONSOLE_OWNER

from .conftest import role_mention, run, silent, title

LOOP = pytest.mark.asyncio(loop_scope="module")
PIXEL = "Pixel Guild"
STUDY = "Study Hall"


def field(msg: Any, name: str) -> str:
    for f in msg.embeds[0].get("fields", []):
        if f["name"] == name:
            return str(f["value"])
    raise AssertionError(f"no field {name!r}")


def plain_member(rt: Any, guild: str, exclude: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """A member of ``guild`` with only the Member role (no owner, no other roles)."""
    sb = rt.sandbox
    g = sb.guild(guild)
    member_role = str(sb.role_id("Member", guild))
    for uid, member in g.members.items():
        name = sb.state.users[uid]["username"]
        if uid in (g.owner_id, sb.bot_id) or name in exclude or name == "owner":
            continue
        if [str(r) for r in member["roles"]] == [member_role]:
            return str(name)
    raise AssertionError("no plain member")


# -- setprefix ------------------------------------------------------------------------------
@LOOP
async def test_setprefix_needs_manage_server(runtime: Any) -> None:
    for user in ("carol", "alice"):  # plain member; moderator without Manage Server
        msg = await run(runtime, user, "!setprefix ?")
        assert title(msg) == "❌ Missing permissions"
        assert "manage guild" in msg.text()


@LOOP
async def test_setprefix_changes_prefix_and_reset(runtime: Any) -> None:
    msg = await run(runtime, "owner", "!setprefix ?", guild=PIXEL)
    assert title(msg) == "✅ Prefix changed"
    stats = await run(runtime, "dave", "?stats", guild=PIXEL)
    assert title(stats) == "📊 Bot statistics"
    await silent(runtime, "dave", "!stats", guild=PIXEL)
    # other guilds keep the default prefix
    assert title(await run(runtime, "erin", "!stats")) == "📊 Bot statistics"
    for bad in ("!setprefix toolong", '?setprefix "a b"'):
        text = bad.replace("!", "?", 1)
        msg = await run(runtime, "owner", text, guild=PIXEL)
        assert title(msg) == "❌ Bad argument", bad
    msg = await run(runtime, "owner", "?setprefix reset", guild=PIXEL)
    assert title(msg) == "✅ Prefix reset"
    assert title(await run(runtime, "frank", "!stats", guild=PIXEL)) == "📊 Bot statistics"
    await silent(runtime, "frank", "?stats", guild=PIXEL)


@LOOP
async def test_setprefix_slash_by_guild_owner(runtime: Any) -> None:
    sb = runtime.sandbox
    alice = sb.user("alice")  # owns Study Hall, is not a bot owner
    res = await (await alice.slash("setprefix", "#general", in_guild=STUDY, prefix="$")).response()
    assert title(res.message) == "✅ Prefix changed"
    assert title(await run(runtime, "alice", "$shardinfo", guild=STUDY)) == "🧭 Shards"
    res = await (
        await alice.slash("setprefix", "#general", in_guild=STUDY, prefix="reset")
    ).response()
    assert title(res.message) == "✅ Prefix reset"
    assert title(await run(runtime, "alice", "!shardinfo", guild=STUDY)) == "🧭 Shards"


# -- mention prefix ---------------------------------------------------------------------------
@LOOP
async def test_mentionprefix_disable_enable(runtime: Any) -> None:
    sb = runtime.sandbox
    mention = f"<@{sb.bot_id}>"
    assert (
        title(await run(runtime, "grace", f"{mention} stats", guild=PIXEL)) == "📊 Bot statistics"
    )
    denied = await run(runtime, "grace", "!mentionprefix disable", guild=PIXEL)
    assert title(denied) == "❌ Missing permissions"
    assert "administrator" in denied.text()

    msg = await run(runtime, "owner", "!mentionprefix disable", guild=PIXEL)
    assert title(msg) == "✅ Mention prefix disabled"
    await silent(runtime, "heidi", f"{mention} stats", guild=PIXEL)
    assert title(await run(runtime, "heidi", "!stats", guild=PIXEL)) == "📊 Bot statistics"
    # other guilds are unaffected
    assert title(await run(runtime, "heidi", f"{mention} shardinfo")) == "🧭 Shards"

    status = await run(runtime, "owner", "!mentionprefix status", guild=PIXEL)
    assert "**Disabled** (server setting)" in status.text()
    bare = await run(runtime, "owner", "!mentionprefix", guild=PIXEL)
    assert "**Disabled**" in bare.text()

    owner = sb.user("owner")
    res = await (await owner.slash("mentionprefix enable", "#general", in_guild=PIXEL)).response()
    assert title(res.message) == "✅ Mention prefix enabled"
    assert title(await run(runtime, "ivan", f"{mention} stats", guild=PIXEL)) == "📊 Bot statistics"
    res = await (await owner.slash("mentionprefix status", "#general", in_guild=PIXEL)).response()
    assert "**Enabled** (server setting)" in res.text()


# -- config: per-guild role rules -------------------------------------------------------------
@LOOP
async def test_config_is_for_guild_owner_or_bot_owner(runtime: Any) -> None:
    for user in ("carol", "alice"):  # alice is a Moderator here but not the owner
        msg = await run(runtime, user, "!config")
        assert title(msg) == "❌ Not allowed"
        assert "server owner" in msg.text()
    listing = await run(runtime, "alice", "!config", guild=STUDY)  # alice owns Study Hall
    assert title(listing) == "🔐 Command permissions"
    assert title(await run(runtime, "owner", "!config")) == "🔐 Command permissions"


@LOOP
async def test_config_role_rule_is_enforced_per_guild(runtime: Any) -> None:
    mod, helper = role_mention(runtime, "Moderator"), role_mention(runtime, "Helper")
    msg = await run(runtime, "owner", f"!config stats {mod}")
    assert title(msg) == "✅ Rule saved" and "@Moderator" in msg.text()

    denied = await run(runtime, "judy", "!stats")
    assert title(denied) == "❌ Missing role"
    assert "@Moderator" in denied.text()
    assert title(await run(runtime, "alice", "!stats")) == "📊 Bot statistics"  # Moderator
    assert title(await run(runtime, "owner", "!stats")) == "📊 Bot statistics"  # bot owner
    # another guild has no rule
    assert title(await run(runtime, "judy", "!stats", guild=PIXEL)) == "📊 Bot statistics"

    denied = await run(runtime, "bob", "!stats")  # Helper
    assert title(denied) == "❌ Missing role"
    msg = await run(runtime, "owner", "!config stats Helper")  # a second role, by name
    assert "@Helper" in msg.text() and "@Moderator" in msg.text()
    assert title(await run(runtime, "bob", "!stats")) == "📊 Bot statistics"

    shown = await run(runtime, "owner", "!config stats")
    assert "@Moderator" in shown.text() and "@Helper" in shown.text()
    listing = await run(runtime, "owner", "!config")
    assert "`stats` →" in listing.text()
    settings = await run(runtime, "owner", "!serversettings")
    rules = field(settings, "Command permissions")
    assert "`stats`" in rules and "@Moderator" in rules and "@Helper" in rules

    msg = await run(runtime, "owner", "!config stats none")
    assert title(msg) == "✅ Rule removed"
    assert title(await run(runtime, "kemal", "!stats")) == "📊 Bot statistics"
    assert helper  # used above via name; the mention form works as well
    settings = await run(runtime, "owner", "!serversettings")
    assert "every command is open" in field(settings, "Command permissions")


@LOOP
async def test_rules_and_prefix_hold_when_read_back_from_sqlite(runtime: Any) -> None:
    """With the in-memory caches dropped, the first command reads SQLite (the slow path of
    the prefix resolver and the permission policy) and the stored settings still apply."""
    mod = role_mention(runtime, "Moderator")
    assert title(await run(runtime, "owner", f"!config stats {mod}")) == "✅ Rule saved"
    assert title(await run(runtime, "owner", "!setprefix ?", guild=PIXEL)) == "✅ Prefix changed"
    db, operator = runtime.services.db, runtime.bot.operator
    guild_id = runtime.sandbox.guild(PIXEL).id
    try:
        for check in ("judy", "alice"):
            cleared = await operator.clear_caches(CONSOLE_OWNER)
            assert cleared["guild_cache_entries_cleared"] >= 1
            assert db.cached_guild_settings(guild_id) is None
            if check == "judy":  # no Moderator role: denied on the cold path
                denied = await run(runtime, "judy", "!stats")
                assert title(denied) == "❌ Missing role"
            else:
                assert title(await run(runtime, "alice", "!stats")) == "📊 Bot statistics"
            await silent(runtime, "heidi", "!stats", guild=PIXEL)  # old prefix: ignored
            await operator.clear_caches(CONSOLE_OWNER)
            assert title(await run(runtime, "heidi", "?stats", guild=PIXEL)) == "📊 Bot statistics"
            assert db.cached_guild_settings(guild_id) is not None  # loaded once, cached again
    finally:
        await run(runtime, "owner", "!config stats none")
        await run(runtime, "owner", "?setprefix reset", guild=PIXEL)


@LOOP
async def test_config_validates_arguments(runtime: Any) -> None:
    mod = role_mention(runtime, "Moderator")
    cases = {
        f"!config nosuch {mod}": "nosuch",
        f"!config reload {mod}": "bot owner only",
        "!config stats NoSuchRole": "NoSuchRole",
    }
    for text, expected in cases.items():
        msg = await run(runtime, "owner", text)
        assert title(msg) == "❌ Bad argument", text
        assert expected in msg.text(), text
    msg = await run(runtime, "owner", f"!config framework {mod}")  # alias → real name
    assert "`discordbotframework`" in msg.text()
    msg = await run(runtime, "owner", "!config botinfo none")
    assert title(msg) == "✅ Rule removed"


@LOOP
async def test_config_slash_in_guild_owned_by_member(runtime: Any) -> None:
    sb = runtime.sandbox
    plain = plain_member(runtime, STUDY)
    alice = sb.user("alice")
    res = await (
        await alice.slash(
            "config", "#general", in_guild=STUDY, command="shardinfo", role="Moderator"
        )
    ).response()
    assert title(res.message) == "✅ Rule saved"
    denied = await run(runtime, plain, "!shardinfo", guild=STUDY)
    assert title(denied) == "❌ Missing role"
    res = await (await sb.user(plain).slash("shardinfo", "#general", in_guild=STUDY)).response()
    assert res.ephemeral and "Missing role" in res.text()
    res = await (
        await alice.slash("config", "#general", in_guild=STUDY, command="shardinfo", role="none")
    ).response()
    assert title(res.message) == "✅ Rule removed"
    assert title(await run(runtime, plain, "!shardinfo", guild=STUDY)) == "🧭 Shards"


# -- serversettings ---------------------------------------------------------------------------
@LOOP
async def test_serversettings_needs_administrator(runtime: Any) -> None:
    sb = runtime.sandbox
    msg = await run(runtime, "carol", "!serversettings")
    assert title(msg) == "❌ Missing permissions"
    res = await (await sb.user("owner").slash("serversettings")).response()
    assert title(res.message) == "⚙️ Settings for Zoryx Lounge"
    assert field(res.message, "Prefix") == "`!` (default)"
    assert "Enabled" in field(res.message, "Mention prefix")
    res = await (await sb.user("carol").slash("serversettings")).response()
    assert res.ephemeral and "Missing permissions" in res.text()


@LOOP
async def test_direct_messages(runtime: Any) -> None:
    sb = runtime.sandbox
    carol = sb.user("carol")
    await carol.dm("!help")
    menu = await sb.expect_message(carol.dm_channel_id())
    assert menu.embeds[0]["title"] == "📖 Zoryx help"
    for text in ("!setprefix ?", "!config", "!serversettings"):
        await carol.dm(text)
        msg = await sb.expect_message(carol.dm_channel_id())
        assert title(msg) == "❌ Server only", text
