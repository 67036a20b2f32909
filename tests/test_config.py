"""config.json and .env: defaults, validation messages, precedence."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from zoryx.config import (
    TOGGLE_ENV_KEYS,
    ConfigError,
    check_settings,
    default_config,
    dump_config,
    effective_toggles,
    load_config,
    load_env,
    owner_ids,
    parse_config,
    parse_env,
    save_config,
    secrets,
)

REPO = Path(__file__).resolve().parents[1]
# Built in pieces so no token-shaped literal sits in the repository.
FAKE_TOKEN = "Q" + "x" * 25 + ".GaBcDe." + "y" * 30
FAKE_GEMINI = "AIza" + "k" * 35


def write_config(bot_dir: Path, data: Any) -> Path:
    path = bot_dir / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- config.json --------------------------------------------------------------


def test_first_run_writes_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    path = tmp_path / "config.json"
    assert config == default_config()
    assert json.loads(path.read_text(encoding="utf-8")) == default_config().to_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]  # no temp left
    assert load_config(tmp_path) == default_config()


def test_defaults_cover_reference_keys() -> None:
    data = default_config().to_dict()
    assert data["prefix"] == "!"
    assert data["status"]["text"] == "{guilds} servers"
    assert data["logging"] == {"level": "INFO", "max_bytes": 10485760, "backup_count": 5}
    assert data["slash_limiter"] == {"max_limit": 100, "warning_threshold": 90, "safe_limit": 95}
    assert data["cooldowns"] == {"default_rate": 3, "default_per": 5.0, "error_reply_window": 10.0}
    assert data["database"]["guild_pool_size"] == 32
    assert data["database"]["usage_flush_interval"] == 10
    assert data["framework"]["enable_backup_restore"] is True


def test_shipped_config_json_matches_defaults() -> None:
    assert (REPO / "config.json").read_text(encoding="utf-8") == dump_config(default_config())


def test_create_false_writes_nothing(tmp_path: Path) -> None:
    assert load_config(tmp_path, create=False) == default_config()
    assert not (tmp_path / "config.json").exists()


def test_partial_config_is_filled_and_file_left_alone(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"prefix": "?", "slash_limiter": {"safe_limit": 92}})
    before = path.read_bytes()
    config = load_config(tmp_path)
    assert config.prefix == "?"
    assert config.slash_limiter.safe_limit == 92
    assert config.slash_limiter.max_limit == 100
    assert config.logging.backup_count == 5
    assert config.framework.load_cogs is True
    assert config.warnings == []
    assert path.read_bytes() == before


def test_corrupt_json_names_file_line_column_and_keeps_bytes(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b'{\n  "prefix": "!",\n  "owner_ids": [1,, 2]\n}\n')
    before = path.read_bytes()
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    message = str(info.value)
    assert str(path) in message
    assert "line 3" in message and "column" in message
    assert "\n" not in message
    assert (info.value.line, info.value.file) == (3, str(path))
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("raw", "key", "fragment"),
    [
        ({"slash_limiter": {"safe_limit": "x"}}, "slash_limiter.safe_limit", '"x"'),
        ({"slash_limiter": {"max_limit": 101}}, "slash_limiter.max_limit", "between 1 and 100"),
        ({"prefix": ""}, "prefix", "non-empty"),
        ({"prefix": "abcdefghijk"}, "prefix", "10 characters"),
        ({"prefix": 5}, "prefix", "got 5"),
        ({"prefix": " !"}, "prefix", "spaces"),
        ({"allow_mention_prefix": "yes"}, "allow_mention_prefix", "true or false"),
        ({"owner_ids": [12, "abc"]}, "owner_ids[1]", "Discord ID"),
        ({"owner_ids": 12}, "owner_ids", "list"),
        ({"auto_reload": 1}, "auto_reload", "true or false"),
        ({"status": {"type": "streaming"}}, "status.type", '"watching"'),
        ({"status": {"text": "{servers}"}}, "status.text", "{guilds}"),
        ({"status": {"text": "{guilds"}}, "status.text", "template"),
        ({"status": {"interval": 1}}, "status.interval", "between 15"),
        ({"status": {"rotation": [{"type": "playing"}]}}, "status.rotation[0]", "text"),
        ({"status": {"rotation": [{"text": "{x}"}]}}, "status.rotation[0].text", "{x}"),
        ({"status": []}, "status", "JSON object"),
        ({"database": {"base_path": ""}}, "database.base_path", "non-empty"),
        ({"database": {"guild_pool_size": 0}}, "database.guild_pool_size", "between 1"),
        ({"database": {"usage_flush_interval": 2.5}}, "database.usage_flush_interval", "2.5"),
        ({"logging": {"level": "LOUD"}}, "logging.level", '"DEBUG"'),
        ({"logging": {"max_bytes": 10}}, "logging.max_bytes", "between 1024"),
        ({"logging": {"backup_count": 0}}, "logging.backup_count", "between 1"),
        ({"extensions": {"blacklist": ["ok", 3]}}, "extensions.blacklist[1]", "string"),
        ({"extensions": {"auto_load": "true"}}, "extensions.auto_load", "true or false"),
        ({"cooldowns": {"default_rate": True}}, "cooldowns.default_rate", "integer"),
        ({"cooldowns": {"default_per": 0}}, "cooldowns.default_per", "greater than 0"),
        ({"command_permissions": {"ban": ["x"]}}, "command_permissions.ban[0]", "Discord ID"),
        ({"command_permissions": []}, "command_permissions", "object"),
        ({"framework": {"enable_event_hooks": "no"}}, "framework.enable_event_hooks", "true"),
        (
            {"slash_limiter": {"warning_threshold": 96}},
            "slash_limiter.warning_threshold",
            "must not exceed slash_limiter.safe_limit",
        ),
        (
            {"slash_limiter": {"max_limit": 90}},
            "slash_limiter.safe_limit",
            "must not exceed slash_limiter.max_limit",
        ),
    ],
)
def test_bad_values_name_the_key(raw: dict[str, Any], key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert info.value.key == key
    assert str(info.value).startswith(key)
    assert fragment in str(info.value)


def test_bad_value_in_file_names_file_and_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"slash_limiter": {"safe_limit": "x"}})
    before = path.read_bytes()
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == (
        f'{path}: slash_limiter.safe_limit must be an integer between 1 and 100, got "x"'
    )
    assert path.read_bytes() == before


def test_values_are_normalised() -> None:
    config = parse_config({"logging": {"level": "debug"}, "owner_ids": ["123"]})
    assert config.logging.level == "DEBUG"
    assert config.owner_ids == [123]


def test_unknown_keys_warn_and_survive_save(tmp_path: Path) -> None:
    write_config(tmp_path, {"prefx": "?", "status": {"intervall": 30}, "custom": {"a": 1}})
    config = load_config(tmp_path)
    assert config.prefix == "!"
    joined = " | ".join(config.warnings)
    assert 'unknown key "prefx"' in joined and 'did you mean "prefix"' in joined
    assert 'unknown key "status.intervall"' in joined
    save_config(tmp_path, config)
    data = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert data["prefx"] == "?" and data["custom"] == {"a": 1}
    assert data["status"]["intervall"] == 30


def test_duplicate_key_warns(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"prefix": "?", "prefix": "$"}', encoding="utf-8")
    config = load_config(tmp_path)
    assert config.prefix == "$"
    assert any('"prefix" appears more than once' in w for w in config.warnings)


def test_save_config_round_trip_and_refuses_invalid(tmp_path: Path) -> None:
    config = default_config()
    config.prefix = "z!"
    config.command_permissions["ban"] = [111, 222]
    save_config(tmp_path, config)
    assert load_config(tmp_path) == config
    before = (tmp_path / "config.json").read_bytes()
    config.slash_limiter.safe_limit = 500
    with pytest.raises(ConfigError, match=r"slash_limiter\.safe_limit"):
        save_config(tmp_path, config)
    assert (tmp_path / "config.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_status_entries_render() -> None:
    config = parse_config(
        {
            "status": {
                "text": "{guilds} servers",
                "rotation": [{"type": "playing", "text": "{users}"}],
            }
        }
    )
    entries = config.status.entries()
    assert [(e.type, e.render(guilds=3, users=7, commands=1)) for e in entries] == [
        ("watching", "3 servers"),
        ("playing", "7"),
    ]


def test_database_path_is_resolved_against_bot_dir(tmp_path: Path) -> None:
    assert default_config().database.resolve(tmp_path) == (tmp_path / "data").resolve()


# --- .env ---------------------------------------------------------------------


def write_env(bot_dir: Path, text: str) -> Path:
    path = bot_dir / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_env_file_values_are_typed(tmp_path: Path) -> None:
    write_env(
        tmp_path,
        f"DISCORD_TOKEN={FAKE_TOKEN}\nBOT_OWNER_ID=123456789012345678\n"
        "SHARD_COUNT=4\nSHARD_IDS= 2, 3\nSHARD_IPC_PORT=21000\nSHARD_IPC_MODE=Client\n"
        "BACKUP_COOLDOWN=0\nFW_LOOP_LAG_THRESHOLD_MS=250\nGEMINI_MODEL=gemini-x\n",
    )
    env = load_env(tmp_path, environ={})
    assert env.discord_token == FAKE_TOKEN and not env.sandbox
    assert env.bot_owner_id == 123456789012345678
    assert (env.shard_count, env.shard_ids) == (4, (2, 3))
    assert env.notices == (
        "SHARD_IPC_MODE is no longer used (clusters now meet over Redis: set REDIS_URL); ignored",
        "SHARD_IPC_PORT is no longer used (clusters now meet over Redis: set REDIS_URL); ignored",
    )
    assert env.backup_cooldown == 0 and env.backup_max_per_guild == 25
    assert env.fw_loop_lag_threshold_ms == 250 and env.gemini_model == "gemini-x"
    assert env.env_file == tmp_path / ".env"
    assert FAKE_TOKEN not in repr(env)


def test_env_defaults_without_file(tmp_path: Path) -> None:
    env = load_env(tmp_path, environ={})
    assert env.sandbox and env.env_file is None
    assert (env.backup_max_per_guild, env.backup_cooldown) == (25, 300)
    assert (env.backup_auto_interval, env.backup_retention_days) == (0, 0)
    assert (env.fw_loop_lag_threshold_ms, env.redis_url, env.notices) == (500, None, ())
    assert env.gemini_model == "gemini-2.5-flash-lite"


def test_process_env_wins_and_os_environ_untouched(tmp_path: Path) -> None:
    write_env(tmp_path, "SHARD_CLUSTER_NAME=from-file\nSHARD_ALERT_THRESHOLD=7\n")
    os.environ.pop("SHARD_CLUSTER_NAME", None)
    env = load_env(tmp_path, environ={"SHARD_ALERT_THRESHOLD": "9", "GEMINI_MODEL": " "})
    assert env.shard_cluster_name == "from-file"
    assert env.shard_alert_threshold == 9
    assert env.gemini_model == "gemini-2.5-flash-lite"  # blank counts as unset
    assert "SHARD_CLUSTER_NAME" not in os.environ
    try:
        load_env(tmp_path, environ={}, apply=True)
        assert os.environ["SHARD_CLUSTER_NAME"] == "from-file"
    finally:
        os.environ.pop("SHARD_CLUSTER_NAME", None)
        os.environ.pop("SHARD_ALERT_THRESHOLD", None)


@pytest.mark.parametrize(
    "token", ["", "   ", "Bot_Token", "your_token_here", "your_bot_token_here", "<token>", "TOKEN"]
)
def test_placeholder_token_means_sandbox(tmp_path: Path, token: str) -> None:
    write_env(tmp_path, f"DISCORD_TOKEN={token}\nBOT_OWNER_ID=Your_DiscordID\n")
    env = load_env(tmp_path, environ={})
    assert env.discord_token is None and env.sandbox
    assert env.bot_owner_id is None


def test_example_env_file_is_sandbox_and_documents_every_key(tmp_path: Path) -> None:
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    write_env(tmp_path, text)
    env = load_env(tmp_path, environ={})
    assert env.sandbox and env.bot_owner_id is None and env.gemini_api_key is None
    keys = [
        "DISCORD_TOKEN", "BOT_OWNER_ID", "SHARD_COUNT", "SHARD_IDS", "SHARD_ALERT_THRESHOLD",
        "REDIS_URL", "SHARD_REDIS_URL", "SHARD_IPC_SECRET",
        "SHARD_CLUSTER_NAME", "BACKUP_MAX_PER_GUILD", "BACKUP_COOLDOWN", "BACKUP_AUTO_INTERVAL",
        "BACKUP_RETENTION_DAYS", "FW_LOOP_LAG_THRESHOLD_MS", "GEMINI_API_KEY", "GEMINI_MODEL",
        *TOGGLE_ENV_KEYS.values(),
    ]  # fmt: skip
    missing = [k for k in keys if f"{k}=" not in text]
    assert missing == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("YES", True), ("on", True), ("1", True),
     ("false", False), ("No", False), ("off", False), ("0", False)],
)  # fmt: skip
def test_env_booleans(value: str, expected: bool) -> None:
    env = parse_env({"ENABLE_SHARD_MONITOR": value})
    assert env.toggle_overrides == {"enable_shard_monitor": expected}


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"ENABLE_BACKUP_RESTORE": "maybe"}, "ENABLE_BACKUP_RESTORE"),
        ({"SHARD_COUNT": "abc"}, "SHARD_COUNT"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "SHARD_IDS"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,x"}, "SHARD_IDS"),
        ({"SHARD_COUNT": "3", "SHARD_IDS": "1,1"}, "SHARD_IDS"),
        ({"SHARD_IDS": "0"}, "SHARD_IDS"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://127.0.0.1:99999/0"}, "REDIS_URL"),
        ({"SHARD_REDIS_URL": "redis:///0"}, "SHARD_REDIS_URL"),
        ({"REDIS_URL": "redis://h/0?password=pw"}, "REDIS_URL"),
        ({"BACKUP_AUTO_INTERVAL": "-1"}, "BACKUP_AUTO_INTERVAL"),
        ({"BACKUP_MAX_PER_GUILD": "0"}, "BACKUP_MAX_PER_GUILD"),
        ({"FW_LOOP_LAG_THRESHOLD_MS": "fast"}, "FW_LOOP_LAG_THRESHOLD_MS"),
        ({"BOT_OWNER_ID": "12ab"}, "BOT_OWNER_ID"),
        ({"BOT_OWNER_ID": "12²"}, "BOT_OWNER_ID"),  # a non-ASCII digit: not an ID
        ({"SHARD_COUNT": "3", "SHARD_IDS": "0,²"}, "SHARD_IDS"),
    ],
)
def test_bad_env_values_name_the_key(values: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_env(values)
    assert info.value.key == key
    assert str(info.value).startswith(key)


def test_bad_env_value_from_file_names_file(tmp_path: Path) -> None:
    path = write_env(tmp_path, "SHARD_COUNT=abc\n")
    with pytest.raises(ConfigError) as info:
        load_env(tmp_path, environ={})
    assert str(info.value).startswith(f"{path}: SHARD_COUNT must be an integer")


def test_env_toggles_take_precedence_over_config() -> None:
    config = parse_config(
        {"framework": {"enable_shard_monitor": True, "enable_backup_restore": False}}
    )
    env = parse_env({"ENABLE_SHARD_MONITOR": "false", "ENABLE_BACKUP_RESTORE": "yes"})
    toggles = effective_toggles(config, env)
    assert toggles["enable_shard_monitor"] is False
    assert toggles["enable_backup_restore"] is True
    assert toggles["enable_event_hooks"] is True  # unset env: config decides
    unset = effective_toggles(config, parse_env({}))
    assert (unset["enable_shard_monitor"], unset["enable_backup_restore"]) == (True, False)
    assert unset["enable_shard_manager"] is False
    assert set(toggles) == set(default_config().to_dict()["framework"])


def test_secrets_and_owner_ids() -> None:
    env = parse_env(
        {"DISCORD_TOKEN": FAKE_TOKEN, "SHARD_IPC_SECRET": "s3cret-value-long-enough",
         "GEMINI_API_KEY": FAKE_GEMINI, "BOT_OWNER_ID": "42"}
    )  # fmt: skip
    assert secrets(env) == [FAKE_TOKEN, "s3cret-value-long-enough", FAKE_GEMINI]
    assert secrets(parse_env({})) == []
    config = parse_config({"owner_ids": [7, 42]})
    assert owner_ids(config, env) == {7, 42}


def test_shard_manager_requires_private_secret() -> None:
    config = default_config()
    for secret in ("", "change_me_please", "short"):
        env = parse_env({"ENABLE_SHARD_MANAGER": "true", "SHARD_IPC_SECRET": secret})
        with pytest.raises(ConfigError) as info:
            check_settings(config, env)
        assert info.value.key == "SHARD_IPC_SECRET"
    check_settings(config, parse_env({"SHARD_IPC_SECRET": "change_me_please"}))  # manager off
    good = parse_env({"ENABLE_SHARD_MANAGER": "1", "SHARD_IPC_SECRET": "a-long-private-secret"})
    check_settings(config, good)
