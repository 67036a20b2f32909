"""Compatibility with the earlier framework's documented extension API — all in one place.

Extensions written for the earlier framework of this name run unmodified on Zoryx:

* hook callbacks are called as ``await callback(bot, **kwargs)`` with the documented
  keyword arguments (``bot_user``, ``guild``, ``command_name``, ``author``, ``error``,
  ``extension_name``) — that is Zoryx's own convention, nothing to adapt;
* ``bot.register_plugin(name=…, version=…, …)`` (:mod:`.plugins`);
* ``from atomic_file_system import global_file_handler`` (:mod:`.atomic_file_system`);
* ``bot.db`` with ``conn``, ``_get_guild_connection`` and the helper calls
  (:mod:`.database`, aiosqlite-style objects in :mod:`._sql`);
* ``bot.config.get(key)`` (:mod:`.config`).

New extensions should use the public API in :mod:`zoryx` instead (``docs/extensions.md``).
:func:`install` runs when a :class:`zoryx.ZoryxBot` is created.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from . import atomic_file_system
from .atomic_file_system import AtomicFileHandler, global_file_handler
from .config import ConfigAccess
from .database import DatabaseCompat

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

__all__ = [
    "MODULE_ALIAS",
    "AtomicFileHandler",
    "ConfigAccess",
    "DatabaseCompat",
    "global_file_handler",
    "install",
]

MODULE_ALIAS = "atomic_file_system"


def install(bot: ZoryxBot) -> None:
    """Bind the process-wide file handler to ``bot``'s store and make the import work.

    The most recently created bot owns ``global_file_handler`` (one bot per process is
    the normal case).
    """
    services = bot.services
    global_file_handler.bind(services.store, services.bot_dir)
    sys.modules.setdefault(MODULE_ALIAS, atomic_file_system)
