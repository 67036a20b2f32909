"""Shard monitor: per-shard statistics, health tiers, throttled alerts and persistence.

``setup`` creates the :class:`~cogs.shard_monitor.service.ShardMonitorService`, registers
it as ``bot.services.extra["shard_monitor"]`` (the ``shard_health`` read view and the
console read its ``snapshot()``) and adds the owner commands. Tests and tools may put
keyword arguments for the service (``clock``, ``collect_interval``, ``health_interval``,
``persist_interval``…) in ``bot.services.extra["shard_monitor_options"]`` before the cog
loads. Data lives in ``data/shard_monitor/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

SERVICE_KEY = "shard_monitor"
OPTIONS_KEY = "shard_monitor_options"
DATA_DIR = "shard_monitor"


async def setup(bot: ZoryxBot) -> None:
    from zoryx.redaction import redactor_of

    from .cog import ShardMonitor
    from .service import ShardMonitorService
    from .source import read_shards

    services = bot.services
    options = {
        "reader": lambda: read_shards(bot),
        "failure_threshold": services.env.shard_alert_threshold,
        "redact": redactor_of(bot).redact,
        **(services.extra.get(OPTIONS_KEY) or {}),
    }
    service = ShardMonitorService(services.data_dir / DATA_DIR, services.store, **options)
    services.extra[SERVICE_KEY] = service
    try:
        await bot.add_cog(ShardMonitor(bot, service))
    except BaseException:
        services.extra.pop(SERVICE_KEY, None)
        await service.stop()
        raise


async def teardown(bot: ZoryxBot) -> None:
    service = bot.services.extra.pop(SERVICE_KEY, None)
    if service is not None:
        await service.stop()
