"""The backup commands end to end, as members of the sandbox's "Backup Lab" use them
(prefix and slash): access, the create → list → view → pin → delete life cycle, notes,
bad IDs, schedules, diffs, export and statistics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from cogs.backup_restore.canonical import checksum
from cogs.backup_restore.model import SnapshotNotFound
from zoryx.operator import Actor, OperatorError, Role
from zoryx.runtime import Runtime
from zoryx.sandbox import ClientRefusal
from zoryx.sandbox.world_backup import LAB

from ._cog_helpers import (
    ADMIN,
    MEMBER,
    backup_runtime,
    click,
    clicked,
    components,
    field,
    new_backup,
    run,
    slash,
    title,
    until,
)

LOOP = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rt(tmp_path_factory: Any) -> AsyncIterator[Runtime]:
    async with backup_runtime(tmp_path_factory.mktemp("backup-cog")) as runtime:
        yield runtime


def lab_id(rt: Runtime) -> int:
    return next(g.id for g in rt.bot.guilds if g.name == LAB)


async def ids_in_list(rt: Runtime) -> str:
    msg = await run(rt, "owner", "!backuplist")
    assert title(msg).startswith("💾 Backups of Backup Lab"), msg.text()
    return msg.text()


# -- access ---------------------------------------------------------------------------------
@LOOP
async def test_admins_and_owners_only_and_cooldown_bypass_is_told(rt: Runtime) -> None:
    # a plain member: refused, prefix and slash, and nothing is created
    for text in ("!backupcreate", "!backup", "!backuplist", "!backupschedule enable 6"):
        msg = await run(rt, MEMBER, text)
        assert title(msg) == "❌ Missing permissions", text
        assert "administrator" in msg.text()
    res = await slash(rt, MEMBER, "backupcreate")
    assert res.ephemeral and "Missing permissions" in res.text()
    assert await rt.bot.services.extra["backups"].list(lab_id(rt)) == []

    # a server administrator who is not a bot owner may back up; the cooldown applies
    first = await run(rt, ADMIN, '!backupcreate "by the admin"')
    assert title(first) == "✅ Backup created"
    assert "Cooldown bypassed" not in first.text()
    again = await run(rt, ADMIN, "!backupcreate")
    assert title(again) == "❌ Backup not created"
    assert "recently" in again.text() and "try again in" in again.text()

    # the bot owner skips it and is told so
    owner = await run(rt, "owner", '!backupcreate "owner skips"')
    assert title(owner) == "✅ Backup created"
    assert "Cooldown bypassed" in owner.text()

    # bot-owner commands stay closed to the server's administrators
    for text in ("!backupstats", f"!backupexport {first.embeds[0]['description'][1:24]}"):
        msg = await run(rt, ADMIN, text)
        assert title(msg) == "❌ Owner only", text


# -- life cycle -----------------------------------------------------------------------------
@LOOP
async def test_create_list_view_pin_delete(rt: Runtime) -> None:
    bid = await new_backup(rt, "owner", "life cycle")
    assert bid in await ids_in_list(rt)

    view = await run(rt, ADMIN, f"!backupview {bid}")
    assert title(view) == f"💾 Backup {bid}"
    assert view.embeds[0]["description"] == "life cycle"
    assert field(view, "Pinned") == "no" and field(view, "Roles") == "11"

    pinned = await run(rt, ADMIN, f"!backuppin {bid}")
    assert title(pinned) == "✅ Backup pinned"
    assert title(await run(rt, ADMIN, f"!backupview {bid}")) == f"📌 💾 Backup {bid}"

    refused = await run(rt, ADMIN, f"!backupdelete {bid}")
    assert title(refused) == "❌ Backup not deleted" and "pinned" in refused.text()
    assert not refused.components
    assert bid in await ids_in_list(rt)

    unpinned = await run(rt, ADMIN, f"!backuppin {bid}")
    assert title(unpinned) == "✅ Backup unpinned"

    ask = await run(rt, ADMIN, f"!backupdelete {bid}")
    assert title(ask) == "⚠️ Delete this backup?" and bid in ask.text()
    assert set(components(ask)) == {"zoryx:backup:confirm", "zoryx:backup:cancel"}
    refused_click = await click(rt, MEMBER, ask, "zoryx:backup:confirm")
    assert refused_click.ephemeral and "Not yours" in refused_click.text()
    assert bid in await ids_in_list(rt)  # another member's click changed nothing

    await click(rt, ADMIN, ask, "zoryx:backup:confirm")
    done = await until(rt, ask, lambda m: title(m) == "✅ Backup deleted", "the deletion")
    assert not done.components
    assert bid not in await ids_in_list(rt)
    # By name: discord.py drops cogs.backup_restore.* from sys.modules when an earlier test's
    # bot unloaded it, so the running service may raise a newer SnapshotNotFound class.
    with pytest.raises(Exception) as missing:
        await rt.bot.services.extra["backups"].get(lab_id(rt), bid)
    assert type(missing.value).__name__ == SnapshotNotFound.__name__
    gone = await run(rt, ADMIN, f"!backupview {bid}")
    assert title(gone) == "❌ No such backup"


@LOOP
async def test_slash_create_list_pin_and_cancelled_delete(rt: Runtime) -> None:
    res = await slash(rt, "owner", "backupcreate", label="from slash", messages=5)
    assert title(res.message) == "✅ Backup created"
    bid = str(res.message.embeds[0]["description"]).split("`")[1]
    res = await slash(rt, "owner", "backuplist")
    assert bid in res.text() and "from slash" in res.text()
    res = await slash(rt, ADMIN, "backuppin", backup_id=bid)
    assert title(res.message) == "✅ Backup pinned"
    res = await slash(rt, ADMIN, "backuppin", backup_id=bid)
    assert title(res.message) == "✅ Backup unpinned"
    res = await slash(rt, ADMIN, "backupdelete", backup_id=bid)
    assert title(res.message) == "⚠️ Delete this backup?"
    await click(rt, ADMIN, res.message, "zoryx:backup:cancel")
    kept = await until(rt, res.message, lambda m: title(m) == "Cancelled", "the cancel")
    assert bid in kept.text() and not kept.components
    assert bid in await ids_in_list(rt)
    with pytest.raises(ClientRefusal):  # the slash option's range: 0-500 messages
        await rt.sandbox.user("owner").slash("backupcreate", "#welcome", in_guild=LAB, messages=501)


# -- notes and bad input --------------------------------------------------------------------
@LOOP
async def test_note_is_saved_and_a_long_one_refused(rt: Runtime) -> None:
    bid = await new_backup(rt, "owner")
    long_note = "n" * 501
    msg = await run(rt, ADMIN, f"!backupnote {bid} {long_note}")
    assert title(msg) == "❌ Bad argument" and "500 characters" in msg.text()
    assert (await rt.bot.services.extra["backups"].get(lab_id(rt), bid)).note == ""
    with pytest.raises(ClientRefusal):
        await rt.sandbox.user(ADMIN).slash(
            "backupnote", "#welcome", in_guild=LAB, backup_id=bid, text=long_note
        )

    msg = await run(rt, ADMIN, f"!backupnote {bid} taken before the big channel cleanup")
    assert title(msg) == f"✅ Note saved on {bid}"
    view = await run(rt, "owner", f"!backupview {bid}")
    assert field(view, "Note") == "taken before the big channel cleanup"
    res = await slash(rt, ADMIN, "backupnote", backup_id=bid, text="x" * 500)
    assert title(res.message) == f"✅ Note saved on {bid}"


@LOOP
async def test_malformed_and_missing_ids_get_a_clear_error(rt: Runtime) -> None:
    for command in ("backupview", "backupverify", "backuppin", "backupdelete", "backuprestore"):
        msg = await run(rt, ADMIN, f"!{command} ../x")
        assert title(msg).startswith("❌"), command
        assert "`../x` is not a backup ID" in msg.text(), command
        assert not msg.components, command
    missing = await run(rt, ADMIN, "!backupview 20200101T000000Z-abcdef")
    assert title(missing) == "❌ No such backup"

    huge = "A" * 1_900  # near Discord's 2,000-character message limit
    msg = await run(rt, ADMIN, f"!backupview {huge}")
    assert title(msg) == "❌ No such backup" and "is not a backup ID" in msg.text()
    assert len(msg.text()) < 300  # the argument is not echoed back
    res = await slash(rt, ADMIN, "backupview", backup_id="B" * 6_000)  # slash text maximum
    assert res.ephemeral and "is not a backup ID" in res.text() and len(res.text()) < 300

    # 10 kB (more than any Discord message) through the operator API the commands use
    owner = Actor("owner", Role.OWNER, "discord")
    with pytest.raises(OperatorError) as info:
        await rt.bot.operator.backup_pin(owner, lab_id(rt), "../" + "x" * 10_000, True)
    assert "is not a backup ID" in str(info.value) and len(str(info.value)) < 200


# -- schedule, diff, export, stats ---------------------------------------------------------
@LOOP
async def test_schedule_enable_range_status_disable(rt: Runtime) -> None:
    for hours in ("0", "169"):
        msg = await run(rt, ADMIN, f"!backupschedule enable {hours}")
        assert title(msg) == "❌ Bad argument", hours
        assert "between 1 and 168" in msg.text(), hours
    with pytest.raises(ClientRefusal):
        await rt.sandbox.user(ADMIN).slash(
            "backupschedule", "#welcome", in_guild=LAB, action="enable", hours=169
        )
    status = await run(rt, ADMIN, "!backupschedule status")
    assert "**off**" in status.text()

    msg = await run(rt, ADMIN, "!backupschedule enable 6")
    assert title(msg) == "✅ Automatic backups on" and "every **6 h**" in msg.text()
    status = await run(rt, "owner", "!backupschedule status")
    assert title(status) == "⏰ Backup schedule"
    assert "every **6 h**" in status.text() and "Next run" in status.text()
    res = await slash(rt, ADMIN, "backupschedule", action="status")
    assert "every **6 h**" in res.text()

    res = await slash(rt, ADMIN, "backupschedule", action="disable")
    assert title(res.message) == "✅ Automatic backups off"
    assert "**off**" in (await run(rt, ADMIN, "!backupschedule")).text()


@LOOP
async def test_diff_between_backups_and_with_the_server_now(rt: Runtime) -> None:
    sb = rt.sandbox
    before = await new_backup(rt, "owner", "before")
    await sb.delete_role("Muted", guild=LAB)
    await sb.wait_until(
        lambda: all(r["name"] != "Muted" for r in sb.guild(LAB).roles.values()),
        what="Muted deleted",
    )
    drift = await run(rt, ADMIN, f"!backupdiff {before} current")
    assert title(drift) == f"🔍 {before} → current state"
    assert "Muted" in drift.text() and "➖" in drift.text()

    after = await new_backup(rt, "owner", "after")
    diff = await run(rt, ADMIN, f"!backupdiff {before} {after}")
    assert "Muted" in diff.text() and "role removed" in diff.text()
    same = await run(rt, ADMIN, f"!backupdiff {after} current")
    assert "No differences." in same.text()
    bad = await run(rt, ADMIN, f"!backupdiff {before} nonsense")
    assert title(bad) == "❌ Cannot compare" and "is not a backup ID" in bad.text()


async def download(url: str) -> bytes:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200, url
        return await response.read()


def assert_export(data: bytes, snapshot_id: str, expected_checksum: str) -> None:
    document = json.loads(data)
    assert document["checksum"] == expected_checksum
    assert checksum(document["snapshot"]) == expected_checksum  # it verifies
    assert document["snapshot"]["guild"]["name"] == LAB


@LOOP
async def test_export_is_a_json_file_whose_checksum_verifies(rt: Runtime) -> None:
    bid = await new_backup(rt, "owner", "to export")
    info = await rt.bot.services.extra["backups"].get(lab_id(rt), bid)

    res = await slash(rt, "owner", "backupexport", backup_id=bid)
    assert res.ephemeral and title(res.message) == "✅ Backup exported"
    [attachment] = res.message.attachments
    assert attachment["filename"] == f"backup-{lab_id(rt)}-{bid}.json"
    assert_export(await download(attachment["url"]), bid, info.checksum)

    rt.sandbox.skip_existing(rt.sandbox.user("owner").dm_channel_id())
    msg = await run(rt, "owner", f"!backupexport {bid}")
    assert title(msg) == "✅ Backup exported" and "DMs" in msg.text()
    dm = await rt.sandbox.expect_message(rt.sandbox.user("owner").dm_channel_id(), timeout=30)
    [attachment] = dm.attachments
    assert_export(await download(attachment["url"]), bid, info.checksum)


@LOOP
async def test_stats_for_the_bot_owner(rt: Runtime) -> None:
    count = len(await rt.bot.services.extra["backups"].list(lab_id(rt)))
    msg = await run(rt, "owner", "!backupstats")
    assert title(msg) == "📊 Backups on all servers"
    assert f"{count} backup(s)" in msg.text() and "**Backup Lab**" in msg.text()
    res = await slash(rt, "owner", "backupstats")
    assert "**Backup Lab**" in res.text()
    res = await slash(rt, ADMIN, "backupstats")
    assert res.ephemeral and "Owner only" in res.text()


@LOOP
async def test_list_pages_and_id_autocomplete(rt: Runtime) -> None:
    service = rt.bot.services.extra["backups"]
    while len(await service.list(lab_id(rt))) < 11:
        await new_backup(rt, "owner")
    infos = await service.list(lab_id(rt))
    first = await run(rt, ADMIN, "!backuplist")
    assert "Page 1/2" in first.text() and infos[0].id in first.text()
    assert infos[10].id not in first.text()
    second = await click(rt, ADMIN, first, "zoryx:backup:next")
    assert "Page 2/2" in second.text() and infos[10].id in second.text()
    direct = await run(rt, ADMIN, "!backuplist 2")
    assert "Page 2/2" in direct.text()
    assert components(direct)["zoryx:backup:next"].get("disabled") is True
    assert title(await run(rt, ADMIN, "!backuplist 0")) == "❌ Bad argument"

    typed = infos[3].id[-6:]
    handle = await rt.sandbox.user(ADMIN).autocomplete(
        "backupview", "backup_id", typed, "#welcome", in_guild=LAB
    )
    choices = (await handle.response(timeout=30)).choices
    assert [c["value"] for c in choices] == [infos[3].id]
    handle = await rt.sandbox.user(ADMIN).autocomplete(
        "backupdiff", "second", "", "#welcome", in_guild=LAB, first=infos[1].id
    )
    choices = (await handle.response(timeout=30)).choices
    assert [c["value"] for c in choices] == ["current", *(i.id for i in infos)]
    handle = await rt.sandbox.user(MEMBER).autocomplete(
        "backupview", "backup_id", "", "#welcome", in_guild=LAB
    )
    assert (await handle.response(timeout=30)).choices == []  # not offered to members


def tamper(path: Any) -> None:
    raw = path.read_bytes()
    assert b'"Backup Lab"' in raw
    path.write_bytes(raw.replace(b'"Backup Lab"', b'"Hacked Lab"', 1))


@LOOP
async def test_a_tampered_backup_fails_verify_and_is_not_restored(rt: Runtime) -> None:
    bid = await new_backup(rt, "owner", "to tamper with")
    ok = await run(rt, ADMIN, f"!backupverify {bid}")
    assert title(ok) == "✅ Backup verified" and "checksum matches" in ok.text()
    path = rt.bot.services.data_dir / "backups" / str(lab_id(rt)) / f"{bid}.json"
    await asyncio.to_thread(tamper, path)

    bad = await run(rt, ADMIN, f"!backupverify {bid}")
    assert title(bad) == "❌ Backup failed verification"
    assert "checksum mismatch" in bad.text() and "will not be restored" in bad.text()

    for button in ("zoryx:backup:dryrun", "zoryx:backup:restore"):
        screen = await run(rt, ADMIN, f"!backuprestore {bid}")
        if button == "zoryx:backup:restore":
            await clicked(rt, ADMIN, screen, button, lambda m: "Restore this" in title(m))
            button = "zoryx:backup:confirm"
        await click(rt, ADMIN, screen, button)
        refused = await until(rt, screen, lambda m: "stopped" in title(m), "the refusal")
        what = "Dry run" if button.endswith("dryrun") else "Restore"
        assert title(refused) == f"❌ {what} of {bid} stopped", button
        assert "checksum mismatch" in refused.text() and not refused.components
