"""Hooks pane: registered hooks with metrics; enable, disable and reset act on the service."""

from __future__ import annotations

from typing import Any

from .conftest import Console, screen_text, show, wait_for, wait_for_text
from .test_files_pane import wait_for_question


async def select_hook(pilot: Any, hook_id: str) -> None:
    table = pilot.app.current_pane().table
    table.focus()
    table.move_cursor(row=table.get_row_index(hook_id), animate=False)
    await pilot.pause()


def hook(service: Any, hook_id: str) -> Any:
    return next(h for h in service.hooks() if h.hook_id == hook_id)


async def test_hooks_listed_disabled_enabled_and_reset(console: Console) -> None:
    calls: list[dict[str, Any]] = []

    async def greet_logger(bot: Any, **event: Any) -> None:
        calls.append(event)

    async def flaky(bot: Any, **event: Any) -> None:
        raise RuntimeError("boom")

    async with console() as pilot:
        app = pilot.app
        bot = app.runtime.bot
        assert "hooks" not in app.runtime.services.extra
        pane = await show(pilot, "hooks")
        text = screen_text(app)
        assert "Event hooks are off" in text and "load_cogs" in text, "says why, not empty"
        assert "enable_event_hooks" in text and "bot.register_hook" in text
        assert not app.query_one("#hk-table").display

        await bot.load_extension("cogs.event_hooks")
        service = app.runtime.services.extra["hooks"]
        logger_id = bot.register_hook("command_executed", greet_logger, priority=5)
        flaky_id = bot.register_hook("demo_event", flaky)
        assert logger_id == "command_executed:greet_logger"
        for _ in range(5):  # five failures open the breaker
            await bot.emit_hook("demo_event")
        await service.drain()
        assert hook(service, flaky_id).circuit == "open"
        sandbox = app.runtime.sandbox
        await sandbox.user("alice").say("#general", "!hello")
        await wait_for(pilot, lambda: calls, what="the hook to run")
        await service.drain()

        await pane.refresh_data()
        await wait_for_text(pilot, "greet_logger")
        assert app.query_one("#hk-table").display and "Event hooks are off" not in screen_text(app)
        text = screen_text(app)
        row = next(line for line in text.splitlines() if "greet_logger" in line and "✓" in line)
        assert "command_executed" in row and " 5 " in row and "✓ on" in row and " 1 " in row
        flaky_row = next(line for line in text.splitlines() if "flaky" in line and "demo" in line)
        assert "open" in flaky_row and " 5 " in flaky_row
        assert "RuntimeError: boom" in text, "recent executions list the failure"

        await select_hook(pilot, logger_id)
        await pilot.press("x")
        await wait_for_question(pilot, f"Disable the hook {logger_id}?")
        await pilot.press("n")
        await wait_for_text(pilot, f"{logger_id} stays enabled.")
        assert hook(service, logger_id).enabled
        await pilot.press("x")
        await wait_for_question(pilot, f"Disable the hook {logger_id}?")
        await pilot.press("y")
        await wait_for(pilot, lambda: not hook(service, logger_id).enabled, what="disabled")
        await wait_for_text(pilot, f"✓ disabled {logger_id}")
        await wait_for_text(pilot, "✗ off")
        await pilot.press("e")
        await wait_for(pilot, lambda: hook(service, logger_id).enabled, what="enabled again")
        await wait_for_text(pilot, f"✓ enabled {logger_id}")

        await select_hook(pilot, flaky_id)
        await pilot.press("c")
        await wait_for_text(pilot, f"✓ circuit of {flaky_id} reset: closed (was open)")
        assert hook(service, flaky_id).circuit == "closed"
        await pane.refresh_data()
        await pilot.pause()
        flaky_row = next(
            line for line in screen_text(app).splitlines() if "flaky" in line and "demo" in line
        )
        assert "closed" in flaky_row


async def test_hook_keys_work_from_the_recent_executions_table(console: Console) -> None:
    async def first(bot: Any, **event: Any) -> None:
        pass

    async def second(bot: Any, **event: Any) -> None:
        pass

    async with console() as pilot:
        app = pilot.app
        bot = app.runtime.bot
        await bot.load_extension("cogs.event_hooks")
        service = app.runtime.services.extra["hooks"]
        first_id = bot.register_hook("demo_first", first)
        second_id = bot.register_hook("demo_second", second)
        await bot.emit_hook("demo_first")
        await bot.emit_hook("demo_second")
        await service.drain()
        pane = await show(pilot, "hooks")
        await wait_for_text(pilot, second_id)
        await select_hook(pilot, first_id)  # the hooks table points at the first hook

        history = app.query_one("#hk-history")
        history.focus()
        await pilot.pause()
        rows = [str(history.get_row_at(i)[1]) for i in range(history.row_count)]
        for _ in range(rows.index(second_id)):
            await pilot.press("down")
        assert pane.selected().hook_id == second_id, "the execution selects its hook"
        await pilot.press("x")
        await wait_for_question(pilot, f"Disable the hook {second_id}?")
        await pilot.press("y")
        await wait_for(pilot, lambda: not hook(service, second_id).enabled, what="disabled")
        await wait_for_text(pilot, f"✓ disabled {second_id}")
        assert hook(service, first_id).enabled
        history.focus()
        await pilot.pause()
        await pilot.press("e")
        await wait_for(pilot, lambda: hook(service, second_id).enabled, what="enabled again")
        await pilot.press("c")
        await wait_for_text(pilot, f"✓ circuit of {second_id} reset")
