"""Slash command limiter end to end: counting, conversion, arguments, permissions, slashlimit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import pytest_asyncio

from zoryx.runtime import Runtime

from .conftest import run, title
from .fw_helpers import bot_dir, description, field, start

pytestmark = pytest.mark.asyncio(loop_scope="module")

LIMITS = {"max_limit": 100, "warning_threshold": 3, "safe_limit": 5}

CONVTEST = '''
from __future__ import annotations

import enum
import typing

import discord
from discord import app_commands
from discord.ext import commands


def _name(value):
    return getattr(value, "name", value)


def owner_of_guild(interaction: discord.Interaction) -> bool:
    return interaction.guild is not None and interaction.user.id == interaction.guild.owner_id


class Size(enum.Enum):
    small = 1
    large = 2


class ConvTest(commands.Cog):
    """Pure slash commands of every argument type."""

    @app_commands.command(description="Member argument")
    async def c_member(self, interaction: discord.Interaction, who: discord.Member) -> None:
        await interaction.response.send_message(f"member={who.name} by={interaction.user.name}")

    @app_commands.command(description="User argument")
    async def c_user(self, interaction: discord.Interaction, who: discord.User) -> None:
        await interaction.response.send_message(f"user={who.name}")

    @app_commands.command(description="Role argument")
    async def c_role(self, interaction: discord.Interaction, role: discord.Role) -> None:
        await interaction.response.send_message(f"role={role.name}")

    @app_commands.command(description="Channel arguments")
    async def c_chan(
        self,
        interaction: discord.Interaction,
        text: discord.TextChannel,
        voice: typing.Optional[discord.VoiceChannel] = None,
    ) -> None:
        await interaction.response.defer()
        await interaction.followup.send(f"text={text.name} voice={_name(voice)}")

    @app_commands.command(description="Number arguments")
    async def c_num(
        self,
        interaction: discord.Interaction,
        count: int,
        ratio: float,
        flag: bool,
        note: str = "none",
    ) -> None:
        await interaction.response.send_message(
            f"count={count} ratio={ratio} flag={flag} note={note}"
        )
        await interaction.edit_original_response(
            content=f"edited count={count} ratio={ratio} flag={flag} note={note}"
        )

    @app_commands.command(description="Needs Manage Server")
    @app_commands.default_permissions(manage_guild=True)
    async def c_admin(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"admin ok in {interaction.guild.name}")

    @app_commands.command(description="Server owner only (a check)")
    @app_commands.check(owner_of_guild)
    async def c_check(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("check ok")

    @app_commands.command(description="Choices, ranges and enums")
    @app_commands.choices(
        fruit=[
            app_commands.Choice(name="Apple", value="apple"),
            app_commands.Choice(name="Pear", value="pear"),
        ]
    )
    async def c_pick(
        self,
        interaction: discord.Interaction,
        fruit: app_commands.Choice[str],
        amount: app_commands.Range[int, 1, 10],
        size: Size = Size.small,
    ) -> None:
        await interaction.response.send_message(
            f"fruit={fruit.value} amount={amount} size={size.name}"
        )

    @app_commands.command(description="Opens a form")
    async def c_form(self, interaction: discord.Interaction) -> None:
        modal = discord.ui.Modal(title="Form")
        modal.add_item(discord.ui.TextInput(label="Name"))
        await interaction.response.send_modal(modal)
        await interaction.followup.send("not reached")

    @commands.hybrid_command(description="A hybrid command is left alone")
    async def c_hybrid(self, ctx: commands.Context) -> None:
        await ctx.send("hybrid ok")

    group = app_commands.Group(name="c_group", description="A group is left alone")

    @group.command(description="Sub")
    async def sub(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("sub ok")


async def setup(bot):
    await bot.add_cog(ConvTest(bot))
'''

MORE = """
import discord
from discord import app_commands


@app_commands.command(description="More one")
async def more_one(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("one")


@app_commands.command(description="More two")
async def more_two(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("two")


@app_commands.command(description="More three")
async def more_three(interaction: discord.Interaction, amount: int) -> None:
    await interaction.response.send_message(f"three x{amount}")


async def setup(bot):
    for command in (more_one, more_two, more_three):
        bot.tree.add_command(command)


async def teardown(bot):
    for name in ("more_one", "more_two", "more_three"):
        bot.tree.remove_command(name)
"""

GROUPED = """
from discord import app_commands

big = app_commands.Group(name="big_group", description="Over the hard limit")


@big.command(description="Sub")
async def inner(interaction) -> None:
    await interaction.response.send_message("inner")


async def setup(bot):
    bot.tree.add_command(big)
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rt(tmp_path_factory: Any) -> AsyncIterator[Runtime]:
    root = bot_dir(
        tmp_path_factory.mktemp("limiter"),
        {"slash_limiter": LIMITS, "extensions": {"blacklist": ["more", "grouped"]}},
        {"convtest": CONVTEST, "more": MORE, "grouped": GROUPED},
    )
    runtime = await start(root)
    try:
        yield runtime
    finally:
        await runtime.shutdown()


def limiter(rt: Runtime) -> Any:
    return rt.services.extra["slash_limiter"]


def synced_names(rt: Runtime) -> set[str]:
    return {c["name"] for c in rt.sandbox.app_info.commands.values()}


# -- conversion --------------------------------------------------------------------------------
async def test_pure_commands_past_the_safe_limit_become_prefix_commands(rt: Runtime) -> None:
    converted = {"c_member", "c_user", "c_role", "c_chan", "c_num", "c_pick", "c_form"}
    converted |= {"c_admin", "c_check"}
    names = synced_names(rt)
    assert not converted & names  # never sent to Discord
    assert {"c_hybrid", "c_group", "slashlimit"} <= names  # hybrid and group left alone
    assert len(names) == limiter(rt).count().total <= 100
    for name in converted:
        command = rt.bot.get_command(name)
        assert command is not None and command.extras["zoryx_converted"] is True
        assert rt.bot.tree.get_command(name) is None
    assert {e.name for e in limiter(rt).converted()} == converted
    cog = rt.bot.get_cog("ConvTest")
    assert {c.name for c in cog.get_app_commands()} == {"c_group"}
    assert converted <= {c.name for c in cog.get_commands()}


async def test_member_user_and_role_arguments(rt: Runtime) -> None:
    alice = rt.sandbox.user("alice").id
    msg = await run(rt, "owner", f"!c_member <@{alice}>")
    assert msg.content == "member=alice by=owner"
    assert (await run(rt, "owner", "!c_user alice")).content == "user=alice"
    assert (await run(rt, "owner", "!c_role Moderator")).content == "role=Moderator"

    bad = await run(rt, "owner", "!c_member nobody-here")
    assert title(bad) == "❌ Bad argument"
    assert "`who` must be a member of this server" in description(bad)
    assert "Usage: `!c_member <who>`" in description(bad)
    missing = await run(rt, "owner", "!c_member")
    assert title(missing) == "❌ Missing argument" and "`who` is required" in description(missing)
    bad_role = await run(rt, "owner", "!c_role NoSuchRole")
    assert title(bad_role) == "❌ Bad argument" and "must be a role" in description(bad_role)


async def test_channel_arguments_and_defer_followup(rt: Runtime) -> None:
    msg = await run(rt, "owner", "!c_chan #general")
    assert msg.content == "text=general voice=None"  # optional voice channel defaulted
    both = await run(rt, "owner", "!c_chan general Gaming")
    assert both.content == "text=general voice=Gaming"
    wrong = await run(rt, "owner", "!c_chan Gaming")
    assert title(wrong) == "❌ Bad argument"
    assert "`text` must be a text channel or an announcement channel" in description(wrong)
    wrong_voice = await run(rt, "owner", "!c_chan general general")
    assert "`voice` must be a voice channel" in description(wrong_voice)


async def test_number_bool_and_string_arguments_with_edit(rt: Runtime) -> None:
    sb = rt.sandbox
    words = (("yes", True), ("no", False), ("on", True), ("off", False), ("1", True))
    for word, flag in words:
        msg = await run(rt, "owner", f"!c_num 3 2.5 {word} hello big world")
        final = f"edited count=3 ratio=2.5 flag={flag} note=hello big world"
        await sb.wait_until(lambda final=final: sb.messages("#general")[-1].content == final)
        assert sb.messages("#general")[-1].id == msg.id  # the response itself was edited
    default = await run(rt, "owner", "!c_num 7 -0.5 0")
    final = "edited count=7 ratio=-0.5 flag=False note=none"  # optional str took its default
    await sb.wait_until(lambda: sb.messages("#general")[-1].content == final)
    assert default.id == sb.messages("#general")[-1].id

    cases = {
        "!c_num x 1 yes": "`count` must be a whole number",
        "!c_num 1 abc yes": "`ratio` must be a number",
        "!c_num 1 1 maybe": "`flag` must be yes or no",
    }
    for text, hint in cases.items():
        bad = await run(rt, "owner", text)
        assert title(bad) == "❌ Bad argument" and hint in description(bad)
        assert "Usage: `!c_num <count> <ratio> <flag> [note=none]`" in description(bad)
    missing = await run(rt, "owner", "!c_num 1 2")
    assert title(missing) == "❌ Missing argument" and "`flag` is required" in description(missing)


async def test_choices_ranges_and_enums(rt: Runtime) -> None:
    msg = await run(rt, "owner", "!c_pick Pear 3 large")
    assert msg.content == "fruit=pear amount=3 size=large"
    assert (
        await run(rt, "owner", "!c_pick apple 10")
    ).content == "fruit=apple amount=10 size=small"
    kiwi = await run(rt, "owner", "!c_pick kiwi 3")
    assert "`fruit` must be one of `Apple`, `Pear`" in description(kiwi)
    many = await run(rt, "owner", "!c_pick apple 11")
    assert "`amount` must be a whole number from 1 to 10" in description(many)
    huge = await run(rt, "owner", "!c_pick apple 1 huge")
    assert "`size` must be one of `small`, `large`" in description(huge)


async def test_a_modal_is_explained_instead_of_shown(rt: Runtime) -> None:
    sb = rt.sandbox
    msg = await run(rt, "owner", "!c_form")
    assert title(msg) == "⚠️ Form not available"
    assert "only works as a slash command" in description(msg)
    await sb.expect_no_message(sb.channel_id("#general"), within=0.4)  # the callback stopped


async def test_converted_commands_keep_default_permissions_and_checks(rt: Runtime) -> None:
    sb = rt.sandbox
    denied = await run(rt, "alice", "!c_admin")
    assert title(denied) == "❌ Missing permissions" and "manage guild" in description(denied)
    assert (await run(rt, "owner", "!c_admin")).content == "admin ok in Zoryx Lounge"
    refused = await run(rt, "alice", "!c_check")
    assert title(refused) == "❌ Not allowed"
    assert (await run(rt, "owner", "!c_check")).content == "check ok"

    await sb.set_roles("alice", ["Member", "Admin"])  # an administrator passes the permission
    try:
        assert (await run(rt, "alice", "!c_admin")).content == "admin ok in Zoryx Lounge"
        assert title(await run(rt, "alice", "!c_check")) == "❌ Not allowed"  # still not owner
    finally:
        await sb.set_roles("alice", ["Member", "Moderator"])


async def test_slashlimit_shows_usage_status_and_lists(rt: Runtime) -> None:
    total = limiter(rt).count().total
    msg = await run(rt, "alice", "!slashlimit")
    embed = msg.embeds[0]
    assert embed["title"] == "📊 Slash command limit"
    assert embed["color"] == 0xE74C3C and description(msg).startswith("🔴")  # past safe (5)
    assert f" {total}/100" in field(msg, "Usage (hard limit)")
    assert "warning 3 · safe 5 · hard 100" in field(msg, "Thresholds")
    counts = limiter(rt).count()
    assert f"{counts.hybrid} hybrid · {counts.groups} group(s)" in field(msg, "Breakdown")
    converted = field(msg, "Converted to prefix commands (9)")
    assert "🔹 `!c_admin` · ConvTest" in converted and "safe limit 5 reached" in converted
    assert field(msg, "Blocked (0)") == "None"
    slash = await (await rt.sandbox.user("owner").slash("slashlimit")).response()
    assert slash.data["embeds"][0]["title"] == "📊 Slash command limit"


async def test_help_marks_converted_commands(rt: Runtime) -> None:
    msg = await run(rt, "owner", "!help c_num")
    assert title(msg) == "🔹 !c_num"
    assert "<count> <ratio> <flag>" in field(msg, "Usage")
    admin = await run(rt, "owner", "!help c_admin")
    assert "Manage Guild" in field(admin, "Permission")


async def test_changing_the_config_changes_what_happens(rt: Runtime) -> None:
    config = rt.services.config.slash_limiter
    before = limiter(rt).count().total
    config.safe_limit = before + 2
    try:
        loaded = await run(rt, "owner", "!load more")
        assert title(loaded) == "✅ Loaded more"
        # added in order: the first two fit under the new safe limit, the third does not
        assert rt.bot.tree.get_command("more_one") and rt.bot.tree.get_command("more_two")
        assert limiter(rt).count().total == before + 2
        converted = "more_three"
        assert rt.bot.tree.get_command(converted) is None
        assert rt.bot.get_command(converted).extras["zoryx_converted"]
        await rt.bot.sync_commands()
        assert {"more_one", "more_two"} <= synced_names(rt)
        assert converted not in synced_names(rt)
        assert (await run(rt, "owner", "!more_three 4")).content == "three x4"  # no cog
        status = await run(rt, "owner", "!slashlimit")
        assert status.embeds[0]["color"] == 0xE74C3C  # at the safe limit: red

        await run(rt, "owner", "!unload more")  # its converted command goes with it
        assert rt.bot.get_command(converted) is None
        assert converted not in {e.name for e in limiter(rt).converted()}

        config.max_limit = before  # a group past the hard limit is blocked, not converted
        await run(rt, "owner", "!load grouped")
        assert rt.bot.tree.get_command("big_group") is None
        status = await run(rt, "owner", "!slashlimit")
        blocked = field(status, "Blocked (1)")
        assert "⛔ `/big_group`" in blocked and "hard limit" in blocked
    finally:
        config.safe_limit, config.max_limit = LIMITS["safe_limit"], LIMITS["max_limit"]


async def test_counter_counts_groups_once() -> None:
    from cogs.slash_limiter import counter

    tree = discord.app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    group = discord.app_commands.Group(name="g", description="g")
    for i in range(3):

        @group.command(name=f"s{i}", description="s")
        async def sub(interaction: discord.Interaction) -> None: ...

    @discord.app_commands.command(description="p")
    async def plain(interaction: discord.Interaction) -> None: ...

    @discord.app_commands.context_menu(name="Inspect")
    async def menu(interaction: discord.Interaction, user: discord.User) -> None: ...

    for command in (group, plain, menu):
        tree.add_command(command)
    assert counter.count(tree) == counter.SlashCount(total=2, pure=1, hybrid=0, groups=1)
    assert counter.status_for(2, 3, 5) == "ok"
    assert counter.status_for(3, 3, 5) == "warning"
    assert counter.status_for(5, 3, 5) == "over"
    assert counter.bar(5, 10, width=10) == "█████░░░░░ 5/10"
