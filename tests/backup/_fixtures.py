"""Helpers for the snapshot and diff tests: a runtime on a sandbox world, and the sandbox's
own view of a guild in the snapshot's shape (built from the sandbox state, not from
discord.py, so comparing the two checks the capture against the real source)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from zoryx.runtime import Runtime
from zoryx.sandbox import assets
from zoryx.sandbox.world_backup import LAB, backup_world

__all__ = ["LAB", "guild_truth", "on_sandbox", "running"]

_TYPES = {0: "text", 5: "news", 2: "voice", 13: "stage", 15: "forum"}
_TOPIC = {"text", "news", "forum", "stage"}
_VOICE = {"voice", "stage"}
_ARCHIVE = {"text", "news", "forum"}


@asynccontextmanager
async def running(root: Path, world: Callable[..., None] = backup_world) -> AsyncIterator[Runtime]:
    """A started runtime on a fresh bot directory with the sandbox built by ``world``."""
    root.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a test set-up, before the bot
    (root / "config.json").write_text(json.dumps({"auto_reload": False}), encoding="utf-8")
    rt = Runtime(
        root,
        console_logging=False,
        environ={"ENABLE_BACKUP_RESTORE": "false"},  # these tests drive the capture directly
        sandbox_options={"world": world},
    )
    await rt.start()
    try:
        yield rt
    finally:
        await rt.shutdown()


async def on_sandbox(rt: Runtime, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` on the sandbox's own loop (state reads and changes)."""

    async def run() -> Any:
        return fn()

    return await rt.sandbox.call(run)


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _overwrites(state: Any, guild: Any, channel: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for ow in channel.get("permission_overwrites") or []:
        target = int(ow["id"])
        is_role = int(ow["type"]) == 0
        name = guild.roles[target]["name"] if is_role else state.users[target]["username"]
        out.append(
            {
                "target_id": target,
                "target_type": "role" if is_role else "member",
                "target_name": name,
                "allow": int(ow["allow"]),
                "deny": int(ow["deny"]),
            }
        )
    return sorted(out, key=lambda o: (o["target_type"] != "role", o["target_id"]))


def _channel(state: Any, guild: Any, data: dict[str, Any]) -> dict[str, Any]:
    kind = _TYPES[data["type"]]
    forum = kind == "forum"
    reaction = data.get("default_reaction_emoji")
    return {
        "id": int(data["id"]),
        "type": kind,
        "name": data["name"],
        "position": data["position"],
        "category_id": int(data["parent_id"]) if data.get("parent_id") else None,
        "overwrites": _overwrites(state, guild, data),
        "topic": data.get("topic") if kind in _TOPIC else None,
        "slowmode": data.get("rate_limit_per_user") or 0,
        "nsfw": bool(data.get("nsfw")),
        "bitrate": data.get("bitrate") if kind in _VOICE else None,
        "user_limit": data.get("user_limit") if kind in _VOICE else None,
        "rtc_region": data.get("rtc_region") if kind in _VOICE else None,
        "auto_archive": data.get("default_auto_archive_duration", 1440)
        if kind in _ARCHIVE
        else None,
        "available_tags": [
            {
                "name": t["name"],
                "moderated": t["moderated"],
                "emoji_id": int(t["emoji_id"]) if t.get("emoji_id") else None,
                "emoji_name": t.get("emoji_name"),
            }
            for t in data.get("available_tags") or []
        ]
        if forum
        else None,
        "default_reaction": (
            {
                "emoji_id": int(reaction["emoji_id"]) if reaction.get("emoji_id") else None,
                "emoji_name": reaction.get("emoji_name"),
            }
            if forum and reaction
            else None
        ),
        "default_layout": data.get("default_forum_layout", 0) if forum else None,
    }


def guild_truth(rt: Runtime, name: str) -> Callable[[], dict[str, Any]]:
    """A function (run it with :func:`on_sandbox`) returning the sandbox's own view of
    guild ``name`` in the snapshot document's shape and order."""
    sb = rt.sandbox
    state = sb.state

    def build() -> dict[str, Any]:
        g = sb.guild(name)
        data = g.data
        roles = [
            {
                "id": int(r["id"]),
                "name": r["name"],
                "color": int(r["color"]),
                "hoist": r["hoist"],
                "mentionable": r["mentionable"],
                "permissions": int(r["permissions"]),
                "position": r["position"],
                "icon": _b64(state.assets.get(assets.IMAGE, r["icon"])) if r.get("icon") else None,
                "unicode_emoji": r.get("unicode_emoji"),
                "managed": bool(r.get("managed")),
                "default": int(r["id"]) == g.id,
            }
            for r in g.roles.values()
        ]
        roles.sort(key=lambda r: (r["position"], r["id"]))
        cats = sorted(
            (c for c in g.channels.values() if c["type"] == 4),
            key=lambda c: (c["position"], int(c["id"])),
        )
        rank = {int(c["id"]): (c["position"], int(c["id"])) for c in cats}
        others = [_channel(state, g, c) for c in g.channels.values() if c["type"] in _TYPES]
        others.sort(
            key=lambda c: (*rank.get(c["category_id"] or 0, (-1, 0)), c["position"], c["id"])
        )
        bot_ids = {uid for uid, u in state.users.items() if u.get("bot")}
        return {
            "guild_id": g.id,
            "guild": {
                "name": data["name"],
                "description": data.get("description"),
                "icon": _b64(state.assets.get(assets.IMAGE, data["icon"]))
                if data.get("icon")
                else None,
                "banner": _b64(state.assets.get(assets.IMAGE, data["banner"]))
                if data.get("banner")
                else None,
                "verification_level": data["verification_level"],
                "default_notifications": data["default_message_notifications"],
                "explicit_content_filter": data["explicit_content_filter"],
                "afk_channel_id": int(data["afk_channel_id"])
                if data.get("afk_channel_id")
                else None,
                "afk_timeout": data["afk_timeout"],
                "system_channel_id": int(data["system_channel_id"])
                if data.get("system_channel_id")
                else None,
                "preferred_locale": data["preferred_locale"],
                "premium_progress_bar_enabled": data["premium_progress_bar_enabled"],
            },
            "roles": roles,
            "categories": [
                {
                    "id": int(c["id"]),
                    "name": c["name"],
                    "position": c["position"],
                    "nsfw": bool(c.get("nsfw")),
                    "overwrites": _overwrites(state, g, c),
                }
                for c in cats
            ],
            "channels": others,
            "emojis": [
                {
                    "id": eid,
                    "name": e["name"],
                    "animated": bool(e.get("animated")),
                    "managed": bool(e.get("managed")),
                    "roles": sorted(int(r) for r in e.get("roles") or []),
                    "image": _b64(state.assets.get(assets.EMOJI, eid)),
                }
                for eid, e in sorted(g.emojis.items())
            ],
            "stickers": [
                {
                    "id": sid,
                    "name": s["name"],
                    "description": s.get("description"),
                    "emoji": s.get("tags"),
                    "format": s["format_type"],
                    "image": _b64(state.assets.get(assets.STICKER, sid)),
                }
                for sid, s in sorted(g.stickers.items())
            ],
            "bans": [
                {"user_id": uid, "name": b["user"]["username"], "reason": b.get("reason")}
                for uid, b in sorted(g.bans.items())
            ],
            "members": {
                "captured": True,
                "note": "",
                "items": [
                    {
                        "id": uid,
                        "name": state.users[uid]["username"],
                        "roles": sorted(int(r) for r in m["roles"]),
                    }
                    for uid, m in sorted(g.members.items())
                    if uid not in bot_ids
                ],
            },
        }

    return build
