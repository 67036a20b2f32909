"""Role rules on command groups (issue 13): `config note @Moderator` covers `note add`.

End to end on the demo sandbox: a hybrid group extension, used by prefix and slash.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from zoryx.runtime import Runtime

from .conftest import make_bot_dir, role_mention, run, title

LOOP = pytest.mark.asyncio(loop_scope="module")

NOTES = '''
"""Test extension: a hybrid command group."""
from discord.ext import commands


class Notes(commands.Cog):
    @commands.hybrid_group(description="Notes", fallback="show")
    async def note(self, ctx):
        await ctx.send("notes: none")

    @note.command(description="Add a note")
    async def add(self, ctx, text: str):
        await ctx.send(f"added {text}")

    @note.command(name="list", description="List notes")
    async def list_(self, ctx):
        await ctx.send("listed")

    @note.command(description="Remove a note")
    async def remove(self, ctx, number: int):
        await ctx.send(f"removed {number}")


async def setup(bot):
    await bot.add_cog(Notes(bot))
'''


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime(tmp_path_factory: Any) -> AsyncIterator[Runtime]:
    bot_dir = make_bot_dir(tmp_path_factory.mktemp("bot"))
    (bot_dir / "extensions" / "notes.py").write_text(NOTES, encoding="utf-8")
    rt = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="demo")
    await rt.start()
    try:
        yield rt
    finally:
        await rt.shutdown()


async def slash_text(rt: Runtime, user: str, command: str, **options: Any) -> str:
    res = await (await rt.sandbox.user(user).slash(command, "#general", **options)).response()
    return str(res.text())


@LOOP
async def test_rule_on_a_group_covers_its_subcommands(runtime: Runtime) -> None:
    mod = role_mention(runtime, "Moderator")
    assert (await run(runtime, "judy", "!note add hi")).content == "added hi"  # open at first
    saved = await run(runtime, "owner", f"!config note {mod}")
    assert title(saved) == "✅ Rule saved"
    assert "covers note and its subcommands: note add, note list, note remove" in saved.text()
    try:
        for text in ("!note add hi", "!note list", "!note remove 1", "!note"):
            denied = await run(runtime, "judy", text)
            assert title(denied) == "❌ Missing role", text
            assert "@Moderator" in denied.text()
        assert "Missing role" in await slash_text(runtime, "judy", "note add", text="hi")
        assert "Missing role" in await slash_text(runtime, "judy", "note list")
        assert (await run(runtime, "alice", "!note add hi")).content == "added hi"  # Moderator
        assert await slash_text(runtime, "alice", "note add", text="yo") == "added yo"
        shown = await run(runtime, "owner", "!config note")
        assert "note add, note list, note remove" in shown.text()
    finally:
        await run(runtime, "owner", "!config note none")
    assert (await run(runtime, "judy", "!note add hi")).content == "added hi"


@LOOP
async def test_rules_on_group_and_subcommand_both_apply(runtime: Runtime) -> None:
    mod, helper = role_mention(runtime, "Moderator"), role_mention(runtime, "Helper")
    saved = await run(runtime, "owner", f'!config "note add" {helper}')  # the subcommand only
    assert title(saved) == "✅ Rule saved" and "covers" not in saved.text()
    try:
        assert title(await run(runtime, "judy", "!note add hi")) == "❌ Missing role"
        assert (await run(runtime, "judy", "!note list")).content == "listed"
        assert (await run(runtime, "bob", "!note add hi")).content == "added hi"  # Helper
        await run(runtime, "owner", f"!config note {mod}")
        # bob is a Helper but no Moderator: the group's rule applies to him too
        assert title(await run(runtime, "bob", "!note add hi")) == "❌ Missing role"
        assert "Missing role" in await slash_text(runtime, "bob", "note add", text="hi")
    finally:
        await run(runtime, "owner", "!config note none")
        await run(runtime, "owner", '!config "note add" none')
