"""The console at 80×24: tab labels stay readable and the Plugins table keeps what matters."""

from __future__ import annotations

from typing import Any

from .conftest import Console, screen_text, show, wait_for, wait_for_text


def tab_strip(app: Any) -> str:
    return screen_text(app).splitlines()[1]


def table_header(app: Any) -> str:
    return next(line for line in screen_text(app).splitlines() if " Kind " in line)


async def test_80_columns_short_tab_labels_and_the_plugins_findings_on_screen(
    console: Console,
) -> None:
    async with console(size=(80, 24)) as pilot:
        app = pilot.app
        await show(pilot, "plugins")
        await wait_for_text(pilot, "greetings")
        tabs = tab_strip(app)
        for index, pane in enumerate(app.panes(), 1):
            short = getattr(pane, "short_title", "") or pane.title
            label = pane.title if pane.pane_id == "plugins" else short
            assert f"{index % 10} {label}" in tabs, (label, tabs)
            assert len(short) <= 5, short
        header = table_header(app)
        assert "Needs / conflicts" in header and "State" in header and "Version" in header
        assert "Author" not in header, "the less important columns make room"

        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: "Author" in table_header(app), what="the wide table")
        header = table_header(app)
        assert "Reloads" in header and "Needs / conflicts" in header
        tabs = tab_strip(app)
        assert all(pane.title in tabs for pane in app.panes()), tabs
