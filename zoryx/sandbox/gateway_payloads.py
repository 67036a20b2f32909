"""Validation of what a gateway client sends: identify, resume and the other send events.

Discord closes a connection whose payload has the wrong shape with ``4002`` (decode error),
an unknown token with ``4004``, a bad shard pair with ``4010`` and intent bits it does not
know with ``4013``. The parsers below raise :class:`PayloadRejected` carrying that close
code, so the gateway closes the connection cleanly instead of failing in a handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .constants import Close

DEFAULT_LARGE_THRESHOLD = 250
_LARGE_RANGE = (50, 250)
_ACTIVITY_LIMIT = 64


class PayloadRejected(Exception):
    """A client payload Discord would refuse: close the connection with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def decode_error(what: str) -> PayloadRejected:
    return PayloadRejected(Close.DECODE_ERROR, f"Error while decoding payload: {what}.")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise decode_error(f"{what} must be an object")
    return value


def snowflake(value: Any, what: str) -> int:
    """A snowflake sent as a string of ASCII digits or as an integer."""
    if _is_int(value) and value >= 0:
        return int(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise decode_error(f"{what} must be a snowflake")


def optional_snowflake(value: Any, what: str) -> int | None:
    return None if value is None else snowflake(value, what)


@dataclass(frozen=True, slots=True)
class IdentifyRequest:
    """A well-formed identify (the token is still to be checked against the state)."""

    token: str
    shard_id: int
    shard_count: int
    intents: int
    large_threshold: int
    presence: dict[str, Any] | None


def parse_identify(d: Any, known_intents: int) -> IdentifyRequest:
    """Check an identify's types and ranges like Discord (see the module docstring)."""
    data = _object(d, "identify")
    token = data.get("token", "")
    if not isinstance(token, str):
        raise decode_error("token must be a string")
    token = token[4:] if token.startswith("Bot ") else token
    if data.get("properties") is not None:
        _object(data["properties"], "properties")
    for flag in ("compress", "guild_subscriptions"):
        if data.get(flag) is not None and not isinstance(data[flag], bool):
            raise decode_error(f"{flag} must be a boolean")
    large = data.get("large_threshold", DEFAULT_LARGE_THRESHOLD)
    if not _is_int(large):
        raise decode_error("large_threshold must be an integer")
    shard_id, shard_count = _shard(data.get("shard"))
    intents = data.get("intents", 0)
    if not _is_int(intents):
        raise decode_error("intents must be an integer")
    if intents < 0 or intents & ~known_intents:
        raise PayloadRejected(Close.INVALID_INTENTS, "Invalid intent(s).")
    presence = data.get("presence")
    if presence is not None:
        presence = parse_presence(presence)
    return IdentifyRequest(
        token,
        shard_id,
        shard_count,
        intents,
        min(max(large, _LARGE_RANGE[0]), _LARGE_RANGE[1]),
        presence,
    )


def _shard(value: Any) -> tuple[int, int]:
    if value is None:
        return 0, 1
    if not isinstance(value, list) or len(value) != 2 or not all(map(_is_int, value)):
        raise decode_error("shard must be an array of two integers")
    shard_id, shard_count = value
    if shard_count < 1 or not 0 <= shard_id < shard_count:
        raise PayloadRejected(Close.INVALID_SHARD, "Invalid shard.")
    return shard_id, shard_count


def parse_presence(value: Any) -> dict[str, Any]:
    """A presence update: ``status`` a string, ``activities`` an array of objects."""
    presence = _object(value, "presence")
    status = presence.get("status", "online")
    if not isinstance(status, str):
        raise decode_error("status must be a string")
    activities = presence.get("activities") or []
    if not isinstance(activities, list) or len(activities) > _ACTIVITY_LIMIT:
        raise decode_error("activities must be an array")
    if not all(isinstance(a, dict) for a in activities):
        raise decode_error("activities must be objects")
    since = presence.get("since")
    if since is not None and not isinstance(since, int | float):
        raise decode_error("since must be a number")
    return presence


@dataclass(frozen=True, slots=True)
class ResumeRequest:
    token: str
    session_id: str
    seq: int


def parse_resume(d: Any) -> ResumeRequest:
    data = _object(d, "resume")
    token, session_id, seq = data.get("token"), data.get("session_id"), data.get("seq")
    if not isinstance(token, str) or not isinstance(session_id, str):
        raise decode_error("token and session_id must be strings")
    if seq is not None and not _is_int(seq):
        raise decode_error("seq must be an integer")
    token = token[4:] if token.startswith("Bot ") else token
    return ResumeRequest(token, session_id, int(seq or 0))


@dataclass(frozen=True, slots=True)
class MembersRequest:
    guild_id: int
    query: str | None
    limit: int
    user_ids: list[int] | None
    presences: bool
    nonce: str | None


def parse_request_members(d: Any) -> MembersRequest:
    data = _object(d, "request guild members")
    guild_id = snowflake(data.get("guild_id"), "guild_id")
    query, limit, nonce = data.get("query"), data.get("limit", 0), data.get("nonce")
    if query is not None and not isinstance(query, str):
        raise decode_error("query must be a string")
    if limit is None:
        limit = 0
    if not _is_int(limit) or limit < 0:
        raise decode_error("limit must be a positive integer")
    if nonce is not None and not isinstance(nonce, str):
        raise decode_error("nonce must be a string")
    raw_ids = data.get("user_ids")
    user_ids: list[int] | None = None
    if raw_ids is not None:
        items = raw_ids if isinstance(raw_ids, list) else [raw_ids]
        user_ids = [snowflake(u, "user_ids") for u in items]
    return MembersRequest(guild_id, query, limit, user_ids, bool(data.get("presences")), nonce)


@dataclass(frozen=True, slots=True)
class VoiceRequest:
    guild_id: int
    channel_id: int | None
    self_mute: bool
    self_deaf: bool


def parse_voice_state(d: Any) -> VoiceRequest:
    data = _object(d, "voice state update")
    guild_id = snowflake(data.get("guild_id"), "guild_id")
    channel_id = optional_snowflake(data.get("channel_id"), "channel_id")
    mute, deaf = data.get("self_mute", False), data.get("self_deaf", False)
    if not isinstance(mute, bool) or not isinstance(deaf, bool):
        raise decode_error("self_mute and self_deaf must be booleans")
    return VoiceRequest(guild_id, channel_id, mute, deaf)


__all__ = [
    "IdentifyRequest",
    "MembersRequest",
    "PayloadRejected",
    "ResumeRequest",
    "VoiceRequest",
    "parse_identify",
    "parse_presence",
    "parse_request_members",
    "parse_resume",
    "parse_voice_state",
]
