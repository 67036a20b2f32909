"""Selective restores through the sandbox: only roles; member roles with role sync off and
on; update existing off and on; a dry run that changes nothing but says what it would do."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from cogs.backup_restore.canonical import canonical_bytes
from zoryx.runtime import Runtime
from zoryx.sandbox.cdn import make_png
from zoryx.sandbox.guild_ops import image_hash
from zoryx.testing import eventually

from ._restore_helpers import (
    DELETED_ROLES,
    LAB,
    damage,
    guild,
    restore,
    rt,
    snap,
    snap_when,
    structure,
)

__all__ = ["rt"]

pytestmark = pytest.mark.timeout(240)

OTHER_ICON = make_png(24, (0x10, 0x20, 0x30), (0xFF, 0xFF, 0xFF))
ICON_KEY = image_hash(OTHER_ICON)


def role_names(member: discord.Member | None) -> set[str]:
    assert member is not None
    return {r.name for r in member.roles if not r.is_default()}


def member(rt: Runtime, name: str) -> discord.Member | None:
    return guild(rt).get_member_named(name)


async def test_only_roles(rt: Runtime) -> None:
    lab = guild(rt)
    before = await snap(rt, lab)
    await damage(rt)
    damaged = structure(await snap(rt, lab))
    report = await restore(rt, lab, before, {"roles"})

    want = structure(before)["roles"]
    after = structure(await snap_when(rt, lab, lambda doc: structure(doc)["roles"] == want))
    assert after["roles"] == want
    assert {f"role {n}" for n in DELETED_ROLES} == set(report.components["roles"].created)
    assert set(report.components) == {"roles"}
    # Nothing else came back: channels stay deleted, members did not get their roles.
    for key in ("categories", "channels", "emojis", "stickers", "settings", "bans", "members"):
        assert after[key] == damaged[key], key
    assert discord.utils.get(lab.channels, name="general") is None


async def _drift_members(rt: Runtime) -> None:
    """alice gains Helper (she never had it); carol loses VIP (she had it)."""
    sb = rt.sandbox
    await sb.set_roles("alice", ["Member", "Moderator", "Helper"], LAB)
    await sb.set_roles("carol", ["Member"], LAB)
    await eventually(
        lambda: (
            "Helper" in role_names(member(rt, "alice"))
            and "VIP" not in role_names(member(rt, "carol"))
        ),
        timeout=30,
    )


async def test_member_roles_without_role_sync_only_add(rt: Runtime) -> None:
    before = await snap(rt, guild(rt))
    await _drift_members(rt)
    report = await restore(rt, guild(rt), before, {"member_roles"})
    await eventually(lambda: "VIP" in role_names(member(rt, "carol")), timeout=30)
    assert role_names(member(rt, "carol")) == {"Member", "VIP"}
    assert role_names(member(rt, "alice")) == {"Member", "Moderator", "Helper"}
    assert report.components["member_roles"].updated == ["member carol (+VIP)"]


async def test_member_roles_with_role_sync_also_remove(rt: Runtime) -> None:
    before = await snap(rt, guild(rt))
    await _drift_members(rt)
    report = await restore(rt, guild(rt), before, {"member_roles"}, role_sync=True)
    await eventually(lambda: "Helper" not in role_names(member(rt, "alice")), timeout=30)
    await eventually(lambda: "VIP" in role_names(member(rt, "carol")), timeout=30)
    assert role_names(member(rt, "alice")) == {"Member", "Moderator"}
    assert sorted(report.components["member_roles"].updated) == [
        "member alice (-Helper)",
        "member carol (+VIP)",
    ]
    after = await snap(rt, guild(rt))
    assert structure(after)["members"] == structure(before)["members"]


async def _drift_settings(rt: Runtime) -> None:
    """Someone recolours a role, changes another's icon, retopics a channel and loosens
    an overwrite."""
    sb = rt.sandbox
    lab = guild(rt)
    await sb.edit_role("VIP", LAB, color=0x000001, hoist=False)
    await sb.edit_role("Helper", LAB, icon=OTHER_ICON)
    general = discord.utils.get(lab.text_channels, name="general")
    muted = discord.utils.get(lab.roles, name="Muted")
    assert general is not None and muted is not None
    await general.edit(topic="hacked")
    await general.set_permissions(muted, overwrite=None)
    await general.set_permissions(lab.default_role, send_messages=False)

    def drifted() -> bool:
        vip = discord.utils.get(lab.roles, name="VIP")
        helper = discord.utils.get(lab.roles, name="Helper")
        return (
            vip is not None
            and vip.color.value == 1
            and helper is not None
            and helper.icon is not None
            and helper.icon.key == ICON_KEY
            and general.topic == "hacked"
            and general.overwrites_for(muted).is_empty()
            and general.overwrites_for(lab.default_role).send_messages is False
        )

    await eventually(drifted, timeout=30)


async def test_update_existing_off_leaves_matched_objects(rt: Runtime) -> None:
    lab = guild(rt)
    before = await snap(rt, lab)
    await _drift_settings(rt)
    drifted = structure(await snap(rt, lab))
    report = await restore(rt, lab, before, {"roles", "channels", "overwrites"})

    def general_of(doc: dict[str, Any]) -> tuple[Any, ...]:
        return next(c for c in structure(doc)["channels"] if c[0] == "general")

    # The missing Muted overwrite is added back (it is missing, not different) …
    has_muted = await snap_when(rt, lab, lambda d: any(o[1] == "Muted" for o in general_of(d)[-1]))
    after = structure(has_muted)
    general = general_of(has_muted)
    assert any(o[1] == "Muted" for o in general[-1])
    assert after["roles"] == drifted["roles"] and after["channels"] != structure(before)["channels"]
    # … while the changed topic and the extra @everyone overwrite are left alone.
    assert general[3] == "hacked"
    assert any(o[1] == "@everyone" for o in general[-1])
    assert report.components["overwrites"].created == ["#general: 1 overwrite(s)"]
    assert report.components["roles"].updated == []


async def test_update_existing_on_brings_matched_objects_back(rt: Runtime) -> None:
    lab = guild(rt)
    before = await snap(rt, lab)
    await _drift_settings(rt)
    report = await restore(
        rt, lab, before, {"roles", "channels", "overwrites"}, update_existing=True
    )
    want = structure(before)
    after = structure(
        await snap_when(
            rt,
            lab,
            lambda d: (
                structure(d)["roles"] == want["roles"]
                and structure(d)["channels"] == want["channels"]
            ),
        )
    )
    assert after["roles"] == want["roles"]
    assert after["channels"] == want["channels"]
    assert report.components["roles"].updated == [
        "role VIP (colour, hoist)",
        "role Helper (display_icon)",
    ]
    assert report.components["channels"].updated == ["#general (topic)"]
    assert report.components["overwrites"].updated == [
        "#general: 0 overwrite(s) changed, 1 removed"
    ]


async def test_dry_run_changes_nothing_and_lists_the_work(rt: Runtime) -> None:
    lab = guild(rt)
    before = await snap(rt, lab)
    await damage(rt)
    damaged = await snap(rt, lab)
    requests_before = rt.sandbox.rest.requests
    report = await restore(rt, lab, before, dry_run=True)
    requests = rt.sandbox.rest.requests - requests_before
    still = await snap(rt, lab)

    damaged["created_at"] = still["created_at"]
    assert canonical_bytes(still) == canonical_bytes(damaged)
    assert requests == 1  # a read: the ban list, to tell which bans are missing
    assert report.dry_run and report.error is None
    parts = report.components
    assert set(parts["roles"].created) == {f"role {n}" for n in DELETED_ROLES}
    assert parts["categories"].created == ["category Community"]
    assert "#general (text in Community)" in parts["channels"].created
    assert "#help-forum (forum in Community)" in parts["channels"].created
    assert "#general: 2 overwrite(s)" in parts["overwrites"].created
    assert sorted(parts["emojis"].created) == ["emoji :lab_dance:", "emoji :lab_ok:"]
    assert parts["bans"].created == ["ban spammer"]
    assert "member carol (+Member +VIP)" in parts["member_roles"].updated
    assert "setting icon" in parts["server_settings"].updated
    assert "setting name" in parts["server_settings"].updated
    assert report.totals()["failed"] == 0


async def test_channels_without_overwrites_take_their_category_s(rt: Runtime) -> None:
    lab = guild(rt)
    before = await snap(rt, lab)
    await rt.sandbox.delete_channel("staff-room", LAB)
    await eventually(lambda: discord.utils.get(lab.channels, name="staff-room") is None, timeout=30)

    report = await restore(rt, lab, before, {"channels"})

    assert report.components["channels"].created == ["#staff-room (text)"]
    await eventually(lambda: discord.utils.get(lab.channels, name="staff-room"), timeout=30)
    room = discord.utils.get(lab.text_channels, name="staff-room")
    assert room is not None and room.category is not None
    assert room.category.name == "Community"
    # Not the snapshot's overwrites (those are a separate component), but the category's.
    assert room.permissions_synced
    assert room.overwrites == room.category.overwrites != {}
