"""Operator file actions and links (issue 13): act on a link itself, never leak a secret.

Driven through the operator API exactly as the console and owner commands call it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zoryx.operator import CONSOLE_OWNER, Actor, OperatorError, Role
from zoryx.operator.paths import PathRefused, check_path, is_secret
from zoryx.runtime import Runtime

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.very-secret-token-value"
VISITOR = Actor("guest", Role.VISITOR, "web")


def plant_env(bot_dir: Path) -> Path:
    env = bot_dir / ".env"
    env.write_text(f"DISCORD_TOKEN={TOKEN}\n", encoding="utf-8")
    return env


async def audit_targets(runtime: Runtime, action: str) -> list[str]:
    records = await runtime.bot.operator.audit.recent(50)
    return [r.target for r in records if r.action == action]


async def test_delete_of_a_link_to_data_removes_the_link_not_the_data(runtime: Runtime) -> None:
    api, bot_dir = runtime.bot.operator, runtime.bot_dir
    data = bot_dir / "data"
    assert (data / "main.db").is_file()
    kept = sorted(p.name for p in data.iterdir())
    os.symlink(data, bot_dir / "shortcut")
    await api.delete_file(CONSOLE_OWNER, "shortcut")
    assert not (bot_dir / "shortcut").is_symlink()
    assert (data / "main.db").is_file()
    assert sorted(p.name for p in data.iterdir()) == kept
    [target] = await audit_targets(runtime, "delete_file")
    assert target == "shortcut (link to data): removed the link only"


async def test_rename_through_a_link_moves_the_link_not_env(runtime: Runtime) -> None:
    api, bot_dir = runtime.bot.operator, runtime.bot_dir
    env = plant_env(bot_dir)
    os.symlink(".env", bot_dir / "settings.txt")
    await api.rename_file(CONSOLE_OWNER, "settings.txt", "extensions/moved.txt")
    assert env.read_text(encoding="utf-8") == f"DISCORD_TOKEN={TOKEN}\n"
    assert (bot_dir / "extensions" / "moved.txt").is_symlink()
    assert not (bot_dir / "settings.txt").is_symlink()
    [target] = await audit_targets(runtime, "rename_file")
    assert target.startswith("settings.txt (link to .env)") and "moved the link" in target


async def test_write_and_read_through_a_link_to_env_are_refused(runtime: Runtime) -> None:
    api, bot_dir = runtime.bot.operator, runtime.bot_dir
    env = plant_env(bot_dir)
    os.symlink(".env", bot_dir / "notes.txt")
    with pytest.raises(OperatorError, match="secret"):
        await api.write_file(CONSOLE_OWNER, "notes.txt", "DISCORD_TOKEN=attacker\n")
    assert env.read_text(encoding="utf-8") == f"DISCORD_TOKEN={TOKEN}\n"
    with pytest.raises(OperatorError, match="secret"):
        await api.read_file(VISITOR, "notes.txt")
    (bot_dir / "extensions" / "deep").mkdir()
    os.symlink("../../.env", bot_dir / "extensions" / "deep" / "cfg")
    with pytest.raises(OperatorError, match="secret"):
        await api.read_file(CONSOLE_OWNER, "extensions/deep/cfg")
    names = [e.name for e in await api.list_files(CONSOLE_OWNER, "")]
    assert "notes.txt" not in names  # a link to a secret is not listed
    [target] = await audit_targets(runtime, "write_file")
    assert target == "notes.txt"  # refused before anything was touched


async def test_link_to_an_ordinary_file_inside_still_works(runtime: Runtime) -> None:
    api, bot_dir = runtime.bot.operator, runtime.bot_dir
    (bot_dir / "docs").mkdir()
    (bot_dir / "docs" / "notes.md").write_text("# notes\n", encoding="utf-8")
    os.symlink("docs/notes.md", bot_dir / "notes-link.md")
    assert await api.read_file(CONSOLE_OWNER, "notes-link.md") == "# notes\n"
    await api.write_file(CONSOLE_OWNER, "notes-link.md", "# changed\n")
    assert (bot_dir / "docs" / "notes.md").read_text(encoding="utf-8") == "# changed\n"
    assert (bot_dir / "notes-link.md").is_symlink()
    [target] = await audit_targets(runtime, "write_file")
    assert target == "notes-link.md (link to docs/notes.md)"
    entry = next(e for e in await api.list_files(CONSOLE_OWNER, "") if e.name == "notes-link.md")
    assert entry.path == "notes-link.md"


async def test_hard_link_to_env_is_refused(runtime: Runtime) -> None:
    api, bot_dir = runtime.bot.operator, runtime.bot_dir
    env = plant_env(bot_dir)
    os.link(env, bot_dir / "extensions" / "readme.txt")
    with pytest.raises(OperatorError, match="hard link to a secret"):
        await api.read_file(VISITOR, "extensions/readme.txt")
    with pytest.raises(OperatorError, match="hard link to a secret"):
        await api.write_file(CONSOLE_OWNER, "extensions/readme.txt", "x")
    assert env.read_text(encoding="utf-8") == f"DISCORD_TOKEN={TOKEN}\n"
    # an ordinary file with several names is fine
    (bot_dir / "a.txt").write_text("plain\n", encoding="utf-8")
    os.link(bot_dir / "a.txt", bot_dir / "b.txt")
    assert await api.read_file(VISITOR, "b.txt") == "plain\n"


async def test_link_out_of_the_bot_dir_and_live_databases_are_refused(runtime: Runtime) -> None:
    api, bot_dir = runtime.bot.operator, runtime.bot_dir
    outside = bot_dir.parent / f"{bot_dir.name}-outside.txt"
    outside.write_text("elsewhere\n", encoding="utf-8")
    os.symlink(outside, bot_dir / "out.txt")
    with pytest.raises(OperatorError, match="outside"):
        await api.read_file(CONSOLE_OWNER, "out.txt")
    with pytest.raises(OperatorError, match="outside"):
        await api.write_file(CONSOLE_OWNER, "out.txt", "overwritten")
    assert outside.read_text(encoding="utf-8") == "elsewhere\n"
    for name in ("data/main.db", "data/main.db-wal", "data/MAIN.DB-shm"):
        with pytest.raises(OperatorError, match="live database"):
            await api.read_file(CONSOLE_OWNER, name)
        with pytest.raises(OperatorError, match="live database"):
            await api.write_file(CONSOLE_OWNER, name, "garbage")
    assert (bot_dir / "data" / "main.db").read_bytes().startswith(b"SQLite format 3")


@pytest.mark.parametrize(
    "name",
    [
        ".env~",
        "#.env#",
        ".env.swp",
        "..env.swp",
        ".env.save",
        ".envrc",
        ".ENV",
        ".Env.Local",
        ".#.env",
        "..env.0123456789ab.tmp",
        "deploy.KEY",
        "deploy.key~",
    ],
)
async def test_secret_variants_are_never_read(runtime: Runtime, name: str) -> None:
    (runtime.bot_dir / name).write_text(f"DISCORD_TOKEN={TOKEN}\n", encoding="utf-8")
    with pytest.raises(OperatorError, match="secret"):
        await runtime.bot.operator.read_file(CONSOLE_OWNER, name)
    names = [e.name for e in await runtime.bot.operator.list_files(CONSOLE_OWNER, "")]
    assert name not in names


def test_secret_names_and_allowed_lookalikes() -> None:
    assert not is_secret(".env.example") and not is_secret("environment.py")
    assert not is_secret("notes.swp") and not is_secret("main.py~")


def test_folder_link_into_a_secret_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[remote]\n", encoding="utf-8")
    os.symlink(".git", tmp_path / "g")
    for follow in (True, False):  # not even deleting a file inside it
        with pytest.raises(PathRefused, match="secret"):
            check_path(tmp_path, "g/config", follow=follow)


async def test_credential_files_in_data_are_never_read(runtime: Runtime) -> None:
    # The embedded sandbox publishes its control token in data/sandbox.json.
    assert (runtime.services.config.database.resolve(runtime.bot_dir) / "sandbox.json").exists()
    for name in ("sandbox.json", "control_tokens.json"):
        with pytest.raises(OperatorError, match="secret"):
            await runtime.bot.operator.read_file(CONSOLE_OWNER, f"data/{name}")
    names = [e.name for e in await runtime.bot.operator.list_files(CONSOLE_OWNER, "data")]
    assert "sandbox.json" not in names and "zoryx.sock" not in names
