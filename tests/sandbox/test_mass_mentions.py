"""Mass mentions on the sandbox follow Discord's rules.

``@everyone``/``@here`` ping only when the author holds MENTION_EVERYONE in the channel
(overwrites applied) and ``allowed_mentions`` lets them; a role that is not mentionable
pings only with that permission. Plain webhooks may always mass-mention; interaction
responses use the bot's own permissions. Each test drives an unmodified discord.py bot
and checks both the message the sandbox stored and what the bot was told.
"""

from __future__ import annotations

import discord
from discord.ext import commands

from zoryx.sandbox import Sandbox, channel_ops
from zoryx.sandbox.constants import Perm
from zoryx.sandbox.views import SandboxMessage
from zoryx.testing import run_bot

from .helpers import eventually, on_sandbox, text_channel

BOT_ROLE = "Zoryx Sandbox Bot"
MENTION_EVERYONE = int(Perm.MENTION_EVERYONE)
ROLE, MEMBER = 0, 1  # overwrite kinds


def make_bot() -> commands.Bot:
    return commands.Bot(command_prefix="!", intents=discord.Intents.all(), guild_ready_timeout=0.1)


def pings(message: SandboxMessage) -> tuple[bool, list[int], list[int]]:
    """(mention_everyone, mention_roles, mentioned user ids) of a stored message."""
    raw = message.raw
    return (
        raw["mention_everyone"],
        [int(r) for r in raw["mention_roles"]],
        [int(u["id"]) for u in raw["mentions"]],
    )


def stored(sb: Sandbox, message_id: int, channel: str = "#general") -> SandboxMessage:
    return next(m for m in sb.messages(channel) if m.id == message_id)


async def overwrite(sb: Sandbox, target: int, kind: int, *, allow: int = 0, deny: int = 0) -> None:
    """Put a permission overwrite on #general (as a moderator would in channel settings)."""
    channel = sb.state.channel_or_404(sb.channel_id("#general"))
    await on_sandbox(
        sb, lambda: channel_ops.put_overwrite(sb.state, channel, target, kind, allow, deny)
    )


async def test_members_ping_everyone_only_with_the_permission_in_the_channel(
    sandbox: Sandbox,
) -> None:
    bot = make_bot()
    seen: list[discord.Message] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message)

    async with run_bot(bot, sandbox):
        carol = sandbox.user("carol")
        helper, mod = sandbox.role_id("Helper"), sandbox.role_id("Moderator")
        # @everyone holds MENTION_EVERYONE guild-wide; #general takes it away...
        await overwrite(sandbox, sandbox.guild().id, ROLE, deny=MENTION_EVERYONE)
        denied = [
            await carol.say("#general", "@everyone lunch?"),
            await carol.say("#general", "@here lunch?"),
            await carol.say("#general", f"<@&{helper}> <@&{mod}>"),
        ]
        # ...and a member overwrite gives it back to carol alone.
        await overwrite(sandbox, carol.id, MEMBER, allow=MENTION_EVERYONE)
        allowed = [
            await carol.say("#general", "@everyone lunch!"),
            await carol.say("#general", f"<@&{helper}> <@&{mod}>"),
        ]
        assert [pings(m)[:2] for m in denied] == [(False, []), (False, []), (False, [mod])]
        assert [pings(m)[:2] for m in allowed] == [(True, []), (False, [helper, mod])]

        await eventually(lambda: len(seen) == 5)
        assert [m.mention_everyone for m in seen] == [False, False, False, True, False]
        assert [[r.id for r in m.role_mentions] for m in seen] == [
            [],
            [],
            [mod],
            [],
            [helper, mod],
        ]

        # An edit is judged with the author's permissions at the time of the edit.
        await overwrite(sandbox, carol.id, MEMBER)
        edited = await carol.edit(allowed[0], "@everyone lunch is cancelled")
        assert pings(edited)[0] is False


async def test_a_bot_without_the_permission_pings_only_mentionable_roles(
    sandbox: Sandbox,
) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        helper, mod = sandbox.role_id("Helper"), sandbox.role_id("Moderator")
        assert not sandbox.guild().roles[helper]["mentionable"]
        text = f"@everyone <@&{helper}> <@&{mod}>"

        # The bot's role holds MENTION_EVERYONE: everything pings.
        sent = await general.send(text)
        assert pings(stored(sandbox, sent.id))[:2] == (True, [helper, mod])
        assert sent.mention_everyone and [r.id for r in sent.role_mentions] == [helper, mod]

        # Denied in #general for the bot's role: only the mentionable Moderator role pings,
        # even though allowed_mentions asks for everything.
        await overwrite(sandbox, sandbox.role_id(BOT_ROLE), ROLE, deny=MENTION_EVERYONE)
        sent = await general.send(text, allowed_mentions=discord.AllowedMentions.all())
        assert pings(stored(sandbox, sent.id))[:2] == (False, [mod])
        assert not sent.mention_everyone and [r.id for r in sent.role_mentions] == [mod]

        # The permission alone is not enough: allowed_mentions still filters.
        await overwrite(sandbox, sandbox.role_id(BOT_ROLE), ROLE)
        quiet = discord.AllowedMentions(everyone=False, roles=False)
        sent = await general.send(text, allowed_mentions=quiet)
        assert pings(stored(sandbox, sent.id))[:2] == (False, [])


async def test_webhooks_may_mass_mention_unless_allowed_mentions_forbid_it(
    sandbox: Sandbox,
) -> None:
    bot = make_bot()
    async with run_bot(bot, sandbox):
        general = text_channel(bot, sandbox, "#general")
        helper = sandbox.role_id("Helper")
        # Nobody may mass-mention in #general, yet a webhook still may (as on Discord).
        await overwrite(sandbox, sandbox.guild().id, ROLE, deny=MENTION_EVERYONE)
        await overwrite(sandbox, sandbox.role_id(BOT_ROLE), ROLE, deny=MENTION_EVERYONE)
        hook = await general.create_webhook(name="Alerts")
        loud = await hook.send(f"@everyone <@&{helper}>", wait=True)
        assert pings(stored(sandbox, loud.id))[:2] == (True, [helper])
        silent = await hook.send(
            f"@everyone <@&{helper}>", wait=True, allowed_mentions=discord.AllowedMentions.none()
        )
        assert pings(stored(sandbox, silent.id))[:2] == (False, [])
        # Editing the webhook's message keeps the webhook's freedom.
        await hook.edit_message(
            silent.id, content="@here", allowed_mentions=discord.AllowedMentions(everyone=True)
        )
        assert pings(stored(sandbox, silent.id))[0] is True


async def test_interaction_responses_use_the_bots_permissions(sandbox: Sandbox) -> None:
    bot = make_bot()
    helper = sandbox.role_id("Helper")
    loud = discord.AllowedMentions.all()

    @bot.tree.command(description="Call everyone")
    async def rally(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"@everyone <@&{helper}>", allowed_mentions=loud)
        await interaction.followup.send(f"@here <@&{helper}>", allowed_mentions=loud)
        await interaction.edit_original_response(
            content="@everyone (edited)", allowed_mentions=discord.AllowedMentions.none()
        )

    async with run_bot(bot, sandbox):
        await bot.tree.sync()
        guild = sandbox.guild()
        # @everyone loses the permission guild-wide; the bot keeps it through its own role.
        everyone_perms = int(guild.roles[guild.id]["permissions"]) & ~MENTION_EVERYONE
        await on_sandbox(
            sandbox,
            lambda: sandbox.state.update_role(guild, guild.id, {"permissions": everyone_perms}),
        )
        alice = sandbox.user("alice")
        first = await alice.slash("rally", "#general")
        assert pings(await first.followup(0))[:2] == (True, [helper])
        # The edit's allowed_mentions are applied, not dropped.
        edited = await first.wait_original(lambda m: m.content == "@everyone (edited)")
        assert pings(edited)[:2] == (False, [])

        await overwrite(sandbox, sandbox.role_id(BOT_ROLE), ROLE, deny=MENTION_EVERYONE)
        second = await alice.slash("rally", "#general")
        assert pings(await second.followup(0))[:2] == (False, [])
        original = (await second.response()).message
        assert original is not None and pings(original)[:2] == (False, [])


async def test_everyone_in_a_direct_message_pings_nobody(sandbox: Sandbox) -> None:
    bot = make_bot()
    got: list[discord.Message] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.guild is None:
            got.append(message)

    async with run_bot(bot, sandbox):
        said = await sandbox.user("alice").dm("@everyone hello")
        assert pings(said)[0] is False
        await eventually(lambda: got)
        assert got[0].content == "@everyone hello" and not got[0].mention_everyone
