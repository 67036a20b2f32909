"""The plugin registry service: keeps :class:`PluginRegistry` in step with the bot, refuses
bad loads before an extension's code runs, orders loads dependency-first, persists the
registry (``data/plugin_registry.json``) and its settings
(``data/plugin_registry_config.json``) and raises throttled alerts.

Faces (the Discord cog, the console's Plugins pane) call this object; it holds no
Discord UI code.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from cogs.event_hooks.breaker import AlertThrottle
from zoryx.extensions import ExtensionRefused
from zoryx.redaction import redactor_of

from .registry import Issue, PluginRecord, PluginRegistry, marker, plugin_name, record_from_metadata

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot
    from zoryx.extensions import ExtensionInfo

log = logging.getLogger("zoryx.plugins")

REGISTRY_FILE = "plugin_registry.json"
CONFIG_FILE = "plugin_registry_config.json"
AlertSink = Callable[[str, str], Awaitable[None]]
Group = Literal["deps", "conflicts"]


class PluginRegistryService:
    """Registry of extensions and framework cogs for one bot.

    Args:
        bot: The running bot (read: its extension manager, extensions, cogs, commands).
        alert: ``async (kind, message)`` for alerts that pass the throttle.
        clock: Monotonic clock for alert throttling (injectable).
    """

    def __init__(
        self,
        bot: ZoryxBot,
        *,
        alert: AlertSink | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot = bot
        self.registry = PluginRegistry()
        self.alert_sink = alert
        self.alert_channel_id: int | None = None
        self.throttle = AlertThrottle(300.0, clock)
        self.alerts: deque[tuple[float, str, str]] = deque(maxlen=50)
        self.refusals: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._saved: Any = None

    @property
    def manager(self) -> Any:
        return self.bot.extension_manager

    @property
    def data_dir(self) -> Any:
        return self.bot.services.data_dir

    # -- install into the extension manager ----------------------------------------------
    def install(self) -> None:
        if self.before_load not in self.manager.before_load:
            self.manager.before_load.append(self.before_load)
        self.manager.order = self.order

    def uninstall(self) -> None:
        with contextlib.suppress(ValueError):
            self.manager.before_load.remove(self.before_load)
        if getattr(self.manager, "order", None) == self.order:
            self.manager.order = None

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    # -- keeping records current --------------------------------------------------------
    def sync(self) -> None:
        """Rebuild the records from the manager's (already discovered) extensions."""
        records = [self._record(info) for info in self.manager.extensions.values()]
        names = {r.name for r in records}
        records += [r for r in self._framework_records() if r.name not in names]
        self.registry.set_records(records)

    async def refresh(self) -> None:
        """Re-scan the extensions folder, rebuild the records and persist them if changed."""
        await self.manager.discover()
        self.sync()
        await self.save_registry()

    def _record(self, info: ExtensionInfo) -> PluginRecord:
        record = record_from_metadata(info.name, info.metadata)
        record.state = info.state
        # Stored in plugin_registry.json and shown by the faces: never with secrets in it.
        record.error = redactor_of(self.bot).redact_optional(info.error)
        if info.state == "loaded":
            record.load_ms = info.load_ms
            record.loaded_at = info.loaded_at
            record.commands, record.cogs = self._provided(info.module)
        # Metadata is optional: an extension without any loads with no warning.
        return record

    def _framework_records(self) -> list[PluginRecord]:
        from zoryx import __version__
        from zoryx.bot import CORE_COGS, FRAMEWORK_COGS

        out = []
        for module in (*CORE_COGS, *FRAMEWORK_COGS.values()):
            loaded = module in self.bot.extensions
            if not loaded and not _exists(module):
                continue
            record = PluginRecord(
                name=plugin_name(module),
                kind="framework",
                state="loaded" if loaded else "disabled",
                version=__version__,
                author="Zoryx",
                description=f"framework cog {module}",
            )
            if loaded:
                record.commands, record.cogs = self._provided(module)
            out.append(record)
        return out

    def _provided(self, module: str) -> tuple[list[str], list[str]]:
        """Commands (prefix, hybrid and slash) and cogs defined in ``module``."""

        def mine(mod: str | None) -> bool:
            return bool(mod) and (mod == module or str(mod).startswith(module + "."))

        names = {c.qualified_name for c in self.bot.walk_commands() if mine(c.module)}
        names |= {
            f"/{c.qualified_name}"
            for c in self.bot.tree.walk_commands()
            if mine(getattr(c, "module", None)) and c.qualified_name not in names
        }
        cogs = sorted(n for n, cog in self.bot.cogs.items() if mine(type(cog).__module__))
        return sorted(names), cogs

    # -- checks -------------------------------------------------------------------------
    def status(self, name: str) -> tuple[str, list[Issue]]:
        issues = self.registry.check(plugin_name(name))
        return marker(issues), issues

    def validate(self, name: str) -> tuple[list[Issue], list[Issue]]:
        """``(issues, blocking)`` for loading ``name`` now (blocking = would be refused)."""
        name = plugin_name(name)
        record = self.registry.get(name)
        if record is None:
            return [Issue("missing", name, f"{name} is not installed")], []
        present = {n: r for n, r in self.registry.present().items() if n != name}
        issues = self.registry.check(name, record, present)
        return issues, self.registry.blocking(issues)

    async def before_load(self, info: ExtensionInfo) -> None:
        """The extension manager's pre-load check: raises ExtensionRefused to refuse."""
        self.sync()
        issues, blocking = self.validate(info.name)
        if blocking:
            reason = redactor_of(self.bot).redact("; ".join(i.message for i in blocking))
            self.refusals[info.name] = reason
            self.alert(f"refused:{info.name}", f"Refused to load `{info.name}`: {reason}.")
            raise ExtensionRefused(f"refused by the plugin registry: {reason}")
        self.refusals.pop(info.name, None)
        serious = [i for i in issues if i.group is not None]
        if serious:
            self.alert(
                f"issues:{info.name}",
                f"Loading `{info.name}` despite issues "
                f"(enforcement off): {'; '.join(i.message for i in serious)}.",
            )
        scan = [i for i in issues if i.kind == "scan"]
        if scan:
            self.alert(
                f"scan:{info.name}",
                f"Metadata problems in `{info.name}`: {'; '.join(i.message for i in scan)}.",
            )

    def order(self, names: list[str]) -> list[str]:
        """Dependency-first order for ``ExtensionManager.load_all``."""
        self.sync()
        return self.registry.order(names)

    # -- settings -------------------------------------------------------------------------
    def enforcement(self) -> dict[str, bool]:
        return {"deps": self.registry.enforce_deps, "conflicts": self.registry.enforce_conflicts}

    async def set_enforce(self, group: Group, value: bool | None = None) -> bool:
        """Set (or toggle, when ``value`` is None) an enforcement switch; persisted."""
        current = self.enforcement()[group]
        new = (not current) if value is None else value
        if group == "deps":
            self.registry.enforce_deps = new
        else:
            self.registry.enforce_conflicts = new
        await self.save_config()
        return new

    async def set_alert_channel(self, channel_id: int | None) -> None:
        self.alert_channel_id = channel_id
        await self.save_config()

    async def load_config(self) -> None:
        data = await self.bot.services.store.read_json(self.data_dir / CONFIG_FILE, default={})
        data = data if isinstance(data, dict) else {}
        channel = data.get("alert_channel_id")
        self.alert_channel_id = channel if isinstance(channel, int) else None
        self.registry.enforce_deps = data.get("enforce_dependencies", True) is not False
        self.registry.enforce_conflicts = data.get("enforce_conflicts", True) is not False

    async def save_config(self) -> None:
        await self.bot.services.store.write_json(
            self.data_dir / CONFIG_FILE,
            {
                "alert_channel_id": self.alert_channel_id,
                "enforce_dependencies": self.registry.enforce_deps,
                "enforce_conflicts": self.registry.enforce_conflicts,
            },
        )

    def snapshot(self) -> dict[str, Any]:
        """The registry as JSON-ready data (also what ``plugin_registry.json`` holds)."""
        plugins = {}
        for name, record in sorted(self.registry.records.items()):
            issues = self.registry.check(name)
            plugins[name] = {
                **record.to_dict(),
                "status": marker(issues),
                "issues": [i.message for i in issues],
                "refused": self.refusals.get(name),
            }
        return {"enforcement": self.enforcement(), "plugins": plugins}

    async def save_registry(self) -> None:
        data = self.snapshot()
        if data == self._saved:
            return
        await self.bot.services.store.write_json(
            self.data_dir / REGISTRY_FILE, {**data, "updated_at": time.time()}
        )
        self._saved = data

    # -- alerts ---------------------------------------------------------------------------
    def alert(self, kind: str, message: str) -> None:
        log.warning("plugin registry: %s", message)
        if not self.throttle.allow(kind):
            return
        self.alerts.append((time.time(), kind, message))
        if self.alert_sink is None:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(kind, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, kind: str, message: str) -> None:
        assert self.alert_sink is not None
        try:
            await self.alert_sink(kind, message)
        except Exception:
            log.exception("could not deliver plugin alert %s", kind)


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ModuleNotFoundError, ValueError):
        return False
