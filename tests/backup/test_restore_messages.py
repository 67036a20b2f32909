"""Messages replayed through webhooks: in order, under each author's name and picture
(uploaded from the snapshot's bytes), pinging nobody, never twice into the same channel,
and with more authors than webhooks kept at once."""

from __future__ import annotations

import base64
from typing import Any

import discord
import pytest

from cogs.backup_restore import restore_messages
from zoryx.runtime import Runtime
from zoryx.sandbox import assets
from zoryx.sandbox.cdn import make_png
from zoryx.sandbox.views import SandboxMessage
from zoryx.testing import eventually

from ._fixtures import on_sandbox
from ._restore_helpers import LAB, guild, restore, rt, snap

__all__ = ["rt"]

pytestmark = pytest.mark.timeout(240)

ALICE_PICTURE = make_png(32, (0xFF, 0x00, 0x00), (0x00, 0x00, 0xFF))
REPLAY = frozenset({"channels", "overwrites", "messages"})


async def _history(rt: Runtime) -> dict[str, Any]:
    """Three messages in #general (one of them @everyone), then a snapshot with them, in
    which alice has a picture (the world's users have none of their own)."""
    for user, text in (("alice", "hello all"), ("bob", "@everyone look"), ("alice", "bye")):
        await rt.sandbox.user(user).say("#general", text, guild=LAB)
    before = await snap(rt, guild(rt), messages=10)
    alice = rt.sandbox.user("alice")
    before["message_authors"][str(alice.id)]["avatar"] = base64.b64encode(ALICE_PICTURE).decode()
    return before


async def _delete_general(rt: Runtime) -> None:
    await rt.sandbox.delete_channel("general", LAB)
    lab = guild(rt)
    await eventually(lambda: discord.utils.get(lab.channels, name="general") is None, timeout=30)


async def _replayed(rt: Runtime, name: str = "general") -> list[SandboxMessage]:
    return [m for m in rt.sandbox.messages(f"#{name}", guild=LAB) if m.raw.get("webhook_id")]


def _picture(rt: Runtime, message: SandboxMessage) -> bytes | None:
    digest = message.raw["author"].get("avatar")
    return None if digest is None else rt.sandbox.state.assets.get(assets.IMAGE, digest)


async def _webhooks_in(rt: Runtime, channel_id: int) -> int:
    hooks = await on_sandbox(rt, lambda: list(rt.sandbox.state.webhooks.values()))
    return sum(1 for h in hooks if int(h["channel_id"]) == channel_id)


async def test_messages_come_back_under_their_authors(rt: Runtime) -> None:
    before = await _history(rt)
    await _delete_general(rt)

    report = await restore(rt, guild(rt), before, REPLAY)

    got = await _replayed(rt)
    assert [(m.raw["author"]["username"], m.content) for m in got] == [
        ("Captain Alice", "hello all"),  # her name as the server showed it (a nickname)
        ("Bob", "@everyone look"),  # his display name
        ("Captain Alice", "bye"),
    ]
    assert [_picture(rt, m) for m in got] == [ALICE_PICTURE, None, ALICE_PICTURE]
    assert not any(m.raw.get("mention_everyone") for m in got)
    assert report.components["messages"].created == ["#general: 3 message(s)"]
    assert report.totals()["failed"] == 0
    general = discord.utils.get(guild(rt).text_channels, name="general")
    assert general is not None
    assert await _webhooks_in(rt, general.id) == 0  # cleaned up

    # A second restore finds #general with messages: no duplicates.
    again = await restore(rt, guild(rt), before, REPLAY)
    assert len(await _replayed(rt)) == 3
    assert again.components["messages"].skipped == [
        "#general: 3 message(s): the channel still has messages (replaying would duplicate them)"
    ]


async def test_more_authors_than_webhooks(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(restore_messages, "POOL_SIZE", 2)
    before = await _history(rt)
    general = discord.utils.get(guild(rt).text_channels, name="general")
    assert general is not None
    channel_key = str(general.id)
    pictures = {}
    for n in range(4):  # four authors, two webhooks at a time: some get taken over
        author = str(9_000 + n)
        pictures[f"writer{n}"] = make_png(16, (n * 40, 0, 0), (0, 0, n * 40))
        before["message_authors"][author] = {
            "name": f"writer{n}",
            "avatar": base64.b64encode(pictures[f"writer{n}"]).decode(),
        }
    order = [0, 1, 2, 0, 3, 1]
    before["messages"][channel_key] = [
        {"author_id": 9_000 + n, "content": f"line {i}", "created_at": ""}
        for i, n in enumerate(order)
    ]
    await _delete_general(rt)

    report = await restore(rt, guild(rt), before, REPLAY)

    got = await _replayed(rt)
    assert report.totals()["failed"] == 0, report.components
    assert [m.content for m in got] == [f"line {i}" for i in range(len(order))]
    assert [m.raw["author"]["username"] for m in got] == [f"writer{n}" for n in order]
    assert [_picture(rt, m) for m in got] == [pictures[f"writer{n}"] for n in order]


def test_webhook_names_discord_refuses_are_changed() -> None:
    assert "discord" not in restore_messages.webhook_name("My Discord Fan").lower()
    assert "clyde" not in restore_messages.webhook_name("clyde").lower()
    assert restore_messages.webhook_name("   ") == "member"
    assert len(restore_messages.webhook_name("x" * 200)) == 80
