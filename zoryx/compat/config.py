"""``bot.config``: read access to ``config.json`` by key, as the earlier framework offered.

``bot.config.get("prefix")`` returns the value of a key; dotted keys reach into
sections (``"database.base_path"``), and keys Zoryx does not know (an extension's own,
such as ``"reports_channel_id"``) come back as written in ``config.json``.

The earlier framework's documentation used the call both plainly and awaited
(``await bot.config.get("prefix")``). Both work here: when the call is awaited, ``get``
returns an awaitable that yields the same value. Which form is used is read from the
calling code itself (a cached look at its bytecode), so the plain form returns the plain
value with no wrapper.
"""

from __future__ import annotations

import dis
import sys
from collections.abc import Callable, Generator
from types import CodeType
from typing import Any

from zoryx.config import Config

from .atomic_file_system import AtomicFileHandler, global_file_handler

__all__ = ["ConfigAccess"]

_MISSING = object()
_AWAITED: dict[tuple[CodeType, int], bool] = {}
_AWAITED_CAP = 4096


class _Ready:
    """An awaitable that yields a value already known."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, Any]:
        return self.value
        yield  # pragma: no cover - makes this a generator


def _is_awaited(depth: int) -> bool:
    """Whether the call ``depth`` frames up is directly awaited (``await f(...)``)."""
    frame = sys._getframe(depth + 1)
    key = (frame.f_code, frame.f_lasti)
    known = _AWAITED.get(key)
    if known is not None:
        return known
    # f_lasti points at the CALL or into its inline caches; the next real instruction
    # of an awaited call is GET_AWAITABLE.
    awaited = False
    for ins in dis.get_instructions(frame.f_code):
        if ins.offset > frame.f_lasti and ins.opname not in ("CACHE", "EXTENDED_ARG", "NOP"):
            awaited = ins.opname == "GET_AWAITABLE"
            break
    if len(_AWAITED) >= _AWAITED_CAP:
        _AWAITED.clear()
    _AWAITED[key] = awaited
    return awaited


class ConfigAccess:
    """Key access to the bot's ``config.json`` (read-only; see ``zoryx.config`` to write).

    Args:
        config: Returns the current :class:`zoryx.config.Config`.
    """

    def __init__(self, config: Callable[[], Config]) -> None:
        self._config = config
        self.file_handler: AtomicFileHandler = global_file_handler

    def lookup(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` (dotted for sections), or ``default``."""
        node: Any = self._config().to_dict()
        if isinstance(node, dict) and key in node:
            return node[key]
        for part in key.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return default
        return node

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``; awaitable too (``await bot.config.get(key)``)."""
        value = self.lookup(key, default)
        return _Ready(value) if _is_awaited(1) else value

    def __getitem__(self, key: str) -> Any:
        value = self.lookup(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.lookup(key, _MISSING) is not _MISSING

    @property
    def data(self) -> dict[str, Any]:
        """The whole config as a plain dict (unknown keys included)."""
        return self._config().to_dict()
