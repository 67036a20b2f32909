"""The operator API (privileged actions with role checks and an audit trail)."""

from .api import (
    ACTIONS,
    GUILD_ACTIONS,
    Actor,
    FileEntry,
    OperatorAPI,
    OperatorError,
    PermissionDenied,
    Role,
)
from .paths import PathRefused, is_secret, resolve_inside

__all__ = [
    "ACTIONS",
    "GUILD_ACTIONS",
    "Actor",
    "FileEntry",
    "OperatorAPI",
    "OperatorError",
    "PathRefused",
    "PermissionDenied",
    "Role",
    "is_secret",
    "resolve_inside",
]

CONSOLE_OWNER = Actor("console", Role.OWNER, "console")
__all__.append("CONSOLE_OWNER")
