"""Where the control socket lives and how it may be reached (``.env`` settings).

The Unix socket ``<data_dir>/zoryx.sock`` is always on. TCP is off unless
``ZORYX_CONTROL_TCP=host:port`` is set, and then only with TLS
(``ZORYX_CONTROL_TLS_CERT`` and ``ZORYX_CONTROL_TLS_KEY``): a control connection can
shut the bot down, so it never travels in clear text. As for every ``.env`` key, a
variable of the process environment wins over the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from zoryx.config import ENV_FILENAME, ConfigError, load_config

__all__ = [
    "SOCKET_NAME",
    "TOKENS_FILE",
    "ControlSettings",
    "data_dir_of",
    "load_control_settings",
]

SOCKET_NAME = "zoryx.sock"
TOKENS_FILE = "control_tokens.json"
TCP_KEY, CERT_KEY, KEY_KEY = "ZORYX_CONTROL_TCP", "ZORYX_CONTROL_TLS_CERT", "ZORYX_CONTROL_TLS_KEY"


@dataclass(frozen=True)
class ControlSettings:
    """Where one bot's control server listens."""

    socket_path: Path
    tokens_path: Path
    tcp_host: str | None = None
    tcp_port: int | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None

    @property
    def tcp(self) -> bool:
        return self.tcp_host is not None


def data_dir_of(bot_dir: Path) -> Path:
    """The bot's data directory (config.json ``database.base_path``), without writing
    anything: a missing or broken config.json means the default ``data``."""
    try:
        config = load_config(bot_dir, create=False)
    except ConfigError:
        return bot_dir / "data"
    return config.database.resolve(bot_dir)


def _merged_env(bot_dir: Path, environ: Mapping[str, str] | None) -> dict[str, str]:
    path = bot_dir / ENV_FILENAME
    values: dict[str, str] = {}
    if path.is_file():
        try:
            loaded = dotenv_values(path, encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            loaded = {}  # load_env already reported an unreadable .env
        values = {k: v.strip() for k, v in loaded.items() if v is not None and v.strip()}
    process = os.environ if environ is None else environ
    values.update({k: v.strip() for k, v in process.items() if v.strip()})
    return values


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise ConfigError(
            f"{TCP_KEY} must be host:port (e.g. 127.0.0.1:8765), got {value!r}", key=TCP_KEY
        )
    return host, int(port)


def load_control_settings(
    bot_dir: Path, data_dir: Path, environ: Mapping[str, str] | None = None
) -> ControlSettings:
    """Read the ``ZORYX_CONTROL_*`` settings of ``bot_dir``.

    Raises:
        ConfigError: TCP asked for without a TLS certificate and key, or a bad address.
    """
    env = _merged_env(bot_dir, environ)
    base = ControlSettings(socket_path=data_dir / SOCKET_NAME, tokens_path=data_dir / TOKENS_FILE)
    tcp = env.get(TCP_KEY)
    if tcp is None:
        return base
    host, port = _host_port(tcp)
    cert, key = env.get(CERT_KEY), env.get(KEY_KEY)
    if cert is None or key is None:
        raise ConfigError(
            f"{TCP_KEY} is set but TLS is not: the control socket is never served over TCP "
            f"without TLS; set {CERT_KEY} and {KEY_KEY} (or remove {TCP_KEY})",
            key=TCP_KEY,
        )
    paths = [bot_dir / Path(p).expanduser() for p in (cert, key)]  # absolute paths win
    for name, path in zip((CERT_KEY, KEY_KEY), paths, strict=True):
        if not path.is_file():
            raise ConfigError(f"{name}: no file at {path}", key=name)
    return ControlSettings(
        socket_path=base.socket_path,
        tokens_path=base.tokens_path,
        tcp_host=host,
        tcp_port=port,
        tls_cert=paths[0],
        tls_key=paths[1],
    )
