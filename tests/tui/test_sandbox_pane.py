"""Sandbox pane: talk to the bot as a demo user, and drive the activity simulator."""

from __future__ import annotations

import asyncio

import pytest

from tui.panes import sandbox as sandbox_pane

from .conftest import Console, paste_command, screen_text, show, type_text, wait_for, wait_for_text


async def test_send_help_as_owner_and_see_the_reply(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        sandbox = app.runtime.sandbox
        pane = await show(pilot, "sandbox")
        await wait_for(pilot, lambda: pane._value("channel") is not None, what="the form")
        owner = sandbox.user("owner")
        general = sandbox.channel_id("#general")
        assert pane._value("user") == owner.id and pane._value("channel") == general
        assert "As owner" in screen_text(app) and "#general" in screen_text(app)
        app.query_one("#sbx-text").focus()
        await type_text(pilot, "!help")
        await pilot.press("enter")
        await wait_for_text(pilot, "› owner in #general: !help")
        await wait_for_text(pilot, "‹ zoryx-sandbox-bot:")
        replies = [m for m in sandbox.messages("#general") if m.author_id == sandbox.bot_id]
        assert replies, "the bot really answered in the sandbox"
        first_line = replies[-1].text().splitlines()[0]
        await wait_for_text(pilot, first_line[:40])
        sent = [m for m in sandbox.messages("#general") if m.author_id == owner.id]
        assert sent[-1].content == "!help"


async def test_a_message_without_answer_times_out_politely(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_pane, "CHAT_TIMEOUT", 1.0)
    async with console() as pilot:
        app = pilot.app
        pane = await show(pilot, "sandbox")
        await wait_for(pilot, lambda: pane._value("channel") is not None, what="the form")
        worker = pane.run_worker(pane.send("just chatting"))
        await wait_for(pilot, lambda: worker.is_finished, what="the send")
        await wait_for_text(pilot, "(no reply within 1 s)")
        assert "› owner in #general: just chatting" in screen_text(app)


async def test_simulator_start_stats_and_stop(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        sandbox = app.runtime.sandbox
        await show(pilot, "sandbox")
        await wait_for_text(pilot, "○ stopped")
        rate = app.query_one("#sbx-rate")
        rate.focus()
        await type_text(pilot, "1200")  # the old value is selected on focus: replaced
        await pilot.press("ctrl+t")
        simulator = sandbox.simulator
        assert simulator is not None and simulator.running
        assert simulator.rate_per_minute == 1200
        await wait_for(pilot, lambda: simulator.stats()["actions"] >= 3, what="simulated actions")
        await wait_for_text(pilot, "● running · 1200/min")
        await pilot.press("ctrl+t")
        await wait_for_text(pilot, "○ stopped")
        assert not simulator.running
        stopped_at = simulator.stats()["actions"]
        await asyncio.sleep(0.3)
        assert simulator.stats()["actions"] == stopped_at
        await wait_for_text(pilot, f"{stopped_at} actions")
        app.query_one("#sbx-log").focus()  # ":" typed in an input is text, not the command line
        await paste_command(pilot, "sim start 60")
        await wait_for(pilot, lambda: simulator.running, what=":sim start")
        assert simulator.rate_per_minute == 60
        await paste_command(pilot, "sim stop")
        await wait_for(pilot, lambda: not simulator.running, what=":sim stop")
