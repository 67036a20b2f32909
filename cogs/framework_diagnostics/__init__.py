"""Framework diagnostics: health tiers, loop lag, process metrics, reports and alerts.

``setup`` creates the :class:`~cogs.framework_diagnostics.service.DiagnosticsService`,
registers it as ``bot.services.extra["diagnostics"]`` (the console reads
``snapshot()``, ``history()``, ``errors()`` and ``report()``) and adds the ``fw_*``
commands. Tests and tools may put keyword arguments for the service (``clock``,
``check_interval``, ``lag_interval``…) in ``bot.services.extra["diagnostics_options"]``
before the cog loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

SERVICE_KEY = "diagnostics"
OPTIONS_KEY = "diagnostics_options"


async def setup(bot: ZoryxBot) -> None:
    from zoryx.redaction import redactor_of

    from .cog import FrameworkDiagnostics, bot_info
    from .service import DiagnosticsService

    services = bot.services
    metrics = services.metrics

    def counters() -> tuple[int, int]:
        """Commands and command errors: user errors (bad arguments, missing permissions,
        cooldowns…) are not the framework's and never lower its health tier."""
        return (metrics.commands, metrics.command_errors) if metrics is not None else (0, 0)

    def user_errors() -> int:
        return metrics.user_errors if metrics is not None else 0

    options = {
        "counters": counters,
        "user_errors": user_errors,
        "bot_info": lambda: bot_info(bot),
        "lag_threshold_ms": services.env.fw_loop_lag_threshold_ms,
        "redact": redactor_of(bot).redact,
        **(services.extra.get(OPTIONS_KEY) or {}),
    }
    service = DiagnosticsService(services.data_dir, services.store, **options)
    services.extra[SERVICE_KEY] = service
    try:
        await bot.add_cog(FrameworkDiagnostics(bot, service))
    except BaseException:
        services.extra.pop(SERVICE_KEY, None)
        await service.stop()
        raise


async def teardown(bot: ZoryxBot) -> None:
    service = bot.services.extra.pop(SERVICE_KEY, None)
    if service is not None:
        await service.stop()
