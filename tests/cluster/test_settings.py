"""Cluster settings from .env: checks that name the key, the fleet namespace, and the
secret and Redis password kept out of every text."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from zoryx.cluster import DEFAULT_REDIS_URL, ClusterSettings
from zoryx.config import ConfigError, parse_env, secrets
from zoryx.redaction import Redactor
from zoryx.runtime import Runtime

TOKEN = "bot-token-for-tests"
SECRET = "a-private-fleet-secret"
GOOD = {
    "SHARD_IPC_SECRET": SECRET,
    "SHARD_COUNT": "6",
    "SHARD_IDS": "2,3",
    "SHARD_CLUSTER_NAME": "eu-1",
}


def test_settings_from_env() -> None:
    settings = ClusterSettings.from_env(parse_env(GOOD), TOKEN)
    assert (settings.name, settings.shard_count, settings.shard_ids) == ("eu-1", 6, (2, 3))
    assert settings.redis_url == DEFAULT_REDIS_URL and settings.secret == SECRET
    assert settings.namespace == "zoryx:" + hashlib.sha256(TOKEN.encode()).hexdigest()[:16]
    assert (settings.heartbeat, settings.timeout, settings.stats_every) == (30.0, 120.0, 60.0)
    assert settings.backoff == (5.0, 120.0) and settings.identify_window == 5.0
    # the same bot token on another machine: the same fleet
    other = ClusterSettings.from_env(parse_env({**GOOD, "SHARD_IDS": "0,1"}), TOKEN)
    assert other.namespace == settings.namespace and other.claimed_shards == (0, 1)
    everything = ClusterSettings.from_env(parse_env({**GOOD, "SHARD_IDS": ""}), TOKEN)
    assert everything.claimed_shards == tuple(range(6))


def test_shard_redis_url_wins_over_redis_url() -> None:
    env = parse_env(
        {**GOOD, "REDIS_URL": "redis://a:6379/0", "SHARD_REDIS_URL": "rediss://b:6380/1"}
    )
    assert ClusterSettings.from_env(env, TOKEN).redis_url == "rediss://b:6380/1"
    env = parse_env({**GOOD, "REDIS_URL": "unix:///run/redis.sock"})
    assert ClusterSettings.from_env(env, TOKEN).redis_url == "unix:///run/redis.sock"


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"SHARD_IPC_SECRET": ""}, "SHARD_IPC_SECRET"),
        ({"SHARD_IPC_SECRET": "change_me_please"}, "SHARD_IPC_SECRET"),
        ({"SHARD_IPC_SECRET": "fifteen-chars.."}, "SHARD_IPC_SECRET"),
        ({"SHARD_COUNT": "", "SHARD_IDS": ""}, "SHARD_COUNT"),
        ({"SHARD_CLUSTER_NAME": "two words"}, "SHARD_CLUSTER_NAME"),
        ({"SHARD_CLUSTER_NAME": "x" * 65}, "SHARD_CLUSTER_NAME"),
    ],
)
def test_bad_cluster_settings_name_the_key(changes: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        ClusterSettings.from_env(parse_env({**GOOD, **changes}), TOKEN)
    assert info.value.key == key and str(info.value).startswith(key)


def test_redis_password_never_shown() -> None:
    password = "hunter2-redis-password"
    url = f"redis://:{password}@redis.internal:6379/0"
    env = parse_env({**GOOD, "REDIS_URL": url})
    settings = ClusterSettings.from_env(env, TOKEN)
    assert settings.redis_url == url
    for text in (repr(env), repr(settings), settings.display_url):
        assert password not in text and SECRET not in text
    assert settings.display_url == "redis://:***@redis.internal:6379/0"
    # the bot's log redactor hides both
    redactor = Redactor(secrets(env))
    assert (
        redactor.redact(f"connect {url} with {SECRET}")
        == "connect redis://:[REDACTED]@redis.internal:6379/0 with [REDACTED]"
    )
    # a bad URL is refused without repeating it
    for bad in (
        f"redis://:{password}@host:99999/0",
        f"http://:{password}@host/",
        f"redis://h/0?password={password}",
    ):
        with pytest.raises(ConfigError) as info:
            parse_env({"REDIS_URL": bad})
        assert password not in str(info.value) and info.value.key == "REDIS_URL"


def test_retired_ipc_keys_are_accepted_and_noted() -> None:
    env = parse_env(
        {"SHARD_IPC_MODE": "peer", "SHARD_IPC_HOST": "0.0.0.0", "SHARD_IPC_PORT": "70000"}
    )
    assert [n.split()[0] for n in env.notices] == [
        "SHARD_IPC_MODE",
        "SHARD_IPC_HOST",
        "SHARD_IPC_PORT",
    ]
    assert all("ignored" in n and "REDIS_URL" in n for n in env.notices)


def test_direct_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="cluster name"):
        ClusterSettings(
            redis_url=DEFAULT_REDIS_URL,
            name="",
            shard_count=1,
            shard_ids=None,
            secret=SECRET,
            namespace="n",
        )
    with pytest.raises(ValueError, match="twice the heartbeat"):
        ClusterSettings(
            redis_url=DEFAULT_REDIS_URL,
            name="a",
            shard_count=1,
            shard_ids=None,
            secret=SECRET,
            namespace="n",
            timeout=10,
            heartbeat=6,
        )
    with pytest.raises(ValueError, match="16 characters"):
        ClusterSettings(
            redis_url=DEFAULT_REDIS_URL,
            name="a",
            shard_count=1,
            shard_ids=None,
            secret="short",
            namespace="n",
        )


async def test_the_runtime_logs_that_retired_keys_are_ignored(tmp_path: Path) -> None:
    rt = Runtime(
        tmp_path, console_logging=False, environ={"SHARD_IPC_PORT": "20000"}, sandbox_world="empty"
    )
    await rt.start()
    try:
        messages = [entry.message for entry in rt.log_tail.all()]
        assert any("SHARD_IPC_PORT is no longer used" in m and "REDIS_URL" in m for m in messages)
    finally:
        await rt.shutdown("test done")
