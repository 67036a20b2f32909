"""Views of the bot's features: commands (and their usage), plugins, event hooks.

Registered by importing :mod:`zoryx.readmodel.views_bot`.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

from .registry import plain, view

if TYPE_CHECKING:
    from zoryx.runtime import Runtime

__all__: list[str] = []

#: Channels a command run from the console goes to, in order of preference.
RUN_CHANNELS = ("bot-commands", "general")


# -- commands ------------------------------------------------------------------------------
def _command_rows(bot: Any) -> list[dict[str, str]]:
    """Every invokable command: prefix, hybrid, converted-to-slash and slash-only."""
    from discord import app_commands
    from discord.ext import commands

    rows: dict[tuple[str, str], dict[str, str]] = {}
    for command in bot.walk_commands():
        if command.extras.get("zoryx_converted"):
            kind = "converted"
        elif isinstance(command, commands.HybridCommand | commands.HybridGroup):
            kind = "hybrid"
        else:
            kind = "prefix"
        text = command.short_doc or command.description or ""
        name = command.qualified_name
        rows[kind, name] = {
            "name": name,
            "kind": kind,
            "cog": command.cog_name or "—",
            "description": text,
        }
    prefix_names = {name for _, name in rows}
    for command in bot.tree.walk_commands():
        if isinstance(command, app_commands.Group) or command.qualified_name in prefix_names:
            continue
        if type(command).__name__.startswith("HybridAppCommand"):
            continue
        binding = getattr(command, "binding", None)
        cog = getattr(binding, "qualified_name", None) or "—"
        name = command.qualified_name
        rows["slash", name] = {
            "name": name,
            "kind": "slash",
            "cog": cog,
            "description": command.description or "",
        }
    return [rows[key] for key in sorted(rows, key=lambda k: (k[1], k[0]))]


async def _run_target(bot: Any) -> dict[str, Any] | None:
    """Where a command run from the console goes: the first guild's command channel."""
    if not bot.guilds or not bot.guilds[0].text_channels:
        return None
    guild = bot.guilds[0]
    channels = guild.text_channels
    channel = next((c for name in RUN_CHANNELS for c in channels if c.name == name), channels[0])
    prefix, _ = await bot.prefixes.for_guild(guild.id)
    return {
        "guild": guild.name,
        "channel": channel.name,
        "channel_id": channel.id,
        "prefix": prefix,
    }


@view("commands")
async def commands_view(runtime: Runtime, target: bool = False) -> dict[str, Any]:
    """The Commands pane's rows, and whether commands can be run on the sandbox.

    Args:
        target: Also say where a command run from the console goes (guild, channel,
            prefix), for the embedded sandbox.
    """
    bot = runtime.bot
    sandbox = (
        "embedded" if runtime.sandbox is not None else ("attached" if runtime.on_sandbox else None)
    )
    if bot is None:
        return {"ready": False, "rows": [], "sandbox": sandbox}
    out: dict[str, Any] = {"ready": True, "rows": _command_rows(bot), "sandbox": sandbox}
    if target and sandbox == "embedded":
        out["target"] = await _run_target(bot)
    return out


@view("command_usage")
async def command_usage(runtime: Runtime, names: list[str] | None = None) -> dict[str, Any]:
    """Uses, failures and last use (UNIX time) of each command in ``names`` (default: all)."""
    services, bot = runtime.services, runtime.bot
    if services is None or bot is None:
        return {}
    if names is None:
        names = sorted({row["name"] for row in _command_rows(bot)})
    results = await asyncio.gather(
        *(services.db.command_usage(name) for name in names), return_exceptions=True
    )
    return {
        name: {"count": r.count, "errors": r.errors, "last_used": r.last_used}
        for name, r in zip(names, results, strict=True)
        if not isinstance(r, BaseException)
    }


# -- plugins -------------------------------------------------------------------------------
def _extension(info: Any, registry: Any) -> dict[str, Any]:
    meta = info.metadata
    relations = []
    if meta.get("dependencies"):
        relations.append("needs " + ", ".join(map(str, meta["dependencies"])))
    if meta.get("conflicts"):
        relations.append("conflicts " + ", ".join(map(str, meta["conflicts"])))
    mark = ""
    if registry is not None:
        # The registry's findings (missing deps, conflicts, cycles) go with the relations;
        # its mark never replaces the state's own icon.
        try:
            mark, issues = registry.status(info.name)
        except KeyError:
            pass
        else:
            relations += [str(issue.message) for issue in issues]
            mark = mark if issues else ""
    return {
        "kind": "ext",
        "name": info.name,
        "state": info.state,
        "version": str(meta.get("version", "—")),
        "author": str(meta.get("author", "—")),
        "load_ms": info.load_ms,
        "reloads": info.reloads,
        "relations": relations,
        "problem": bool(info.error),
        "mark": mark,
    }


def _cog(name: str, cog: Any) -> dict[str, Any] | None:
    module = type(cog).__module__
    if not module.startswith("cogs."):
        return None
    package = sys.modules.get(module.rsplit(".", 1)[0])
    source = sys.modules.get(module)
    version = getattr(source, "__version__", None) or getattr(package, "__version__", None)
    if version is None:  # framework cogs ship with, and are versioned as, the framework
        import zoryx

        version = zoryx.__version__
    author = getattr(source, "__author__", None) or getattr(package, "__author__", "Zoryx")
    return {
        "kind": "cog",
        "name": name,
        "state": "loaded",
        "version": str(version),
        "author": str(author),
        "load_ms": None,
        "reloads": None,
        "relations": [],
        "problem": False,
        "mark": "",
    }


@view("plugins")
async def plugins(runtime: Runtime) -> dict[str, Any]:
    """Extensions (found on disk again, off the loop) then framework cogs, by name."""
    bot = runtime.bot
    if bot is None or runtime.services is None:
        return {"ready": False, "rows": []}
    manager = bot.extension_manager
    await manager.discover()
    registry = runtime.services.extra.get("plugins")
    rows = sorted(
        (_extension(info, registry) for info in manager.extensions.values()),
        key=lambda row: row["name"],
    )
    cogs = (_cog(name, cog) for name, cog in bot.cogs.items())
    rows += sorted((row for row in cogs if row is not None), key=lambda row: row["name"])
    return {"ready": True, "rows": rows}


@view("extension")
async def extension(runtime: Runtime, name: str) -> dict[str, Any] | None:
    """One extension's state, last error and traceback (None: no such extension)."""
    bot = runtime.bot
    info = None if bot is None else bot.extension_manager.get(name)
    if info is None:
        return None
    return {
        "name": info.name,
        "state": info.state,
        "reloads": info.reloads,
        "load_ms": info.load_ms,
        "error": info.error,
        "traceback": info.traceback,
    }


# -- hooks ---------------------------------------------------------------------------------
@view("hooks")
async def hooks(runtime: Runtime, history: int = 20) -> dict[str, Any]:
    """The event hooks with their metrics, the latest executions, and when the feature is
    off, why (the switches and a load failure)."""
    services, bot = runtime.services, runtime.bot
    service = None if services is None else services.extra.get("hooks")
    if service is None:
        toggles = {} if services is None else services.toggles
        failures = getattr(bot, "framework_failures", {})
        return {
            "on": False,
            "failure": failures.get("cogs.event_hooks"),
            "load_cogs": bool(toggles.get("load_cogs", True)),
            "enable_event_hooks": bool(toggles.get("enable_event_hooks", True)),
        }
    return {
        "on": True,
        "hooks": plain(service.hooks()),
        "stats": plain(service.stats()),
        "history": plain(service.history(max(0, min(history, 200)))),
    }
