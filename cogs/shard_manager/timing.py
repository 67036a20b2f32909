"""The bus's timing settings from ``.env`` / the environment (the process wins, as for
every Zoryx setting):

- ``SHARD_HEARTBEAT_INTERVAL``: seconds between heartbeats (default 30);
- ``SHARD_CLUSTER_TIMEOUT``: a cluster silent this long is gone (default 120, at least
  twice the heartbeat interval);
- ``SHARD_STATS_INTERVAL``: seconds between stats refreshes (default 60).

Short values make a fleet notice a lost cluster sooner, at the cost of more Redis traffic.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

from zoryx.config import ENV_FILENAME, ConfigError

KEYS = {
    "SHARD_HEARTBEAT_INTERVAL": "heartbeat",
    "SHARD_CLUSTER_TIMEOUT": "timeout",
    "SHARD_STATS_INTERVAL": "stats_every",
}
LIMITS = (0.1, 86_400.0)


def merged_env(bot_dir: Path, environ: Mapping[str, str] | None) -> dict[str, str]:
    """``bot_dir/.env`` overlaid with ``environ`` (``os.environ`` when None); blocking I/O."""
    values: dict[str, str] = {}
    path = bot_dir / ENV_FILENAME
    if path.is_file():
        try:
            loaded = dotenv_values(path, encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            loaded = {}  # load_env already reported an unreadable .env
        values = {k: v.strip() for k, v in loaded.items() if v is not None and v.strip()}
    process = os.environ if environ is None else environ
    values.update({k: v.strip() for k, v in process.items() if v.strip()})
    return values


def timing_overrides(values: Mapping[str, str]) -> dict[str, float]:
    """The :class:`~zoryx.cluster.ClusterSettings` fields set in ``values``.

    Raises:
        ConfigError: a value that is not a number of seconds in range, or a timeout
            shorter than twice the heartbeat interval.
    """
    out: dict[str, float] = {}
    lo, hi = LIMITS
    for key, field in KEYS.items():
        raw = values.get(key)
        if raw is None:
            continue
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and lo <= number <= hi):
            raise ConfigError(
                f"{key} must be a number of seconds between {lo:g} and {hi:g}, got {raw!r}",
                key=key,
            )
        out[field] = number
    heartbeat, timeout = out.get("heartbeat", 30.0), out.get("timeout", 120.0)
    if timeout < 2 * heartbeat:
        raise ConfigError(
            f"SHARD_CLUSTER_TIMEOUT ({timeout:g} s) must be at least twice "
            f"SHARD_HEARTBEAT_INTERVAL ({heartbeat:g} s)",
            key="SHARD_CLUSTER_TIMEOUT",
        )
    return out
