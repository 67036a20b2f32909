"""diff_snapshots: pure cases on small documents, and drift of a live sandbox guild."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest_asyncio

from cogs.backup_restore.diff import diff_snapshots
from cogs.backup_restore.model import Change
from cogs.backup_restore.snapshot import capture
from zoryx.runtime import Runtime
from zoryx.sandbox.constants import Perm
from zoryx.testing import eventually

from ._fixtures import LAB, on_sandbox, running

SEND = int(Perm.SEND_MESSAGES)
VIEW = int(Perm.VIEW_CHANNEL)
PNG_A = "iVBORw0KGgoAAAA="  # base64 of different short byte strings
PNG_B = "iVBORw0KGgoAAAE="


def ow(target: int, name: str, allow: int = 0, deny: int = 0, kind: str = "role") -> dict[str, Any]:
    return {
        "target_id": target,
        "target_type": kind,
        "target_name": name,
        "allow": allow,
        "deny": deny,
    }


def role(rid: int, name: str, position: int, **extra: Any) -> dict[str, Any]:
    out = {
        "id": rid,
        "name": name,
        "color": 0,
        "hoist": False,
        "mentionable": False,
        "permissions": 0,
        "position": position,
        "icon": None,
        "unicode_emoji": None,
        "managed": False,
        "default": rid == 1,
    }
    out.update(extra)
    return out


def channel(
    cid: int, name: str, position: int, category: int | None, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": cid,
        "type": "text",
        "name": name,
        "position": position,
        "category_id": category,
        "topic": None,
        "slowmode": 0,
        "nsfw": False,
        "bitrate": None,
        "user_limit": None,
        "rtc_region": None,
        "auto_archive": 1440,
        "overwrites": [],
        "available_tags": None,
        "default_reaction": None,
        "default_layout": None,
    }
    out.update(extra)
    return out


def document() -> dict[str, Any]:
    return {
        "format": 1,
        "guild_id": 1,
        "created_at": "2026-12-02T19:44:00+00:00",
        "guild": {"name": "Lab", "icon": PNG_A, "afk_channel_id": 31, "system_channel_id": 30},
        "roles": [
            role(1, "@everyone", 0),
            role(10, "Member", 1),
            role(11, "Helper", 2, color=0x2ECC71),
            role(12, "Moderator", 3, permissions=VIEW),
            role(13, "Admin", 4, permissions=8),
        ],
        "categories": [
            {"id": 20, "name": "Community", "position": 0, "nsfw": False, "overwrites": []}
        ],
        "channels": [
            channel(
                30,
                "general",
                0,
                20,
                overwrites=[ow(1, "@everyone", deny=SEND), ow(12, "Moderator", allow=SEND)],
            ),
            channel(
                31, "lounge", 1, 20, type="voice", bitrate=64000, user_limit=0, auto_archive=None
            ),
            channel(32, "staff", 2, 20, overwrites=[ow(500, "alice", allow=VIEW, kind="member")]),
        ],
        "emojis": [
            {
                "id": 40,
                "name": "ok",
                "animated": False,
                "managed": False,
                "roles": [11],
                "image": PNG_A,
            }
        ],
        "stickers": [],
        "bans": [{"user_id": 900, "name": "spammer", "reason": "spam"}],
        "members": {
            "captured": True,
            "note": "",
            "items": [
                {"id": 500, "name": "alice", "roles": [10, 12]},
                {"id": 501, "name": "bob", "roles": [10]},
            ],
        },
        "bot_settings": {"prefix": "?", "mention_prefix": None, "role_rules": {"ping": [11]}},
        "messages": {},
        "message_authors": {},
        "assets_captured": True,
        "notes": [],
    }


def renumbered(doc: dict[str, Any], offset: int = 1000) -> dict[str, Any]:
    """``doc`` as restored into another guild: every role, category and channel has a new
    ID and every reference follows (members and bans keep their user IDs)."""
    out = copy.deepcopy(doc)

    def new(i: int | None) -> int | None:
        return None if i is None else i + offset

    for item in out["roles"] + out["categories"] + out["channels"] + out["emojis"]:
        item["id"] = new(item["id"])
    for item in out["categories"] + out["channels"]:
        for o in item["overwrites"]:
            if o["target_type"] == "role":
                o["target_id"] = new(o["target_id"])
    for c in out["channels"]:
        c["category_id"] = new(c["category_id"])
    for e in out["emojis"]:
        e["roles"] = [new(r) for r in e["roles"]]
    for m in out["members"]["items"]:
        m["roles"] = [new(r) for r in m["roles"]]
    for key in ("afk_channel_id", "system_channel_id"):
        out["guild"][key] = new(out["guild"][key])
    rules = out["bot_settings"]["role_rules"]
    out["bot_settings"]["role_rules"] = {k: [new(r) for r in v] for k, v in rules.items()}
    return out


def test_identical_snapshots_have_no_changes() -> None:
    diff = diff_snapshots(document(), document(), "a", "b")
    assert (diff.before, diff.after, diff.changes) == ("a", "b", [])


def test_a_restored_copy_with_new_ids_matches_by_name() -> None:
    assert diff_snapshots(document(), renumbered(document()), "a", "b").changes == []


def test_changes_by_name_across_ids() -> None:
    before = document()
    after = renumbered(document())
    after["roles"][2]["name"] = "Helpers"  # new id and new name: no longer the same role
    after["channels"] = [c for c in after["channels"] if c["name"] != "lounge"]
    after["channels"][0]["overwrites"][1]["allow"] = SEND | VIEW  # Moderator on #general
    after["members"]["items"][1]["roles"].append(1012)  # bob becomes Moderator
    after["members"]["items"][0]["roles"].remove(1012)  # alice stops being one
    after["guild"]["afk_channel_id"] = None

    diff = diff_snapshots(before, after, "a", "b")
    assert Change("removed", "role", "Helper") in diff.changes
    assert Change("added", "role", "Helpers") in diff.changes
    assert Change("removed", "channel", "#lounge") in diff.changes
    assert (
        Change(
            "changed",
            "overwrite",
            "#general → Moderator",
            {"allow": [["send_messages"], ["send_messages", "view_channel"]]},
        )
        in diff.changes
    )
    assert Change("changed", "member_roles", "bob", {"added": [[], ["Moderator"]]}) in diff.changes
    assert (
        Change("changed", "member_roles", "alice", {"removed": [["Moderator"], []]}) in diff.changes
    )
    assert (
        Change("changed", "setting", "AFK channel", {"afk_channel_id": ["#lounge", None]})
        in diff.changes
    )


def test_same_guild_rename_is_one_change() -> None:
    after = document()
    after["roles"][2]["name"] = "Helpers"
    after["roles"][2]["color"] = 0xFF0000
    diff = diff_snapshots(document(), after, "a", "b")
    assert diff.changes == [
        Change(
            "changed",
            "role",
            "Helpers",
            {"name": ["Helper", "Helpers"], "color": [0x2ECC71, 0xFF0000]},
        )
    ]
    # The emoji's role and the role rule follow the role through the rename.
    assert diff.summary() == {"role changed": 1}


def test_one_moved_role_is_one_position_change() -> None:
    after = document()
    # Member (position 1) dragged to the top: everyone else shifts down one place.
    for r in after["roles"][2:]:
        r["position"] -= 1
    after["roles"][1]["position"] = 4
    after["roles"].sort(key=lambda r: r["position"])
    diff = diff_snapshots(document(), after, "a", "b")
    assert diff.changes == [Change("changed", "role", "Member", {"position": [1, 4]})]


def test_permissions_are_shown_by_name() -> None:
    after = document()
    after["roles"][3]["permissions"] = VIEW | SEND
    diff = diff_snapshots(document(), after, "a", "b")
    assert diff.changes == [
        Change(
            "changed",
            "role",
            "Moderator",
            {"permissions": [["view_channel"], ["send_messages", "view_channel"]]},
        )
    ]


def test_images_compare_only_when_both_sides_have_them() -> None:
    after = document()
    after["emojis"][0]["image"] = PNG_B
    after["guild"]["icon"] = None
    diff = diff_snapshots(document(), after, "a", "b")
    assert [(c.what, c.name, sorted(c.fields)) for c in diff.changes] == [
        ("setting", "server icon", ["icon"]),
        ("emoji", "ok", ["image"]),
    ]
    assert diff.changes[0].fields["icon"][1] is None
    # Live state captured without downloads: images are unknown, not changed.
    after["assets_captured"] = False
    assert diff_snapshots(document(), after, "a", "b").changes == []


def test_member_roles_need_both_member_lists() -> None:
    after = document()
    after["members"] = {"captured": False, "note": "no intent", "items": []}
    assert diff_snapshots(document(), after, "a", "b").changes == []


def test_bans_members_and_bot_settings() -> None:
    after = document()
    after["bans"] = [{"user_id": 901, "name": "raider", "reason": None}]
    after["members"]["items"].append({"id": 502, "name": "carol", "roles": []})
    after["bot_settings"] = {"prefix": "!", "mention_prefix": None, "role_rules": {"ping": [12]}}
    diff = diff_snapshots(document(), after, "a", "b")
    assert diff.changes == [
        Change("removed", "ban", "spammer"),
        Change("added", "ban", "raider"),
        Change("added", "member", "carol"),
        Change("changed", "bot_setting", "prefix", {"prefix": ["?", "!"]}),
        Change("changed", "bot_setting", "role rule ping", {"roles": [["Helper"], ["Moderator"]]}),
    ]


# -- drift of a live guild ------------------------------------------------------------------------
@pytest_asyncio.fixture(loop_scope="function")
async def rt(tmp_path: Any) -> AsyncIterator[Runtime]:
    async with running(tmp_path / "bot") as runtime:
        yield runtime


async def test_drift_of_a_live_guild(rt: Runtime) -> None:
    sb = rt.sandbox
    guild = discord.utils.get(rt.bot.guilds, name=LAB)
    assert guild is not None
    before = await capture(guild, bot=rt.bot, by="console")

    vip = sb.role_id("VIP", LAB)
    muted = sb.role_id("Muted", LAB)
    general = sb.channel_id("#general", LAB)
    after_dark = sb.channel_id("#after-dark", LAB)
    await sb.edit_role(vip, LAB, name="Very Important")
    await sb.delete_channel(after_dark, LAB)

    def loosen_muted() -> None:  # Muted may react in #general again
        data = sb.state.channel_or_404(general)
        overwrites = [dict(o) for o in data["permission_overwrites"]]
        for o in overwrites:
            if int(o["id"]) == muted:
                o["deny"] = str(SEND)
        sb.state.update_channel(general, {"permission_overwrites": overwrites})

    await on_sandbox(rt, loosen_muted)
    await sb.set_roles("bob", ["Member", "Helper"], guild=LAB)  # was Member, Moderator, VIP
    bob = guild.get_member(int(sb.state.find_user("bob")["id"]))
    assert bob is not None

    def arrived() -> bool:
        role = guild.get_role(vip)
        ch = guild.get_channel(general)
        member = guild.get_member(bob.id)
        return (
            role is not None
            and role.name == "Very Important"
            and guild.get_channel(after_dark) is None
            and isinstance(ch, discord.TextChannel)
            and ch.overwrites_for(discord.Object(muted)).add_reactions is None
            and member is not None
            and [r.name for r in member.roles[1:]] == ["Member", "Helper"]
        )

    await eventually(arrived, 10)
    now = await capture(guild, bot=rt.bot, by="console", assets=False)
    diff = diff_snapshots(before, now, "snapshot", "current state")
    assert diff.changes == [
        Change("changed", "role", "Very Important", {"name": ["VIP", "Very Important"]}),
        Change("removed", "channel", "#after-dark"),
        Change(
            "changed",
            "overwrite",
            "#general → Muted",
            {"deny": [["add_reactions", "send_messages"], ["send_messages"]]},
        ),
        Change(
            "changed",
            "member_roles",
            "bob",
            {"added": [[], ["Helper"]], "removed": [["Moderator", "VIP"], []]},
        ),
    ]
    assert diff.summary() == {
        "role changed": 1,
        "channel removed": 1,
        "overwrite changed": 1,
        "member_roles changed": 1,
    }
