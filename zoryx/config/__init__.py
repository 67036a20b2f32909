"""Zoryx configuration: ``config.json`` (typed, validated) and ``.env`` settings.

Typical start-up::

    config = load_config(bot_dir)          # writes defaults on first run
    env = load_env(bot_dir)                # process env wins over .env
    check_settings(config, env)
    toggles = effective_toggles(config, env)
    handles = setup_logging(bot_dir, config.logging, secrets(env))

Every failure is a :class:`ConfigError` whose text is one line naming the file
and the key (or line and column) at fault.
"""

from ._env import (
    ENV_FILENAME,
    TOGGLE_ENV_KEYS,
    EnvSettings,
    check_settings,
    effective_toggles,
    is_placeholder,
    load_env,
    owner_ids,
    parse_env,
    secrets,
)
from ._errors import ConfigError
from ._io import CONFIG_FILENAME, dump_config, load_config, save_config
from ._schema import (
    ACTIVITY_TYPES,
    LOG_LEVELS,
    STATUS_VARIABLES,
    BuiltinCommandsConfig,
    CommandSyncConfig,
    Config,
    ConfigKey,
    CooldownsConfig,
    DatabaseConfig,
    ExtensionsConfig,
    FrameworkConfig,
    LoggingConfig,
    SlashLimiterConfig,
    StatusConfig,
    StatusEntry,
    default_config,
    describe_keys,
    parse_config,
)

__all__ = [
    "ACTIVITY_TYPES",
    "CONFIG_FILENAME",
    "ENV_FILENAME",
    "LOG_LEVELS",
    "STATUS_VARIABLES",
    "TOGGLE_ENV_KEYS",
    "BuiltinCommandsConfig",
    "CommandSyncConfig",
    "Config",
    "ConfigError",
    "ConfigKey",
    "CooldownsConfig",
    "DatabaseConfig",
    "EnvSettings",
    "ExtensionsConfig",
    "FrameworkConfig",
    "LoggingConfig",
    "SlashLimiterConfig",
    "StatusConfig",
    "StatusEntry",
    "check_settings",
    "default_config",
    "describe_keys",
    "dump_config",
    "effective_toggles",
    "is_placeholder",
    "load_config",
    "load_env",
    "owner_ids",
    "parse_config",
    "parse_env",
    "save_config",
    "secrets",
]
