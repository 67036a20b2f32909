"""The one place that decides whether a path may be touched by operator file actions."""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..storage._atomic_io import original_name_of_temp

# Never listed, read or written through the operator API (matched case-insensitively,
# also through editor backups and our own temp files: see _name_variants).
SECRET_PATTERNS = (
    ".env*",  # .env, .env.local, .envrc, .env~, .env.swp, .env.save, ...
    "*.pem",
    "*.key",
    "*.secret",
    "id_rsa*",
    ".git",
    ".netrc",
    "*.sqlite-journal",
    "sandbox.json",  # the running sandbox's control token (data/)
    "control_tokens.json",  # hashes of the control socket's tokens (data/)
    "zoryx.sock",  # the control socket itself
)
ALLOWED_SECRET_LIKE = (".env.example",)
# Live SQLite files: never read or written as text (they change under the reader).
LIVE_DATABASES = ("main.db", "guild.db")
_LIVE_SUFFIXES = ("", "-wal", "-shm", "-journal")
# What editors and tools add to a name when they keep a copy of it.
_COPY_SUFFIXES = (".swp", ".swo", ".swx", ".save", ".bak", ".orig", ".old", ".backup", ".tmp")
# Folders not searched for secret files when checking hard links.
_UNSEARCHED = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__"})
_MAX_SCANNED = 20_000
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class PathRefused(ValueError):
    """The path is outside the bot directory, a secret, or otherwise not allowed."""


def _name_variants(name: str) -> set[str]:
    """``name`` lower-cased, plus the names it may be a copy of (``#.env#`` -> ``.env``)."""
    core = name.strip().lower()
    out = {core}
    temp_of = original_name_of_temp(core)
    if temp_of:
        out.add(temp_of)
    if core.startswith(".#"):  # emacs lock file
        core = core[2:]
    core = core.strip("#~")  # emacs auto-save, backup files
    out.add(core)
    for suffix in _COPY_SUFFIXES:
        if core.endswith(suffix):
            out.add(core[: -len(suffix)])
    out |= {v[1:] for v in out if v.startswith("..")}  # vim swap of a dot file
    return out


def is_secret(name: str) -> bool:
    """Whether a file or folder called ``name`` is (or is a copy of) a secret."""
    if name.strip().lower() in ALLOWED_SECRET_LIKE:
        return False
    return any(
        fnmatch.fnmatchcase(variant, pattern)
        for variant in _name_variants(name)
        for pattern in SECRET_PATTERNS
    )


def is_live_database(name: str) -> bool:
    """Whether ``name`` is a live database file (main.db, guild.db, their -wal/-shm)."""
    lowered = name.lower()
    return any(lowered == db + suffix for db in LIVE_DATABASES for suffix in _LIVE_SUFFIXES)


@dataclass(frozen=True)
class CheckedPath:
    """A path that passed :func:`check_path`.

    ``path`` is the entry itself (real parent folder + the name asked for, so a link stays
    a link); ``target`` is where it leads (the same as ``path`` unless it is a symlink).
    """

    relative: str
    path: Path
    target: Path
    is_link: bool

    def describe(self, root: Path) -> str:
        """What an action on this path touches, for the audit trail."""
        if not self.is_link:
            return self.relative
        return f"{self.relative} (link to {_shown(root, self.target)})"


def _shown(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix() or "."
    except ValueError:
        return "a place outside the bot directory"


def _inside(base: Path, path: Path) -> bool:
    return path == base or base in path.parents


def _lexical_parts(relative: str) -> tuple[str, ...]:
    if "\x00" in relative:
        raise PathRefused("path contains a NUL byte")
    pure = PurePosixPath(relative.replace("\\", "/"))
    if pure.is_absolute() or relative.startswith("~") or (len(relative) > 1 and relative[1] == ":"):
        raise PathRefused(f"absolute paths are not allowed: {relative}")
    if any(part == ".." for part in pure.parts):
        raise PathRefused(f"'..' is not allowed: {relative}")
    if any(is_secret(part) for part in pure.parts):
        raise PathRefused(f"{relative} is a secret file and is never shown")
    return pure.parts


def _refuse_secret_location(base: Path, real: Path, relative: str) -> None:
    if not _inside(base, real):
        raise PathRefused(f"{relative} points outside the bot directory")
    if any(is_secret(part) for part in real.relative_to(base).parts):
        raise PathRefused(f"{relative} leads to a secret file and is never shown")


def check_path(root: Path, relative: str, *, follow: bool) -> CheckedPath:
    """Check a user-supplied relative path inside ``root``; raise :class:`PathRefused`.

    Always refused: absolute paths, ``..``, NUL bytes, secret names in any component,
    and folders (after following links) outside ``root`` or inside a secret folder.

    ``follow=False`` is for acting on the entry itself (delete, rename): a link is
    returned as the link, never its target. ``follow=True`` is for acting on what the
    entry leads to (list, read, write, create): a link to a place outside ``root`` or to
    a secret is refused, and so are live database files and a hard link to a secret.
    """
    base = root.resolve()
    if not relative or relative in (".", "./"):
        return CheckedPath(".", base, base, False)
    parts = _lexical_parts(relative)
    parent = Path(os.path.realpath(base.joinpath(*parts[:-1]))) if parts[:-1] else base
    _refuse_secret_location(base, parent, relative)
    path = parent / parts[-1]
    is_link = path.is_symlink()
    target = Path(os.path.realpath(path)) if is_link else path
    if not follow:
        return CheckedPath(relative, path, target, is_link)
    if is_link:
        _refuse_secret_location(base, target, relative)
    if is_live_database(target.name):
        raise PathRefused(f"{relative} is a live database and cannot be opened as text")
    try:
        info = target.stat()
    except OSError:
        info = None
    if info is not None:
        refuse_secret_copy(base, info, relative)
    return CheckedPath(relative, path, target, is_link)


def refuse_secret_copy(root: Path, info: os.stat_result, relative: str) -> None:
    """Refuse a regular file that is a hard link to a secret or live database in ``root``."""
    if not stat.S_ISREG(info.st_mode) or info.st_nlink < 2:
        return
    if (info.st_dev, info.st_ino) in _protected_inodes(root.resolve()):
        raise PathRefused(f"{relative} is a hard link to a secret file and is never shown")


def _protected_inodes(base: Path) -> set[tuple[int, int]]:
    """(device, inode) of every secret or live database file under ``base`` (bounded walk)."""
    found: set[tuple[int, int]] = set()
    pending, seen = [base], 0
    while pending and seen < _MAX_SCANNED:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name.lower() not in _UNSEARCHED:
                        pending.append(Path(entry.path))
                elif is_secret(entry.name) or is_live_database(entry.name):
                    info = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(info.st_mode):
                        found.add((info.st_dev, info.st_ino))
            except OSError:
                continue
    return found


def open_for_reading(root: Path, checked: CheckedPath) -> int:
    """Open ``checked.target`` read-only without following a link swapped in since the
    check, and re-check what was opened; return the file descriptor (caller closes it).
    """
    try:
        fd = os.open(checked.target, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PathRefused(f"{checked.relative} changed into a link; not opened") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise PathRefused(f"{checked.relative} is not a regular file")
        refuse_secret_copy(root, info, checked.relative)
    except BaseException:
        os.close(fd)
        raise
    return fd


def resolve_inside(root: Path, relative: str) -> Path:
    """Where ``relative`` leads inside ``root`` (see :func:`check_path`, ``follow=True``)."""
    return check_path(root, relative, follow=True).target


def relative_to_root(root: Path, path: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()
