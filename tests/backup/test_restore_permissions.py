"""What the bot may not do is skipped (or, when Discord refuses, failed) with a reason in
the report, never a crash: no Manage Roles, roles above the bot's top role, a 403 from
Discord in the middle of a restore."""

from __future__ import annotations

import discord
import pytest

from cogs.backup_restore.model import COMPONENTS
from zoryx.runtime import Runtime
from zoryx.sandbox.world_backup import LAB_BOT_PERMISSIONS
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

MANAGE_ROLES = discord.Permissions(manage_roles=True).value
LACKS = "the bot lacks the Manage Roles permission"


async def test_without_manage_roles_roles_are_skipped_with_the_reason(rt: Runtime) -> None:
    lab = guild(rt)
    before = await snap(rt, lab)
    bot_role = lab.me.top_role
    await rt.sandbox.edit_role(bot_role.id, LAB, permissions=LAB_BOT_PERMISSIONS & ~MANAGE_ROLES)
    await eventually(lambda: not lab.me.guild_permissions.manage_roles, timeout=30)
    await damage(rt)

    report = await restore(rt, lab, before, frozenset(COMPONENTS))

    assert report.error is None
    assert report.totals()["failed"] == 0, report.components
    roles = report.components["roles"]
    assert roles.created == []
    assert {f"role {n}: {LACKS}" for n in DELETED_ROLES} <= set(roles.skipped)
    # Channels still come back (Manage Channels is there), without their overwrites …
    after = await snap_when(rt, lab, lambda d: any(c["name"] == "general" for c in d["channels"]))
    assert "general" in [c[0] for c in structure(after)["channels"]]
    assert "#general: " + LACKS in report.components["overwrites"].skipped
    # … and members cannot get roles that were not restored.
    member_skips = report.components["member_roles"].skipped
    assert "member alice: role Moderator was not restored" in member_skips
    assert discord.utils.get(lab.roles, name="Moderator") is None


async def test_roles_above_the_bot_are_skipped(rt: Runtime) -> None:
    lab = guild(rt)
    before = await snap(rt, lab)
    await rt.sandbox.delete_role("Founders", LAB)
    await rt.sandbox.delete_role("VIP", LAB)
    await eventually(lambda: discord.utils.get(lab.roles, name="VIP") is None, timeout=30)

    report = await restore(rt, lab, before, {"roles", "member_roles"})

    roles = report.components["roles"]
    assert roles.created == ["role VIP"]
    assert roles.skipped == ["role Founders: above the bot's top role"]
    assert discord.utils.get(lab.roles, name="Founders") is None
    # The owner keeps Admin; Founders cannot be given back, and the report says why.
    assert (
        "member owner: role Founders was not restored" in report.components["member_roles"].skipped
    )
    assert report.totals()["failed"] == 0


async def test_a_refusal_from_discord_is_listed_and_the_restore_goes_on(rt: Runtime) -> None:
    lab = guild(rt)
    before = await snap(rt, lab)
    await damage(rt)
    # The first role request (creating Moderator, the highest missing role) answers 403.
    await rt.sandbox.fail_requests(403, 1, f"/guilds/{lab.id}/roles")

    report = await restore(rt, lab, before, {"roles", "member_roles"})

    roles = report.components["roles"]
    assert roles.failed == ["role Moderator: refused by Discord: missing permissions"]
    assert set(roles.created) == {f"role {n}" for n in DELETED_ROLES if n != "Moderator"}
    assert (
        "member alice: role Moderator was not restored" in report.components["member_roles"].skipped
    )
    alice = lab.get_member_named("alice")
    assert alice is not None
    await eventually(lambda: {r.name for r in alice.roles} == {"@everyone", "Member"}, timeout=30)


async def test_a_setting_discord_refuses_costs_only_itself(rt: Runtime) -> None:
    lab = guild(rt)
    before = await snap(rt, lab)
    await rt.sandbox.edit_guild(LAB, name="pwned", verification_level=0)
    await eventually(lambda: lab.name == "pwned", timeout=30)
    before["guild"]["afk_timeout"] = 120  # not a value Discord takes (60, 300, 900…)

    report = await restore(rt, lab, before, {"server_settings"})

    settings = report.components["server_settings"]
    assert len(settings.failed) == 1
    assert settings.failed[0].startswith("setting afk timeout: Discord answered 400")
    assert sorted(settings.updated) == ["setting name", "setting verification level"]
    await eventually(lambda: lab.name == "Backup Lab", timeout=30)
    assert lab.verification_level == discord.VerificationLevel.medium
