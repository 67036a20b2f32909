"""``.env`` settings: secrets, sharding, backups, diagnostics and the AI assistant.

Precedence: a variable set in the real process environment wins over the same
key in ``bot_dir/.env`` (the python-dotenv convention, so a deployment can
override a checked-in file). Empty values count as unset.

For the framework switches, a set ``ENABLE_*`` variable wins over the matching
``framework.enable_*`` key of config.json; an unset one defers to config.json
(see :data:`TOGGLE_ENV_KEYS` and :func:`effective_toggles`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from dotenv import dotenv_values

from ._errors import ConfigError
from ._schema import Config, FrameworkConfig
from ._secrets import config_secrets, is_placeholder, is_secret_key, setting_secrets

__all__ = [
    "ENV_FILENAME",
    "TOGGLE_ENV_KEYS",
    "EnvSettings",
    "check_settings",
    "effective_toggles",
    "is_placeholder",
    "is_secret_key",
    "load_env",
    "owner_ids",
    "parse_env",
    "secrets",
]

ENV_FILENAME = ".env"

#: framework.<config key> -> env key that overrides it when set.
TOGGLE_ENV_KEYS: Mapping[str, str] = {
    "enable_event_hooks": "ENABLE_EVENT_HOOKS",
    "enable_plugin_registry": "ENABLE_PLUGIN_REGISTRY",
    "enable_framework_diagnostics": "ENABLE_FRAMEWORK_DIAGNOSTICS",
    "enable_slash_command_limiter": "ENABLE_SLASH_COMMAND_LIMITER",
    "enable_shard_monitor": "ENABLE_SHARD_MONITOR",
    "enable_shard_manager": "ENABLE_SHARD_MANAGER",
    "enable_backup_restore": "ENABLE_BACKUP_RESTORE",
    "enable_ai_assistant": "ENABLE_AI_ASSISTANT",
}

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_MIN_IPC_SECRET = 16
#: Keys of the earlier hand-written IPC transport; the cluster bus now runs over Redis.
_RETIRED_KEYS = ("SHARD_IPC_MODE", "SHARD_IPC_HOST", "SHARD_IPC_PORT")
_REDIS_SCHEMES = ("redis", "rediss", "unix")


@dataclass(frozen=True, slots=True)
class EnvSettings:
    """Typed ``.env`` values. Secret fields are left out of ``repr``.

    ``discord_token`` is None when absent, empty or a placeholder: the runtime
    then starts the embedded sandbox instead of connecting to Discord.
    ``toggle_overrides`` holds only the ``ENABLE_*`` switches that were set,
    keyed by their config.json name.
    """

    discord_token: str | None = field(default=None, repr=False)
    bot_owner_id: int | None = None
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    shard_alert_threshold: int = 3
    shard_ipc_secret: str | None = field(default=None, repr=False)
    shard_cluster_name: str = "cluster-0"
    #: REDIS_URL, or SHARD_REDIS_URL when set (it wins); may hold a password.
    redis_url: str | None = field(default=None, repr=False)
    backup_max_per_guild: int = 25
    backup_cooldown: int = 300
    backup_auto_interval: int = 0
    backup_retention_days: int = 0
    fw_loop_lag_threshold_ms: int = 500
    gemini_api_key: str | None = field(default=None, repr=False)
    gemini_model: str = "gemini-2.5-flash-lite"
    sandbox_url: str | None = None
    sandbox_token: str | None = field(default=None, repr=False)
    #: Values of every secret-named key (``*_TOKEN``, ``*_KEY``, ``*_PASSWORD``…) and URL
    #: passwords, from .env and the process environment: what logs and faces redact.
    secret_values: tuple[str, ...] = field(default=(), repr=False)
    toggle_overrides: Mapping[str, bool] = field(default_factory=dict, hash=False)
    env_file: Path | None = None
    #: Notes for the log about keys that were set but are no longer used.
    notices: tuple[str, ...] = ()

    @property
    def sandbox(self) -> bool:
        """True when the bot runs on a sandbox Discord: no usable token is configured (the
        runtime starts one), or ``ZORYX_SANDBOX_URL`` names a running one to attach to."""
        return self.discord_token is None or self.sandbox_url is not None


class _Reader:
    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values

    def raw(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None or not value.strip():
            return None
        return value.strip()

    def boolean(self, key: str) -> bool | None:
        value = self.raw(key)
        if value is None:
            return None
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ConfigError(f"{key} must be true/false (yes/no, on/off, 1/0), got {value!r}", key=key)

    def optional_integer(self, key: str, lo: int, hi: int) -> int | None:
        value = self.raw(key)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            number = lo - 1
        if not lo <= number <= hi:
            raise ConfigError(
                f"{key} must be an integer between {lo} and {hi}, got {value!r}", key=key
            )
        return number

    def integer(self, key: str, default: int, lo: int, hi: int) -> int:
        number = self.optional_integer(key, lo, hi)
        return default if number is None else number

    def text(self, key: str, default: str) -> str:
        return self.raw(key) or default

    def secret(self, key: str) -> str | None:
        value = self.raw(key)
        return None if value is None or is_placeholder(value) else value


def _shard_ids(reader: _Reader, count: int | None) -> tuple[int, ...] | None:
    value = reader.raw("SHARD_IDS")
    if value is None:
        return None
    if count is None:
        raise ConfigError("SHARD_IDS needs SHARD_COUNT to be set as well", key="SHARD_IDS")
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts or not all(p.isascii() and p.isdigit() for p in parts):
        raise ConfigError(
            f"SHARD_IDS must be comma-separated shard numbers like 0,1, got {value!r}",
            key="SHARD_IDS",
        )
    ids = tuple(int(p) for p in parts)
    bad = [i for i in ids if i >= count]
    if bad:
        raise ConfigError(
            f"SHARD_IDS contains {bad[0]}, but shard IDs must be below SHARD_COUNT ({count})",
            key="SHARD_IDS",
        )
    if len(set(ids)) != len(ids):
        raise ConfigError(f"SHARD_IDS lists a shard twice: {value!r}", key="SHARD_IDS")
    return ids


def _owner_id(reader: _Reader) -> int | None:
    value = reader.raw("BOT_OWNER_ID")
    if value is None or is_placeholder(value):
        return None
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 2**64:
        raise ConfigError(
            f"BOT_OWNER_ID must be a Discord user ID (digits only), got {value!r}",
            key="BOT_OWNER_ID",
        )
    return int(value)


def _sandbox_link(reader: _Reader) -> tuple[str | None, str | None]:
    """``ZORYX_SANDBOX_URL`` and ``ZORYX_SANDBOX_TOKEN`` (the control token), checked."""
    url, token = reader.raw("ZORYX_SANDBOX_URL"), reader.raw("ZORYX_SANDBOX_TOKEN")
    if url is None:
        return None, None
    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(
            f"ZORYX_SANDBOX_URL must be the sandbox's http:// address, got {url!r}",
            key="ZORYX_SANDBOX_URL",
        )
    if token is None:
        raise ConfigError(
            "ZORYX_SANDBOX_TOKEN (the sandbox's control token) must be set with ZORYX_SANDBOX_URL",
            key="ZORYX_SANDBOX_TOKEN",
        )
    return url.rstrip("/"), token


def _redis_url(reader: _Reader) -> str | None:
    """``SHARD_REDIS_URL`` or else ``REDIS_URL``, checked. Messages never repeat the URL:
    it may hold a password."""
    key = "SHARD_REDIS_URL" if reader.raw("SHARD_REDIS_URL") is not None else "REDIS_URL"
    url = reader.raw(key)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"{key} is not a valid URL (redis://host:6379/0)", key=key) from None
    if parts.scheme not in _REDIS_SCHEMES:
        raise ConfigError(f"{key} must start with redis://, rediss:// (TLS) or unix://", key=key)
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigError(f"{key} names no host (redis://host:6379/0)", key=key)
    if parts.scheme == "unix" and not parts.path:
        raise ConfigError(f"{key} names no socket path (unix:///run/redis.sock)", key=key)
    if "password" in parse_qs(parts.query):
        raise ConfigError(
            f"{key}: put the password before the host (redis://:password@host:6379/0), "
            "not in the query string",
            key=key,
        )
    return url


def parse_env(values: Mapping[str, str], *, env_file: Path | None = None) -> EnvSettings:
    """Build :class:`EnvSettings` from an already merged key -> value mapping."""
    r = _Reader(values)
    notices = tuple(
        f"{key} is no longer used (clusters now meet over Redis: set REDIS_URL); ignored"
        for key in _RETIRED_KEYS
        if r.raw(key) is not None
    )
    count = r.optional_integer("SHARD_COUNT", 1, 100_000)
    overrides = {
        name: flag for name, key in TOGGLE_ENV_KEYS.items() if (flag := r.boolean(key)) is not None
    }
    sandbox_url, sandbox_token = _sandbox_link(r)
    return EnvSettings(
        discord_token=r.secret("DISCORD_TOKEN"),
        bot_owner_id=_owner_id(r),
        shard_count=count,
        shard_ids=_shard_ids(r, count),
        shard_alert_threshold=r.integer("SHARD_ALERT_THRESHOLD", 3, 1, 1000),
        shard_ipc_secret=r.raw("SHARD_IPC_SECRET"),
        shard_cluster_name=r.text("SHARD_CLUSTER_NAME", "cluster-0"),
        redis_url=_redis_url(r),
        backup_max_per_guild=r.integer("BACKUP_MAX_PER_GUILD", 25, 1, 10_000),
        backup_cooldown=r.integer("BACKUP_COOLDOWN", 300, 0, 86_400),
        backup_auto_interval=r.integer("BACKUP_AUTO_INTERVAL", 0, 0, 168),
        backup_retention_days=r.integer("BACKUP_RETENTION_DAYS", 0, 0, 36_500),
        fw_loop_lag_threshold_ms=r.integer("FW_LOOP_LAG_THRESHOLD_MS", 500, 1, 600_000),
        gemini_api_key=r.secret("GEMINI_API_KEY"),
        gemini_model=r.text("GEMINI_MODEL", "gemini-2.5-flash-lite"),
        sandbox_url=sandbox_url,
        sandbox_token=sandbox_token,
        secret_values=tuple(
            dict.fromkeys(s for key, value in values.items() for s in setting_secrets(key, value))
        ),
        toggle_overrides=overrides,
        env_file=env_file,
        notices=notices,
    )


def load_env(
    bot_dir: Path, *, environ: Mapping[str, str] | None = None, apply: bool = False
) -> EnvSettings:
    """Read ``bot_dir/.env`` merged with the process environment.

    Args:
        bot_dir: directory holding the optional ``.env`` file.
        environ: the process environment to merge (default ``os.environ``); it
            wins over the file for any key set in both.
        apply: also copy the file's keys into ``os.environ`` where not already
            set (for third-party code that calls ``os.getenv``). Off by default:
            nothing global changes.

    Raises:
        ConfigError: naming the first bad key.
    """
    path = bot_dir / ENV_FILENAME
    file_values: dict[str, str] = {}
    found = path.is_file()
    if found:
        try:
            loaded = dotenv_values(path, encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the file: {exc}", file=str(path)) from None
        file_values = {k: v for k, v in loaded.items() if v is not None}
    process = os.environ if environ is None else environ
    merged = {**file_values, **{k: v for k, v in process.items() if v.strip()}}
    try:
        settings = parse_env(merged, env_file=path if found else None)
    except ConfigError as exc:
        from_file = exc.key in file_values and not (process.get(exc.key or "") or "").strip()
        raise (exc.in_file(str(path)) if from_file else exc) from None
    if apply:
        for key, value in file_values.items():
            os.environ.setdefault(key, value)
    return settings


def effective_toggles(config: Config, env: EnvSettings) -> dict[str, bool]:
    """Every ``framework`` switch after applying ``ENABLE_*`` overrides.

    The rule is the same for every switch: a set env key wins, otherwise the
    config.json value counts. ``load_cogs`` has no env key.
    """
    result = {f: bool(getattr(config.framework, f)) for f in FrameworkConfig.__dataclass_fields__}
    result.update(env.toggle_overrides)
    return result


def secrets(env: EnvSettings, config: Config | None = None) -> list[str]:
    """The secret values to redact: the token, IPC secret, Gemini key and sandbox token,
    every other secret-named .env / environment value and URL password, and (given
    ``config``) config.json values under secret-named keys."""
    values = [env.discord_token, env.shard_ipc_secret, env.gemini_api_key, env.sandbox_token]
    values += env.secret_values
    if config is not None:
        values += config_secrets(config.to_dict())
    return list(dict.fromkeys(v for v in values if v))


def owner_ids(config: Config, env: EnvSettings) -> frozenset[int]:
    """``BOT_OWNER_ID`` plus config.json ``owner_ids``."""
    ids = set(config.owner_ids)
    if env.bot_owner_id is not None:
        ids.add(env.bot_owner_id)
    return frozenset(ids)


def check_settings(config: Config, env: EnvSettings) -> None:
    """Checks that need both files; call once both are loaded.

    Raises:
        ConfigError: when the shard manager is on without a private IPC secret
            of at least 16 characters (the reference's ``change_me_please`` and
            other placeholders are refused).
    """
    if not effective_toggles(config, env)["enable_shard_manager"]:
        return
    secret = env.shard_ipc_secret
    if not secret or is_placeholder(secret) or len(secret) < _MIN_IPC_SECRET:
        raise ConfigError(
            f"SHARD_IPC_SECRET must be a private value of at least {_MIN_IPC_SECRET} "
            "characters when the shard manager is enabled",
            key="SHARD_IPC_SECRET",
        )
