"""The shapes the backup feature passes around: snapshot document, index entries, restore
options, progress and reports. No Discord objects, no I/O.

The snapshot document
---------------------
A snapshot is a plain dict (JSON-able, ints for snowflakes) with these keys::

    format            1
    guild_id          int
    created_at        ISO-8601 UTC string
    created_by        {"id": int, "name": str}
    label             str (<= 100 chars, may be "")
    guild             {name, description, icon, banner (base64 PNG/GIF bytes or None),
                       verification_level, default_notifications, explicit_content_filter,
                       afk_channel_id, afk_timeout, system_channel_id, preferred_locale,
                       premium_progress_bar_enabled}   (enum values as ints)
    roles             [{id, name, color, hoist, mentionable, permissions, position,
                        icon (base64 or None), unicode_emoji, managed, default}]
                       sorted by position (the @everyone role has default=True)
    categories        [{id, name, position, nsfw, overwrites}]
    channels          [{id, type, name, position, category_id, topic, slowmode, nsfw,
                        bitrate, user_limit, rtc_region, auto_archive, overwrites,
                        available_tags, default_reaction, default_layout}]
                       type is one of CHANNEL_TYPES; fields that do not apply are None
                       (available_tags: [{name, moderated, emoji_id, emoji_name}])
    overwrites        (inside categories/channels) [{target_id, target_type ("role"|"member"),
                        target_name, allow, deny}]
    emojis            [{id, name, animated, managed, roles, image (base64)}]
    stickers          [{id, name, description, emoji, format, image (base64)}]
    bans              [{user_id, name, reason}]
    members           {"captured": bool, "note": str, "items": [{id, name, roles: [role ids]}]}
                       (non-bot members; captured=False with a note without the members intent)
    bot_settings      {prefix, mention_prefix, role_rules}
    messages          {str(channel_id): [{author_id, content, created_at}]}
                       (oldest first; {} when not asked for)
    message_authors   {str(author_id): {name, avatar (base64 or None)}}
    assets_captured   bool (False: taken with assets=False, every image is None; absent = True)
    notes             [str] what could not be saved and why (sorted; e.g. an image that 404ed)

On disk a snapshot file is the canonical JSON (see ``canonical.py``) of
``{"checksum": sha256-hex of canonical(snapshot), "snapshot": snapshot}``; the index keeps
the checksum as well, so a file rewritten with a matching checksum still fails verification.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

FORMAT_VERSION = 1
LABEL_MAX = 100
NOTE_MAX = 500
MESSAGES_MAX = 500
AUDIT_MAX = 200
SCHEDULE_MIN_HOURS = 1
SCHEDULE_MAX_HOURS = 168

CHANNEL_TYPES = ("text", "news", "voice", "stage", "forum")

#: Restore components, in the order a restore applies them.
COMPONENTS: tuple[str, ...] = (
    "roles",
    "categories",
    "channels",
    "overwrites",
    "emojis",
    "stickers",
    "server_settings",
    "bans",
    "member_roles",
    "bot_settings",
    "messages",
)

SNAPSHOT_ID_RE = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")
"""A snapshot ID: UTC time of capture and 6 random hex digits, e.g. ``20261202T194400Z-a1b2c3``."""


class BackupError(Exception):
    """A backup operation failed for a reason the user should read (shown as is)."""


class InvalidSnapshotId(BackupError):
    """The text given as a snapshot ID is not one (checked before it touches a path)."""


class SnapshotNotFound(BackupError):
    """No snapshot with that ID in this guild."""


class SnapshotCorrupt(BackupError):
    """The snapshot file is missing, truncated, unparsable or its checksum does not match."""


class CooldownActive(BackupError):
    """A snapshot of this guild was taken less than ``BACKUP_COOLDOWN`` seconds ago."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(
            f"a backup of this server was made recently; try again in {retry_after:.0f} s"
        )
        self.retry_after = retry_after


class RestoreBusy(BackupError):
    """A restore of this guild is already running."""


class PinnedSnapshot(BackupError):
    """Pinned snapshots cannot be deleted (unpin first)."""


def new_snapshot_id(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{secrets.token_hex(3)}"


def check_snapshot_id(text: str) -> str:
    """Return ``text`` stripped when it is a valid snapshot ID, else raise
    :class:`InvalidSnapshotId` with a message that never echoes more than 40 characters."""
    value = text.strip() if isinstance(text, str) else ""
    if not SNAPSHOT_ID_RE.fullmatch(value):
        shown = value[:40] + ("…" if len(value) > 40 else "")
        raise InvalidSnapshotId(
            f"`{shown}` is not a backup ID (they look like 20261202T194400Z-a1b2c3)"
        )
    return value


@dataclass(frozen=True)
class SnapshotInfo:
    """One line of a guild's ``index.json``."""

    id: str
    guild_id: int
    created_at: float  # unix time
    created_by: str
    label: str
    note: str
    pinned: bool
    size: int  # bytes of the file
    checksum: str
    counts: dict[str, int]  # roles, categories, channels, emojis, stickers, bans, members, messages
    members_captured: bool
    automatic: bool = False
    #: Not stored: set on the result of a create when a bot owner skipped the cooldown.
    cooldown_bypassed: bool = False


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    reason: str  # "checksum matches" or what is wrong ("truncated", "checksum mismatch", …)
    checksum: str  # recomputed (empty when the file could not be parsed)


@dataclass(frozen=True)
class ScheduleInfo:
    guild_id: int
    enabled: bool
    interval_hours: int  # 0 when disabled
    next_run: float | None  # unix time
    last_run: float | None
    last_result: str  # "" or "ok <snapshot id>" or the error


@dataclass(frozen=True)
class JobInfo:
    """A restore started through the operator API (the console and Discord poll it)."""

    job_id: str
    guild_id: int
    snapshot_id: str
    started_by: str
    progress: RestoreProgress
    report: RestoreReport | None  # set when done


@dataclass(frozen=True)
class RestoreOptions:
    """What a restore does. ``components`` ⊆ :data:`COMPONENTS`."""

    components: frozenset[str] = frozenset(COMPONENTS) - {"messages", "bans"}
    update_existing: bool = False
    role_sync: bool = False  # also remove roles members did not have (asks for confirmation)
    dry_run: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.components) - set(COMPONENTS)
        if unknown:
            raise BackupError(f"unknown restore component(s): {', '.join(sorted(unknown))}")


ItemOutcome = Literal["created", "updated", "skipped", "failed", "unchanged"]


@dataclass
class ComponentResult:
    """What happened to one component's items; each list holds short item descriptions
    (``"role Moderators"``, ``"#general: missing Manage Channels"``)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass
class RestoreReport:
    guild_id: int
    snapshot_id: str
    dry_run: bool
    components: dict[str, ComponentResult] = field(default_factory=dict)
    started_at: float = 0.0
    finished_at: float = 0.0
    error: str | None = None  # set when the restore stopped early

    def totals(self) -> dict[str, int]:
        out = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
        for result in self.components.values():
            for key in out:
                out[key] += len(getattr(result, key))
        return out


@dataclass(frozen=True)
class RestoreProgress:
    """Published while a restore runs (and once more, ``done=True``, at the end)."""

    guild_id: int
    snapshot_id: str
    component: str  # the component being worked on
    done_steps: int
    total_steps: int
    message: str
    done: bool = False

    @property
    def fraction(self) -> float:
        return 1.0 if self.total_steps <= 0 else min(1.0, self.done_steps / self.total_steps)


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` added/removed/changed, ``what`` e.g. ``role``/``channel``/
    ``overwrite``/``setting``/``member_roles``, a readable ``name`` and changed ``fields``
    (``{field: [before, after]}``)."""

    kind: Literal["added", "removed", "changed"]
    what: str
    name: str
    fields: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class Diff:
    """Changes from ``before`` (a snapshot) to ``after`` (another snapshot or the live guild)."""

    before: str
    after: str
    changes: list[Change] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for change in self.changes:
            key = f"{change.what} {change.kind}"
            out[key] = out.get(key, 0) + 1
        return out
