"""Reading and writing config.json (atomic writes; a broken file is never overwritten)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ._errors import ConfigError
from ._schema import Config, default_config, parse_config

__all__ = ["CONFIG_FILENAME", "dump_config", "load_config", "save_config"]

CONFIG_FILENAME = "config.json"


def dump_config(config: Config) -> str:
    """config.json text: 2-space indent, key order of the schema, trailing newline."""
    return json.dumps(config.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _atomic_write_text(path: Path, text: str) -> None:
    """Write via a temp file in the same directory, fsync, rename, fsync the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if os.name == "posix":
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _decode(path: Path, text: str) -> tuple[Any, list[str]]:
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in items:
            if key in obj:
                duplicates.append(key)
            obj[key] = value
        return obj

    try:
        return json.loads(text, object_pairs_hook=pairs), duplicates
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            file=str(path),
            line=exc.lineno,
            column=exc.colno,
        ) from None


def load_config(bot_dir: Path, *, create: bool = True) -> Config:
    """Load ``bot_dir/config.json``, validated, with missing keys filled from defaults.

    Args:
        bot_dir: the bot's root directory.
        create: when the file is missing, write the defaults there (atomically).
            With ``create=False`` the defaults are returned and nothing is written.

    Returns:
        The config; ``config.warnings`` lists unknown or duplicate keys.

    Raises:
        ConfigError: unreadable file, invalid JSON (message names file, line and
            column) or a bad value (message names the key path). The file is
            left untouched in every error case.
    """
    path = bot_dir / CONFIG_FILENAME
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        config = default_config()
        if create:
            try:
                _atomic_write_text(path, dump_config(config))
            except OSError as exc:
                raise ConfigError(f"cannot write default config: {exc}", file=str(path)) from None
        return config
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc}", file=str(path)) from None
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 text (byte {exc.start})", file=str(path)) from None
    raw, duplicates = _decode(path, text)
    try:
        return parse_config(raw, duplicates=duplicates)
    except ConfigError as exc:
        raise exc.in_file(str(path)) from None


def save_config(bot_dir: Path, config: Config) -> None:
    """Validate ``config`` and write it to ``bot_dir/config.json`` atomically.

    Raises:
        ConfigError: when a value is invalid (nothing is written then).
    """
    checked = parse_config(config.to_dict())
    path = bot_dir / CONFIG_FILENAME
    try:
        _atomic_write_text(path, dump_config(checked))
    except OSError as exc:
        raise ConfigError(f"cannot write config: {exc}", file=str(path)) from None
