"""Files sandbox users upload (messages, slash ``attachment`` options, modal file uploads),
stored by the sandbox and downloaded by the unmodified discord.py client from its CDN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import ClientRefusal, Sandbox, Upload
from zoryx.sandbox.cdn import PLACEHOLDER_PNG
from zoryx.sandbox.constants import Perm
from zoryx.sandbox.errors import DiscordAPIError
from zoryx.sandbox.uploads import MAX_UPLOAD_BYTES
from zoryx.testing import run_bot

from .helpers import on_sandbox


class Evidence(discord.ui.Modal, title="Evidence"):
    note: discord.ui.TextInput[Evidence] = discord.ui.TextInput(label="Note", custom_id="note")
    proof: discord.ui.Label[Evidence] = discord.ui.Label(
        text="Screenshots",
        component=discord.ui.FileUpload(custom_id="proof", min_values=1, max_values=2),
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.proof.component, discord.ui.FileUpload)
        parts = []
        for attachment in self.proof.component.values:
            data = await attachment.read()
            parts.append(f"{attachment.filename}={data.decode()}")
        await interaction.response.send_message(f"{self.note.value}: {', '.join(parts)}")


def make_bot(saved: Path) -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1)

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot or not message.attachments:
            return
        described = []
        for attachment in message.attachments:
            data = await attachment.read()
            await attachment.save(saved / attachment.filename)
            size = f" {attachment.width}x{attachment.height}" if attachment.width else ""
            described.append(f"{attachment.filename}:{len(data)}:{attachment.content_type}{size}")
        await message.reply(" | ".join(described))

    @bot.tree.command(description="Upload a file")
    async def upload(
        interaction: discord.Interaction, file: discord.Attachment, note: str | None = None
    ) -> None:
        data = await file.read()
        await interaction.response.send_message(
            f"{file.filename} {file.size} {data.decode()} {note or ''}".strip()
        )

    @bot.tree.command(description="Send evidence")
    async def evidence(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Evidence())

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


async def synced(sandbox: Sandbox) -> None:
    await sandbox.wait_until(lambda: len(sandbox.app_info.commands) == 2, what="command sync")


async def test_files_in_user_messages_are_downloadable(sandbox: Sandbox, tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    async with run_bot(bot, sandbox):
        bob = sandbox.user("bob")
        sent = await bob.say(
            "#general",
            "look",
            files=[("notes.txt", b"hello file"), Upload("pic.png", PLACEHOLDER_PNG)],
        )
        first, second = sent.attachments
        assert first["url"].startswith(f"{sandbox.url}/cdn/attachments/{sent.channel_id}/")
        assert first["ephemeral"] is False and second["width"] == 16
        reply = await sandbox.expect_message("#general")
        assert reply.content == (
            "notes.txt:10:text/plain; charset=utf-8 | "
            f"pic.png:{len(PLACEHOLDER_PNG)}:image/png 16x16"
        )
        assert (tmp_path / "notes.txt").read_bytes() == b"hello file"
        assert (tmp_path / "pic.png").read_bytes() == PLACEHOLDER_PNG

        # The CDN answers 404 for a wrong file name or an unknown attachment, like Discord's.
        async with aiohttp.ClientSession() as session:
            for url in (
                first["url"].replace("notes.txt", "other.txt"),
                f"{sandbox.url}/cdn/attachments/1/2/notes.txt",
            ):
                async with session.get(url) as resp:
                    assert resp.status == 404, url

        # Attaching files needs ATTACH_FILES in the channel.
        general = sandbox.channel_id("#general")
        guild_id = sandbox.guild().id

        def deny() -> None:
            chan = sandbox.state.channel_or_404(general)
            chan["permission_overwrites"].append(
                {"id": str(guild_id), "type": 0, "allow": "0", "deny": str(int(Perm.ATTACH_FILES))}
            )

        await on_sandbox(sandbox, deny)
        with pytest.raises(DiscordAPIError) as info:
            await bob.say("#general", "again", files=[("notes.txt", b"x")])
        assert info.value.code == 50013
        await bob.say("#general", "text still works")


async def test_slash_attachment_option(sandbox: Sandbox, tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    async with run_bot(bot, sandbox):
        await synced(sandbox)
        alice = sandbox.user("alice")
        handle = await alice.slash("upload", "#general", file=("data.txt", b"42"), note="hi")
        result = await handle.response()
        assert result.content == "data.txt 2 42 hi"
        data = handle.record.payload["data"]
        option = next(o for o in data["options"] if o["name"] == "file")
        attachment = data["resolved"]["attachments"][option["value"]]
        assert option["type"] == 11 and attachment["ephemeral"] is True
        assert "/cdn/ephemeral-attachments/" in attachment["url"]

        before = len(sandbox.state.interactions.by_id)
        with pytest.raises(ClientRefusal, match="required"):
            await alice.slash("upload", "#general", note="no file")
        with pytest.raises(DiscordAPIError) as info:
            await alice.slash("upload", "#general", file="not a file")
        assert info.value.status == 400
        with pytest.raises(DiscordAPIError) as info:
            await alice.slash(
                "upload", "#general", file=("big.bin", b"\0" * (MAX_UPLOAD_BYTES + 1))
            )
        assert info.value.status == 413
        assert len(sandbox.state.interactions.by_id) == before


async def test_modal_file_upload(sandbox: Sandbox, tmp_path: Path) -> None:
    bot = make_bot(tmp_path)
    async with run_bot(bot, sandbox):
        await synced(sandbox)
        alice = sandbox.user("alice")
        opened = await alice.slash("evidence")
        modal = (await opened.response()).data
        assert modal is not None and modal["components"][1]["component"]["type"] == 19

        files: dict[str, Any] = {"note": "see", "proof": [("a.txt", b"A"), ("b.txt", b"B")]}
        submitted = await alice.submit_modal(opened, files)
        assert (await submitted.response()).content == "see: a.txt=A, b.txt=B"
        sent = submitted.record.payload["data"]
        ids = sent["components"][1]["component"]["values"]
        assert sorted(sent["resolved"]["attachments"]) == sorted(ids) and len(ids) == 2

        before = len(sandbox.state.interactions.by_id)
        for proof, reason in (([], "1 to 2 files"), ([("c", b"c")] * 3, "1 to 2 files")):
            with pytest.raises(ClientRefusal, match=reason):
                await alice.submit_modal(opened, {"note": "x", "proof": proof})
        assert len(sandbox.state.interactions.by_id) == before
