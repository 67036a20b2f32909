"""An unmodified discord.py bot, written the way a discord.py user writes one, on the sandbox."""

from __future__ import annotations

import asyncio
import io

import discord
import pytest
from discord import app_commands
from discord.ext import commands, tasks

from zoryx.sandbox import Sandbox
from zoryx.testing import run_bot


class Confirm(discord.ui.View):
    def __init__(self, owner: int) -> None:
        super().__init__(timeout=30)
        self.owner = owner
        self.choice: str | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner:
            await interaction.response.send_message("Not your menu.", ephemeral=True)
            return False
        return True

    @discord.ui.button(label="Yes", style=discord.ButtonStyle.green, custom_id="yes")
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.choice = "yes"
        button.disabled = True
        await interaction.response.edit_message(content="Confirmed", view=self)

    @discord.ui.select(
        custom_id="color",
        placeholder="Pick",
        options=[
            discord.SelectOption(label="Red", value="red"),
            discord.SelectOption(label="Blue", value="blue"),
        ],
    )
    async def color(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"You picked {select.values[0]}")


class Feedback(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="Your feedback", custom_id="text", max_length=200)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Thanks: {self.text.value}", ephemeral=True)


def make_bot() -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1)
    bot.ticks = 0  # type: ignore[attr-defined]

    @tasks.loop(seconds=0.05)
    async def ticker() -> None:
        bot.ticks += 1  # type: ignore[attr-defined]

    @bot.event
    async def setup_hook() -> None:
        ticker.start()

    @bot.command()
    async def ping(ctx: commands.Context) -> None:
        await ctx.send("pong")

    @bot.command()
    async def add(ctx: commands.Context, a: int, b: int) -> None:
        await ctx.reply(str(a + b))

    @add.error
    async def add_error(ctx: commands.Context, error: commands.CommandError) -> None:
        await ctx.send(f"error: {type(error).__name__}")

    @bot.hybrid_command(description="Show an embed with a file")
    async def report(ctx: commands.Context) -> None:
        embed = discord.Embed(title="Report", description="All good")
        embed.add_field(name="Guild", value=ctx.guild.name if ctx.guild else "DM")
        embed.set_image(url="attachment://report.txt")
        await ctx.send(embed=embed, file=discord.File(io.BytesIO(b"hello file"), "report.txt"))

    @bot.tree.command(description="Greet someone")
    @app_commands.describe(who="Who to greet", times="How many times")
    async def greet(interaction: discord.Interaction, who: discord.Member, times: int = 1) -> None:
        await interaction.response.send_message(" ".join([f"hi {who.display_name}"] * times))

    @bot.tree.command(description="Slow answer")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done thinking")

    @bot.tree.command(description="Open a menu")
    async def menu(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Choose", view=Confirm(interaction.user.id))

    @bot.tree.command(description="Give feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    @bot.command()
    async def quiz(ctx: commands.Context) -> None:
        await ctx.send("What is 2+2?")

        def check(m: discord.Message) -> bool:
            return m.author == ctx.author and m.channel == ctx.channel

        answer = await bot.wait_for("message", check=check, timeout=5)
        await ctx.send("correct" if answer.content == "4" else "wrong")

    @bot.command()
    async def poll(ctx: commands.Context) -> None:
        msg = await ctx.send("Vote!")
        await msg.add_reaction("👍")

        def check(reaction: discord.Reaction, user: discord.User) -> bool:
            return (
                reaction.message.id == msg.id and user == ctx.author and str(reaction.emoji) == "👍"
            )

        await bot.wait_for("reaction_add", check=check, timeout=5)
        await ctx.send(f"{ctx.author.name} voted")

    @bot.event
    async def on_ready() -> None:
        await bot.tree.sync()

    return bot


@pytest.fixture
def sandbox_world() -> str:
    return "demo"


async def test_full_discordpy_bot(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        await sandbox.wait_until(lambda: bool(sandbox.app_info.commands), what="command sync")
        alice = sandbox.user("alice")
        assert len(bot.guilds) == 3
        lounge = discord.utils.get(bot.guilds, name="Zoryx Lounge")
        assert lounge is not None and lounge.member_count == len(
            sandbox.guild("Zoryx Lounge").members
        )

        # Prefix commands, converters and error handlers.
        await alice.say("#general", "!ping")
        assert (await sandbox.expect_message("#general")).content == "pong"
        await alice.say("#general", "!add 2 40")
        reply = await sandbox.expect_message("#general")
        assert reply.content == "42" and reply.raw["message_reference"]["message_id"]
        await alice.say("#general", "!add two 3")
        assert (await sandbox.expect_message("#general")).content == "error: BadArgument"

        # Hybrid command as prefix and as slash, with an embed and a file.
        await alice.say("#general", "!report")
        report = await sandbox.expect_message("#general")
        assert report.embeds[0]["title"] == "Report"
        assert report.attachments[0]["filename"] == "report.txt"
        assert report.attachments[0]["size"] == len(b"hello file")
        result = await (await alice.slash("report")).response()
        assert (
            result.message is not None
            and result.message.embeds[0]["fields"][0]["value"] == "Zoryx Lounge"
        )

        # App command with options (member + int) and a deferred answer with a follow-up.
        result = await (await alice.slash("greet", who="bob", times=2)).response()
        assert result.content == "hi Bob hi Bob"
        result = await (await alice.slash("slow")).response()
        assert result.content == "done thinking"

        # View with a button and a select; only the invoker may use it.
        handle = await alice.slash("menu")
        menu = (await handle.response()).message
        assert menu is not None and set(menu.custom_ids()) == {"yes", "color"}
        denied = await (await sandbox.user("bob").click(menu, "yes")).response()
        assert denied.ephemeral and denied.content == "Not your menu."
        picked = await (await alice.select(menu, "color", ["blue"])).response()
        assert picked.content == "You picked blue"
        clicked = await (await alice.click(menu, "yes")).response()
        assert clicked.message is not None and clicked.message.content == "Confirmed"
        assert clicked.message.components[0]["components"][0]["disabled"] is True

        # Modal.
        opened = await alice.slash("feedback")
        assert (await opened.response()).type == 9
        submitted = await (await alice.submit_modal(opened, {"text": "great bot"})).response()
        assert submitted.content == "Thanks: great bot" and submitted.ephemeral

        # wait_for on messages and reactions.
        await alice.say("#general", "!quiz")
        await sandbox.expect_message("#general", content="What is 2+2?")
        await alice.say("#general", "4")
        assert (await sandbox.expect_message("#general")).content == "correct"
        await alice.say("#general", "!poll")
        vote = await sandbox.expect_message("#general", content="Vote!")
        await sandbox.wait_until(
            lambda: bool(
                sandbox.state.reactors(vote.channel_id, vote.id, {"id": None, "name": "👍"})
            )
        )
        await alice.react(vote, "👍")
        assert (await sandbox.expect_message("#general")).content == "alice voted"

        # tasks.loop keeps running.
        assert bot.ticks > 0  # type: ignore[attr-defined]


async def test_message_content_intent_gating(sandbox: Sandbox) -> None:
    intents = discord.Intents.default()  # no message_content
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.1)
    seen: list[str] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    async with run_bot(bot, sandbox):
        alice = sandbox.user("alice")
        await alice.say("#general", "secret words")
        await alice.say("#general", f"<@{sandbox.bot_id}> hello")
        await alice.dm("in a dm")
        await asyncio.sleep(0.3)
    assert "" in seen and "secret words" not in seen
    assert f"<@{sandbox.bot_id}> hello" in seen
    assert "in a dm" in seen


async def test_bad_token_raises_login_failure(sandbox: Sandbox) -> None:
    from zoryx.sandbox import use_sandbox

    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default())
    with use_sandbox(sandbox.url):
        with pytest.raises(discord.LoginFailure):
            await bot.start("not-a-real-token")
    await bot.close()


async def test_privileged_intents_not_granted(sandbox: Sandbox) -> None:
    from zoryx.sandbox import use_sandbox

    sandbox.app_info.privileged_granted = 0
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.all())
    with use_sandbox(sandbox.url):
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(bot.start(sandbox.token), 15)
    await bot.close()


def test_use_sandbox_restores_and_checks_version(monkeypatch: pytest.MonkeyPatch) -> None:
    import discord.gateway
    import discord.http

    from zoryx.sandbox import SandboxVersionError, use_sandbox

    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    with use_sandbox("http://127.0.0.1:9"):
        assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9/gateway"
    assert (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == before
    monkeypatch.setattr(discord, "version_info", discord.version_info._replace(minor=5))
    with pytest.raises(SandboxVersionError, match=r"2\.7"):
        with use_sandbox("http://127.0.0.1:9"):
            pass
