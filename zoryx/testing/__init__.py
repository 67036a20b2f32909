"""Test helpers for Zoryx extensions: a sandbox Discord and a running bot, as fixtures.

The pytest plugin (:mod:`zoryx.testing.plugin`) is registered through the ``pytest11``
entry point, so installing Zoryx makes the fixtures available in any project.
"""

from .bots import BotRunner, run_bot
from .waits import eventually

__all__ = ["BotRunner", "eventually", "run_bot"]
