"""Helpers for the diagnostics and slash-limiter tests (bot dirs, runtimes, embed fields)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cogs.framework_diagnostics.health import HealthWindow
from zoryx.runtime import Runtime

# The other framework cogs are built concurrently and tested on their own.
OTHERS_OFF = {"enable_event_hooks": False, "enable_plugin_registry": False}


def bot_dir(
    root: Path, config: dict[str, Any] | None = None, extensions: dict[str, str] | None = None
) -> Path:
    """A bot directory (no hot reload) with ``config`` merged over the test defaults."""
    ext = root / "extensions"
    ext.mkdir(parents=True, exist_ok=True)
    config = dict(config or {})
    framework = {**OTHERS_OFF, **config.pop("framework", {})}
    # Every error is answered (the reply throttle is tested in tests/core/test_refusals.py).
    cooldowns = {"error_reply_window": 0, **config.pop("cooldowns", {})}
    data = {"auto_reload": False, "framework": framework, "cooldowns": cooldowns, **config}
    (root / "config.json").write_text(json.dumps(data), encoding="utf-8")
    for name, source in (extensions or {}).items():
        (ext / f"{name}.py").write_text(source, encoding="utf-8")
    return root


async def start(
    root: Path, environ: dict[str, str] | None = None, options: dict[str, Any] | None = None
) -> Runtime:
    rt = Runtime(root, console_logging=False, environ=environ or {}, sandbox_world="demo")
    await rt.build()
    rt.services.extra["diagnostics_options"] = options or {}
    await rt.start()
    return rt


def field(msg: Any, name: str) -> str:
    for item in msg.embeds[0].get("fields", []):
        if item["name"] == name:
            return str(item["value"])
    raise AssertionError(f"no field {name!r}")


def description(msg: Any) -> str:
    return str(msg.embeds[0].get("description") or "")


class Counters:
    """Injected lifetime (commands, errors) counters."""

    def __init__(self) -> None:
        self.commands = 0
        self.errors = 0

    def add(self, commands: int, errors: int) -> None:
        self.commands += commands
        self.errors += errors

    def __call__(self) -> tuple[int, int]:
        return self.commands, self.errors


def service(rt: Runtime) -> Any:
    return rt.services.extra["diagnostics"]


async def fresh_counters(rt: Runtime) -> Counters:
    """Swap in injected counters and an empty window; the first check sets the baseline."""
    counters = Counters()
    svc = service(rt)
    svc.counters = counters
    svc.window = HealthWindow()
    await svc.run_check()
    return counters
