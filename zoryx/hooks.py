"""The event-hook service interface shared by the hooks feature and its faces.

The implementation lives in ``cogs/event_hooks``; it registers itself as
``services.extra["hooks"]``. Faces (the console's Hooks pane, Discord commands) use only
what this module declares.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

CircuitState = Literal["closed", "open", "half-open"]
HookCallback = Callable[..., Awaitable[Any]]
BUILTIN_EVENTS = (
    "bot_ready",
    "guild_joined",
    "guild_left",
    "command_executed",
    "command_error",
    "extension_loaded",
    "extension_unloaded",
)


@dataclass(frozen=True)
class HookInfo:
    """One registered hook as faces see it."""

    hook_id: str  # "event:callback"
    event: str
    priority: int
    enabled: bool
    calls: int
    failures: int
    mean_ms: float
    mean_queue_ms: float
    circuit: CircuitState
    last_error: str | None = None


@dataclass(frozen=True)
class HookExecution:
    """One entry of the execution history."""

    at: float
    event: str
    hook_id: str
    ok: bool
    duration_ms: float
    error: str | None = None


class HookService(Protocol):
    """What ``services.extra["hooks"]`` provides."""

    async def emit(self, event: str, **kwargs: Any) -> None: ...

    def register(self, event: str, callback: HookCallback, priority: int = 0) -> str: ...

    def unregister(self, event: str, callback: HookCallback) -> bool: ...

    def hooks(self) -> list[HookInfo]: ...

    def history(self, limit: int = 20, event: str | None = None) -> list[HookExecution]: ...

    def set_enabled(self, hook_id: str, enabled: bool) -> None: ...

    async def save(self) -> None:
        """Persist what survives a restart (disabled hooks); a no-op until a store is set."""
        ...

    def reset_circuit(self, hook_id: str) -> None: ...

    def stats(self) -> dict[str, Any]: ...
