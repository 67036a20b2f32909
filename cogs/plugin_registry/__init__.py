"""Plugin registry: extension metadata, dependency/conflict/cycle checks that refuse a load
before the extension's code runs, dependency-first loading, and the ``pr_*`` commands.

The service is ``bot.services.extra["plugins"]`` (see :mod:`.service`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

SERVICE_KEY = "plugins"


async def setup(bot: ZoryxBot) -> None:
    from .cog import PluginRegistryCog
    from .service import PluginRegistryService

    service = PluginRegistryService(bot)
    bot.services.extra[SERVICE_KEY] = service
    try:
        await bot.add_cog(PluginRegistryCog(bot, service))
    except BaseException:
        bot.services.extra.pop(SERVICE_KEY, None)
        service.uninstall()
        raise


async def teardown(bot: ZoryxBot) -> None:
    service = bot.services.extra.pop(SERVICE_KEY, None)
    if service is not None:
        service.uninstall()
