"""Discord's rules for ``allowed_mentions``: validation and the reply ping."""

from __future__ import annotations

from typing import Any

from .errors import invalid_form

_PARSE_TYPES = frozenset({"users", "roles", "everyone"})
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


__all__ = ["USER_ALLOWED_MENTIONS", "check_allowed_mentions", "mentions_replied_user"]
