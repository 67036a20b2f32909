"""Shard manager: this bot as one cluster of a fleet that meets over Redis.

``setup`` reads the cluster settings (``REDIS_URL``, ``SHARD_CLUSTER_NAME``, ``SHARD_COUNT``,
``SHARD_IDS``, ``SHARD_IPC_SECRET``; see :class:`zoryx.cluster.ClusterSettings`), creates
the :class:`~cogs.shard_manager.service.ShardManagerService` and its
:class:`~zoryx.cluster.ClusterBus`, registers the bus as ``bot.services.extra["cluster"]``
(the bot's IDENTIFY hook and the console's ``clusters`` view use it) and the service as
``bot.services.extra["shard_manager"]``, and adds the owner commands ``clusters``,
``ipcstatus``, ``broadcastmsg`` and ``clusteralerts``. The bot loads this cog before its
shards connect, so the first IDENTIFY already waits for the fleet's budget.

A cluster the fleet refuses (name taken, shards overlapping, another secret) keeps serving
its shards alone and says why in the log and in ``clusters``.

The bus's timing comes from ``SHARD_HEARTBEAT_INTERVAL``, ``SHARD_CLUSTER_TIMEOUT`` and
``SHARD_STATS_INTERVAL`` (see :mod:`.timing`). Tests may put keyword arguments for
:class:`~zoryx.cluster.ClusterSettings` (``heartbeat``, ``timeout``, ``backoff``…) in
``bot.services.extra["shard_manager_options"]``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

BUS_KEY = "cluster"
SERVICE_KEY = "shard_manager"
OPTIONS_KEY = "shard_manager_options"


async def setup(bot: ZoryxBot) -> None:
    from zoryx.cluster import ClusterSettings

    from .cog import ShardManager
    from .service import ShardManagerService
    from .timing import merged_env, timing_overrides

    services = bot.services
    runtime = services.extra.get("runtime")
    environ = getattr(runtime, "environ", None)
    values = await asyncio.to_thread(merged_env, services.bot_dir, environ)
    # ConfigError names the key at fault; the bot reports this feature as failed and runs on.
    settings = ClusterSettings.from_env(services.env, bot.http.token or "")
    overrides: dict[str, Any] = {
        **timing_overrides(values),
        **(services.extra.get(OPTIONS_KEY) or {}),
    }
    if overrides:
        settings = dataclasses.replace(settings, **overrides)
    service = ShardManagerService(bot, settings)
    bot.services.extra[BUS_KEY] = service.bus
    bot.services.extra[SERVICE_KEY] = service
    try:
        await bot.add_cog(ShardManager(bot, service))
    except BaseException:
        bot.services.extra.pop(BUS_KEY, None)
        bot.services.extra.pop(SERVICE_KEY, None)
        await service.stop()
        raise


async def teardown(bot: ZoryxBot) -> None:
    bot.services.extra.pop(BUS_KEY, None)
    service = bot.services.extra.pop(SERVICE_KEY, None)
    if service is not None:
        await service.stop()
