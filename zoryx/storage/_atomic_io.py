"""Blocking file primitives behind :mod:`zoryx.storage.atomic`.

Everything here blocks and must run in a worker thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

from .private_files import PRIVATE_MODE, make_private

__all__ = [
    "TEMP_NAME_RE",
    "TEMP_SUFFIX",
    "original_name_of_temp",
    "read_bytes_or_none",
    "read_json_text",
    "replace_atomically",
    "temp_name_prefix",
]

TEMP_SUFFIX = ".tmp"
"""Suffix of the temporary files a write creates next to its target."""

_TEMP_TOKEN_BYTES = 6
TEMP_NAME_RE = re.compile(
    rf"\.(?P<name>.+)\.[0-9a-f]{{{2 * _TEMP_TOKEN_BYTES}}}{re.escape(TEMP_SUFFIX)}", re.DOTALL
)
"""Exact shape of a temp file name: ``.<target name>.<12 hex digits>.tmp`` (fullmatch)."""

# Directory fsync is not supported everywhere (Windows, some network/FUSE filesystems).
# Those errors mean "cannot make the rename durable here", not "the write failed".
_DIR_FSYNC_UNSUPPORTED = frozenset(
    code
    for code in (
        errno.EINVAL,
        getattr(errno, "ENOTSUP", None),
        getattr(errno, "EOPNOTSUPP", None),
        errno.EACCES,
    )
    if code is not None
)


def temp_name_prefix(target: Path) -> str:
    """Return the prefix of temporary files for ``target``: ``.<name>.``."""
    return f".{target.name}."


def original_name_of_temp(name: str) -> str | None:
    """The target name a temp file called ``name`` was for, or None if not one of ours."""
    match = TEMP_NAME_RE.fullmatch(name)
    return match.group("name") if match else None


def _open_temp_file(directory: Path, target: Path, mode: int = 0o666) -> tuple[int, Path]:
    """Create a new, empty, uniquely named temp file next to ``target``.

    By default the file is created with mode ``0o666`` minus the process umask, like a
    normal ``open(..., "w")`` would, rather than the ``0o600`` of :func:`tempfile.mkstemp`.
    """
    prefix = temp_name_prefix(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp_path = directory / f"{prefix}{secrets.token_hex(_TEMP_TOKEN_BYTES)}{TEMP_SUFFIX}"
        try:
            return os.open(temp_path, flags, mode), temp_path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "could not pick a unique temporary file name", directory)


def _fsync_directory(directory: Path) -> None:
    """Flush ``directory``'s entries to disk so a completed rename survives power loss."""
    if not hasattr(os, "O_DIRECTORY"):  # Windows: directories cannot be opened this way.
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        if exc.errno in _DIR_FSYNC_UNSUPPORTED:
            return
        raise
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _DIR_FSYNC_UNSUPPORTED:
            raise
    finally:
        os.close(fd)


def _copy_mode(target: Path, fd: int) -> None:
    """Give the temp file ``fd`` the permission bits of ``target``, if it exists."""
    if not hasattr(os, "fchmod"):
        return
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    os.fchmod(fd, mode)


def replace_atomically(target: str | Path, payload: bytes, *, private: bool = False) -> None:
    """Make ``target`` hold exactly ``payload``, or leave it untouched.

    Steps: create the parent directories; create a new temp file in the same directory
    with the permission bits of an existing target; write ``payload``, flush and fsync it;
    ``os.replace`` it over ``target``; fsync the directory. A reader therefore sees either
    the old or the new content, never a mix, even if the process is killed at any point.
    On any failure the temp file is removed and the error is re-raised.

    Args:
        target: Absolute path of the file to replace.
        payload: The complete new content.
        private: Give the file mode 0600 (readable by this user only), whatever the
            umask or the mode of the file it replaces.
    """
    target = Path(target)
    directory = target.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, temp_path = _open_temp_file(directory, target, PRIVATE_MODE if private else 0o666)
    try:
        with open(fd, "wb", closefd=True) as handle:
            if private:
                make_private(handle.fileno())
            else:
                _copy_mode(target, handle.fileno())
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, target)
    except BaseException:
        try:
            os.unlink(temp_path)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


def read_bytes_or_none(path: str | Path) -> bytes | None:
    """Return the content of ``path``, or ``None`` if it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def read_json_text(path: str | Path) -> tuple[str, Any] | None:
    """Read and parse a UTF-8 JSON file.

    Returns:
        ``(text, value)``, or ``None`` if the file does not exist.

    Raises:
        UnicodeDecodeError: The file is not UTF-8.
        json.JSONDecodeError: The file is not valid JSON.
        OSError: The file exists but could not be read.
    """
    raw = read_bytes_or_none(path)
    if raw is None:
        return None
    text = raw.decode("utf-8-sig")  # tolerate a BOM left by some editors
    return text, json.loads(text)
