"""Issue 13: refusals are visible, and refusal/error replies are throttled per member.

End to end on the demo sandbox. A refused privileged attempt (an owner-only command, a
missing permission, an operator action above the actor's role) leaves an audit record in
main.db and a WARNING line in the log the console shows, at most one line per user and
action per minute plus a count of the repeats. A member gets at most one refusal/error
reply per window, so spamming a forbidden command queues nothing in the channel.

The reply throttle and the refusal log run on a fake clock (``clock`` fixture): window
ends are reached by advancing it, never by sleeping.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from cogs.core.refusal_replies import ReplyGate
from zoryx.operator import Actor, PermissionDenied, Role
from zoryx.refusals import LOG_WINDOW_SECONDS, REPLY_WINDOW_SECONDS
from zoryx.runtime import Runtime
from zoryx.sandbox.driver import SandboxUser
from zoryx.sandbox.views import SandboxMessage
from zoryx.storage.audit import AuditRecord
from zoryx.testing.waits import eventually

from .conftest import make_bot_dir, run, title

LOOP = pytest.mark.asyncio(loop_scope="module")
SPAM = 20

VAULT = '''
"""Test extension: a slash-only command for administrators (checked by the bot)."""
from discord import app_commands
from discord.ext import commands


class Vault(commands.Cog):
    @app_commands.command(description="Administrators only")
    @app_commands.checks.has_permissions(administrator=True)
    async def vault(self, interaction):
        await interaction.response.send_message("vault open")


async def setup(bot):
    await bot.add_cog(Vault(bot))
'''


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 5_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime(tmp_path_factory: Any) -> AsyncIterator[Runtime]:
    bot_dir = make_bot_dir(tmp_path_factory.mktemp("bot"))
    (bot_dir / "extensions" / "vault.py").write_text(VAULT, encoding="utf-8")
    config = json.loads((bot_dir / "config.json").read_text(encoding="utf-8"))
    config["cooldowns"] = {"error_reply_window": REPLY_WINDOW_SECONDS}  # the shipped default
    (bot_dir / "config.json").write_text(json.dumps(config), encoding="utf-8")
    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="demo")
    await rt.start()
    try:
        yield rt
    finally:
        await rt.shutdown()


def gate(rt: Runtime) -> ReplyGate:
    cog: Any = rt.bot.get_cog("ErrorHandler")
    return cog.replies  # type: ignore[no-any-return]


@pytest_asyncio.fixture(loop_scope="module")
async def clock(runtime: Runtime) -> AsyncIterator[FakeClock]:
    """The fake clock, in the reply throttle and the refusal log for one test."""
    fake = FakeClock()
    throttle, refusals = gate(runtime).throttle, runtime.bot.operator.refusals
    saved = throttle.clock, refusals.clock
    throttle.clock = refusals.clock = fake
    try:
        yield fake
    finally:
        throttle.expire(everything=True)
        await refusals.flush(everything=True)
        throttle.clock, refusals.clock = saved


async def audit_of(rt: Runtime, actor: str, action: str) -> list[AuditRecord]:
    """The audit records of ``actor``'s ``action``, oldest first."""
    records = await rt.bot.operator.audit.recent(500)
    return [r for r in reversed(records) if r.actor == actor and r.action == action]


def refusal_lines(rt: Runtime, *needles: str) -> list[str]:
    """WARNING lines about refusals in the log tail the console's Logs pane shows."""
    return [
        entry.message
        for entry in rt.log_tail.all()
        if entry.levelname == "WARNING"
        and entry.logger == "zoryx.refusals"
        and all(needle in entry.message for needle in needles)
    ]


def who(user: SandboxUser) -> str:
    return f"{user.name} ({user.id})"


def bot_messages_after(rt: Runtime, floor: int) -> list[SandboxMessage]:
    sb = rt.sandbox
    return [m for m in sb.messages("#general") if m.id > floor and m.author_id == sb.bot_id]


def last_message_id(rt: Runtime) -> int:
    return max((m.id for m in rt.sandbox.messages("#general")), default=0)


@LOOP
async def test_refused_owner_command_is_answered_audited_and_logged(
    runtime: Runtime, clock: FakeClock
) -> None:
    sb = runtime.sandbox
    judy = sb.user("judy")
    reply = await run(runtime, "judy", "!reload greeter")
    assert title(reply) == "❌ Owner only"

    [record] = await audit_of(runtime, who(judy), "command:reload")
    assert (record.source, record.role, record.ok) == ("discord", "visitor", False)
    assert record.outcome == "refused" and record.detail == "refused: bot owner only"
    guild = sb.guild("Zoryx Lounge")
    assert record.target == f"Zoryx Lounge ({guild.id}) #general ({sb.channel_id('#general')})"

    await eventually(lambda: refusal_lines(runtime, who(judy)), timeout=10)
    [line] = refusal_lines(runtime, who(judy))
    assert "command:reload" in line and "via discord" in line and "#general" in line
    assert "bot owner only" in line
    assert runtime.bot.extension_manager.get("greeter").reloads == 0


@LOOP
async def test_spamming_a_forbidden_command_gets_one_reply_one_line_and_a_count(
    runtime: Runtime, clock: FakeClock
) -> None:
    sb = runtime.sandbox
    mallory = sb.user("mallory")
    floor = last_message_id(runtime)
    sb.skip_existing("#general")
    for _ in range(SPAM):
        await mallory.say("#general", "!reload greeter")
    # Every attempt has passed the reply throttle once the 19 repeats are counted.
    await eventually(lambda: gate(runtime).throttle.repeats(mallory.id) == SPAM - 1, timeout=30)
    assert title(await sb.expect_message("#general", timeout=10)) == "❌ Owner only"
    # Another member's command in the same channel is answered at once.
    assert (await run(runtime, "alice", "!hello")).content == "Hello v1"
    replies = bot_messages_after(runtime, floor)
    assert [title(m) or m.content for m in replies] == ["❌ Owner only", "Hello v1"]

    [record] = await audit_of(runtime, who(mallory), "command:reload")
    assert record.detail == "refused: bot owner only"
    await eventually(lambda: refusal_lines(runtime, who(mallory)), timeout=10)
    assert len(refusal_lines(runtime, who(mallory))) == 1

    # The reply window ends: the next refusal is answered again (still one log window).
    clock.advance(REPLY_WINDOW_SECONDS)
    assert title(await run(runtime, "mallory", "!reload greeter")) == "❌ Owner only"
    assert len(await audit_of(runtime, who(mallory), "command:reload")) == 1

    # The log window ends: one more line and one more record sum up the repeats.
    clock.advance(LOG_WINDOW_SECONDS)
    await runtime.bot.operator.refusals.flush()  # what the refusal log's timer does
    first, summary = await audit_of(runtime, who(mallory), "command:reload")
    assert first.detail == "refused: bot owner only"
    assert summary.outcome == "refused"
    # The 19 repeats of the burst and the one answered after the reply window.
    assert summary.detail == f"refused: bot owner only ({SPAM} more time(s) within 60 s)"
    await eventually(lambda: len(refusal_lines(runtime, who(mallory))) == 2, timeout=10)
    assert (
        f"command:reload {SPAM} more time(s) within 60 s" in refusal_lines(runtime, who(mallory))[1]
    )


@LOOP
async def test_throttled_slash_commands_get_a_one_line_ephemeral_answer(
    runtime: Runtime, clock: FakeClock
) -> None:
    sb = runtime.sandbox
    niaj = sb.user("niaj")
    first = await (await niaj.slash("reload", extension="greeter")).response()
    assert first.ephemeral and first.message is not None
    assert title(first.message) == "❌ Owner only"

    # Within the window: the hybrid command and the slash-only one get the title alone.
    again = await (await niaj.slash("reload", extension="greeter")).response()
    assert again.ephemeral and again.message is not None
    assert again.message.embeds == [] and again.message.content == "❌ Owner only"
    vault = await (await niaj.slash("vault")).response()
    assert vault.ephemeral and vault.message is not None
    assert vault.message.embeds == [] and vault.message.content == "❌ Missing permissions"

    clock.advance(REPLY_WINDOW_SECONDS)
    vault = await (await niaj.slash("vault")).response()
    assert vault.ephemeral and vault.message is not None
    assert title(vault.message) == "❌ Missing permissions"
    assert "administrator" in vault.message.text()
    owner = await (await sb.user("owner").slash("vault")).response()
    assert owner.content == "vault open"

    [reload] = await audit_of(runtime, who(niaj), "command:reload")
    assert reload.outcome == "refused"
    [record] = await audit_of(runtime, who(niaj), "command:vault")
    assert record.detail == "refused: missing permissions: administrator"
    assert record.target.endswith(f"#general ({sb.channel_id('#general')})")


@LOOP
async def test_operator_action_above_the_role_is_refused_and_audited_with_the_face(
    runtime: Runtime, clock: FakeClock
) -> None:
    api = runtime.bot.operator
    visitor = Actor("guest", Role.VISITOR, "web")
    with pytest.raises(PermissionDenied):
        await api.shutdown(visitor)
    assert not runtime.bot.is_closed()

    [record] = await audit_of(runtime, "guest", "shutdown")
    assert (record.source, record.role, record.target) == ("web", "visitor", "bot")
    assert record.outcome == "refused" and record.detail == "refused: needs the owner role"
    await eventually(lambda: refusal_lines(runtime, "guest (visitor, via web)"), timeout=10)
    [line] = refusal_lines(runtime, "guest")
    assert "shutdown" in line and "needs the owner role" in line
