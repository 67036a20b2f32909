"""The bot's control socket: attach a console or a command to a running bot.

- :class:`~zoryx.control.server.ControlServer`: started by the runtime; serves the read
  model (:mod:`zoryx.readmodel`) and the operator API on ``<data_dir>/zoryx.sock``
  (0600, the bot's user and root only) and optionally on TCP with TLS and tokens.
- :class:`~zoryx.control.client.RemoteSource`: the client, a
  :class:`zoryx.readmodel.Source` (``zoryx tui --attach``, ``zoryx status``, ``zoryx ctl``).
- :class:`~zoryx.control.tokens.TokenStore`: ``zoryx token create|list|revoke``.

Names are imported on first use, so ``zoryx --help`` does not load aiohttp. See
docs/control-socket.md for the protocol and the security rules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import RemoteSource
    from .errors import ControlRefused, ControlSocketError, NoBot, Unreachable
    from .server import ControlServer
    from .settings import ControlSettings, data_dir_of, load_control_settings
    from .tokens import TokenError, TokenStore

_HOMES = {
    "RemoteSource": "client",
    "ControlRefused": "errors",
    "ControlSocketError": "errors",
    "NoBot": "errors",
    "Unreachable": "errors",
    "ControlServer": "server",
    "ControlSettings": "settings",
    "data_dir_of": "settings",
    "load_control_settings": "settings",
    "TokenError": "tokens",
    "TokenStore": "tokens",
}

__all__ = [
    "ControlRefused",
    "ControlServer",
    "ControlSettings",
    "ControlSocketError",
    "NoBot",
    "RemoteSource",
    "TokenError",
    "TokenStore",
    "Unreachable",
    "data_dir_of",
    "load_control_settings",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
