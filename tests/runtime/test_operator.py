"""The operator API: path confinement, secrets, roles and the audit trail."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

import pytest

from zoryx.operator import CONSOLE_OWNER, Actor, OperatorError, PermissionDenied, Role
from zoryx.operator.paths import PathRefused, resolve_inside
from zoryx.runtime import Runtime


@pytest.mark.parametrize(
    "bad",
    [
        "../etc/passwd",
        "/etc/passwd",
        "extensions/../../x",
        ".env",
        "sub/.env.local",
        "~/x",
        "C:/x",
        "a\x00b",
    ],
)
def test_resolve_inside_refuses(tmp_path: Path, bad: str) -> None:
    with pytest.raises(PathRefused):
        resolve_inside(tmp_path, bad)


def test_symlink_out_of_the_bot_dir_is_refused(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    os.symlink(outside, tmp_path / "link")
    with pytest.raises(PathRefused, match="outside"):
        resolve_inside(tmp_path, "link/file.txt")
    assert resolve_inside(tmp_path, ".env.example") == tmp_path.resolve() / ".env.example"


async def test_file_actions_roles_and_audit(runtime: Runtime) -> None:
    api = runtime.bot.operator
    (runtime.bot_dir / ".env").write_text("DISCORD_TOKEN=secret\n")
    names = [e.name for e in await api.list_files(CONSOLE_OWNER, "")]
    assert "extensions" in names and "config.json" in names and ".env" not in names
    with pytest.raises(OperatorError):
        await api.read_file(CONSOLE_OWNER, ".env")
    path = await api.create_file(CONSOLE_OWNER, "extensions/new_one.py", "X = 1\n")
    assert path.read_text() == "X = 1\n"
    await api.write_file(CONSOLE_OWNER, "extensions/new_one.py", "X = 2\n")
    assert await api.read_file(CONSOLE_OWNER, "extensions/new_one.py") == "X = 2\n"
    await api.rename_file(CONSOLE_OWNER, "extensions/new_one.py", "extensions/renamed.py")
    assert (runtime.bot_dir / "extensions" / "renamed.py").exists()
    visitor = Actor("guest", Role.VISITOR, "web")
    with pytest.raises(PermissionDenied):
        await api.delete_file(visitor, "extensions/renamed.py")
    assert (runtime.bot_dir / "extensions" / "renamed.py").exists()
    await api.delete_file(CONSOLE_OWNER, "extensions/renamed.py")
    assert not (runtime.bot_dir / "extensions" / "renamed.py").exists()
    with pytest.raises(OperatorError, match=r"'\.\.'"):
        await api.write_file(CONSOLE_OWNER, "../escape.txt", "x")
    assert not (runtime.bot_dir.parent / "escape.txt").exists()

    records = await api.audit.recent(20)
    actions = [(r.action, r.ok, r.actor) for r in records]
    assert ("delete_file", False, "guest") in actions
    assert ("delete_file", True, "console") in actions
    assert ("write_file", False, "console") in actions
    assert ("rename_file", True, "console") in actions


async def test_extension_actions_and_messages(runtime: Runtime) -> None:
    api = runtime.bot.operator
    info = await api.reload_extension(CONSOLE_OWNER, "ping")
    assert info.reloads == 1
    await api.unload_extension(CONSOLE_OWNER, "ping")
    assert runtime.bot.get_command("ping") is None
    with pytest.raises(OperatorError, match="not loaded"):
        await api.unload_extension(CONSOLE_OWNER, "ping")
    await api.load_extension(CONSOLE_OWNER, "ping")
    assert runtime.bot.get_command("ping") is not None
    channel = runtime.sandbox.channel_id("#general")
    await api.send_message(CONSOLE_OWNER, channel, "hello from the console")
    msg = await runtime.sandbox.expect_message("#general")
    assert msg.content == "hello from the console"
    helper = Actor("helper", Role.HELPER, "discord")
    guild_id = runtime.sandbox.guild().id
    with pytest.raises(PermissionDenied):
        await api.leave_guild(helper, guild_id)
    assert runtime.bot.get_guild(guild_id) is not None


async def test_a_shutdown_is_in_the_audit_trail_after_it(runtime: Runtime) -> None:
    main_db = runtime.services.db.data_dir / "main.db"
    await runtime.bot.operator.shutdown(CONSOLE_OWNER, "maintenance")
    await runtime.wait_stopped()
    with contextlib.closing(sqlite3.connect(main_db)) as conn:
        rows = conn.execute(
            "SELECT actor, source, action, ok, detail FROM audit_log WHERE action = 'shutdown'"
        ).fetchall()
    assert rows == [("console", "console", "shutdown", 1, "reason: maintenance")]
