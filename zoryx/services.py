"""The services a running bot is built from (shared by every face)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Config, EnvSettings
    from .logs import LoggingHandles
    from .metrics import BotMetrics
    from .sandbox import Sandbox
    from .storage.atomic import AtomicStore
    from .storage.databases import Databases


@dataclass
class Services:
    """Everything the bot, its cogs and the faces share.

    Framework features register extra services by name in ``extra`` (e.g. ``"hooks"``).
    """

    bot_dir: Path
    config: Config
    env: EnvSettings
    toggles: dict[str, bool]
    store: AtomicStore
    db: Databases
    metrics: BotMetrics
    owner_ids: frozenset[int]
    sandbox: Sandbox | None = None
    logging: LoggingHandles | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The sandbox's address: the embedded one's, or the one attached to (ZORYX_SANDBOX_URL).
    sandbox_url: str | None = None

    @property
    def data_dir(self) -> Path:
        return self.config.database.resolve(self.bot_dir)

    @property
    def is_sandbox(self) -> bool:
        """On a sandbox Discord: embedded (``sandbox``) or attached (only ``sandbox_url``)."""
        return self.sandbox is not None or self.sandbox_url is not None
