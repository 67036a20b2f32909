"""The registry of read-model views and the conversion of results to plain data."""

from __future__ import annotations

import dataclasses
import enum
import importlib
from collections.abc import Awaitable, Callable, Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zoryx.runtime import Runtime

__all__ = ["VIEWS", "UnknownView", "ViewFunction", "plain", "read_view", "view"]

ViewFunction = Callable[..., Awaitable[Any]]
"""``async def name(runtime: Runtime, **params) -> plain data``."""

#: name -> view function. Filled by the ``views_*`` modules listed in :data:`_VIEW_MODULES`.
VIEWS: dict[str, ViewFunction] = {}

#: Modules that register views (imported once, on the first read).
_VIEW_MODULES: tuple[str, ...] = (
    "zoryx.readmodel.views_bot",
    "zoryx.readmodel.views_world",
    "zoryx.readmodel.views_backups",
    "zoryx.readmodel.views_shard_health",
    "zoryx.readmodel.views_cluster",
)
_loaded = False


class UnknownView(LookupError):
    """No view has that name."""


def view(name: str) -> Callable[[ViewFunction], ViewFunction]:
    """Register ``async def fn(runtime, **params)`` as the view ``name``."""

    def register(fn: ViewFunction) -> ViewFunction:
        if name in VIEWS and VIEWS[name] is not fn:
            raise ValueError(f"view {name!r} is registered twice")
        VIEWS[name] = fn
        return fn

    return register


def _load_views() -> None:
    global _loaded
    if not _loaded:
        for module in _VIEW_MODULES:
            importlib.import_module(module)
        _loaded = True


async def read_view(runtime: Runtime, name: str, params: Mapping[str, Any] | None = None) -> Any:
    """Run the view ``name`` against ``runtime``.

    Raises:
        UnknownView: no view is registered under ``name``.
    """
    _load_views()
    fn = VIEWS.get(name)
    if fn is None:
        raise UnknownView(f"no view named {name!r}")
    return await fn(runtime, **dict(params or {}))


def plain(value: Any) -> Any:
    """``value`` as JSON-able data: dataclasses become dicts, paths and enums strings.

    Used on action results (the operator API returns dataclasses and paths) so both
    sources hand the panes the same types.

    Raises:
        TypeError: for a value with no plain form (a live object must never leave a view).
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, PurePath):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    raise TypeError(f"{type(value).__name__} has no plain form")
