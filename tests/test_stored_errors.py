"""Services redact an error text before they keep it: the audit log in main.db, the plugin
registry (plugin_registry.json), diagnostics' command errors and hook executions.

Each service gets the bot's shared redactor; the texts here did not pass through the
extension manager first, so only the service itself can have removed the secret.
"""

from __future__ import annotations

import secrets
import string
from pathlib import Path
from types import SimpleNamespace

from cogs.event_hooks.service import EventHookService
from cogs.framework_diagnostics.service import DiagnosticsService
from cogs.plugin_registry.service import PluginRegistryService
from zoryx.extensions import ExtensionInfo
from zoryx.redaction import REDACTED, Redactor
from zoryx.storage.atomic import AtomicStore
from zoryx.storage.audit import AuditLog
from zoryx.storage.databases import Databases


def a_secret() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


def bot_with(redactor: Redactor, **extra: object) -> SimpleNamespace:
    """The parts of a bot these services read: services.logging.redactor and ``extra``."""
    services = SimpleNamespace(logging=SimpleNamespace(redactor=redactor))
    return SimpleNamespace(services=services, **extra)


async def test_audit_rows_are_redacted(tmp_path: Path) -> None:
    secret = a_secret()
    db = Databases(tmp_path / "data", pool_size=2, flush_interval=3600)
    await db.open()
    try:
        audit = AuditLog(db, Redactor([secret]).redact)
        detail = f"OSError: cannot open https://x.invalid/?token={secret}"
        await audit.record(
            actor="owner",
            role="owner",
            source="tui",
            action="read_file",
            target=secret,
            ok=False,
            detail=detail,
        )
        (row,) = await audit.recent(1)
    finally:
        await db.close()
    assert row.detail == f"OSError: cannot open https://x.invalid/?token={REDACTED}"
    assert row.target == REDACTED
    assert secret.encode() not in (tmp_path / "data" / "main.db").read_bytes()


def test_plugin_registry_keeps_redacted_errors_only(tmp_path: Path) -> None:
    secret = a_secret()
    info = ExtensionInfo("leaky", tmp_path / "leaky.py", state="failed")
    info.error = f"RuntimeError: bad key {secret[:20]}"  # half of it, as a cut URL has
    manager = SimpleNamespace(extensions={"leaky": info})
    bot = bot_with(Redactor([secret]), extension_manager=manager, extensions={})
    service = PluginRegistryService(bot)  # type: ignore[arg-type]
    service.sync()
    stored = service.snapshot()["plugins"]["leaky"]  # what plugin_registry.json holds
    assert stored["error"] == f"RuntimeError: bad key {REDACTED}"


def test_diagnostics_keeps_redacted_command_errors(tmp_path: Path) -> None:
    secret = a_secret()
    service = DiagnosticsService(tmp_path, AtomicStore(), redact=Redactor([secret]).redact)
    service.record_error("ask", "alice", f"RuntimeError: upstream {secret}")
    assert [e.error for e in service.errors()] == [f"RuntimeError: upstream {REDACTED}"]


async def test_hook_history_keeps_redacted_errors() -> None:
    secret = a_secret()
    service = EventHookService(bot=bot_with(Redactor([secret])))

    async def leaky(bot: object, **_: object) -> None:
        raise RuntimeError(f"could not post with {secret}")

    service.register("command_error", leaky)
    service.start()
    try:
        await service.emit("command_error")
        await service.drain()
    finally:
        await service.stop()
    (execution,) = service.history()
    assert execution.error == f"RuntimeError: could not post with {REDACTED}"
    assert all(secret not in (h.last_error or "") for h in service.hooks())
