"""Index entries of the backup store: a :class:`~.model.SnapshotInfo` to and from JSON,
built from a snapshot document, and the folder name of a guild."""

from __future__ import annotations

import dataclasses
from typing import Any

from .model import BackupError, SnapshotInfo, check_snapshot_id

__all__ = ["counts_of", "describe", "guild_folder_name", "info_from_json", "info_to_json"]

_STORED_FIELDS = tuple(
    f.name for f in dataclasses.fields(SnapshotInfo) if f.name != "cooldown_bypassed"
)


def guild_folder_name(guild_id: int) -> str:
    """The folder name of a guild: its ID in decimal (anything else is refused)."""
    if isinstance(guild_id, bool) or not isinstance(guild_id, int) or guild_id <= 0:
        raise BackupError(f"{str(guild_id)[:40]!r} is not a server ID")
    return str(guild_id)


def info_to_json(info: SnapshotInfo) -> dict[str, Any]:
    return {name: getattr(info, name) for name in _STORED_FIELDS}


def info_from_json(raw: Any) -> SnapshotInfo | None:
    """An index entry, or None when it is not a usable one."""
    if not isinstance(raw, dict):
        return None
    try:
        values = {name: raw[name] for name in _STORED_FIELDS if name in raw}
        info = SnapshotInfo(**values)
        check_snapshot_id(info.id)
    except (TypeError, BackupError):
        return None
    return info


def counts_of(document: dict[str, Any]) -> dict[str, int]:
    """How many of each thing a snapshot document holds."""
    members = document.get("members") or {}
    messages = document.get("messages") or {}
    return {
        "roles": len(document.get("roles") or []),
        "categories": len(document.get("categories") or []),
        "channels": len(document.get("channels") or []),
        "emojis": len(document.get("emojis") or []),
        "stickers": len(document.get("stickers") or []),
        "bans": len(document.get("bans") or []),
        "members": len(members.get("items") or []),
        "messages": sum(len(v) for v in messages.values()),
    }


def describe(
    snapshot_id: str,
    document: dict[str, Any],
    *,
    size: int,
    checksum: str,
    created_at: float | None = None,
    created_by: str | None = None,
    automatic: bool = False,
) -> SnapshotInfo:
    """The index entry of a snapshot document (times from the document unless given)."""
    if created_at is None:
        from datetime import datetime

        created_at = datetime.fromisoformat(str(document["created_at"])).timestamp()
    if created_by is None:
        author = document.get("created_by") or {}
        created_by = str(author.get("name", "")) if isinstance(author, dict) else str(author)
    members = document.get("members") or {}
    return SnapshotInfo(
        id=snapshot_id,
        guild_id=int(document["guild_id"]),
        created_at=float(created_at),
        created_by=created_by,
        label=str(document.get("label") or ""),
        note="",
        pinned=False,
        size=size,
        checksum=checksum,
        counts=counts_of(document),
        members_captured=bool(members.get("captured", False)),
        automatic=automatic,
    )
