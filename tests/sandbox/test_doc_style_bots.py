"""Bots written the way discord.py's documentation and examples write them (our own code),
run unmodified against the sandbox and driven as users."""

from __future__ import annotations

from typing import NamedTuple

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from zoryx.sandbox import ClientRefusal, Sandbox
from zoryx.testing import run_bot


# -- a client with a command tree and two context menus -----------------------------------------
class ModerationClient(discord.Client):
    """``discord.Client`` + ``app_commands.CommandTree``, commands copied to one guild."""

    def __init__(self, *, guild_id: int, log_channel_id: int) -> None:
        intents = discord.Intents.default()
        super().__init__(intents=intents, guild_ready_timeout=0.1)
        self.tree = app_commands.CommandTree(self)
        self.home = discord.Object(id=guild_id)
        self.log_channel_id = log_channel_id

    async def setup_hook(self) -> None:
        self.tree.copy_global_to(guild=self.home)
        await self.tree.sync(guild=self.home)


def moderation_client(sandbox: Sandbox) -> ModerationClient:
    client = ModerationClient(
        guild_id=sandbox.guild().id, log_channel_id=sandbox.channel_id("#bot-commands")
    )

    @client.tree.context_menu(name="Show Join Date")
    async def show_join_date(interaction: discord.Interaction, member: discord.Member) -> None:
        assert member.joined_at is not None
        when = discord.utils.format_dt(member.joined_at, style="D")
        await interaction.response.send_message(f"{member.name} joined on {when}", ephemeral=True)

    @client.tree.context_menu(name="Report to Moderators")
    async def report_message(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(
            f"Thanks, the moderators will look at the message by {message.author.mention}.",
            ephemeral=True,
        )
        assert interaction.guild is not None
        log_channel = interaction.guild.get_channel(client.log_channel_id)
        assert isinstance(log_channel, discord.TextChannel)
        embed = discord.Embed(title="Reported message", description=message.content or None)
        embed.set_author(name=message.author.display_name)
        embed.timestamp = message.created_at
        jump = discord.ui.View()
        jump.add_item(
            discord.ui.Button(label="Open", style=discord.ButtonStyle.url, url=message.jump_url)
        )
        await log_channel.send(embed=embed, view=jump)

    return client


async def test_context_menu_client(sandbox: Sandbox) -> None:
    client = moderation_client(sandbox)
    async with run_bot(client, sandbox):
        gid = sandbox.guild().id
        await sandbox.wait_until(
            lambda: len(sandbox.app_info.guild_commands.get(gid, {})) == 2, what="guild sync"
        )
        alice = sandbox.user("alice")
        shown = await (await alice.context_menu("Show Join Date", "carol")).response()
        assert shown.ephemeral and shown.content.startswith("carol joined on <t:")

        said = await sandbox.user("carol").say("#general", "buy cheap stuff here")
        thanked = await (await alice.context_menu("Report to Moderators", said)).response()
        assert thanked.ephemeral and f"<@{said.author_id}>" in thanked.content
        logged = await sandbox.expect_message("#bot-commands")
        assert logged.embeds[0]["description"] == "buy cheap stuff here"
        button = logged.components[0]["components"][0]
        assert button["url"].endswith(f"/{said.channel_id}/{said.id}")


# -- transformers: ranges and a custom transformer ----------------------------------------------
class Point(NamedTuple):
    x: int
    y: int


class PointTransformer(app_commands.Transformer):
    """Turns ``"3, 4"`` into a :class:`Point`."""

    async def transform(self, interaction: discord.Interaction, value: str) -> Point:
        left, _, right = value.partition(",")
        return Point(int(left), int(right))


def transformer_bot() -> commands.Bot:
    bot = commands.Bot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1
    )

    @bot.tree.command()
    @app_commands.describe(first="A number from 1 to 10", second="Another one")
    async def add(
        interaction: discord.Interaction,
        first: app_commands.Range[int, 1, 10],
        second: app_commands.Range[int, 1, 10] = 1,
    ) -> None:
        """Adds two small numbers."""
        await interaction.response.send_message(f"{first} + {second} = {first + second}")

    @bot.tree.command()
    async def tag(interaction: discord.Interaction, text: app_commands.Range[str, 2, 5]) -> None:
        """Makes a short tag."""
        await interaction.response.send_message(f"[{text.upper()}]")

    @bot.tree.command()
    async def scale(
        interaction: discord.Interaction, factor: app_commands.Range[float, 0.1]
    ) -> None:
        """Scales by a positive factor."""
        await interaction.response.send_message(f"x{factor:g}")

    @bot.tree.command()
    async def graph(
        interaction: discord.Interaction, point: app_commands.Transform[Point, PointTransformer]
    ) -> None:
        """Plots a point."""
        await interaction.response.send_message(f"plotted ({point.x}, {point.y})")

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


async def test_transformers_with_ranges(sandbox: Sandbox) -> None:
    bot = transformer_bot()
    async with run_bot(bot, sandbox):
        await sandbox.wait_until(lambda: len(sandbox.app_info.commands) == 4, what="sync")
        alice = sandbox.user("alice")

        async def run(name: str, **options: object) -> str:
            return (await (await alice.slash(name, "#general", **options)).response()).content

        assert await run("add", first=3, second=4) == "3 + 4 = 7"
        assert await run("add", first=10) == "10 + 1 = 11"
        assert await run("tag", text="abcde") == "[ABCDE]"
        assert await run("scale", factor=2.5) == "x2.5"
        assert await run("graph", point="3, 4") == "plotted (3, 4)"

        before = len(sandbox.state.interactions.by_id)
        for name, options in (
            ("add", {"first": 0}),
            ("add", {"first": 11}),
            ("add", {"first": 5, "second": 20}),
            ("tag", {"text": "a"}),
            ("tag", {"text": "abcdef"}),
            ("scale", {"factor": 0.05}),
            ("graph", {}),
        ):
            with pytest.raises(ClientRefusal):
                await alice.slash(name, "#general", **options)
        assert len(sandbox.state.interactions.by_id) == before


# -- a reply ------------------------------------------------------------------------------------
class ReplyClient(discord.Client):
    async def on_message(self, message: discord.Message) -> None:
        assert self.user is not None
        if message.author.id == self.user.id:
            return
        if message.content.startswith("!hello"):
            await message.reply("Hello!", mention_author=True)
        elif message.content.startswith("!quiet"):
            await message.reply("Shh.", mention_author=False)


async def test_reply_client(sandbox: Sandbox) -> None:
    intents = discord.Intents.default()
    intents.message_content = True
    client = ReplyClient(intents=intents, guild_ready_timeout=0.1)
    async with run_bot(client, sandbox):
        bob = sandbox.user("bob")
        hello = await bob.say("#general", "!hello")
        reply = await sandbox.expect_message("#general")
        assert reply.content == "Hello!"
        assert reply.raw["message_reference"]["message_id"] == str(hello.id)
        assert reply.raw["referenced_message"]["id"] == str(hello.id)
        assert [m["id"] for m in reply.raw["mentions"]] == [str(bob.id)]
        quiet = await bob.say("#general", "!quiet")
        reply = await sandbox.expect_message("#general")
        assert reply.content == "Shh." and reply.raw["mentions"] == []
        assert reply.raw["message_reference"]["message_id"] == str(quiet.id)


# -- edit and delete listeners ------------------------------------------------------------------
class EditDeleteClient(discord.Client):
    async def on_message(self, message: discord.Message) -> None:
        if message.author == self.user:
            return
        if message.content.startswith("!deleteme"):
            note = await message.channel.send("This note deletes itself.")
            await note.delete()
            await message.channel.send("Gone in a moment...", delete_after=0.05)

    async def on_message_delete(self, message: discord.Message) -> None:
        if message.author == self.user:
            return
        await message.channel.send(f"{message.author.name} deleted: {message.content}")

    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        if before.author == self.user:
            return
        await before.channel.send(
            f"{before.author.name} edited: {before.content} -> {after.content}"
        )


async def test_edit_and_delete_listeners(sandbox: Sandbox) -> None:
    intents = discord.Intents.default()
    intents.message_content = True
    client = EditDeleteClient(intents=intents, guild_ready_timeout=0.1)
    async with run_bot(client, sandbox):
        bob = sandbox.user("bob")
        said = await bob.say("#general", "hello there")
        await bob.edit(said, "hello world")
        edited = await sandbox.expect_message("#general")
        assert edited.content == "bob edited: hello there -> hello world"
        await bob.delete(said)
        deleted = await sandbox.expect_message("#general")
        assert deleted.content == "bob deleted: hello world"

        await bob.say("#general", "!deleteme")
        note = await sandbox.expect_message("#general", content="This note deletes itself.")
        later = await sandbox.expect_message("#general", content="Gone in a moment...")
        stored = sandbox.state.messages[note.channel_id]
        await sandbox.wait_until(
            lambda: note.id not in stored and later.id not in stored, what="bot deletions"
        )
