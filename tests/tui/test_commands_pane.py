"""Commands pane: every command with its type, the / filter, running a command."""

from __future__ import annotations

from pathlib import Path

from .conftest import Console, screen_text, show, type_text, wait_for, wait_for_text


def row_names(pane: object) -> list[str]:
    table = pane.table  # type: ignore[attr-defined]
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


BRACKETS = """
from discord.ext import commands


@commands.command(description="set [key] to [b]value[/b]", extras={"zoryx_converted": True})
async def brackets(ctx):
    await ctx.send("ok")


@commands.command(description="a plain prefix command")
async def plainprefix(ctx):
    await ctx.send("ok")


async def setup(bot):
    bot.add_command(brackets)
    bot.add_command(plainprefix)
"""


async def test_lists_every_command_with_its_type(console: Console, bot_dir: Path) -> None:
    (bot_dir / "extensions" / "brackets.py").write_text(BRACKETS, encoding="utf-8")
    async with console() as pilot:
        pane = await show(pilot, "commands")
        kinds = {row.name: row.kind for row in pane.rows}
        assert kinds["hello"] == "hybrid"
        assert kinds["roll"] == "slash"
        assert kinds["note add"] == "hybrid"
        assert kinds["brackets"] == "converted" and kinds["plainprefix"] == "prefix"
        assert "note list" not in kinds  # the slash side of a hybrid group is not listed twice
        bot = pilot.app.runtime.bot
        assert {c.qualified_name for c in bot.walk_commands()} <= set(kinds)
        await wait_for_text(pilot, "brackets")
        text = screen_text(pilot.app)
        assert "⚡ hybrid" in text and "/  slash" in text
        assert "🔹 conv." in text and "🔸 prefix" in text
        assert "set [key] to [b]value[/b]" in text  # shown as typed, never read as markup


async def test_slash_filters_the_table_and_esc_clears_it(console: Console) -> None:
    async with console() as pilot:
        pane = await show(pilot, "commands")
        everything = row_names(pane)
        await pilot.press("slash")
        await type_text(pilot, "hel")
        await wait_for(pilot, lambda: row_names(pane) == ["hello", "help"], what="filtered rows")
        await pilot.press("enter")
        assert not pilot.app.query_one("#command-bar").display
        assert row_names(pane) == ["hello", "help"]
        assert "filter: 'hel'" in screen_text(pilot.app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: row_names(pane) == everything, what="all rows back")


async def test_enter_runs_the_command_in_the_sandbox_and_shows_the_reply(
    console: Console,
) -> None:
    async with console() as pilot:
        app = pilot.app
        pane = await show(pilot, "commands")
        await pilot.press("slash")
        await type_text(pilot, "hello")
        await pilot.press("enter")
        await wait_for(pilot, lambda: row_names(pane) == ["hello"])
        await pilot.press("enter")
        await wait_for_text(pilot, "Arguments for !hello")
        await type_text(pilot, "world")
        await pilot.press("enter")
        await wait_for_text(pilot, "‹ 👋 Hello, world!")
        sandbox = app.runtime.sandbox
        posted = [m.content for m in sandbox.messages("#bot-commands")]
        assert "!hello world" in posted and "👋 Hello, world!" in posted
        await wait_for(pilot, lambda: getattr(pane.usage.get("hello"), "count", 0) == 1)
        await pane.refresh_data()
        await wait_for(pilot, lambda: str(pane.table.get_row("hybrid:hello")[3]) == "1")
