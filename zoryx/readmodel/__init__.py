"""The console's read model: plain snapshots of a running bot, read through a :class:`Source`.

Every console pane (and any later face) reads *views* — JSON-able data (dicts, lists,
str, int, float, bool, None) — by name, and acts only through the operator API by action
name. Two sources implement the same calls:

- :class:`~zoryx.readmodel.local.LocalSource`: in the bot's own process and event loop
  (``zoryx tui``); a view is a direct function call, no copies beyond what it returns.
- ``zoryx.control.client.RemoteSource``: over the bot's control socket
  (``zoryx tui --attach``); the server runs the very same view functions.

A view function is registered with :func:`view` and takes the runtime plus keyword
parameters; it never returns live objects (no bot, cog, service or discord.py model).
"""

from __future__ import annotations

from .registry import VIEWS, UnknownView, ViewFunction, plain, read_view, view
from .source import ActionFailed, BotInfo, Source, SourceLost

__all__ = [
    "VIEWS",
    "ActionFailed",
    "BotInfo",
    "Source",
    "SourceLost",
    "UnknownView",
    "ViewFunction",
    "plain",
    "read_view",
    "view",
]
