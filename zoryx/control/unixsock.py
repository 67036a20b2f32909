"""The control socket file: created private (0600), checked, probed, and its peer's uid.

A Unix socket path may hold at most ~107 bytes; bot directories (and pytest's temporary
ones) can be deeper than that. :func:`reachable_path` then names the socket through an
open descriptor of its directory (``/proc/self/fd/N/zoryx.sock``, Linux), so binding
and connecting work at any depth.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat
import struct
from collections.abc import Iterator
from pathlib import Path

from .errors import ControlSocketError

__all__ = ["bind_private", "connect_blocking", "peer_uid", "reachable_path", "remove_if_ours"]

_MAX_PATH = 100  # sun_path is 108 bytes on Linux; keep a margin
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


@contextlib.contextmanager
def reachable_path(path: Path) -> Iterator[str]:
    """``path`` as a string short enough for ``bind``/``connect`` (while the ``with`` lasts)."""
    text = os.fspath(path)
    if len(os.fsencode(text)) <= _MAX_PATH or not os.path.isdir("/proc/self/fd"):
        yield text
        return
    fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def connect_blocking(path: Path, timeout: float = 2.0) -> socket.socket:
    """A connected (blocking) Unix socket to ``path``; raises ``OSError`` as connect does."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        with reachable_path(path) as where:
            sock.connect(where)
    except BaseException:
        sock.close()
        raise
    return sock


def _check_existing(path: Path) -> None:
    """Remove a stale socket at ``path``; refuse anything else that is there."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if info.st_uid != os.geteuid():
        raise ControlSocketError(
            f"{path} belongs to another user (uid {info.st_uid}); refusing to use it — "
            "remove it if it is not in use"
        )
    if not stat.S_ISSOCK(info.st_mode):
        raise ControlSocketError(f"{path} exists and is not a socket; move it away")
    try:
        connect_blocking(path, timeout=1.0).close()
    except ConnectionRefusedError:  # nobody listens: left behind by a crashed process
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ControlSocketError(f"cannot check the control socket {path}: {exc}") from None
    raise ControlSocketError(
        f"another process already answers on the control socket {path} (is this bot "
        "already running from another terminal?)"
    )


def bind_private(path: Path, backlog: int = 64) -> tuple[socket.socket, int]:
    """A listening, non-blocking Unix socket at ``path`` with mode 0600, and its inode.

    The mode is set on the socket before ``bind`` creates the file, so the file is never
    reachable by other users, not even for a moment.

    Raises:
        ControlSocketError: the path is another user's, not a socket, or in use.
    """
    _check_existing(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.fchmod(sock.fileno(), 0o600)  # Linux: bind creates the file with this mode
        with reachable_path(path) as where:
            sock.bind(where)
        os.chmod(path, 0o600)  # other systems: still before anybody may connect
        sock.listen(backlog)
        sock.setblocking(False)
        inode = os.lstat(path).st_ino
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ControlSocketError(f"the control socket {path} is in use") from None
        raise ControlSocketError(f"cannot create the control socket {path}: {exc}") from None
    return sock, inode


def remove_if_ours(path: Path, inode: int) -> None:
    """Unlink ``path`` unless another process has replaced it since we bound it."""
    with contextlib.suppress(OSError):
        if os.lstat(path).st_ino == inode:
            os.unlink(path)


def peer_uid(sock: socket.socket | None) -> int | None:
    """The uid of the process at the other end of a Unix socket (``SO_PEERCRED``)."""
    if sock is None or sock.family != socket.AF_UNIX or not hasattr(socket, "SO_PEERCRED"):
        return None
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    except OSError:
        return None
    _pid, uid, _gid = _PEERCRED.unpack(raw)
    return uid
