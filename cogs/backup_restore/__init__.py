"""Backup & restore: guild snapshots, selective restore, diffs and schedules.

``setup`` creates the :class:`~cogs.backup_restore.service.BackupService`, checks the
stored backups against their index, starts the scheduler, registers the service as
``bot.services.extra["backups"]`` (the operator API and the console use it) and adds the
Discord commands. Files live in ``data/backups/<guild_id>/``.

Tests and tools may put keyword arguments for the service (``clock``, ``tick``) in
``bot.services.extra["backup_options"]`` before the cog loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

SERVICE_KEY = "backups"
OPTIONS_KEY = "backup_options"


async def setup(bot: ZoryxBot) -> None:
    from .cog import Backups
    from .service import BackupService

    options = dict(bot.services.extra.get(OPTIONS_KEY) or {})
    service = BackupService(bot, **options)
    await service.start()
    bot.services.extra[SERVICE_KEY] = service
    try:
        await bot.add_cog(Backups(bot, service))
    except BaseException:
        bot.services.extra.pop(SERVICE_KEY, None)
        await service.stop()
        raise


async def teardown(bot: ZoryxBot) -> None:
    service = bot.services.extra.pop(SERVICE_KEY, None)
    if service is not None:
        await service.stop()
