"""Snapshot capture end to end: the bot snapshots "Backup Lab" of the sandbox's ``backup``
world, and the document is compared with the sandbox's own state of that guild.

One runtime for the module; tests that change the guild put it back.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio

from cogs.backup_restore.canonical import canonical_bytes, decode_snapshot, encode_snapshot
from cogs.backup_restore.snapshot import capture
from zoryx.runtime import Runtime
from zoryx.sandbox import assets
from zoryx.sandbox.worlds import scale_world
from zoryx.testing import eventually

from ._fixtures import LAB, guild_truth, on_sandbox, running

LOOP = pytest.mark.asyncio(loop_scope="module")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rt(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    async with running(tmp_path_factory.mktemp("bot")) as runtime:
        yield runtime


def lab(rt: Runtime) -> discord.Guild:
    guild = discord.utils.get(rt.bot.guilds, name=LAB)
    assert guild is not None
    return guild


def by_name(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in items if item["name"] == name)


@LOOP
async def test_snapshot_equals_the_sandbox_guild(rt: Runtime) -> None:
    guild = lab(rt)
    db = rt.bot.services.db
    helper = discord.utils.get(guild.roles, name="Helper")
    assert helper is not None
    await db.set_prefix(guild.id, "?")
    await db.set_mention_prefix(guild.id, False)
    await db.set_command_roles(guild.id, "ping", [helper.id])
    try:
        owner = guild.owner
        assert owner is not None
        snap = await capture(guild, bot=rt.bot, by=owner, label="before the raid")
    finally:
        await db.set_prefix(guild.id, None)
        await db.set_mention_prefix(guild.id, None)
        await db.set_command_roles(guild.id, "ping", [])
    truth = await on_sandbox(rt, guild_truth(rt, LAB))

    # Field by field against the sandbox's state (item by item for readable failures).
    for key in ("roles", "categories", "channels", "emojis", "stickers", "bans"):
        assert len(snap[key]) == len(truth[key]), key
        for got, want in zip(snap[key], truth[key], strict=True):
            assert got == want, key
    for key, want in truth["guild"].items():
        assert snap["guild"][key] == want, key
    assert snap["members"] == truth["members"]
    assert snap["guild_id"] == truth["guild_id"] == guild.id
    assert snap["format"] == 1
    assert snap["label"] == "before the raid"
    assert snap["created_by"] == {"id": owner.id, "name": "owner"}
    assert snap["bot_settings"] == {
        "prefix": "?",
        "mention_prefix": False,
        "role_rules": {"ping": [helper.id]},
    }
    assert (snap["messages"], snap["message_authors"], snap["notes"]) == ({}, {}, [])
    assert snap["assets_captured"] is True

    # What the world holds is really there (so the equality above is not of empty lists).
    assert [r["name"] for r in snap["roles"]][:3] == ["@everyone", "Member", "Muted"]
    assert by_name(snap["roles"], "Artist")["unicode_emoji"] == "🎨"
    assert base64.b64decode(by_name(snap["roles"], "Helper")["icon"]).startswith(PNG_MAGIC)
    assert {c["type"] for c in snap["channels"]} == {"text", "news", "voice", "stage", "forum"}
    general = by_name(snap["channels"], "general")
    assert [(o["target_type"], o["target_name"]) for o in general["overwrites"]] == [
        ("role", "Muted"),
        ("member", "bob"),
    ]
    forum = by_name(snap["channels"], "help-forum")
    assert [t["name"] for t in forum["available_tags"]] == ["question", "bug", "solved"]
    assert forum["default_reaction"] == {"emoji_id": None, "emoji_name": "👍"}
    assert by_name(snap["channels"], "Lounge")["rtc_region"] == "rotterdam"
    images = [e["image"] for e in snap["emojis"]] + [s["image"] for s in snap["stickers"]]
    assert len(images) == 5 and all(images) and len(set(images)) == 5
    assert snap["guild"]["icon"] and snap["guild"]["banner"]
    assert [b["reason"] for b in snap["bans"]] == [
        "Posting scam links",
        "Raid on the general channel",
    ]
    assert len(snap["members"]["items"]) == 21  # the owner and twenty users, no bot


@LOOP
async def test_two_captures_give_the_same_canonical_bytes(rt: Runtime) -> None:
    guild = lab(rt)
    first = await capture(guild, bot=rt.bot, by="console")
    second = await capture(guild, bot=rt.bot, by="console")
    second["created_at"] = first["created_at"]  # the only field that is the clock's
    assert canonical_bytes(first) == canonical_bytes(second)
    raw_first, sum_first = await encode_snapshot(first)
    raw_second, sum_second = await encode_snapshot(second)
    assert (raw_first, sum_first) == (raw_second, sum_second)
    assert decode_snapshot(raw_first, sum_first) == first


@LOOP
async def test_last_messages_with_their_authors(rt: Runtime) -> None:
    sb = rt.sandbox
    guild = lab(rt)
    texts = ["first", "second", "third", "fourth"]
    for name, text in zip(["alice", "carol", "alice", "dave"], texts, strict=True):
        await sb.user(name).say("#general", text, guild=LAB)
    snap = await capture(guild, bot=rt.bot, by="console", messages=3)

    general = str(sb.channel_id("#general", LAB))
    kept = snap["messages"][general]
    assert [m["content"] for m in kept] == ["second", "third", "fourth"]
    ids = {name: int(sb.state.find_user(name)["id"]) for name in ("alice", "carol", "dave")}
    assert [m["author_id"] for m in kept] == [ids["carol"], ids["alice"], ids["dave"]]
    assert snap["message_authors"][str(ids["alice"])] == {"name": "Captain Alice", "avatar": None}
    assert set(snap["message_authors"]) == {str(i) for i in ids.values()}
    # Channels the bot cannot read are named, not silently empty.
    assert "messages of #staff-room not saved: no Read Message History" in snap["notes"]


@LOOP
async def test_an_image_the_cdn_lost_is_a_note_not_a_failure(rt: Runtime) -> None:
    """The emoji vanishes from Discord between the cache and the download (CDN 404)."""
    sb = rt.sandbox
    guild = lab(rt)
    g = sb.guild(LAB)
    eid = next(i for i, e in g.emojis.items() if e["name"] == "lab_star")

    def vanish() -> tuple[dict[str, Any], bytes | None]:
        data = sb.state.assets.get(assets.EMOJI, eid)
        return g.emojis.pop(eid), data  # no event: the bot still has it cached

    saved, data = await on_sandbox(rt, vanish)
    try:
        snap = await capture(guild, bot=rt.bot, by="console")
    finally:

        def back() -> None:
            g.emojis[eid] = saved
            if data is not None:
                assets.keep_emoji(sb.state, eid, data)

        await on_sandbox(rt, back)
    star = by_name(snap["emojis"], "lab_star")
    assert star["image"] is None
    assert snap["notes"] == ["emoji lab_star: image not saved (HTTP 404)"]
    assert all(e["image"] for e in snap["emojis"] if e["name"] != "lab_star")
    assert len(snap["roles"]) == 11 and snap["members"]["captured"]


@LOOP
async def test_without_images(rt: Runtime) -> None:
    snap = await capture(lab(rt), bot=rt.bot, by="console", assets=False)
    assert snap["assets_captured"] is False and snap["notes"] == []
    assert all(e["image"] is None for e in snap["emojis"] + snap["stickers"])
    assert snap["guild"]["icon"] is None and snap["guild"]["banner"] is None
    assert all(r["icon"] is None for r in snap["roles"])


class _NoMembersIntent:
    """The runtime's bot as one started without the members intent."""

    def __init__(self, bot: Any) -> None:
        self._bot = bot
        self.intents = discord.Intents.default()
        self.intents.members = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bot, name)


@LOOP
async def test_without_the_members_intent_the_snapshot_says_so(rt: Runtime) -> None:
    snap = await capture(lab(rt), bot=_NoMembersIntent(rt.bot), by="console")  # type: ignore[arg-type]
    assert snap["members"] == {
        "captured": False,
        "note": "member roles not saved: the bot does not have the members intent",
        "items": [],
    }
    assert len(snap["roles"]) == 11  # the rest is captured as usual


async def test_a_large_guild_does_not_block_the_loop(tmp_path: Path) -> None:
    """3,000 members: the capture lets other tasks run between batches of members."""
    async with running(tmp_path / "bot", scale_world(1, 3000, 40)) as rt:
        guild = rt.bot.guilds[0]
        await eventually(lambda: guild.chunked and guild.member_count == len(guild.members), 30)
        ticks = 0
        gaps: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            last = time.perf_counter()
            while not stop.is_set():
                now = time.perf_counter()
                gaps.append(now - last)
                last = now
                ticks += 1
                await asyncio.sleep(0)

        reports: list[tuple[str, int]] = []
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        try:
            snap = await capture(
                guild,
                bot=rt.bot,
                by="console",
                assets=False,
                progress=lambda text: reports.append((text, ticks)),
            )
        finally:
            stop.set()
            await task
        assert len(snap["members"]["items"]) == len([m for m in guild.members if not m.bot])
        assert len(snap["members"]["items"]) >= 2998
        # Progress every 200 members, and the ticker ran between every two reports.
        seen = [t for text, t in reports if text.startswith("members ")]
        assert len(seen) >= 14
        assert all(later > earlier for earlier, later in itertools.pairwise(seen))
        assert max(gaps) < 0.5  # coarse: a blocked loop would stall for the whole capture
