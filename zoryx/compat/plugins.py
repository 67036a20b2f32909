"""``bot.register_plugin(...)``: plugin metadata declared from code.

Extensions for the earlier framework declare their metadata by calling
``bot.register_plugin(name=…, version=…, author=…, description=…, dependencies=…,
conflicts_with=…)`` while they load. Zoryx reads the same metadata from module literals
(``__version__`` …) before running an extension; this call adds to (and overrides) those
literals for the extension that makes it, and the plugin registry checks it at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from zoryx.extensions import PACKAGE, ExtensionRefused, normalize

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

__all__ = ["register_plugin"]

log = logging.getLogger("zoryx.plugins")


def register_plugin(
    bot: ZoryxBot,
    caller_module: str | None,
    *,
    name: str,
    version: str | None = None,
    author: str | None = None,
    description: str | None = None,
    dependencies: Iterable[str] | Mapping[str, str] | None = None,
    conflicts_with: Iterable[str] | None = None,
) -> bool:
    """Record metadata for the calling extension; see :meth:`zoryx.ZoryxBot.register_plugin`.

    Raises:
        ExtensionRefused: the plugin registry enforces dependencies or conflicts and this
            metadata breaks them (the load in progress then fails with that reason).
    """
    manager = bot.extension_manager
    info = None
    if caller_module and caller_module.startswith(PACKAGE + "."):
        info = manager.get(caller_module.split(".")[1])
    if info is None:
        info = manager.get(name)
    if info is None:
        log.warning("register_plugin(%r): no extension of that name is installed; ignored", name)
        return False
    metadata: dict[str, Any] = dict(info.metadata)
    metadata.update({"version": version, "author": author, "description": description})
    if dependencies is not None:
        metadata["dependencies"] = (
            dict(dependencies) if isinstance(dependencies, Mapping) else list(dependencies)
        )
    if conflicts_with is not None:
        metadata["conflicts"] = list(conflicts_with)
    metadata = {k: v for k, v in metadata.items() if v is not None}
    if normalize(name) != info.name:
        metadata["display_name"] = name
    previous, info.metadata = info.metadata, metadata
    plugins = bot.services.extra.get("plugins")
    if plugins is None:
        return True
    plugins.sync()
    _issues, blocking = plugins.validate(info.name)
    if blocking:
        info.metadata = previous
        plugins.sync()
        reason = "; ".join(i.message for i in blocking)
        raise ExtensionRefused(f"refused by the plugin registry: {reason}")
    return True
