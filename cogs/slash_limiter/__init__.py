"""Slash command limiter: protection against Discord's 100 global slash command limit.

``setup`` creates the :class:`~cogs.slash_limiter.service.SlashLimiterService`, registers
it as ``bot.services.extra["slash_limiter"]``, hooks ``bot.tree.add_command`` and adds the
``slashlimit`` command. Past ``config.slash_limiter.safe_limit``, pure slash commands added
afterwards (by extensions) become prefix commands marked ``extras["zoryx_converted"]``;
their checks and default permissions still apply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

SERVICE_KEY = "slash_limiter"


async def setup(bot: ZoryxBot) -> None:
    from .cog import SlashLimiter
    from .service import SlashLimiterService

    service = SlashLimiterService(bot)
    await bot.add_cog(SlashLimiter(bot, service))
    service.install()
    bot.services.extra[SERVICE_KEY] = service


async def teardown(bot: ZoryxBot) -> None:
    service = bot.services.extra.pop(SERVICE_KEY, None)
    if service is not None:
        service.uninstall()
