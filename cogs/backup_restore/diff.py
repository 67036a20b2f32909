"""What changed between two snapshots (or a snapshot and the live guild, captured with
``assets=False``): roles, categories, channels, overwrites, server settings, emojis,
stickers, bans, members' roles and the bot's settings.

Objects are paired by ID first, then by name and type, so a snapshot compares sensibly
with a guild it was restored into (new IDs). References between objects (a channel's
category, an overwrite's role, a member's roles) follow those pairings and are shown by
name. Pure: no I/O, no Discord calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from ._diff_match import Item, Pair, image_summary, match, moved, names_of, permission_names
from .model import Change, Diff

__all__ = ["diff_snapshots"]

Kind = Literal["added", "removed", "changed"]
#: The order components appear in a diff.
ORDER = (
    "setting",
    "role",
    "category",
    "channel",
    "overwrite",
    "emoji",
    "sticker",
    "ban",
    "member_roles",
    "member",
    "bot_setting",
)
SETTING_LABELS = {
    "name": "server name",
    "description": "description",
    "icon": "server icon",
    "banner": "server banner",
    "verification_level": "verification level",
    "default_notifications": "default notifications",
    "explicit_content_filter": "explicit content filter",
    "afk_channel_id": "AFK channel",
    "afk_timeout": "AFK timeout",
    "system_channel_id": "system channel",
    "preferred_locale": "locale",
    "premium_progress_bar_enabled": "boost progress bar",
}
_IMAGES = frozenset({"icon", "banner", "image"})
_CHANNEL_FIELDS = (
    "type",
    "name",
    "topic",
    "slowmode",
    "nsfw",
    "bitrate",
    "user_limit",
    "rtc_region",
    "auto_archive",
    "available_tags",
    "default_reaction",
    "default_layout",
)


class _Differ:
    def __init__(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        self.before, self.after = before, after
        self.images = bool(
            before.get("assets_captured", True) and after.get("assets_captured", True)
        )
        self.changes: list[Change] = []
        self.role_map: dict[int, int] = {}  # before role id -> after role id
        self.channel_map: dict[int, int] = {}  # categories and channels alike
        self.roles_before: dict[int, str] = {}
        self.channels_before: dict[int, str] = {}
        self.roles_after: dict[int, str] = {}
        self.channels_after: dict[int, str] = {}

    # -- helpers ---------------------------------------------------------------------------
    def add(
        self, kind: Kind, what: str, name: str, fields: dict[str, list[Any]] | None = None
    ) -> None:
        self.changes.append(Change(kind, what, name, fields or {}))

    def compare(self, b: Item, a: Item, keys: tuple[str, ...]) -> dict[str, list[Any]]:
        fields: dict[str, list[Any]] = {}
        for key in keys:
            old, new = b.get(key), a.get(key)
            if key in _IMAGES:
                if not self.images:
                    continue
                old, new = image_summary(old), image_summary(new)
            elif key == "permissions":
                old, new = permission_names(old), permission_names(new)
            if old != new:
                fields[key] = [old, new]
        return fields

    def same_ref(self, mapping: dict[int, int], old: int | None, new: int | None) -> bool:
        if old is None or new is None:
            return old is None and new is None
        return mapping.get(old) == new

    def role_ids_after(self, ids: list[int]) -> set[Any]:
        """Before-snapshot role ids in the after snapshot's terms (unpaired stay apart)."""
        return {self.role_map.get(i, ("gone", i)) for i in ids}

    # -- components ------------------------------------------------------------------------
    def settings(self) -> None:
        b, a = self.before.get("guild", {}), self.after.get("guild", {})
        for key, label in SETTING_LABELS.items():
            old, new = b.get(key), a.get(key)
            if key.endswith("_channel_id"):
                if self.same_ref(self.channel_map, old, new):
                    continue
                old = None if old is None else self.channels_before.get(old, str(old))
                new = None if new is None else self.channels_after.get(new, str(new))
                self.add("changed", "setting", label, {key: [old, new]})
                continue
            fields = self.compare({key: old}, {key: new}, (key,))
            if fields:
                self.add("changed", "setting", label, fields)

    def roles(self) -> None:
        before, after = self.before.get("roles", []), self.after.get("roles", [])
        pairs, removed, added = match(before, after, lambda r: (bool(r.get("default")), r["name"]))
        self.role_map = {b["id"]: a["id"] for b, a in pairs}
        self.roles_before.update({r["id"]: r["name"] for r in before})
        self.roles_after.update({r["id"]: r["name"] for r in after})
        shifted = moved(pairs, before)
        keys = ("name", "color", "hoist", "mentionable", "permissions", "icon", "unicode_emoji")
        for b, a in pairs:
            fields = self.compare(b, a, keys)
            if a["id"] in shifted:
                fields["position"] = [b["position"], a["position"]]
            if fields:
                self.add("changed", "role", a["name"], fields)
        self._gone_and_new("role", removed, added, lambda r: r["name"])

    def layout(self) -> tuple[list[Pair], list[Pair]]:
        """Categories and channels; returns their pairs for the overwrite comparison."""
        cats_b, cats_a = self.before.get("categories", []), self.after.get("categories", [])
        chans_b, chans_a = self.before.get("channels", []), self.after.get("channels", [])
        cat_pairs, cat_removed, cat_added = match(cats_b, cats_a, lambda c: c["name"])
        chan_pairs, chan_removed, chan_added = match(
            chans_b, chans_a, lambda c: (c["type"], c["name"])
        )
        for b, a in (*cat_pairs, *chan_pairs):
            self.channel_map[b["id"]] = a["id"]
        for items, table in ((cats_b, self.channels_before), (cats_a, self.channels_after)):
            table.update({c["id"]: c["name"] for c in items})
        for items, table in ((chans_b, self.channels_before), (chans_a, self.channels_after)):
            table.update({c["id"]: f"#{c['name']}" for c in items})

        shifted = moved(cat_pairs, cats_b)
        for b, a in cat_pairs:
            fields = self.compare(b, a, ("name", "nsfw"))
            if a["id"] in shifted:
                fields["position"] = [b["position"], a["position"]]
            if fields:
                self.add("changed", "category", a["name"], fields)
        self._gone_and_new("category", cat_removed, cat_added, lambda c: c["name"])

        shifted = set()
        groups: dict[Any, list[Pair]] = {}
        for b, a in chan_pairs:
            if self.same_ref(self.channel_map, b["category_id"], a["category_id"]):
                groups.setdefault(a["category_id"], []).append((b, a))
        for group in groups.values():
            shifted |= moved(group, chans_b)
        for b, a in chan_pairs:
            fields = self.compare(b, a, _CHANNEL_FIELDS)
            if not self.same_ref(self.channel_map, b["category_id"], a["category_id"]):
                fields["category"] = [
                    self.channels_before.get(b["category_id"]) if b["category_id"] else None,
                    self.channels_after.get(a["category_id"]) if a["category_id"] else None,
                ]
            if a["id"] in shifted:
                fields["position"] = [b["position"], a["position"]]
            if fields:
                self.add("changed", "channel", f"#{a['name']}", fields)
        self._gone_and_new("channel", chan_removed, chan_added, lambda c: f"#{c['name']}")
        return cat_pairs, chan_pairs

    def overwrites(self, pairs: list[Pair]) -> None:
        for b, a in pairs:
            where = f"#{a['name']}" if "type" in a else f"category {a['name']}"
            ows_a = a.get("overwrites") or []
            by_id = {(o["target_type"], o["target_id"]): o for o in ows_a}
            by_name = {(o["target_type"], o["target_name"]): o for o in ows_a}
            seen: set[int] = set()
            for old in b.get("overwrites") or []:
                kind = old["target_type"]
                target = self.role_map.get(old["target_id"]) if kind == "role" else old["target_id"]
                new = by_id.get((kind, target)) or by_name.get((kind, old["target_name"]))
                if new is None or id(new) in seen:
                    self.add(
                        "removed",
                        "overwrite",
                        f"{where} → {old['target_name']}",
                        self._ow_fields(old, None),
                    )
                    continue
                seen.add(id(new))
                fields = self._ow_fields(old, new)
                if fields:
                    self.add("changed", "overwrite", f"{where} → {new['target_name']}", fields)
            for new in ows_a:
                if id(new) not in seen:
                    self.add(
                        "added",
                        "overwrite",
                        f"{where} → {new['target_name']}",
                        self._ow_fields(None, new),
                    )

    @staticmethod
    def _ow_fields(old: Item | None, new: Item | None) -> dict[str, list[Any]]:
        fields: dict[str, list[Any]] = {}
        for key in ("allow", "deny"):
            was = permission_names(old[key]) if old is not None else None
            now = permission_names(new[key]) if new is not None else None
            if was != now:
                fields[key] = [was, now]
        return fields

    def expressions(self) -> None:
        pairs, removed, added = match(
            self.before.get("emojis", []), self.after.get("emojis", []), lambda e: e["name"]
        )
        for b, a in pairs:
            fields = self.compare(b, a, ("name", "animated", "image"))
            if self.role_ids_after(b.get("roles", [])) != set(a.get("roles", [])):
                fields["roles"] = [
                    names_of(b.get("roles", []), self.roles_before),
                    names_of(a.get("roles", []), self.roles_after),
                ]
            if fields:
                self.add("changed", "emoji", a["name"], fields)
        self._gone_and_new("emoji", removed, added, lambda e: e["name"])
        pairs, removed, added = match(
            self.before.get("stickers", []), self.after.get("stickers", []), lambda s: s["name"]
        )
        for b, a in pairs:
            fields = self.compare(b, a, ("name", "description", "emoji", "format", "image"))
            if fields:
                self.add("changed", "sticker", a["name"], fields)
        self._gone_and_new("sticker", removed, added, lambda s: s["name"])

    def bans(self) -> None:
        pairs, removed, added = match(
            self.before.get("bans", []),
            self.after.get("bans", []),
            lambda b: b["user_id"],
            id_key="user_id",
        )
        for b, a in pairs:
            fields = self.compare(b, a, ("reason",))
            if fields:
                self.add("changed", "ban", a["name"], fields)
        self._gone_and_new("ban", removed, added, lambda b: b["name"])

    def members(self) -> None:
        b_members, a_members = self.before.get("members", {}), self.after.get("members", {})
        if not (b_members.get("captured") and a_members.get("captured")):
            return
        pairs, removed, added = match(
            b_members.get("items", []), a_members.get("items", []), lambda m: m["id"]
        )
        for b, a in pairs:
            old = self.role_ids_after(b["roles"])
            new = set(a["roles"])
            fields: dict[str, list[Any]] = {}
            gained = sorted(self.roles_after.get(i, str(i)) for i in new - old)
            lost_ids = [i for i in b["roles"] if self.role_map.get(i, ("gone", i)) not in new]
            if gained:
                fields["added"] = [[], gained]
            if lost_ids:
                fields["removed"] = [names_of(lost_ids, self.roles_before), []]
            if fields:
                self.add("changed", "member_roles", a["name"], fields)
        self._gone_and_new("member", removed, added, lambda m: m["name"])

    def bot_settings(self) -> None:
        b, a = self.before.get("bot_settings") or {}, self.after.get("bot_settings") or {}
        for key, label in (("prefix", "prefix"), ("mention_prefix", "mention prefix")):
            if b.get(key) != a.get(key):
                self.add("changed", "bot_setting", label, {key: [b.get(key), a.get(key)]})
        rules_b, rules_a = b.get("role_rules") or {}, a.get("role_rules") or {}
        for command in sorted(set(rules_b) | set(rules_a)):
            old, new = rules_b.get(command), rules_a.get(command)
            if old is not None and new is not None and self.role_ids_after(old) == set(new):
                continue
            kind: Kind = "added" if old is None else "removed" if new is None else "changed"
            shown = [
                None if old is None else names_of(old, self.roles_before),
                None if new is None else names_of(new, self.roles_after),
            ]
            self.add(kind, "bot_setting", f"role rule {command}", {"roles": shown})

    def _gone_and_new(
        self, what: str, removed: list[Item], added: list[Item], name: Callable[[Item], str]
    ) -> None:
        for item in removed:
            self.add("removed", what, name(item))
        for item in added:
            self.add("added", what, name(item))


def diff_snapshots(
    before: dict[str, Any], after: dict[str, Any], before_name: str, after_name: str
) -> Diff:
    """The changes that turn ``before`` into ``after`` (both snapshot documents).

    ``before_name``/``after_name`` label the sides (a snapshot ID, ``"current state"``).
    Images are compared only when both sides downloaded them; member roles only when both
    sides captured the member list.
    """
    differ = _Differ(before, after)
    differ.roles()
    cat_pairs, chan_pairs = differ.layout()
    differ.settings()
    differ.overwrites([*cat_pairs, *chan_pairs])
    differ.expressions()
    differ.bans()
    differ.members()
    differ.bot_settings()
    rank = {what: i for i, what in enumerate(ORDER)}
    changes = sorted(differ.changes, key=lambda c: rank[c.what])  # stable: keeps inner order
    return Diff(before_name, after_name, changes)
