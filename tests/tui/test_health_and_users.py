"""End to end on the sandbox: user errors never lower the health tier, and "Users" means the
same number in the console and in Discord."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .conftest import CONFIG, Console, screen_text, show, wait_for, wait_for_text

FORBIDDEN = 6  # a member runs an owner-only command this many times


def embed(message: Any) -> dict[str, Any]:
    return dict(message.embeds[0])


def field(message: Any, name: str) -> str:
    return next(str(f["value"]) for f in embed(message).get("fields", []) if f["name"] == name)


async def test_members_running_forbidden_commands_leave_health_healthy(
    console: Console, bot_dir: Path
) -> None:
    (bot_dir / "config.json").write_text(json.dumps({**CONFIG, "framework": {}}), "utf-8")
    async with console() as pilot:
        app = pilot.app
        sandbox = app.runtime.sandbox
        metrics = app.runtime.services.metrics
        diagnostics = app.runtime.services.extra["diagnostics"]
        alice = sandbox.user("alice")
        await alice.say("#general", "!hello")
        await sandbox.expect_message("#general", timeout=5)
        for _ in range(FORBIDDEN):
            sandbox.skip_existing("#general")
            await alice.say("#general", "!reload greetings")  # owner only
            refusal = await sandbox.expect_message("#general", timeout=5)
            assert embed(refusal)["title"].endswith("Owner only"), embed(refusal)
        await wait_for(pilot, lambda: metrics.commands == FORBIDDEN + 1, what="the commands")
        check = await diagnostics.run_check()
        assert check.tier == "healthy" and diagnostics.snapshot().tier == "healthy"
        assert metrics.command_errors == 0 and metrics.error_rate == 0.0

        await alice.say("#general", "!nosuchcommand")
        await wait_for(pilot, lambda: metrics.user_errors == FORBIDDEN + 1, what="user errors")
        assert diagnostics.snapshot().user_errors == FORBIDDEN + 1

        await show(pilot, "overview")
        await wait_for_text(pilot, f"User errors {FORBIDDEN + 1} (not counted)")
        text = screen_text(app)
        assert "● HEALTHY" in text and re.search(r"Failed +0 ", text), text
        assert "⚠ NotOwner" in text, "recent commands mark the user errors apart"
        await show(pilot, "logs")
        await wait_for_text(pilot, "⚠ user error")

        sandbox.skip_existing("#general")
        await sandbox.user("owner").say("#general", "!fw_diagnostics")
        report = await sandbox.expect_message("#general", timeout=10)
        assert "healthy" in embed(report)["title"]
        assert f"User errors: {FORBIDDEN + 1}" in embed(report)["description"]


def test_what_counts_as_a_user_error() -> None:
    from discord.ext import commands

    from zoryx.metrics import USER_ERRORS, BotMetrics, is_user_error

    assert is_user_error(commands.NotOwner())
    assert is_user_error(commands.MissingPermissions(["manage_messages"]))
    assert is_user_error(commands.CommandOnCooldown(commands.Cooldown(1, 5.0), 4.0, None))  # type: ignore[arg-type]
    assert is_user_error(commands.CommandNotFound())
    assert not is_user_error(commands.CommandInvokeError(RuntimeError("a bug")))
    assert not is_user_error(RuntimeError("a bug"))
    assert commands.UserInputError in USER_ERRORS  # bad and missing arguments
    metrics = BotMetrics()
    metrics.record_command("ban", error=commands.MissingPermissions(["ban_members"]))
    metrics.record_command("roll", error=commands.CommandInvokeError(ValueError("bad dice")))
    assert (metrics.commands, metrics.command_errors, metrics.user_errors) == (2, 1, 1)
    assert metrics.error_rate == 0.5
    assert [r.name for r in metrics.recent_errors()] == ["roll"]
    assert [r.user_error for r in metrics.recent_commands()] == [True, False]


async def test_users_is_one_number_in_the_overview_and_the_stats_command(
    console: Console,
) -> None:
    async with console() as pilot:
        app = pilot.app
        sandbox = app.runtime.sandbox
        state = sandbox.state
        humans = {
            uid
            for guild in state.guilds.values()
            if sandbox.bot_id in guild.members
            for uid in guild.members
            if not state.users[uid].get("bot")
        }
        memberships = sum(len(g.members) for g in state.guilds.values())
        assert len(humans) < memberships, "people in several guilds count once"

        pane = await show(pilot, "overview")
        await wait_for_text(pilot, f"Users   {len(humans)} ")
        sandbox.skip_existing("#general")
        await sandbox.user("owner").say("#general", "!stats")
        stats = await sandbox.expect_message("#general", timeout=10)
        assert field(stats, "Users") == str(len(humans))

        newcomer = await sandbox.create_user("newcomer")
        await sandbox.add_member(newcomer.id, "Zoryx Lounge")
        await wait_for(
            pilot,
            lambda: app.runtime.services.metrics.users(app.runtime.bot.guilds) == len(humans) + 1,
            what="the new member",
        )
        await pane.refresh_data()
        await wait_for_text(pilot, f"Users   {len(humans) + 1} ")
        sandbox.skip_existing("#general")
        await sandbox.user("owner").say("#general", "!stats")
        stats = await sandbox.expect_message("#general", timeout=10)
        assert field(stats, "Users") == str(len(humans) + 1)
