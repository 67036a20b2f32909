"""Typed config.json schema: dataclasses, defaults, parsing and serialisation.

Every key is a dataclass field whose metadata carries its check and a one-line
help text, so parsing, defaults, ``to_dict`` and :func:`describe_keys` all come
from the same declarations.
"""

from __future__ import annotations

import difflib
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from ..refusals import REPLY_WINDOW_SECONDS
from . import _checks as c
from ._errors import ConfigError

__all__ = [
    "ACTIVITY_TYPES",
    "CHUNKING_STRATEGIES",
    "LOG_LEVELS",
    "STATUS_VARIABLES",
    "BuiltinCommandsConfig",
    "CommandSyncConfig",
    "Config",
    "ConfigKey",
    "CooldownsConfig",
    "DatabaseConfig",
    "ExtensionsConfig",
    "FrameworkConfig",
    "LoggingConfig",
    "MembersConfig",
    "SlashLimiterConfig",
    "StartupConfig",
    "StatusConfig",
    "StatusEntry",
    "default_config",
    "describe_keys",
    "parse_config",
]

ACTIVITY_TYPES = ("playing", "watching", "listening", "competing")
CHUNKING_STRATEGIES = ("auto", "startup", "lazy", "off")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
STATUS_VARIABLES = ("guilds", "users", "commands")
_STATUS_TEXT = c.template(128, STATUS_VARIABLES)


def _meta(check: c.Check, doc: str) -> dict[str, Any]:
    return {"check": check, "doc": doc}


def _key(default: Any, check: c.Check, doc: str) -> Any:
    """Declare a leaf key with an immutable default."""
    return field(default=default, metadata=_meta(check, doc))


def _sec(cls: type, doc: str) -> dict[str, Any]:
    return {"section": cls, "doc": doc}


@dataclass(slots=True)
class StatusEntry:
    """One presence shown by the status rotator."""

    type: str = _key("watching", c.choice(ACTIVITY_TYPES), "activity type")
    text: str = _key("{guilds} servers", _STATUS_TEXT, "text; may use {guilds} {users} {commands}")

    def render(self, *, guilds: int, users: int, commands: int) -> str:
        """The text with its variables filled in."""
        return self.text.format(guilds=guilds, users=users, commands=commands)


def _status_list(path: str, value: object) -> list[StatusEntry]:
    if not isinstance(value, list):
        c.fail(path, 'a list of {"type": ..., "text": ...} objects', value)
    entries: list[StatusEntry] = []
    for i, item in enumerate(value):
        item_path = f"{path}[{i}]"
        if not isinstance(item, dict) or "text" not in item:
            c.fail(item_path, 'an object like {"type": "watching", "text": "..."}', item)
        entries.append(_parse_section(StatusEntry, item, item_path, [], {}))
    return entries


@dataclass(slots=True)
class StatusConfig:
    """Bot presence. ``type``/``text`` is the first status; ``rotation`` adds more."""

    type: str = _key("watching", c.choice(ACTIVITY_TYPES), "activity type of the main status")
    text: str = _key(
        "{guilds} servers", _STATUS_TEXT, "main status text; {guilds} {users} {commands}"
    )
    rotation: list[StatusEntry] = field(
        default_factory=list,
        metadata=_meta(_status_list, "extra statuses rotated after the main one"),
    )
    interval: int = _key(60, c.integer(15, 86400), "seconds between status changes when rotating")

    def entries(self) -> list[StatusEntry]:
        """Every status in rotation order, the main one first."""
        return [StatusEntry(self.type, self.text), *self.rotation]


@dataclass(slots=True)
class DatabaseConfig:
    base_path: str = _key("./data", c.text(4096), "directory for main.db and per-guild databases")
    guild_pool_size: int = _key(32, c.integer(1, 4096), "max open per-guild connections (LRU)")
    usage_flush_interval: int = _key(10, c.integer(1, 3600), "seconds between usage-stat flushes")

    def resolve(self, bot_dir: Path) -> Path:
        """``base_path`` as an absolute path; relative paths are taken from ``bot_dir``."""
        base = Path(self.base_path).expanduser()
        return base if base.is_absolute() else (bot_dir / base).resolve()


@dataclass(slots=True)
class LoggingConfig:
    level: str = _key(
        "INFO", c.choice(LOG_LEVELS, upper=True), "DEBUG, INFO, WARNING, ERROR, CRITICAL"
    )
    max_bytes: int = _key(10_485_760, c.integer(1024, 2**31), "permanent.log size before rotation")
    backup_count: int = _key(5, c.integer(1, 1000), "rotated permanent.log files kept")


@dataclass(slots=True)
class ExtensionsConfig:
    auto_load: bool = _key(True, c.boolean, "load every extension in extensions/ at start")
    blacklist: list[str] = field(
        default_factory=list, metadata=_meta(c.string_list, "extension names never auto-loaded")
    )


@dataclass(slots=True)
class CooldownsConfig:
    default_rate: int = _key(3, c.integer(1, 10_000), "uses allowed per period")
    default_per: float = _key(5.0, c.number(0, 86400, above_lo=True), "period in seconds")
    error_reply_window: float = _key(
        REPLY_WINDOW_SECONDS,
        c.number(0, 3600),
        "seconds in which a member gets one refusal/error reply at most (0: no limit)",
    )


@dataclass(slots=True)
class SlashLimiterConfig:
    max_limit: int = _key(100, c.integer(1, 100), "Discord's slash command cap (keep 100)")
    warning_threshold: int = _key(90, c.integer(1, 100), "command count that logs a warning")
    safe_limit: int = _key(95, c.integer(1, 100), "count from which new commands are prefix-only")


@dataclass(slots=True)
class BuiltinCommandsConfig:
    """Zoryx's own commands (from ``cogs.*``): turn some off or give them another name.

    A name may be a command or one of its aliases; turning off or renaming a command
    covers its prefix and its slash form.
    """

    disabled: list[str] = field(
        default_factory=list,
        metadata=_meta(c.command_names, "built-in commands or aliases turned off"),
    )
    renamed: dict[str, str] = field(
        default_factory=dict,
        metadata=_meta(c.command_renames, 'built-in name -> new name, e.g. {"help": "zhelp"}'),
    )


@dataclass(slots=True)
class CommandSyncConfig:
    """Automatic slash command sync after extensions are loaded, reloaded or unloaded."""

    auto_sync: bool = _key(True, c.boolean, "sync slash commands after extension changes")
    debounce: float = _key(
        1.5, c.number(0, 60, above_lo=True), "seconds of quiet after the last change before a sync"
    )


@dataclass(slots=True)
class MembersConfig:
    """When the bot loads each guild's full member list ("chunking", paced by Discord's
    gateway limit of 120 sends per 60 s). See README, Configuration."""

    chunking: str = _key(
        "auto",
        c.choice(CHUNKING_STRATEGIES),
        "auto: at start-up on shards with at most auto_limit guilds, else lazily; "
        "startup: before a shard is ready; lazy: on first use; off: never",
    )
    auto_limit: int = _key(
        100, c.integer(0, 100_000), "auto: largest shard (in guilds) still chunked at start-up"
    )


@dataclass(slots=True)
class StartupConfig:
    """How long start-up may go without progress, and how often it reports."""

    stall_timeout: float = _key(
        120.0,
        c.number(10, 86400),
        "seconds without a new guild, member chunk or ready shard before start-up fails",
    )
    progress_interval: float = _key(
        5.0, c.number(1, 3600), "seconds between start-up progress lines (at most)"
    )


@dataclass(slots=True)
class FrameworkConfig:
    """Framework cog switches. ``ENABLE_*`` env keys override ``enable_*`` keys."""

    load_cogs: bool = _key(True, c.boolean, "load the framework cogs at all")
    enable_event_hooks: bool = _key(True, c.boolean, "event hooks system")
    enable_plugin_registry: bool = _key(True, c.boolean, "plugin registry")
    enable_framework_diagnostics: bool = _key(True, c.boolean, "framework diagnostics")
    enable_slash_command_limiter: bool = _key(True, c.boolean, "slash command limiter")
    enable_shard_monitor: bool = _key(True, c.boolean, "shard monitor")
    enable_shard_manager: bool = _key(False, c.boolean, "multi-process shard manager (IPC)")
    enable_backup_restore: bool = _key(True, c.boolean, "guild backup and restore")
    enable_ai_assistant: bool = _key(True, c.boolean, "Gemini AI assistant (needs GEMINI_API_KEY)")


@dataclass(slots=True)
class Config:
    """The whole config.json. Build with :func:`parse_config` or :func:`default_config`.

    ``warnings`` lists unknown and duplicate keys found while parsing; ``extra``
    keeps unknown keys (dotted path -> value) so saving does not drop them.
    Neither takes part in equality.
    """

    prefix: str = _key("!", c.text(10), "default command prefix")
    allow_mention_prefix: bool = _key(True, c.boolean, "accept @bot as a prefix")
    allow_mass_mentions: bool = _key(
        False,
        c.boolean,
        "let the bot's messages ping @everyone, @here and roles by default "
        "(off: a command opts in with allowed_mentions)",
    )
    owner_ids: list[int] = field(
        default_factory=list,
        metadata=_meta(c.id_list, "extra owner IDs (BOT_OWNER_ID comes from .env)"),
    )
    auto_reload: bool = _key(True, c.boolean, "reload extensions when their files change")
    status: StatusConfig = field(
        default_factory=StatusConfig, metadata=_sec(StatusConfig, "bot presence")
    )
    database: DatabaseConfig = field(
        default_factory=DatabaseConfig, metadata=_sec(DatabaseConfig, "SQLite storage")
    )
    logging: LoggingConfig = field(
        default_factory=LoggingConfig, metadata=_sec(LoggingConfig, "log files under botlogs/")
    )
    extensions: ExtensionsConfig = field(
        default_factory=ExtensionsConfig, metadata=_sec(ExtensionsConfig, "extension loading")
    )
    cooldowns: CooldownsConfig = field(
        default_factory=CooldownsConfig, metadata=_sec(CooldownsConfig, "default command cooldown")
    )
    command_permissions: dict[str, list[int]] = field(
        default_factory=dict,
        metadata=_meta(c.permission_map, "command name -> role IDs allowed to use it"),
    )
    slash_limiter: SlashLimiterConfig = field(
        default_factory=SlashLimiterConfig,
        metadata=_sec(SlashLimiterConfig, "slash command cap guard"),
    )
    framework: FrameworkConfig = field(
        default_factory=FrameworkConfig, metadata=_sec(FrameworkConfig, "framework cog switches")
    )
    builtin_commands: BuiltinCommandsConfig = field(
        default_factory=BuiltinCommandsConfig,
        metadata=_sec(BuiltinCommandsConfig, "turn off or rename Zoryx's own commands"),
    )
    command_sync: CommandSyncConfig = field(
        default_factory=CommandSyncConfig,
        metadata=_sec(CommandSyncConfig, "automatic slash command sync"),
    )
    members: MembersConfig = field(
        default_factory=MembersConfig,
        metadata=_sec(MembersConfig, "member list loading (chunking)"),
    )
    startup: StartupConfig = field(
        default_factory=StartupConfig,
        metadata=_sec(StartupConfig, "start-up watchdog and progress lines"),
    )
    warnings: list[str] = field(default_factory=list, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict (unknown keys from ``extra`` put back in place)."""
        data: dict[str, Any] = _to_json(self)
        for dotted, value in self.extra.items():
            head, _, tail = dotted.partition(".")
            if not tail:
                data.setdefault(head, value)
            elif isinstance(data.get(head), dict):
                data[head].setdefault(tail, value)
        return data


_INTERNAL = frozenset({"warnings", "extra"})
_T = TypeVar("_T")


def _user_fields(cls: type) -> list[Any]:
    return [f for f in fields(cls) if f.name not in _INTERNAL]


def _to_json(obj: object) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: _to_json(getattr(obj, f.name)) for f in _user_fields(type(obj))}
    if isinstance(obj, list):
        return [_to_json(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _to_json(v) for k, v in obj.items()}
    return obj


def _parse_section(
    cls: type[_T], raw: object, path: str, warnings: list[str], extra: dict[str, Any]
) -> _T:
    if not isinstance(raw, dict):
        c.fail(path or "the top level", "a JSON object", raw)
    known = _user_fields(cls)
    names = [f.name for f in known]
    values: dict[str, Any] = {}
    for f in known:
        if f.name not in raw:
            continue
        key_path = f"{path}.{f.name}" if path else f.name
        section = f.metadata.get("section")
        if section is not None:
            values[f.name] = _parse_section(section, raw[f.name], key_path, warnings, extra)
        else:
            values[f.name] = f.metadata["check"](key_path, raw[f.name])
    for name in raw:
        if name in names:
            continue
        key_path = f"{path}.{name}" if path else name
        close = difflib.get_close_matches(name, names, n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        warnings.append(
            f'unknown key "{key_path}" is not a Zoryx setting (kept for extensions: '
            f'bot.config.get("{key_path}")){hint}'
        )
        extra[key_path] = raw[name]
    return cls(**values)


def _cross_check(config: Config) -> None:
    s = config.slash_limiter
    pairs = (
        ("warning_threshold", s.warning_threshold, "safe_limit", s.safe_limit),
        ("safe_limit", s.safe_limit, "max_limit", s.max_limit),
    )
    for low_name, low, high_name, high in pairs:
        if low > high:
            raise ConfigError(
                f"slash_limiter.{low_name} ({low}) must not exceed "
                f"slash_limiter.{high_name} ({high})",
                key=f"slash_limiter.{low_name}",
            )
    builtins = config.builtin_commands
    for name in builtins.disabled:
        if name in builtins.renamed:
            raise ConfigError(
                f'builtin_commands: "{name}" is both disabled and renamed; choose one',
                key=f"builtin_commands.renamed.{name}",
            )
    if config.prefix != config.prefix.strip():
        raise ConfigError(
            f"prefix must not start or end with spaces, got {c.describe_value(config.prefix)}",
            key="prefix",
        )


def parse_config(raw: object, *, duplicates: list[str] | None = None) -> Config:
    """Validate a decoded config.json and fill missing keys from the defaults.

    Args:
        raw: the decoded JSON document.
        duplicates: dotted keys that appeared twice in the file (for warnings).

    Raises:
        ConfigError: naming the first bad key path.
    """
    warnings = [
        f'key "{k}" appears more than once; the last value is used' for k in duplicates or ()
    ]
    extra: dict[str, Any] = {}
    config = _parse_section(Config, raw, "", warnings, extra)
    _cross_check(config)
    config.warnings = warnings
    config.extra = extra
    return config


def default_config() -> Config:
    """A fresh config with every default."""
    return Config()


@dataclass(frozen=True, slots=True)
class ConfigKey:
    """One documented config.json key (for help screens and config editors)."""

    path: str
    default: Any
    doc: str


def describe_keys(cls: type = Config, prefix: str = "") -> list[ConfigKey]:
    """Every leaf key of the schema with its default and help text, in file order."""
    keys: list[ConfigKey] = []
    for f in _user_fields(cls):
        path = f"{prefix}{f.name}"
        section = f.metadata.get("section")
        if section is not None:
            keys.extend(describe_keys(section, f"{path}."))
            continue
        default = f.default_factory() if f.default is MISSING else f.default
        keys.append(ConfigKey(path, _to_json(default), f.metadata.get("doc", "")))
    return keys
