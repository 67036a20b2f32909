"""With the framework features on, the panes show the registry status and diagnostics tier."""

from __future__ import annotations

from pathlib import Path

from .conftest import CONFIG, make_bot_dir, screen_text, show, wait_for_text


async def test_plugins_pane_shows_registry_status_and_overview_the_diagnostics_tier(
    tmp_path: Path,
) -> None:
    bot_dir = make_bot_dir(tmp_path / "bot", {**CONFIG, "framework": {}})
    (bot_dir / "extensions" / "needy.py").write_text(
        '__version__ = "1.0"\n__dependencies__ = ["not_installed_anywhere"]\n\n'
        "async def setup(bot):\n    pass\n"
    )
    from tui.app import ZoryxConsole
    from zoryx.runtime import Runtime

    runtime = Runtime(
        bot_dir,
        console_logging=False,
        environ={},
        sandbox_world="demo",
        sandbox_options={"deterministic": True},
    )
    app = ZoryxConsole(runtime=runtime)
    async with app.run_test(size=(160, 40)) as pilot:
        import asyncio

        await asyncio.wait_for(app.ready_event.wait(), 30)
        assert runtime.services.extra.get("plugins") is not None
        assert runtime.services.extra.get("diagnostics") is not None
        await show(pilot, "overview")
        await wait_for_text(pilot, "(lifetime)")
        pane = await show(pilot, "plugins")
        await wait_for_text(pilot, "not_installed_anywhere")
        text = screen_text(app)
        needy = next(line for line in text.splitlines() if " needy " in line)
        assert "❌ needs not_installed_anywhere" in needy, "the registry's finding and mark"
        greetings = next(line for line in text.splitlines() if " greetings " in line)
        assert "● loaded" in greetings and "✅" not in greetings
        loaded = sum(i.state == "loaded" for i in runtime.bot.extension_manager.extensions.values())
        total = len(runtime.bot.extension_manager.extensions)
        assert loaded >= 3 and f"{loaded}/{total} extensions loaded" in text

        await runtime.bot.extension_manager.unload("greetings")
        await pane.refresh_data()
        await wait_for_text(pilot, f"{loaded - 1}/{total} extensions loaded")
        greetings = next(line for line in screen_text(app).splitlines() if " greetings " in line)
        assert "○ unloaded" in greetings and "✅" not in greetings
        await app.action_quit()
        await asyncio.wait_for(app.shutdown_finished.wait(), 30)
