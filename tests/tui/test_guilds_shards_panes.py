"""Guilds and Shards panes: what the bot is in, leaving a guild, and its gateway shards."""

from __future__ import annotations

import re
import time
from typing import Any

from .conftest import Console, paste_command, screen_text, show, wait_for, wait_for_text
from .test_files_pane import wait_for_question


async def select_guild(pilot: Any, name: str) -> int:
    pane = pilot.app.current_pane()
    guild = next(g for g in pilot.app.runtime.bot.guilds if g.name == name)
    table = pane.table
    table.focus()
    table.move_cursor(row=table.get_row_index(str(guild.id)), animate=False)
    await pilot.pause()
    return int(guild.id)


async def test_guilds_table_filter_and_colon_leave(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        pane = await show(pilot, "guilds")
        bot = app.runtime.bot
        text = screen_text(app)
        assert "3/3 guilds" in text
        for guild in bot.guilds:
            row = next(line for line in text.splitlines() if guild.name in line)
            assert str(guild.id) in row and str(guild.member_count) in row
            assert str(len(guild.channels)) in row and guild.owner.name in row
            assert re.search(r"\d{4}-\d\d-\d\d", row), "joined date"
        await pilot.press("slash")
        pilot.app.query_one("#command-input").insert_text_at_cursor("study")
        await wait_for(pilot, lambda: "Zoryx Lounge" not in screen_text(app), what="filter")
        assert "Study Hall" in screen_text(app) and "1/3 guilds" in screen_text(app)
        await pilot.press("escape")
        await wait_for_text(pilot, "Zoryx Lounge")
        guild_id = next(g.id for g in bot.guilds if g.name == "Study Hall")
        await paste_command(pilot, "leave Study Hall")
        await wait_for_question(pilot, "Leave the guild Study Hall")
        await pilot.press("y")
        await wait_for(pilot, lambda: bot.get_guild(guild_id) is None, what="the bot to leave")
        await pane.refresh_data()
        await wait_for_text(pilot, "2/2 guilds")
        # The pane's own command does the same (used when the console has no built-in :leave).
        lounge = next(g for g in bot.guilds if g.name == "Zoryx Lounge")
        worker = pane.run_worker(pane.run_command("leave", [str(lounge.id)]))
        await wait_for_question(pilot, "Leave the guild Zoryx Lounge")
        await pilot.press("n")
        await wait_for(pilot, lambda: worker.is_finished, what="the command")
        assert worker.result == "cancelled" and bot.get_guild(lounge.id) is not None


async def test_L_asks_n_keeps_y_leaves(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        bot, sandbox = app.runtime.bot, app.runtime.sandbox
        await show(pilot, "guilds")
        guild_id = await select_guild(pilot, "Pixel Guild")
        assert "Pixel Guild: 7 text" in screen_text(app)
        await pilot.press("L")
        await wait_for_question(pilot, "Leave the guild Pixel Guild")
        await pilot.press("n")
        await wait_for_text(pilot, "Stayed in Pixel Guild.")
        assert bot.get_guild(guild_id) is not None
        assert sandbox.bot_id in sandbox.state.guilds[guild_id].members
        await pilot.press("L")
        await wait_for_question(pilot, "Leave the guild Pixel Guild")
        await pilot.press("y")
        await wait_for(pilot, lambda: bot.get_guild(guild_id) is None, what="the bot to leave")
        assert sandbox.bot_id not in sandbox.state.guilds[guild_id].members
        await wait_for_text(pilot, "✓ left Pixel Guild")
        await wait_for_text(pilot, "2/2 guilds")
        table_text = "\n".join(screen_text(app).splitlines()[3:-4])
        assert "Pixel Guild" not in table_text


async def test_shards_pane_shows_latency_and_guilds(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        bot = app.runtime.bot
        pane = await show(pilot, "shards")
        await wait_for(pilot, lambda: bot.shards[0].latency < float("inf"), what="a heartbeat")
        await pane.refresh_data()
        await pilot.pause()
        text = screen_text(app)
        row = next(line for line in text.splitlines() if line.strip().startswith("0 "))
        latency = re.search(r"(\d+\.\d) ms", row)
        assert latency is not None, row
        assert abs(float(latency.group(1)) - bot.shards[0].latency * 1000) < 1000
        assert "● connected" in row and " 3 " in row
        assert "1/1 shards connected" in text
        assert row.rstrip().endswith("—"), "no connect/disconnect times known yet"

        class ShardEvents:  # the service the pane reads once the bot provides one
            def last_connect(self, shard_id: int) -> float | None:
                return 1_700_000_000.0

            def last_disconnect(self, shard_id: int) -> float | None:
                return None

        app.runtime.services.extra["shard_events"] = ShardEvents()
        await pane.refresh_data()
        await pilot.pause()
        expected = time.strftime("%H:%M:%S", time.localtime(1_700_000_000.0))
        assert expected in screen_text(app)
