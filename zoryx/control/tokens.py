"""Control tokens: ``zxc_…`` bearer tokens with a role, stored hashed in
``data/control_tokens.json`` (mode 0600).

A token is 256 random bits, shown once when created and never stored: the file keeps
its SHA-256 (a plain hash is enough for a random secret of that size; nothing to
brute-force) with a name, a role and the creation time. The server re-reads the file
whenever it changes, so ``zoryx token revoke`` takes effect on a running bot at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from zoryx.operator import Role
from zoryx.storage.atomic import AtomicStore

__all__ = ["PREFIX", "TokenError", "TokenRecord", "TokenStore", "hash_token"]

PREFIX = "zxc_"
MAX_TOKENS = 1000
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


class TokenError(ValueError):
    """A token request cannot be done (bad name or role, duplicate, unknown name)."""


@dataclass(frozen=True)
class TokenRecord:
    name: str
    role: str  # "owner", "helper" or "visitor"
    created: float
    sha256: str

    @property
    def level(self) -> Role:
        return Role[self.role.upper()]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    # A rewrite replaces the file (new inode), so this changes even within one mtime tick.
    return info.st_ino, info.st_mtime_ns, info.st_size


def _parse(raw: bytes) -> list[TokenRecord]:
    data = json.loads(raw)
    records = []
    for item in data.get("tokens", []) if isinstance(data, dict) else []:
        try:
            record = TokenRecord(
                str(item["name"]), str(item["role"]), float(item["created"]), str(item["sha256"])
            )
            record.level  # noqa: B018 - refuses an unknown role
        except (KeyError, TypeError, ValueError):
            continue
        records.append(record)
    return records[:MAX_TOKENS]


class TokenStore:
    """The tokens of one bot directory.

    Reading (:meth:`lookup`, :meth:`is_valid`) is for the server: it checks the file's
    identity with one ``stat`` and re-reads it (in a thread) only when it changed.
    :meth:`create`, :meth:`revoke` and :meth:`records` are for ``zoryx token``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._records: list[TokenRecord] = []
        self._signature: tuple[int, int, int] | None = None
        self._lock = asyncio.Lock()

    # -- server side -----------------------------------------------------------------
    async def _current(self) -> list[TokenRecord]:
        signature = _signature(self.path)
        if signature != self._signature:
            async with self._lock:
                signature = _signature(self.path)
                if signature != self._signature:
                    self._records = await asyncio.to_thread(self._load)
                    self._signature = signature
        return self._records

    def _load(self) -> list[TokenRecord]:
        try:
            return _parse(self.path.read_bytes())
        except FileNotFoundError:
            return []
        except (OSError, ValueError):
            return []  # an unreadable or broken file grants nothing

    async def lookup(self, token: str) -> TokenRecord | None:
        """The record of ``token``, or None (unknown, revoked, malformed)."""
        if not token.startswith(PREFIX):
            return None
        digest = hash_token(token)
        found = None
        for record in await self._current():
            if hmac.compare_digest(record.sha256, digest):
                found = record
        return found

    async def is_valid(self, record: TokenRecord) -> bool:
        """Whether ``record`` (found earlier) is still in the file, unrevoked."""
        return any(r == record for r in await self._current())

    # -- zoryx token -------------------------------------------------------------------
    def records(self) -> list[TokenRecord]:
        return self._load()

    async def create(self, name: str, role: str) -> str:
        """Add a token named ``name`` with ``role``; returns the token (shown once)."""
        if not _NAME.fullmatch(name):
            raise TokenError(
                "a token name is 1-64 letters, digits, '_', '.', '@' or '-', starting with "
                f"a letter or digit; got {name!r}"
            )
        if role.upper() not in Role.__members__:
            raise TokenError(f"role must be owner, helper or visitor, got {role!r}")
        records = self._load()
        if any(r.name == name for r in records):
            raise TokenError(f"a token named {name!r} exists already (revoke it first)")
        if len(records) >= MAX_TOKENS:
            raise TokenError(f"there are {MAX_TOKENS} tokens already; revoke some first")
        token = PREFIX + secrets.token_urlsafe(32)
        records.append(TokenRecord(name, role.lower(), time.time(), hash_token(token)))
        await self._write(records)
        return token

    async def revoke(self, name: str) -> None:
        records = self._load()
        kept = [r for r in records if r.name != name]
        if len(kept) == len(records):
            raise TokenError(f"no token named {name!r}")
        await self._write(kept)

    async def _write(self, records: list[TokenRecord]) -> None:
        await asyncio.to_thread(_private_file, self.path)
        payload = {"tokens": [asdict(r) for r in records]}
        await AtomicStore(cache_size=1).write_json(self.path, payload)


def _private_file(path: Path) -> None:
    """Make ``path`` exist with mode 0600: the atomic store keeps the mode of the file it
    replaces, so the hashes are never readable by others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with contextlib.suppress(AttributeError):
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
