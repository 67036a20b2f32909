"""With the framework features on, the panes show the registry status and diagnostics tier."""

from __future__ import annotations

from pathlib import Path

from .conftest import CONFIG, make_bot_dir, screen_text, show, wait_for_text


async def test_plugins_pane_shows_registry_status_and_overview_the_diagnostics_tier(
    tmp_path: Path
) -> None:
    bot_dir = make_bot_dir(tmp_path / "bot", {**CONFIG, "framework": {}})
    (bot_dir / "extensions" / "needy.py").write_text(
        '__version__ = "1.0"\n__dependencies__ = ["not_installed_anywhere"]\n\n'
        "async def setup(bot):\n    pass\n"
    )
    from tui.app import ZoryxConsole
    from zoryx.runtime import Runtime

    runtime = Runtime(bot_dir, console_logging=False, environ={}, sandbox_world="demo",
                      sandbox_options={"deterministic": True})
    app = ZoryxConsole(runtime=runtime)
    async with app.run_test(size=(160, 40)) as pilot:
        import asyncio

        await asyncio.wait_for(app.ready_event.wait(), 30)
        assert runtime.services.extra.get("plugins") is not None
        assert runtime.services.extra.get("diagnostics") is not None
        await show(pilot, "overview")
        await wait_for_text(pilot, "(lifetime)")
        await show(pilot, "plugins")
        await wait_for_text(pilot, "not_installed_anywhere")
        text = screen_text(app)
        assert "❌" in text and "✅" in text
        await app.action_quit()
        await asyncio.wait_for(app.shutdown_finished.wait(), 30)
