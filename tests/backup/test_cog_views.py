"""The interactive backup views end to end: the dashboard (tabs, pages, refresh, quick
delete that skips pinned backups, other members refused, time-out) and the restore screen
(component toggles, role sync's own confirmation, dry run, confirmed restore followed by
its progress and summary). Plus the 2-second edit throttle of the progress message."""

from __future__ import annotations

import importlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import pytest_asyncio

from cogs.backup_restore.model import (
    ComponentResult,
    JobInfo,
    RestoreProgress,
    RestoreReport,
)
from cogs.backup_restore.views_restore import follow_job
from zoryx.runtime import Runtime
from zoryx.sandbox.world_backup import LAB

from ._cog_helpers import (
    ADMIN,
    MEMBER,
    backup_runtime,
    click,
    clicked,
    components,
    field,
    has_title,
    new_backup,
    run,
    slash,
    stored,
    title,
)

LOOP = pytest.mark.asyncio(loop_scope="module")
TAB = "zoryx:backup:tab:{}".format
QUICK = "zoryx:backup:quickdelete"
PICK = "zoryx:backup:components"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rt(tmp_path_factory: Any) -> AsyncIterator[Runtime]:
    async with backup_runtime(tmp_path_factory.mktemp("backup-views")) as runtime:
        yield runtime


def lab_id(rt: Runtime) -> int:
    return next(g.id for g in rt.bot.guilds if g.name == LAB)


def footer(msg: Any) -> str:
    return str(msg.embeds[0].get("footer", {}).get("text", ""))


def role_names(rt: Runtime) -> set[str]:
    return {r["name"] for r in rt.sandbox.guild(LAB).roles.values()}


async def delete_role(rt: Runtime, name: str) -> None:
    await rt.sandbox.delete_role(name, guild=LAB)
    guild = next(g for g in rt.bot.guilds if g.name == LAB)
    await rt.sandbox.wait_until(
        lambda: discord.utils.get(guild.roles, name=name) is None, what=f"{name} gone"
    )


# -- the dashboard --------------------------------------------------------------------------
@LOOP
async def test_dashboard_tabs_refresh_and_other_members_refused(rt: Runtime) -> None:
    bid = await new_backup(rt, "owner", "dashboard")
    menu = await run(rt, ADMIN, "!backup")
    assert title(menu) == "💾 Backups · Overview · Backup Lab"
    assert bid in menu.text() and "Schedule" in menu.text()
    assert components(menu)[TAB("overview")].get("disabled") is True

    for tab, name, expected in (
        ("backups", "Backups", bid),
        ("compare", "Compare", "Changes since the latest backup"),
        ("audit", "Audit", "**create**"),
        ("analytics", "Analytics", "Operations (audit)"),
    ):
        page = await clicked(rt, ADMIN, menu, TAB(tab), has_title(f"· {name} ·"))
        assert expected in page.text(), tab
        assert components(page)[TAB(tab)].get("disabled") is True
        assert not components(page)[TAB("overview")].get("disabled")

    # refresh reloads: a backup made meanwhile appears on the Backups tab
    await clicked(rt, ADMIN, menu, TAB("backups"), has_title("· Backups ·"))
    newer = await new_backup(rt, "owner", "made meanwhile")
    assert newer not in stored(rt, menu).text()
    await clicked(rt, ADMIN, menu, "zoryx:backup:refresh", lambda m: newer in m.text())

    # another member, even an administrator, cannot drive this dashboard
    before = stored(rt, menu).raw["embeds"]
    for user in (MEMBER, "owner"):
        res = await click(rt, user, menu, TAB("audit"))
        assert res.ephemeral and "Not yours" in res.text(), user
    assert stored(rt, menu).raw["embeds"] == before


@LOOP
async def test_dashboard_pages_and_quick_delete_skip_pins(rt: Runtime) -> None:
    service = rt.bot.services.extra["backups"]
    while len(await service.list(lab_id(rt))) < 7:
        await new_backup(rt, "owner")
    infos = await service.list(lab_id(rt))
    pinned = infos[1].id  # on the first page
    assert title(await run(rt, "owner", f"!backuppin {pinned}")) == "✅ Backup pinned"

    menu = await run(rt, "owner", "!backup")
    page = await clicked(rt, "owner", menu, TAB("backups"), has_title("· Backups ·"))
    assert "Page 1/2" in footer(page)
    assert components(page)["zoryx:backup:prev"].get("disabled") is True
    offered = [o["value"] for o in components(page)[QUICK]["options"]]
    assert pinned in page.text() and pinned not in offered
    assert offered == [i.id for i in infos[:5] if i.id != pinned]

    page = await clicked(rt, "owner", menu, "zoryx:backup:next", lambda m: "Page 2/2" in footer(m))
    assert components(page)["zoryx:backup:next"].get("disabled") is True
    assert infos[5].id in page.text() and infos[0].id not in page.text()
    page = await clicked(rt, "owner", menu, "zoryx:backup:prev", lambda m: "Page 1/2" in footer(m))

    victim = offered[0]
    page = await clicked(
        rt,
        "owner",
        menu,
        QUICK,
        lambda m: "zoryx:backup:confirm" in components(m),
        values=[victim],
    )
    assert f"Delete backup `{victim}`?" in page.text()
    assert components(page)["zoryx:backup:confirm"]["label"] == f"Delete {victim}"
    assert victim in [i.id for i in await service.list(lab_id(rt))]  # not before confirming
    page = await clicked(
        rt, "owner", menu, "zoryx:backup:confirm", lambda m: "Deleted backup" in m.text()
    )
    assert victim not in [i.id for i in await service.list(lab_id(rt))]
    assert pinned in [i.id for i in await service.list(lab_id(rt))]
    assert victim not in [o["value"] for o in components(page)[QUICK]["options"]]
    assert title(await run(rt, "owner", f"!backuppin {pinned}")) == "✅ Backup unpinned"


@LOOP
async def test_dashboard_disables_itself_on_timeout(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the bot's own copy of the module (a runtime imports the cog package afresh)
    live = importlib.import_module("cogs.backup_restore.views")
    monkeypatch.setattr(live.OwnedView, "TIMEOUT", 0.5)
    menu = await run(rt, ADMIN, "!backup")
    assert any(not c.get("disabled") for c in components(menu).values())
    await rt.sandbox.wait_until(
        lambda: all(c.get("disabled") for c in components(stored(rt, menu)).values()),
        timeout=30,
        what="the dashboard disabled",
    )


# -- restore --------------------------------------------------------------------------------
@LOOP
async def test_restore_choose_confirm_progress_and_summary(rt: Runtime) -> None:
    bid = await new_backup(rt, "owner", "before damage")
    await delete_role(rt, "Artist")
    screen = await run(rt, ADMIN, f"!backuprestore {bid}")
    assert title(screen) == "♻️ Restore a backup"
    assert "**Roles**" in screen.text() and "**Channels**" in screen.text()

    refused = await click(rt, "owner", screen, "zoryx:backup:restore")
    assert refused.ephemeral and "Not yours" in refused.text()

    screen = await clicked(
        rt, ADMIN, screen, PICK, lambda m: "**Channels**" not in m.text(), values=["roles"]
    )
    assert "**Roles**" in screen.text()
    options = components(screen)[PICK]["options"]
    assert [o["value"] for o in options if o.get("default")] == ["roles"]

    ask = await clicked(rt, ADMIN, screen, "zoryx:backup:restore", has_title("Restore this"))
    assert field(ask, "Components").startswith("• **Roles**")
    assert "Channels" not in field(ask, "Components")
    assert set(components(ask)) == {"zoryx:backup:confirm", "zoryx:backup:back"}
    assert "Artist" not in role_names(rt)  # nothing happens before the confirmation

    titles: list[str] = []

    def seen(event: Any) -> None:
        if event.name == "MESSAGE_UPDATE" and int(event.data["id"]) == ask.id:
            titles.extend(str(e.get("title")) for e in event.data.get("embeds") or [])

    rt.sandbox.state.listeners.append(seen)
    try:
        await click(rt, ADMIN, ask, "zoryx:backup:confirm")
        await rt.sandbox.wait_until(
            lambda: "Restore of" in title(stored(rt, ask)), timeout=60, what="the summary"
        )
    finally:
        rt.sandbox.state.listeners.remove(seen)
    summary = stored(rt, ask)
    assert title(summary) == f"✅ Restore of {bid} finished", summary.text()
    assert field(summary, "Roles").startswith("created 1 · updated")
    assert [f["name"] for f in summary.embeds[0]["fields"]] == ["Roles"]
    assert "Total: created 1" in footer(summary)
    assert not summary.components
    assert titles[0] == f"⏳ Restoring backup {bid}"  # the progress message, then its summary
    assert titles[-1] == title(summary)
    assert "Artist" in role_names(rt)


@LOOP
async def test_dry_run_changes_nothing(rt: Runtime) -> None:
    bid = await new_backup(rt, "owner", "for the dry run")
    await delete_role(rt, "VIP")
    res = await slash(rt, "owner", "backuprestore", backup_id=bid)  # the slash variant
    screen = res.message
    assert title(screen) == "♻️ Restore a backup"
    await clicked(
        rt, "owner", screen, PICK, lambda m: "**Channels**" not in m.text(), values=["roles"]
    )
    await click(rt, "owner", screen, "zoryx:backup:dryrun")
    await rt.sandbox.wait_until(
        lambda: title(stored(rt, screen)) == f"🧪 Dry run of backup {bid}",
        timeout=60,
        what="the dry-run summary",
    )
    summary = stored(rt, screen)
    assert "Nothing was changed" in summary.text()
    assert field(summary, "Roles").startswith("would create 1 · would update")
    assert "VIP" not in role_names(rt)


@LOOP
async def test_role_sync_needs_its_own_confirmation(rt: Runtime) -> None:
    bid = await new_backup(rt, "owner")
    screen = await run(rt, ADMIN, f"!backuprestore {bid}")
    screen = await clicked(
        rt, ADMIN, screen, PICK, lambda m: "Member roles" not in m.text(), values=["roles"]
    )
    assert components(screen)["zoryx:backup:rolesync"]["label"] == "👥 Role sync: off"

    warn = await clicked(rt, ADMIN, screen, "zoryx:backup:rolesync", has_title("role sync"))
    assert "removes" in warn.text()
    back = await clicked(rt, ADMIN, screen, "zoryx:backup:rolesync:off", has_title("♻️"))
    assert "Role sync: **off**" in back.text()

    await clicked(rt, ADMIN, screen, "zoryx:backup:rolesync", has_title("role sync"))
    on = await clicked(rt, ADMIN, screen, "zoryx:backup:rolesync:on", has_title("♻️"))
    assert "Role sync: **on**" in on.text() and "**Member roles**" in on.text()
    assert components(on)["zoryx:backup:rolesync"]["label"] == "👥 Role sync: on"
    on = await clicked(
        rt, ADMIN, screen, "zoryx:backup:update", lambda m: "Update existing: **on**" in m.text()
    )
    ask = await clicked(rt, ADMIN, screen, "zoryx:backup:restore", has_title("Restore this"))
    assert "Role sync: **on**" in ask.text() and "Update existing: **on**" in ask.text()
    cancelled = await clicked(rt, ADMIN, screen, "zoryx:backup:back", has_title("♻️"))
    await clicked(rt, ADMIN, cancelled, "zoryx:backup:cancel", has_title("Restore cancelled"))


# -- the progress throttle (no Discord) -------------------------------------------------------
class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


async def test_progress_edits_are_at_least_two_seconds_apart() -> None:
    fake = FakeTime()

    def step(done: int) -> RestoreProgress:
        return RestoreProgress(1, "s", "roles", done, 40, f"step {done}")

    first = JobInfo("job", 1, "s", "me", step(0), None)
    report = RestoreReport(1, "s", False, {"roles": ComponentResult(created=["role A"])})
    edits: list[tuple[float, str]] = []

    def get_job(job_id: str) -> JobInfo:
        # the job moves on every 0.25 s of (fake) time and ends at t = 110
        elapsed = fake.now - 100.0
        if elapsed >= 10.0:
            return JobInfo("job", 1, "s", "me", step(40), report)
        return JobInfo("job", 1, "s", "me", step(int(elapsed * 4)), None)

    async def edit(embed: discord.Embed) -> None:
        edits.append((fake.now, str(embed.title)))

    await follow_job(
        first, get_job=get_job, edit=edit, dry_run=False, clock=fake.clock, sleep=fake.sleep
    )
    times = [100.0] + [t for t, _ in edits]  # the first progress was shown at t = 100
    assert all(b - a >= 2.0 for a, b in itertools.pairwise(times))
    assert len(edits) >= 4  # it did keep the message current meanwhile
    assert edits[-1][1] == "✅ Restore of s finished"
    assert all(t.startswith("⏳ Restoring") for _, t in edits[:-1])


async def test_a_finished_job_is_shown_once_and_a_lost_one_said() -> None:
    fake = FakeTime()
    first = JobInfo("job", 1, "s", "me", RestoreProgress(1, "s", "", 0, 0, "starting"), None)
    edits: list[str] = []

    async def edit(embed: discord.Embed) -> None:
        edits.append(str(embed.title))

    await follow_job(
        first, get_job=lambda _: None, edit=edit, dry_run=True, clock=fake.clock, sleep=fake.sleep
    )
    assert edits == ["⚠️ Restore job no longer tracked"]
    assert fake.now >= 102.0  # even that edit waited for its turn
