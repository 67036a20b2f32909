"""Discord-shaped API errors raised by sandbox routes and turned into JSON responses."""

from __future__ import annotations

from typing import Any


class DiscordAPIError(Exception):
    """An error that the REST layer answers with Discord's ``{code, message}`` body.

    Args:
        status: HTTP status code.
        code: Discord JSON error code.
        message: Human-readable message, as Discord words it.
        errors: Optional nested ``errors`` object (form validation).
    """

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            out["errors"] = self.errors
        return out


_UNKNOWN = {
    "account": 10001,
    "application": 10002,
    "channel": 10003,
    "guild": 10004,
    "integration": 10005,
    "invite": 10006,
    "member": 10007,
    "message": 10008,
    "overwrite": 10009,
    "role": 10011,
    "user": 10013,
    "emoji": 10014,
    "webhook": 10015,
    "ban": 10026,
    "sticker": 10060,
    "interaction": 10062,
    "application command": 10063,
    "voice state": 10065,
}


def unknown(kind: str) -> DiscordAPIError:
    """404 for an unknown object, e.g. ``unknown("channel")`` → 10003 Unknown Channel."""
    return DiscordAPIError(404, _UNKNOWN[kind], f"Unknown {kind.title()}")


def missing_permissions() -> DiscordAPIError:
    return DiscordAPIError(403, 50013, "Missing Permissions")


def missing_access() -> DiscordAPIError:
    return DiscordAPIError(403, 50001, "Missing Access")


def unauthorized() -> DiscordAPIError:
    return DiscordAPIError(401, 0, "401: Unauthorized")


def invalid_form(field: str, code: str, message: str) -> DiscordAPIError:
    """50035 Invalid Form Body with one field error, in Discord's nested shape."""
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(field.split(".")):
        node = {part: node}
    return DiscordAPIError(400, 50035, "Invalid Form Body", node)


def empty_message() -> DiscordAPIError:
    return DiscordAPIError(400, 50006, "Cannot send an empty message")


def already_acknowledged() -> DiscordAPIError:
    return DiscordAPIError(400, 40060, "Interaction has already been acknowledged.")


def bad_json() -> DiscordAPIError:
    return DiscordAPIError(400, 50109, "The request body contains invalid JSON.")
