"""The one place that decides whether a path may be touched by operator file actions."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path, PurePosixPath

# Never listed, read or written through the operator API.
SECRET_PATTERNS = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.secret",
    "id_rsa*",
    ".git",
    ".netrc",
    "*.sqlite-journal",
)
ALLOWED_SECRET_LIKE = (".env.example",)


class PathRefused(ValueError):
    """The path is outside the bot directory, a secret, or otherwise not allowed."""


def is_secret(name: str) -> bool:
    if name in ALLOWED_SECRET_LIKE:
        return False
    return any(fnmatch.fnmatch(name, pattern) for pattern in SECRET_PATTERNS)


def resolve_inside(root: Path, relative: str) -> Path:
    """Resolve a user-supplied relative path inside ``root`` or raise :class:`PathRefused`.

    Refuses absolute paths, ``..`` components, paths whose real location (after
    following symlinks) leaves ``root``, and secret files such as ``.env``.
    """
    if not relative or relative in (".", "./"):
        return root.resolve()
    if "\x00" in relative:
        raise PathRefused("path contains a NUL byte")
    pure = PurePosixPath(relative.replace("\\", "/"))
    if pure.is_absolute() or relative.startswith("~") or (len(relative) > 1 and relative[1] == ":"):
        raise PathRefused(f"absolute paths are not allowed: {relative}")
    if any(part == ".." for part in pure.parts):
        raise PathRefused(f"'..' is not allowed: {relative}")
    if any(is_secret(part) for part in pure.parts):
        raise PathRefused(f"{relative} is a secret file and is never shown")
    base = root.resolve()
    target = Path(os.path.realpath(base.joinpath(*pure.parts)))
    if target != base and base not in target.parents:
        raise PathRefused(f"{relative} points outside the bot directory")
    return target


def relative_to_root(root: Path, path: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()
