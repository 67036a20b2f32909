"""Discord's rules for mentions: ``allowed_mentions`` validation, who a message pings.

A message pings what its content mentions, filtered twice:

* ``allowed_mentions`` (when given) keeps only the kinds in ``parse`` and the listed ids;
* ``@everyone``/``@here`` ping only when the author holds ``MENTION_EVERYONE`` in the
  channel (overwrites applied), and a role mention pings only when the role is
  ``mentionable`` or the author holds ``MENTION_EVERYONE``.

Authors: members and bots use their channel permissions; interaction responses and
follow-ups use the application's bot user (Discord's rule since 2022); plain webhooks
may always mention everyone and every role, as on Discord. Outside a guild (DMs) there is
no one to mass-mention: ``@everyone`` never pings there.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .constants import Perm
from .errors import invalid_form
from .permissions import channel_permissions

if TYPE_CHECKING:
    from .state import GuildState

_PARSE_TYPES = frozenset({"users", "roles", "everyone"})
USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
# What Discord's client sends with a message: every mention parsed, the reply ping toggled.
USER_ALLOWED_MENTIONS = {"parse": ["users", "roles", "everyone"]}


def check_allowed_mentions(allowed: Any) -> None:
    """Discord's validation of an ``allowed_mentions`` object (400 50035 when invalid)."""
    if allowed is None:
        return
    if not isinstance(allowed, dict):
        raise invalid_form("allowed_mentions", "MODEL_TYPE_CONVERT", "Must be an object.")
    parse = allowed.get("parse") or []
    if not isinstance(parse, list) or not set(parse) <= _PARSE_TYPES:
        raise invalid_form(
            "allowed_mentions.parse",
            "BASE_TYPE_CHOICES",
            "Value must be one of ('everyone', 'users', 'roles').",
        )
    for kind in ("users", "roles"):
        ids = allowed.get(kind)
        if ids is None:
            continue
        if not isinstance(ids, list) or len(ids) > 100:
            raise invalid_form(
                f"allowed_mentions.{kind}",
                "BASE_TYPE_MAX_LENGTH",
                "Must be 100 or fewer in length.",
            )
        if ids and kind in parse:
            raise invalid_form(
                "allowed_mentions",
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )


def mentions_replied_user(allowed: dict[str, Any] | None) -> bool:
    """Whether a reply pings the replied-to author: yes without ``allowed_mentions``, else
    only with ``replied_user: true`` (its default is false)."""
    return allowed is None or allowed.get("replied_user") is True


def may_mass_mention(
    guild: GuildState | None, channel: dict[str, Any], author_id: int, *, webhook: bool
) -> bool:
    """Whether the author may ping ``@everyone``/``@here`` and roles that are not
    mentionable in this channel (Discord's ``MENTION_EVERYONE``)."""
    if guild is None:
        return False
    if webhook:
        return True
    return bool(channel_permissions(guild, channel, author_id) & Perm.MENTION_EVERYONE)


@dataclass(frozen=True, slots=True)
class Pings:
    """Who a message pings: the ``mentions`` users (ids, in content order),
    ``mention_roles`` and ``mention_everyone``."""

    user_ids: list[int]
    role_ids: list[str]
    everyone: bool


def resolve_pings(
    content: str,
    allowed: dict[str, Any] | None,
    *,
    known_users: Container[int],
    roles: Mapping[int, dict[str, Any]] | None,
    mass: bool,
) -> Pings:
    """Apply Discord's mention rules to ``content``.

    Args:
        content: the message text.
        allowed: the validated ``allowed_mentions`` (None: every kind is parsed).
        known_users: ids of existing users (other ``<@id>`` ping nobody).
        roles: the guild's roles by id (None outside a guild).
        mass: the author may mass-mention (see :func:`may_mass_mention`).
    """
    parse = None if allowed is None else set(allowed.get("parse") or [])
    listed_users = {str(u) for u in (allowed or {}).get("users") or []}
    listed_roles = {str(r) for r in (allowed or {}).get("roles") or []}
    user_ids: list[int] = []
    for match in USER_MENTION.finditer(content):
        uid = int(match.group(1))
        if uid in user_ids or uid not in known_users:
            continue
        if parse is not None and "users" not in parse and str(uid) not in listed_users:
            continue
        user_ids.append(uid)
    guild_roles = roles or {}
    role_ids: list[str] = []
    for match in ROLE_MENTION.finditer(content):
        rid = match.group(1)
        role = guild_roles.get(int(rid))
        if role is None or rid in role_ids:
            continue
        if parse is not None and "roles" not in parse and rid not in listed_roles:
            continue
        if mass or role.get("mentionable"):
            role_ids.append(rid)
    everyone = (
        mass
        and ("@everyone" in content or "@here" in content)
        and (parse is None or "everyone" in parse)
    )
    return Pings(user_ids, role_ids, everyone)


__all__ = [
    "ROLE_MENTION",
    "USER_ALLOWED_MENTIONS",
    "USER_MENTION",
    "Pings",
    "check_allowed_mentions",
    "may_mass_mention",
    "mentions_replied_user",
    "resolve_pings",
]
