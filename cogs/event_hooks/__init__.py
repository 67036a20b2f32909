"""Event hooks: an internal event system extensions hook into safely.

``setup`` creates the :class:`~cogs.event_hooks.service.EventHookService`, registers it as
``bot.services.extra["hooks"]`` and adds the ``eh_*`` commands. Extension authors use
``bot.register_hook(event, callback, priority=0)``, ``bot.unregister_hook(event, callback)``
and ``await bot.emit_hook(event, **kwargs)``; callbacks are called as
``await callback(bot, **kwargs)`` (methods of :class:`zoryx.bot.ZoryxBot` that
do nothing when this feature is disabled).

Tests and tools may put keyword arguments for the service (``timeout``, ``clock``…) in
``bot.services.extra["event_hooks_options"]`` before the cog loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

SERVICE_KEY = "hooks"
OPTIONS_KEY = "event_hooks_options"
CARRY_KEY = "event_hooks_registrations"


async def setup(bot: ZoryxBot) -> None:
    from .cog import EventHooks
    from .service import EventHookService

    options = dict(bot.services.extra.get(OPTIONS_KEY) or {})
    options.setdefault("bot", bot)
    service = EventHookService(**options)
    # Hooks registered before a reload of this cog survive it (no accumulation: same IDs).
    for event, callback, priority in bot.services.extra.pop(CARRY_KEY, []):
        service.register(event, callback, priority)
    bot.services.extra[SERVICE_KEY] = service
    try:
        await bot.add_cog(EventHooks(bot, service))
    except BaseException:
        bot.services.extra.pop(SERVICE_KEY, None)
        await service.stop()
        raise


async def teardown(bot: ZoryxBot) -> None:
    service = bot.services.extra.pop(SERVICE_KEY, None)
    if service is not None:
        bot.services.extra[CARRY_KEY] = service.registrations()
        await service.stop()
