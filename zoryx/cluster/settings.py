"""The settings of one cluster of the fleet, read from ``.env`` (see ``.env.example``)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..config import ConfigError, EnvSettings, is_placeholder

__all__ = [
    "DEFAULT_REDIS_URL",
    "MIN_SECRET_LENGTH",
    "ClusterSettings",
    "display_url",
    "url_password",
]

#: Where the bus looks for Redis when neither REDIS_URL nor SHARD_REDIS_URL is set.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
MIN_SECRET_LENGTH = 16
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def url_password(url: str) -> str | None:
    """The password held in a Redis URL's ``user:password@`` part, if any."""
    try:
        return urlsplit(url).password or None
    except ValueError:
        return None


def display_url(url: str) -> str:
    """``url`` fit to show: the password (if any) replaced by ``***``, no query string."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid Redis URL>"
    user = parts.username or ""
    auth = f"{user}:***@" if parts.password else (f"{user}@" if user else "")
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{auth}{host}{port}{parts.path}"


@dataclass(frozen=True)
class ClusterSettings:
    """One cluster's view of the fleet.

    ``shard_ids`` None means every shard below ``shard_count``. ``namespace`` prefixes
    every Redis key and channel: clusters of the same bot (same token) share it.
    The secret and the URL (which may hold a password) are left out of ``repr``.
    """

    redis_url: str = field(repr=False)
    name: str
    shard_count: int | None
    shard_ids: tuple[int, ...] | None
    secret: str = field(repr=False)
    namespace: str
    heartbeat: float = 30.0
    timeout: float = 120.0
    stats_every: float = 60.0
    #: Reconnect delays: the first, doubled after each failure up to the second.
    backoff: tuple[float, float] = (5.0, 120.0)
    #: IDENTIFY budget: one per bucket per window, plus a safety margin.
    identify_window: float = 5.0
    identify_margin: float = 0.25
    #: Most clusters one fleet holds (the member table and each registry scan are bounded).
    max_members: int = 1000

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(
                "cluster name must be 1-64 letters, digits, '_', '.' or '-', "
                f"starting with a letter or digit, got {self.name!r}"
            )
        if not (0 < self.heartbeat and self.timeout >= 2 * self.heartbeat):
            raise ValueError("timeout must be at least twice the heartbeat interval")
        if not 0 < self.backoff[0] <= self.backoff[1]:
            raise ValueError("backoff must be (first, most) with 0 < first <= most")
        if self.identify_window <= 0 or self.identify_margin < 0 or self.stats_every <= 0:
            raise ValueError("identify_window and stats_every must be positive")
        if len(self.secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the IPC secret must have at least {MIN_SECRET_LENGTH} characters")
        if self.shard_count is not None and self.shard_ids is not None:
            if any(not 0 <= i < self.shard_count for i in self.shard_ids):
                raise ValueError("shard IDs must be below the shard count")

    @property
    def claimed_shards(self) -> tuple[int, ...]:
        """The shard IDs this cluster runs (every shard when ``shard_ids`` is None)."""
        if self.shard_ids is not None:
            return tuple(sorted(self.shard_ids))
        return tuple(range(self.shard_count or 0))

    @property
    def display_url(self) -> str:
        """The Redis URL with its password masked, fit for logs and views."""
        return display_url(self.redis_url)

    @classmethod
    def from_env(cls, env: EnvSettings, token: str) -> ClusterSettings:
        """Settings from ``.env``; ``token`` (the bot token) names the fleet.

        Raises:
            ConfigError: naming the key at fault.
        """
        secret = env.shard_ipc_secret
        if not secret or is_placeholder(secret) or len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"SHARD_IPC_SECRET must be a private value of at least {MIN_SECRET_LENGTH} "
                "characters, the same on every cluster",
                key="SHARD_IPC_SECRET",
            )
        if env.shard_count is None:
            raise ConfigError(
                "SHARD_COUNT must be set when the shard manager is enabled: every cluster "
                "of the fleet needs the same total",
                key="SHARD_COUNT",
            )
        if not _NAME.fullmatch(env.shard_cluster_name):
            raise ConfigError(
                "SHARD_CLUSTER_NAME must be 1-64 letters, digits, '_', '.' or '-', "
                f"starting with a letter or digit, got {env.shard_cluster_name!r}",
                key="SHARD_CLUSTER_NAME",
            )
        if not token:
            raise ValueError("the bot token is needed to name the fleet")
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]
        return cls(
            redis_url=env.redis_url or DEFAULT_REDIS_URL,
            name=env.shard_cluster_name,
            shard_count=env.shard_count,
            shard_ids=env.shard_ids,
            secret=secret,
            namespace=f"zoryx:{digest}",
        )
