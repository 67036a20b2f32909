"""Backups pane: create, verify, pin, note, schedule, diff, restore with progress, delete.

Each test runs the console on the deterministic demo sandbox with the backup feature on
(and the other framework cogs off), presses the keys an operator would, and checks both
the screen and the backup service behind it. One test attaches over the real control
socket, so the pane is shown to work on plain data only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tui.app import ZoryxConsole
from tui.panes._backups_dialogs import RestoreDialog
from tui.widgets import PromptScreen
from zoryx.control.client import RemoteSource
from zoryx.runtime import Runtime

from .conftest import (
    CONFIG,
    Console,
    make_bot_dir,
    make_runtime,
    screen_text,
    show,
    type_text,
    wait_for,
    wait_for_text,
)
from .test_files_pane import wait_for_question

#: Only the backup feature among the framework cogs: the screens stay the same whenever
#: another framework feature lands.
BACKUP_CONFIG: dict[str, Any] = {
    **CONFIG,
    "framework": {
        "load_cogs": True,
        "enable_event_hooks": False,
        "enable_plugin_registry": False,
        "enable_framework_diagnostics": False,
        "enable_slash_command_limiter": False,
        "enable_shard_monitor": False,
        "enable_shard_manager": False,
        "enable_ai_assistant": False,
        "enable_backup_restore": True,
    },
}
GUILD = "Pixel Guild"  # the first guild by name: the one the pane selects at first
LONG = 30.0  # seconds for a snapshot or a restore on a busy machine


@pytest.fixture
def bot_dir(tmp_path: Path) -> Path:
    return make_bot_dir(tmp_path / "bot", BACKUP_CONFIG)


def service_of(app: Any) -> Any:
    return app.runtime.services.extra["backups"]


def guild_of(app: Any, name: str = GUILD) -> Any:
    return next(g for g in app.runtime.bot.guilds if g.name == name)


async def prompt(pilot: Any, title: str) -> None:
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, PromptScreen) and title in screen_text(pilot.app),
        what=f"the prompt {title!r}",
    )


async def answer_prompt(pilot: Any, title: str, text: str) -> None:
    """Wait for the prompt titled ``title``, clear its field, type ``text``, press enter."""
    await prompt(pilot, title)
    pilot.app.screen.query_one("#prompt-input").value = ""
    await type_text(pilot, text)
    await pilot.press("enter")


async def snapshots_shown(pane: Any) -> list[str]:
    return [str(pane.table.get_row_at(i)[4]) for i in range(pane.table.row_count)]


async def select_snapshot(pilot: Any, pane: Any, snapshot_id: str) -> None:
    await wait_for(pilot, lambda: snapshot_id in [r.key.value for r in pane.table.rows.values()])
    pane.table.focus()
    pane.table.move_cursor(row=pane.table.get_row_index(snapshot_id), animate=False)
    await pilot.pause()


async def create_through_pane(pilot: Any, pane: Any, label: str) -> Any:
    """``n``, type the label, enter; returns the new index entry from the service."""
    app = pilot.app
    service = service_of(app)
    gid = guild_of(app).id
    before = {s.id for s in await service.list(gid)}
    await pilot.press("n")
    await answer_prompt(pilot, f"Back up {GUILD}", label)
    await wait_for_text(pilot, f"✓ backed up {GUILD}: “{label}”", timeout=LONG)
    new = [s for s in await service.list(gid) if s.id not in before]
    assert len(new) == 1 and new[0].label == label
    await select_snapshot(pilot, pane, new[0].id)
    return new[0]


async def test_the_pane_lists_guilds_and_creates_verifies_pins_notes_and_schedules(
    console: Console,
) -> None:
    async with console() as pilot:
        app = pilot.app
        assert app.pane_ids[-1] == "backups", "listed while the feature is switched on"
        service = service_of(app)
        gid = guild_of(app).id
        await pilot.press("minus")  # the key right of 0 shows the 11th pane
        await wait_for(pilot, lambda: app.current_pane().pane_id == "backups")
        pane = app.current_pane()
        await pane.refresh_data()
        await wait_for_text(pilot, f"{GUILD}: 0 backups")
        text = screen_text(app)
        assert all(g.name in text for g in app.runtime.bot.guilds), "every guild is listed"
        assert "- Backups" in text.splitlines()[1], "the tab names its key"

        info = await create_through_pane(pilot, pane, "before the raid")
        await wait_for_text(pilot, f"{GUILD}: 1 backups")
        row = next(line for line in screen_text(app).splitlines() if "before the raid" in line)
        assert info.counts["members"] > 0 and f" {info.counts['members']} " in row
        assert "KiB" in row or " B " in row, "the size is shown"
        assert "cooldown skipped" not in screen_text(app), "no cooldown was running"

        await pilot.press("v")
        await wait_for_text(pilot, "✓ “before the raid”: checksum matches")

        await pilot.press("p")
        await wait_for_text(pilot, "✓ “before the raid” pinned")
        assert (await service.get(gid, info.id)).pinned
        await wait_for(
            pilot, lambda: str(pane.table.get_cell(info.id, "Pin")) == "✓", what="the pin mark"
        )
        await pilot.press("x")
        await wait_for_text(pilot, "is pinned: unpin it first (p)")
        assert [s.id for s in await service.list(gid)] == [info.id], "not deleted, not asked"

        await pilot.press("e")
        await answer_prompt(pilot, "Note", "taken by the console")
        await wait_for_text(pilot, "✓ note of “before the raid” saved")
        assert (await service.get(gid, info.id)).note == "taken by the console"
        await wait_for(pilot, lambda: "taken by the console" in screen_text(app), what="note")

        await pilot.press("s")
        await answer_prompt(pilot, f"Schedule for {GUILD}", "12")
        await wait_for_text(pilot, f"✓ {GUILD}: every 12 h")
        schedule = await service.schedule(gid)
        assert schedule.enabled and schedule.interval_hours == 12
        await pilot.press("s")
        await answer_prompt(pilot, f"Schedule for {GUILD}", "often")
        await wait_for_text(pilot, "is not a number of hours (1-168) nor off")
        await pilot.press("s")
        await answer_prompt(pilot, f"Schedule for {GUILD}", "off")
        await wait_for_text(pilot, f"✓ {GUILD}: schedule off")
        assert not (await service.schedule(gid)).enabled

        await pilot.press("a")
        await wait_for_text(pilot, f"Backup audit of {GUILD}")
        actions = [line.split()[2] for line in pane.last_result.splitlines()[1:]]
        recorded = [entry["action"] for entry in await service.audit(gid)]
        assert actions == recorded[: len(actions)] and "create" in actions and "pin" in actions

        pane.guild_table.focus()
        await pilot.press("down")  # the next guild: its own (empty) list
        await wait_for_text(pilot, "Study Hall: 0 backups")
        assert pane.table.row_count == 0 and pane.selected() is None
        await pilot.press("up")
        await wait_for_text(pilot, f"{GUILD}: 1 backups")
        assert pane.selected()["id"] == info.id


async def test_a_refused_action_is_shown_and_notified_not_a_traceback(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        await show(pilot, "backups")
        await pilot.press("n")
        await prompt(pilot, f"Back up {GUILD}")
        app.screen.query_one("#prompt-input").insert_text_at_cursor("x" * 101)  # a paste
        await pilot.press("enter")
        await wait_for_text(pilot, "✗ ")
        assert await service_of(app).list(guild_of(app).id) == []
        assert any(severity == "error" for severity, _ in app.notices)
        assert "Traceback" not in screen_text(app)


async def test_diff_against_the_guild_now_and_between_two_snapshots(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        pane = await show(pilot, "backups")
        first = await create_through_pane(pilot, pane, "first")
        await guild_of(app).create_role(name="Drifted Role")
        # create_role answers from REST; the drift reads the cache the gateway event updates.
        await wait_for(pilot, lambda: has_role(app, "Drifted Role"), what="role in cache")

        await pilot.press("d")
        await wait_for_text(pilot, "+ role Drifted Role", timeout=LONG)
        assert f"“first” → {GUILD} now: " in screen_text(app)

        second = await create_through_pane(pilot, pane, "second")
        assert "(cooldown skipped: you are a bot owner)" in pane.last_result
        await guild_of(app).create_role(name="Newest Role")  # in neither snapshot
        await wait_for(pilot, lambda: has_role(app, "Newest Role"), what="role in cache")
        await select_snapshot(pilot, pane, first.id)
        await pilot.press("m")
        await wait_for_text(pilot, "◆ marked for diff")
        await select_snapshot(pilot, pane, second.id)
        await pilot.press("d")
        await wait_for_text(pilot, "“first” → “second”: ")
        await wait_for_text(pilot, "+ role Drifted Role")
        assert "Newest Role" not in pane.last_result, "between the two snapshots only"
        await pilot.press("m")  # the mark moves to the selected one: d compares it with now
        await pilot.press("d")
        await wait_for_text(pilot, f"“second” → {GUILD} now: ", timeout=LONG)
        await wait_for_text(pilot, "+ role Newest Role")
        assert "Drifted Role" not in pane.last_result


def has_role(app: Any, name: str) -> bool:
    return any(role.name == name for role in guild_of(app).roles)


def components_ticked(app: Any) -> list[str]:
    return sorted(app.screen.query_one("#restore-components").selected())


async def open_restore(pilot: Any) -> None:
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RestoreDialog), what="dialog")
    await wait_for_text(pilot, "Components")


async def tick_only(pilot: Any, keep: set[str]) -> None:
    """In the components list (focused), untick every component but ``keep``."""
    app = pilot.app
    names = app.screen.components
    for index, name in enumerate(names):
        ticked = name in app.screen.query_one("#restore-components").selected()
        if ticked != (name in keep):
            await pilot.press("space")
        if index < len(names) - 1:
            await pilot.press("down")
    assert components_ticked(app) == sorted(keep)


async def test_restore_with_toggles_and_a_progress_bar_to_the_summary(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        pane = await show(pilot, "backups")
        guild = guild_of(app)
        reads: list[str] = []
        read = app.source.read

        async def counting(view: str, **params: Any) -> Any:
            reads.append(view)
            return await read(view, **params)

        app.source.read = counting  # type: ignore[method-assign]
        await create_through_pane(pilot, pane, "good state")
        role_name, channel_name = "Helper", "welcome"
        sandbox = app.runtime.sandbox  # damage the guild as its owner would
        await sandbox.delete_role(role_name, guild.id)
        await sandbox.delete_channel(f"#{channel_name}", guild.id)
        await wait_for(pilot, lambda: channel_name not in [c.name for c in guild.text_channels])
        await wait_for(pilot, lambda: role_name not in [r.name for r in guild.roles])

        # A dry run first: the summary says what would happen, the guild stays as it is.
        await open_restore(pilot)
        assert "roles" in components_ticked(app) and "messages" not in components_ticked(app)
        await tick_only(pilot, {"roles", "channels"})
        await pilot.press("tab")  # the options
        await pilot.press("down", "down", "space")  # dry run
        await pilot.press("tab", "enter")  # Restore
        await wait_for_text(pilot, "Dry run — nothing was changed.", timeout=LONG)
        assert role_name not in [r.name for r in guild.roles]
        assert channel_name not in [c.name for c in guild.text_channels]

        # Then only the roles, for real: the role comes back, the channel does not.
        reads.clear()
        await open_restore(pilot)
        await tick_only(pilot, {"roles"})
        await pilot.press("tab", "tab", "enter")
        await wait_for_text(pilot, "Restore finished.", timeout=LONG)
        assert role_name in [r.name for r in guild.roles]
        assert channel_name not in [c.name for c in guild.text_channels]
        bar = app.query_one("#bk-bar")
        assert bar.total and bar.progress == bar.total, "the bar ends full"
        assert "Restore done" in screen_text(app)
        assert "backup_job" in reads, "progress came from polling the job"
        summary = pane.last_result.splitlines()
        assert any(line.startswith("roles") and " 1 created" in line for line in summary)
        assert not any(line.startswith("channels") for line in summary), "not ticked"


async def test_role_sync_asks_again_and_no_keeps_the_guild(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        pane = await show(pilot, "backups")
        await create_through_pane(pilot, pane, "sync source")
        await open_restore(pilot)
        await pilot.press("tab", "down", "space")  # role sync
        await pilot.press("tab", "enter")
        await wait_for_question(pilot, "Role sync also REMOVES from members")
        await pilot.press("n")
        await wait_for_text(pilot, "Restore cancelled (role sync not confirmed).")
        assert service_of(app).jobs() == [], "no restore was started"


async def test_delete_asks_first_and_no_keeps_the_backup(console: Console) -> None:
    async with console() as pilot:
        app = pilot.app
        service = service_of(app)
        gid = guild_of(app).id
        pane = await show(pilot, "backups")
        info = await create_through_pane(pilot, pane, "disposable")
        await pilot.press("x")
        await wait_for_question(pilot, f"Delete the backup “disposable” of {GUILD}?")
        await pilot.press("n")
        await wait_for_text(pilot, "“disposable” kept.")
        assert [s.id for s in await service.list(gid)] == [info.id]
        await pilot.press("x")
        await wait_for_question(pilot, f"Delete the backup “disposable” of {GUILD}?")
        await pilot.press("y")
        await wait_for_text(pilot, "✓ deleted “disposable”")
        assert await service.list(gid) == []
        await wait_for_text(pilot, f"{GUILD}: 0 backups")
        assert "disposable" not in "".join(await snapshots_shown(pane))


async def test_the_pane_says_why_when_the_feature_stops_and_is_absent_when_off(
    console: Console, tmp_path: Path
) -> None:
    async with console() as pilot:
        app = pilot.app
        await show(pilot, "backups")
        await app.runtime.bot.unload_extension("cogs.backup_restore")
        await app.current_pane().refresh_data()
        await wait_for_text(pilot, "Backups are off")
        assert "backup_restore framework cog is not loaded" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, PromptScreen), "no backup keys while off"

    off_dir = make_bot_dir(tmp_path / "off")  # the default test config: no framework cogs
    app = ZoryxConsole(runtime=make_runtime(off_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await asyncio.wait_for(app.ready_event.wait(), 30)
        assert "backups" not in app.pane_ids and len(app.pane_ids) == 10
        await app.action_quit()
        await asyncio.wait_for(app.shutdown_finished.wait(), 30)


@pytest.fixture
async def runtime(bot_dir: Path) -> AsyncIterator[Runtime]:
    rt = make_runtime(bot_dir)
    await rt.start()
    try:
        yield rt
    finally:
        await rt.shutdown("test done")


async def test_attached_over_the_control_socket_the_pane_works_the_same(
    runtime: Runtime,
) -> None:
    source = await RemoteSource.open(runtime.bot_dir)
    app = ZoryxConsole(source=source, handle_signals=False)
    try:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await asyncio.wait_for(app.ready_event.wait(), 30)
            assert "backups" in app.pane_ids
            pane = await show(pilot, "backups")
            await pilot.press("n")
            await answer_prompt(pilot, f"Back up {GUILD}", "over the socket")
            await wait_for_text(pilot, f"✓ backed up {GUILD}: “over the socket”", timeout=LONG)
            service = runtime.services.extra["backups"]
            gid = next(g.id for g in runtime.bot.guilds if g.name == GUILD)
            [info] = await service.list(gid)
            await select_snapshot(pilot, pane, info.id)
            await open_restore(pilot)
            await pilot.press("tab", "down", "down", "space", "tab", "enter")  # a dry run
            await wait_for_text(pilot, "Dry run — nothing was changed.", timeout=LONG)
            await pilot.press("ctrl+q")
            await wait_for(pilot, app.shutdown_finished.is_set, timeout=20, what="the exit")
    finally:
        await source.close()
    assert not runtime.bot.is_closed()
