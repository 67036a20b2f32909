"""Prefix resolution: order of the prefix list, cached fast path and the SQLite slow path."""

from __future__ import annotations

import inspect
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from zoryx.prefix import PrefixResolver, _prefix_list
from zoryx.storage.databases import Databases

BOT_ID = 4242


def test_configured_prefix_is_tried_first() -> None:
    assert _prefix_list("!", True, BOT_ID) == ["!", f"<@{BOT_ID}> ", f"<@!{BOT_ID}> "]
    assert _prefix_list("!", False, BOT_ID) == ["!"]
    assert _prefix_list("!", True, None) == ["!"]


@pytest.mark.parametrize("prefix", ["<", "<@", f"<@{BOT_ID}", f"<@!{BOT_ID}> x"])
def test_prefix_overlapping_a_mention_goes_last(prefix: str) -> None:
    # discord.py takes the first prefix a message starts with: "<" must not eat "<@id> help"
    assert _prefix_list(prefix, True, BOT_ID)[-1] == prefix


def _message(guild_id: int | None) -> Any:
    guild = None if guild_id is None else SimpleNamespace(id=guild_id)
    return SimpleNamespace(guild=guild)


async def test_cached_guild_is_resolved_without_awaiting(tmp_path: Path) -> None:
    bot = SimpleNamespace(user=SimpleNamespace(id=BOT_ID))
    async with Databases(tmp_path) as db:
        await db.set_prefix(7, "?")
        await db.set_mention_prefix(8, False)
        resolver = PrefixResolver(db, "!", True)
        # a cold guild: a coroutine that loads its settings once
        db.clear_caches()
        cold = resolver(bot, _message(7))  # type: ignore[arg-type]
        assert inspect.iscoroutine(cold)
        assert await cold == ["?", f"<@{BOT_ID}> ", f"<@!{BOT_ID}> "]
        # now cached: a plain list, the same object every time (built once)
        warm = resolver(bot, _message(7))  # type: ignore[arg-type]
        assert warm == ["?", f"<@{BOT_ID}> ", f"<@!{BOT_ID}> "]
        assert resolver(bot, _message(7)) is warm  # type: ignore[arg-type]
        assert await resolver(bot, _message(8)) == ["!"]  # type: ignore[arg-type,misc]
        assert resolver(bot, _message(8)) == ["!"]  # type: ignore[arg-type]
        assert resolver(bot, _message(None)) == ["!", f"<@{BOT_ID}> ", f"<@!{BOT_ID}> "]  # type: ignore[arg-type]


async def test_prefix_lists_stay_bounded(tmp_path: Path) -> None:
    bot = SimpleNamespace(user=SimpleNamespace(id=BOT_ID))
    async with Databases(tmp_path) as db:
        resolver = PrefixResolver(db, "!", True)
        for n in range(PrefixResolver.MAX_LISTS + 50):
            resolver.default_prefix = f"p{n}"
            assert resolver(bot, _message(None))[0] == f"p{n}"  # type: ignore[arg-type,index]
        assert len(resolver._lists) <= PrefixResolver.MAX_LISTS
