"""The audit trail of privileged actions, kept in ``main.db``."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..redaction import default_redactor
from ..refusals import REFUSED
from .databases import Databases

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    source TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    ok INTEGER NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at);
"""
KEEP_ROWS = 10_000


@dataclass(frozen=True)
class AuditRecord:
    at: float
    actor: str
    role: str
    source: str
    action: str
    target: str
    ok: bool
    detail: str

    @property
    def outcome(self) -> str:
        """``"ok"``, ``"refused"`` (a role or permission check said no) or ``"failed"``."""
        if self.ok:
            return "ok"
        return REFUSED if self.detail.startswith(REFUSED) else "failed"


def _write(conn: sqlite3.Connection, row: tuple[Any, ...]) -> None:
    conn.executescript(_SCHEMA)
    with conn:
        conn.execute(
            "INSERT INTO audit_log(at, actor, role, source, action, target, ok, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
        conn.execute(
            "DELETE FROM audit_log WHERE id <= (SELECT MAX(id) FROM audit_log) - ?", (KEEP_ROWS,)
        )


def _read(conn: sqlite3.Connection, limit: int) -> list[tuple[Any, ...]]:
    conn.executescript(_SCHEMA)
    cur = conn.execute(
        "SELECT at, actor, role, source, action, target, ok, detail FROM audit_log"
        " ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return cur.fetchall()


class AuditLog:
    """Append-only (bounded to the newest 10,000 rows) record of operator actions.

    ``redact`` removes secrets from the target and detail before a row is written (the
    bot's shared redactor; default: token and key shapes).
    """

    def __init__(
        self, databases: Databases, redact: Callable[[str], str] = default_redactor.redact
    ) -> None:
        self.databases = databases
        self.redact = redact

    async def record(
        self,
        *,
        actor: str,
        role: str,
        source: str,
        action: str,
        target: str,
        ok: bool,
        detail: dict[str, Any] | str = "",
    ) -> None:
        text = detail if isinstance(detail, str) else json.dumps(detail, default=str)
        text, target = self.redact(text), self.redact(target)
        await self.databases.run_main(
            _write, (time.time(), actor, role, source, action, target, int(ok), text[:2000])
        )

    async def recent(self, limit: int = 50) -> list[AuditRecord]:
        rows = await self.databases.run_main(_read, limit)
        return [AuditRecord(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7]) for r in rows]
