"""Context menus, autocomplete, client-side refusals and file uploads over the control API."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from zoryx.sandbox import Sandbox
from zoryx.testing import run_bot

from . import test_app_commands, test_attachments
from .test_control_api import Control


@pytest.fixture
async def control(sandbox: Sandbox) -> AsyncIterator[Control]:
    async with aiohttp.ClientSession() as session:
        yield Control(sandbox, session)


async def test_context_menus_autocomplete_and_refusals(sandbox: Sandbox, control: Control) -> None:
    bot, calls = test_app_commands.make_bot(sandbox)
    async with run_bot(bot, sandbox):
        await test_app_commands.start(sandbox)
        joined = await control.ok(
            "POST",
            "/act/context_menu",
            {"user": "alice", "command": "Show Join Date", "target_user": "bob", "wait": 5},
        )
        assert joined["interaction"]["original"]["content"].startswith("Bob joined in 20")
        said = await control.ok(
            "POST", "/act/say", {"user": "bob", "channel": "#general", "content": "a b c d"}
        )
        counted = await control.ok(
            "POST",
            "/act/context_menu",
            {
                "user": "alice",
                "command": "Count Words",
                "channel_id": said["channel_id"],
                "message_id": said["id"],
                "wait": 5,
            },
        )
        assert counted["interaction"]["original"]["content"] == "4 words by bob"
        status, err = await control.post(
            "/act/context_menu", {"user": "alice", "command": "Count Words"}
        )
        assert status == 400 and "target_user" in str(err["errors"])

        completed = await control.ok(
            "POST",
            "/act/autocomplete",
            {
                "user": "alice",
                "channel": "#general",
                "command": "pick",
                "focused": "fruit",
                "value": "an",
                "wait": 5,
            },
        )
        view = completed["interaction"]
        assert view["type"] == 4 and view["response_type"] == 8
        assert [c["value"] for c in view["response_data"]["choices"]] == ["banana"]

        before = len(sandbox.state.interactions.by_id)
        status, err = await control.post(
            "/act/slash",
            {"user": "alice", "channel": "#general", "command": "roll", "options": {"sides": 500}},
        )
        assert status == 400 and err["code"] == 50035
        assert "2..100" in err["message"] and "sides" in err["errors"]
        status, err = await control.post(
            "/act/slash",
            {"user": "carol", "channel": "#general", "command": "post", "options": {}},
        )
        assert status == 400 and "'where' is required" in err["message"]
        assert len(sandbox.state.interactions.by_id) == before
        assert [c[0] for c in calls] == ["join", "count", "complete"]


async def test_files_over_the_control_api(
    sandbox: Sandbox, control: Control, tmp_path: Path
) -> None:
    bot = test_attachments.make_bot(tmp_path)
    async with run_bot(bot, sandbox):
        await test_attachments.synced(sandbox)
        encoded = base64.b64encode(b"\x00\x01binary").decode()
        said = await control.ok(
            "POST",
            "/act/say",
            {
                "user": "bob",
                "channel": "#general",
                "files": [
                    {"filename": "raw.bin", "content_base64": encoded},
                    {"filename": "note.txt", "content": "text", "description": "alt"},
                ],
            },
        )
        raw, note = said["attachments"]
        assert note["description"] == "alt" and raw["size"] == 8
        async with control.session.get(raw["url"]) as resp:
            assert resp.status == 200 and await resp.read() == b"\x00\x01binary"
        replies = await control.ok(
            "GET", f"/channels/{said['channel_id']}/messages", after=said["id"], wait=5
        )
        assert replies[0]["content"].startswith("raw.bin:8:")

        uploaded = await control.ok(
            "POST",
            "/act/slash",
            {
                "user": "alice",
                "channel": "#general",
                "command": "upload",
                "options": {"file": {"filename": "x.txt", "content": "xyz"}},
                "wait": 5,
            },
        )
        assert uploaded["interaction"]["original"]["content"] == "x.txt 3 xyz"
        status, err = await control.post(
            "/act/say",
            {"user": "bob", "channel": "#general", "files": [{"filename": "no-content"}]},
        )
        assert status == 400 and "content_base64" in str(err["errors"])

        opened = await control.ok(
            "POST",
            "/act/slash",
            {"user": "alice", "channel": "#general", "command": "evidence", "wait": 5},
        )
        submitted = await control.ok(
            "POST",
            "/act/modal",
            {
                "user": "alice",
                "interaction_id": opened["interaction_id"],
                "values": {"note": "ok", "proof": [{"filename": "p.txt", "content": "P"}]},
                "wait": 5,
            },
        )
        assert submitted["interaction"]["original"]["content"] == "ok: p.txt=P"
