"""Webhook REST routes on the sandbox, driven by an unmodified discord.py bot."""

from __future__ import annotations

import discord
import pytest
from discord.ext import commands

from zoryx.sandbox import Sandbox, channel_ops
from zoryx.sandbox.constants import Perm
from zoryx.testing import run_bot

from .helpers import eventually, on_sandbox, text_channel

BOT_ROLE = "Zoryx Sandbox Bot"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def make_bot() -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1)

    @bot.command()
    async def relay(ctx: commands.Context, *, text: str) -> None:
        assert isinstance(ctx.channel, discord.TextChannel)
        hooks = [h for h in await ctx.channel.webhooks() if h.name == "Relay"]
        hook = hooks[0] if hooks else await ctx.channel.create_webhook(name="Relay")
        await hook.send(text, username=ctx.author.display_name)

    return bot


async def test_webhook_lifecycle(sandbox: Sandbox) -> None:
    bot = make_bot()
    updates: list[int] = []

    @bot.event
    async def on_webhooks_update(channel: discord.abc.GuildChannel) -> None:
        updates.append(channel.id)

    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        hook = await general.create_webhook(name="Announcer", avatar=PNG)
        assert hook.type is discord.WebhookType.incoming and hook.token
        assert hook.channel_id == general.id and hook.guild_id == general.guild.id
        assert hook.user is not None and hook.user.id == bot.user.id  # type: ignore[union-attr]
        assert hook.avatar is not None
        await eventually(lambda: general.id in updates)
        stored = sandbox.state.webhooks[hook.id]
        assert stored["token"] == hook.token and stored["name"] == "Announcer"

        sent = await hook.send("hi", wait=True)
        assert sent.webhook_id == hook.id and sent.author.name == "Announcer"
        in_channel = sandbox.messages("#general")[-1]
        assert in_channel.content == "hi" and in_channel.raw["webhook_id"] == str(hook.id)
        await hook.edit_message(sent.id, content="edited")
        assert sandbox.messages("#general")[-1].content == "edited"

        renamed = await hook.edit(name="Herald")
        assert renamed.name == "Herald" and stored["name"] == "Herald"
        assert [h.id for h in await general.webhooks()] == [hook.id]
        assert [h.id for h in await general.guild.webhooks()] == [hook.id]
        fetched = await bot.fetch_webhook(hook.id)
        assert fetched.name == "Herald" and fetched.token == hook.token

        by_token = discord.Webhook.partial(hook.id, hook.token, client=bot)  # type: ignore[arg-type]
        plain = await by_token.fetch()
        assert plain.name == "Herald" and plain.user is None
        await by_token.edit(name="Crier")
        assert stored["name"] == "Crier"

        await hook.delete()
        assert hook.id not in sandbox.state.webhooks
        with pytest.raises(discord.NotFound) as gone:
            await bot.fetch_webhook(hook.id)
        assert gone.value.code == 10015
        with pytest.raises(discord.NotFound):
            await by_token.send("too late", wait=True)


async def test_relay_command_reuses_its_webhook(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        await sandbox.user("carol").say("#general", "!relay hello there")
        await sandbox.user("carol").say("#general", "!relay again")
        relayed = await sandbox.expect_message("#general", content="again", author=None)
        assert relayed.raw["author"]["username"] == "Carol"
        hooks = [h for h in sandbox.state.webhooks.values() if h["name"] == "Relay"]
        assert len(hooks) == 1 and relayed.raw["webhook_id"] == hooks[0]["id"]


async def test_webhook_errors(sandbox: Sandbox) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        for name in ("Discord Relay", "clyde", "x" * 81):
            with pytest.raises(discord.HTTPException) as bad:
                await general.create_webhook(name=name)
            assert (bad.value.status, bad.value.code) == (400, 50035), name
        assert sandbox.state.webhooks == {}

        hook = await general.create_webhook(name="Fine")
        wrong = discord.Webhook.partial(hook.id, "not-the-token", client=bot)  # type: ignore[arg-type]
        with pytest.raises(discord.HTTPException) as bad_token:
            await wrong.fetch()
        assert (bad_token.value.status, bad_token.value.code) == (401, 50027)

        stored = sandbox.state.channel_or_404(general.id)
        rid = sandbox.role_id(BOT_ROLE)
        deny = int(Perm.MANAGE_WEBHOOKS)
        await on_sandbox(
            sandbox, lambda: channel_ops.put_overwrite(sandbox.state, stored, rid, 0, 0, deny)
        )
        with pytest.raises(discord.Forbidden) as refused:
            await general.create_webhook(name="Nope")
        assert refused.value.code == 50013
        with pytest.raises(discord.Forbidden):
            await general.webhooks()
        with pytest.raises(discord.Forbidden):
            await hook.delete()
        fetched = await bot.fetch_webhook(hook.id)  # the owning application may still read it
        assert fetched.id == hook.id

        guild = sandbox.guild()
        hidden = [
            {"id": str(guild.id), "type": 0, "allow": "0", "deny": str(int(Perm.VIEW_CHANNEL))}
        ]
        secret = await on_sandbox(
            sandbox, lambda: sandbox.state.create_channel(guild, 0, "secret", overwrites=hidden)
        )
        await eventually(lambda: bot.get_channel(int(secret["id"])) is not None)
        secret_channel = bot.get_channel(int(secret["id"]))
        assert isinstance(secret_channel, discord.TextChannel)
        with pytest.raises(discord.Forbidden) as no_access:
            await secret_channel.create_webhook(name="Spy")
        assert no_access.value.code == 50001
