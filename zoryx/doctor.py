"""``zoryx doctor``: check a bot directory before running it."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .config import ConfigError, check_settings, load_config, load_env


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False


def run_checks(bot_dir: Path) -> list[Check]:
    """Every check, in order; a failed check never stops the later ones."""
    checks: list[Check] = []
    try:
        import discord

        from .sandbox import SandboxVersionError, check_discord_version

        try:
            check_discord_version()
            checks.append(Check("discord.py", True, f"version {discord.__version__}"))
        except SandboxVersionError as exc:
            checks.append(Check("discord.py", False, str(exc)))
    except ImportError:
        checks.append(Check("discord.py", False, "discord.py is not installed"))
    config = None
    config_path = bot_dir / "config.json"
    if not config_path.exists():
        checks.append(Check("config.json", False, f"{config_path} is missing (run `zoryx init`)"))
    else:
        try:
            config = load_config(bot_dir, create=False)
            detail = "valid" + (
                f"; warnings: {'; '.join(config.warnings)}" if config.warnings else ""
            )
            checks.append(Check("config.json", True, detail, warning=bool(config.warnings)))
        except ConfigError as exc:
            checks.append(Check("config.json", False, str(exc)))
    env = None
    try:
        env = load_env(bot_dir)
        if env.sandbox:
            checks.append(
                Check(
                    ".env",
                    True,
                    "no DISCORD_TOKEN: the bot will run on the sandbox "
                    "Discord (set a token in .env to go live)",
                    warning=True,
                )
            )
        else:
            checks.append(Check(".env", True, "DISCORD_TOKEN is set"))
        if config is not None:
            check_settings(config, env)
    except ConfigError as exc:
        checks.append(Check(".env", False, str(exc)))
    if config is not None:
        from .builtin_commands import check_builtin_commands

        try:
            check_builtin_commands(config)
        except ConfigError as exc:
            checks.append(Check("builtin_commands", False, str(exc)))
        data_dir = config.database.resolve(bot_dir)
        checks.append(_writable("data directory", data_dir))
    checks.append(_writable("log directory", bot_dir / "botlogs"))
    ext = bot_dir / "extensions"
    checks.append(
        Check(
            "extensions",
            ext.is_dir(),
            f"{len(list(ext.glob('*.py')))} extension file(s)"
            if ext.is_dir()
            else f"{ext} is missing",
        )
    )
    if ext.is_dir():
        checks.append(_extension_syntax(bot_dir, ext))
    checks.append(
        Check(
            "intents",
            True,
            "Zoryx requests the privileged Message Content and Server Members intents: enable "
            "them in the Developer Portal (Bot → Privileged Gateway Intents)"
            if env is not None and not env.sandbox
            else "the sandbox grants every intent",
            warning=env is not None and not env.sandbox,
        )
    )
    return checks


def _extension_files(ext_dir: Path) -> list[Path]:
    """The files the extension loader would import: modules and whole packages."""
    files: list[Path] = []
    for entry in sorted(ext_dir.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        if entry.is_file() and entry.suffix == ".py":
            files.append(entry)
        elif entry.is_dir() and (entry / "__init__.py").is_file():
            files.extend(sorted(entry.rglob("*.py")))
    return files


def _extension_syntax(bot_dir: Path, ext_dir: Path) -> Check:
    """Compile every extension file (nothing runs) and report each syntax error."""
    files = _extension_files(ext_dir)
    errors: list[str] = []
    for path in files:
        where = path.relative_to(bot_dir).as_posix()
        try:
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        except SyntaxError as exc:
            errors.append(f"{where} line {exc.lineno}: {exc.msg}")
        except (OSError, ValueError) as exc:
            errors.append(f"{where}: {exc}")
    if errors:
        return Check("extension syntax", False, "; ".join(errors))
    return Check("extension syntax", True, f"{len(files)} file(s) compile")


def _writable(name: str, path: Path) -> Check:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-", delete=True) as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
        return Check(name, True, f"{path} is writable")
    except OSError as exc:
        return Check(name, False, f"{path} is not writable: {exc.strerror or exc}")
