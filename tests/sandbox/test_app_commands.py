"""Application commands against the sandbox with the unmodified discord.py client:
registration rules per command type, context menus, autocomplete and the option checks
Discord's client makes before a bot sees anything."""

from __future__ import annotations

import json
from typing import Any, Literal

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from zoryx.sandbox import ClientRefusal, Sandbox
from zoryx.sandbox.errors import DiscordAPIError
from zoryx.testing import run_bot

FRUITS = ["apple", "apricot", "banana", "grape", "pear"]


def make_bot(
    sandbox: Sandbox, intents: discord.Intents | None = None
) -> tuple[commands.Bot, list[tuple[Any, ...]]]:
    bot = commands.Bot(
        command_prefix="!", intents=intents or discord.Intents.all(), guild_ready_timeout=0.1
    )
    calls: list[tuple[Any, ...]] = []

    @app_commands.context_menu(name="Show Join Date")
    async def show_join_date(interaction: discord.Interaction, member: discord.Member) -> None:
        calls.append(("join", member.name))
        assert member.joined_at is not None
        await interaction.response.send_message(
            f"{member.display_name} joined in {member.joined_at.year}"
        )

    @app_commands.context_menu(name="Count Words")
    async def count_words(interaction: discord.Interaction, message: discord.Message) -> None:
        calls.append(("count", message.id))
        words = len(message.content.split())
        await interaction.response.send_message(f"{words} words by {message.author.name}")

    @app_commands.context_menu(name="Report Message")
    async def report(interaction: discord.Interaction, message: discord.Message) -> None:
        calls.append(("report", message.id))
        await interaction.response.send_message("reported", ephemeral=True)

    @app_commands.context_menu(name="Wave At")
    async def wave(interaction: discord.Interaction, user: discord.User) -> None:
        calls.append(("wave", user.name))
        await interaction.response.send_message(f"waves at {user.name}")

    @bot.tree.command(description="Roll a die")
    async def roll(
        interaction: discord.Interaction,
        sides: app_commands.Range[int, 2, 100],
        label: app_commands.Range[str, 2, 5] = "die",
    ) -> None:
        calls.append(("roll", sides, label))
        await interaction.response.send_message(f"{label}:{sides}")

    @bot.tree.command(description="Order food")
    @app_commands.choices(size=[Choice(name="Small", value=1), Choice(name="Large", value=3)])
    async def order(
        interaction: discord.Interaction,
        size: Choice[int],
        weight: app_commands.Range[float, 0.5, 2.5] = 1.0,
        fruit: Literal["apple", "pear"] = "apple",
    ) -> None:
        calls.append(("order", size.value, weight, fruit))
        await interaction.response.send_message(f"{size.name} {fruit} x{weight}")

    @bot.tree.command(description="Post somewhere")
    async def post(
        interaction: discord.Interaction,
        where: discord.TextChannel,
        loud: bool = False,
        ping: discord.Role | None = None,
        who: discord.Member | None = None,
    ) -> None:
        calls.append(("post", where.name, loud, ping and ping.name, who and who.name))
        await interaction.response.send_message(f"posting in {where.name}")

    @bot.tree.command(description="Big numbers")
    async def big(interaction: discord.Interaction, n: int, x: float = 0.0) -> None:
        calls.append(("big", n, x))
        await interaction.response.send_message(f"{n} {x}")

    @bot.tree.command(description="Server only")
    @app_commands.guild_only()
    async def serverinfo(interaction: discord.Interaction) -> None:
        calls.append(("serverinfo",))
        await interaction.response.send_message("server")

    async def fruit_names(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        calls.append(("complete", current, interaction.namespace.amount))
        return [Choice(name=f.title(), value=f) for f in FRUITS if current.lower() in f]

    @bot.tree.command(description="Pick a fruit")
    @app_commands.autocomplete(fruit=fruit_names)
    async def pick(
        interaction: discord.Interaction, fruit: str, amount: app_commands.Range[int, 1, 5] = 1
    ) -> None:
        calls.append(("pick", fruit, amount))
        await interaction.response.send_message(f"{amount} x {fruit}")

    for menu in (show_join_date, count_words, report):
        bot.tree.add_command(menu)

    async def setup_hook() -> None:
        await bot.tree.sync()
        # A guild-only context menu: the interaction must carry the guild id to be found.
        guild = discord.Object(id=sandbox.guild().id)
        bot.tree.add_command(wave, guild=guild)
        await bot.tree.sync(guild=guild)

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot, calls


async def start(sandbox: Sandbox) -> None:
    await sandbox.wait_until(
        lambda: (
            len(sandbox.app_info.commands) == 9
            and len(sandbox.app_info.guild_commands.get(sandbox.guild().id, {})) == 1
        ),
        what="command sync",
    )


def interactions(sandbox: Sandbox) -> int:
    return len(sandbox.state.interactions.by_id)


async def test_context_menu_names_and_registration_rules(sandbox: Sandbox) -> None:
    bot, _ = make_bot(sandbox)
    async with run_bot(bot, sandbox):
        await start(sandbox)
        by_name = {c["name"]: c for c in sandbox.app_info.commands.values()}
        assert by_name["Show Join Date"]["type"] == 2
        assert by_name["Count Words"]["type"] == 3
        assert by_name["Show Join Date"]["description"] == ""
        assert by_name["roll"]["options"][0]["min_value"] == 2
        fetched = {c.name: c for c in await bot.tree.fetch_commands()}
        assert fetched["Show Join Date"].type is discord.AppCommandType.user
        assert fetched["Count Words"].type is discord.AppCommandType.message

        app_id = sandbox.app_info.id
        rules: list[tuple[dict[str, Any], str]] = [
            ({"name": "Shout", "description": "x", "type": 1}, "APPLICATION_COMMAND_INVALID_NAME"),
            ({"name": "two words", "description": "x"}, "APPLICATION_COMMAND_INVALID_NAME"),
            ({"name": "x" * 33, "type": 2}, "APPLICATION_COMMAND_INVALID_NAME"),
            ({"name": "   ", "type": 3}, "APPLICATION_COMMAND_INVALID_NAME"),
            (
                {"name": "Has Text", "type": 2, "description": "no"},
                "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION_INVALID",
            ),
            ({"name": "nodesc", "description": ""}, "BASE_TYPE_BAD_LENGTH"),
            (
                {
                    "name": "opt",
                    "description": "x",
                    "options": [
                        {"type": 4, "name": "n", "description": "n", "min_value": 5, "max_value": 1}
                    ],
                },
                "APPLICATION_COMMAND_OPTION_MIN_MAX_INVALID",
            ),
            (
                {
                    "name": "opt",
                    "description": "x",
                    "options": [
                        {
                            "type": 3,
                            "name": "s",
                            "description": "s",
                            "autocomplete": True,
                            "choices": [{"name": "a", "value": "a"}],
                        }
                    ],
                },
                "AUTOCOMPLETE_AND_CHOICES_MUTUALLY_EXCLUSIVE",
            ),
            (
                {
                    "name": "opt",
                    "description": "x",
                    "options": [{"type": 3, "name": "s", "description": "s", "max_length": 7000}],
                },
                "NUMBER_TYPE_MAX",
            ),
            (
                {
                    "name": "opt",
                    "description": "x",
                    "options": [
                        {
                            "type": 4,
                            "name": "n",
                            "description": "n",
                            "choices": [{"name": "half", "value": 0.5}],
                        }
                    ],
                },
                "NUMBER_TYPE_COERCE",
            ),
        ]
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {sandbox.token}"}) as s:
            url = f"{sandbox.api_url}/applications/{app_id}/commands"
            for payload, code in rules:
                async with s.post(url, json=payload) as resp:
                    body = await resp.json()
                assert resp.status == 400 and body["code"] == 50035, (payload, body)
                assert code in json.dumps(body["errors"]), (payload, body)
            # Names are unique per type: a user and a message command may share one.
            both = [{"name": "Inspect", "type": 2}, {"name": "Inspect", "type": 3}]
            async with s.put(url, json=[both[0], both[0]]) as resp:
                body = await resp.json()
            assert "APPLICATION_COMMANDS_DUPLICATE_NAME" in json.dumps(body["errors"])
        made = await bot.http.bulk_upsert_global_commands(app_id, both)
        assert sorted(c["type"] for c in made) == [2, 3]


async def test_user_and_message_context_menus(sandbox: Sandbox) -> None:
    intents = discord.Intents.default()  # no message content: message commands still see it
    bot, calls = make_bot(sandbox, intents)
    async with run_bot(bot, sandbox):
        await start(sandbox)
        alice, carol = sandbox.user("alice"), sandbox.user("carol")
        bob_id = sandbox.user("bob").id

        handle = await alice.context_menu("Show Join Date", "bob")
        result = await handle.response()
        assert result.content.startswith("Bob joined in 20")
        data = handle.record.payload["data"]
        assert data["type"] == 2 and data["target_id"] == str(bob_id)
        assert data["resolved"]["users"][str(bob_id)]["username"] == "bob"
        assert int(data["resolved"]["members"][str(bob_id)]["permissions"]) > 0
        assert "guild_id" not in data  # a global command
        assert result.message is not None and result.message.raw["type"] == 23
        meta = result.message.raw["interaction_metadata"]
        assert meta["type"] == 2 and meta["target_user"]["id"] == str(bob_id)

        said = await sandbox.user("bob").say("#general", "one two three")
        result = await (await alice.context_menu("Count Words", said)).response()
        assert result.content == "3 words by bob"
        assert result.message is not None
        assert result.message.raw["interaction_metadata"]["target_message_id"] == str(said.id)

        # A guild command is found through the guild id Discord puts in the data.
        result = await (await alice.context_menu("Wave At", carol)).response()
        assert result.content == "waves at carol"

        # What the client never offers: the wrong command type, unknown names and users.
        before = interactions(sandbox)
        with pytest.raises(DiscordAPIError) as unknown:
            await alice.context_menu("Count Words", "bob")
        assert unknown.value.code == 10063
        with pytest.raises(DiscordAPIError):
            await alice.context_menu("Show Join Date", said)
        with pytest.raises(DiscordAPIError):
            await alice.context_menu("Show Join Date", "nobody-here")
        assert interactions(sandbox) == before
        assert (await (await alice.context_menu("Report Message", said)).response()).ephemeral
        assert calls == [
            ("join", "bob"),
            ("count", said.id),
            ("wave", "carol"),
            ("report", said.id),
        ]


async def test_option_values_discords_client_refuses(sandbox: Sandbox) -> None:
    bot, calls = make_bot(sandbox)
    async with run_bot(bot, sandbox):
        await start(sandbox)
        alice, carol = sandbox.user("alice"), sandbox.user("carol")
        before = interactions(sandbox)
        refused: list[tuple[str, dict[str, Any], str]] = [
            ("roll", {"sides": 1}, "2..100"),
            ("roll", {"sides": 101}, "2..100"),
            ("roll", {"sides": "six"}, "whole number"),
            ("roll", {"sides": 2.5}, "whole number"),
            ("roll", {"sides": True}, "whole number"),
            ("roll", {}, "required"),
            ("roll", {"sides": 6, "label": "x"}, "2 to 5 characters"),
            ("roll", {"sides": 6, "label": "toolong"}, "2 to 5 characters"),
            ("roll", {"sides": 6, "colour": "red"}, "no option 'colour'"),
            ("order", {"size": 2}, "not one of the choices"),
            ("order", {"size": "Medium"}, "not one of the choices"),
            ("order", {"size": 1, "weight": 3.0}, "0.5..2.5"),
            ("order", {"size": 1, "fruit": "kiwi"}, "not one of the choices"),
            ("post", {"where": "Lounge"}, "channels of types"),
            ("post", {"where": "#general", "loud": "yes"}, "true or false"),
            ("post", {"where": "#general", "ping": "NoSuchRole"}, "a role that exists"),
            ("post", {"where": "#general", "who": "nobody-here"}, "a user that exists"),
            ("big", {"n": 2**53 + 1}, "between"),
            ("big", {"n": 1, "x": float("inf")}, "between"),
        ]
        for name, options, reason in refused:
            with pytest.raises(ClientRefusal) as info:
                await alice.slash(name, "#general", **options)
            assert reason in info.value.message, (name, options, info.value.message)
        # Channels are listed per user: carol cannot see #mod-only, alice (moderator) can.
        with pytest.raises(ClientRefusal, match="cannot see"):
            await carol.slash("post", "#general", where="mod-only")
        # Contexts: a guild-only command is not offered in DMs.
        with pytest.raises(ClientRefusal, match="direct messages"):
            await alice.slash("serverinfo", alice.dm_channel_id())
        assert interactions(sandbox) == before  # the bot was never asked

        accepted = [
            ("roll", {"sides": "100", "label": "d6"}),
            ("roll", {"sides": 2}),
            ("order", {"size": "Large", "weight": "2.5", "fruit": "pear"}),
            ("order", {"size": 1}),
            ("post", {"where": "mod-only", "loud": "true", "ping": "Helper", "who": "bob"}),
            ("big", {"n": 2**53, "x": -0.25}),
            ("big", {"n": str(-(2**53))}),
        ]
        for name, options in accepted:
            result = await (await alice.slash(name, "#general", **options)).response()
            assert result.type == 4, (name, options, result)
        assert calls == [
            ("roll", 100, "d6"),
            ("roll", 2, "die"),
            ("order", 3, 2.5, "pear"),
            ("order", 1, 1.0, "apple"),
            ("post", "mod-only", True, "Helper", "bob"),
            ("big", 2**53, -0.25),
            ("big", -(2**53), 0.0),
        ]


async def test_autocomplete_is_driven_and_its_option_takes_free_text(sandbox: Sandbox) -> None:
    bot, calls = make_bot(sandbox)
    async with run_bot(bot, sandbox):
        await start(sandbox)
        alice = sandbox.user("alice")
        handle = await alice.autocomplete("pick", "fruit", "ap", amount=3)
        result = await handle.response()
        assert result.type == 8
        assert [c["value"] for c in result.choices] == ["apple", "apricot", "grape"]
        assert result.choices[0]["name"] == "Apple"
        focused = handle.record.payload["data"]["options"]
        assert {"name": "fruit", "type": 3, "value": "ap", "focused": True} in focused
        assert handle.record.payload["type"] == 4

        with pytest.raises(ClientRefusal, match="no autocomplete"):
            await alice.autocomplete("pick", "amount", "2")
        with pytest.raises(ClientRefusal, match=r"1\.\.5"):
            await alice.autocomplete("pick", "fruit", "b", amount=9)
        # The autocomplete option itself takes any text, suggested or not.
        result = await (await alice.slash("pick", "#general", fruit="durian", amount=2)).response()
        assert result.content == "2 x durian"
        with pytest.raises(ClientRefusal, match="empty"):
            await alice.slash("pick", "#general", fruit="  ")
        assert calls == [("complete", "ap", 3), ("pick", "durian", 2)]
