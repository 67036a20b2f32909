"""Zoryx's own commands (the ones in ``cogs.*``): what they are called, and the
``builtin_commands`` section of config.json that turns some off or renames them.

The config is applied to each built-in cog just before discord.py registers it, so a
turned-off command never reaches the prefix table or the slash command tree, and a
renamed one is registered (prefix and slash form) under its new name only.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import logging
import pkgutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from discord import app_commands
from discord.ext import commands

from .config import CONFIG_FILENAME, BuiltinCommandsConfig, Config, ConfigError

log = logging.getLogger("zoryx.builtins")

BUILTIN_PACKAGES = ("cogs", "zoryx")
"""Top-level packages whose commands are Zoryx's own (everything else is a user's)."""


def is_builtin_module(module: str | None) -> bool:
    """Whether code from ``module`` is part of Zoryx (``cogs.*``, ``zoryx.*``)."""
    return bool(module) and str(module).partition(".")[0] in BUILTIN_PACKAGES


def command_module(command: Any) -> str | None:
    """The module a prefix, hybrid or app command (or app command group) comes from."""
    module = getattr(command, "module", None)
    if module is None:
        callback = getattr(command, "callback", None)
        module = getattr(callback, "__module__", None)
    return module if isinstance(module, str) else None


# -- the catalog: every built-in name, whether or not its cog is switched on -------------


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One built-in name: a command, or an alias of ``command``."""

    name: str
    command: str
    module: str

    @property
    def is_alias(self) -> bool:
        return self.name != self.command


def _framework_packages() -> tuple[str, ...]:
    from .bot import CORE_COGS, FRAMEWORK_COGS

    return (*CORE_COGS, *FRAMEWORK_COGS.values())


def _modules(package: str) -> Iterator[Any]:
    try:
        root = importlib.import_module(package)
    except Exception:  # a broken or missing framework package is reported when it loads
        log.debug("built-in package %s could not be imported", package, exc_info=True)
        return
    yield root
    for found in pkgutil.walk_packages(getattr(root, "__path__", []), package + "."):
        try:
            yield importlib.import_module(found.name)
        except Exception:
            log.debug("built-in module %s could not be imported", found.name, exc_info=True)


def _cog_classes(module: Any) -> Iterator[type[commands.Cog]]:
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, commands.Cog)
            and value.__module__ == module.__name__
        ):
            yield value


def builtin_catalog(packages: Iterable[str] | None = None) -> dict[str, CatalogEntry]:
    """Every top-level built-in command name and alias (prefix and slash), by name.

    Read from the cog classes of the framework packages, so commands of framework cogs
    that are switched off are included.
    """
    catalog: dict[str, CatalogEntry] = {}
    for package in packages if packages is not None else _framework_packages():
        for module in _modules(package):
            for cog in _cog_classes(module):
                for command in cog.__cog_commands__:
                    if command.parent is not None:
                        continue
                    for name in (command.name, *command.aliases):
                        catalog.setdefault(
                            name.lower(), CatalogEntry(name.lower(), command.name, module.__name__)
                        )
                for app in cog.__cog_app_commands__:
                    catalog.setdefault(app.name, CatalogEntry(app.name, app.name, module.__name__))
    return catalog


def check_builtin_commands(config: Config, catalog: dict[str, CatalogEntry] | None = None) -> None:
    """Refuse ``builtin_commands`` entries that name no built-in command or alias, and
    renames onto a name a built-in command still uses.

    Raises:
        ConfigError: naming the key at fault, with the closest built-in name.
    """
    section = config.builtin_commands
    if not section.disabled and not section.renamed:
        return
    known = builtin_catalog() if catalog is None else catalog
    for i, name in enumerate(section.disabled):
        _require_known(known, name, f"builtin_commands.disabled[{i}]")
    for old, new in section.renamed.items():
        _require_known(known, old, f"builtin_commands.renamed.{old}")
        taken = known.get(new)
        if taken is None or new == old:
            continue
        if new in section.disabled or new in section.renamed:
            continue  # that name is freed by this same section
        what = "an alias of the built-in command" if taken.is_alias else "the built-in command"
        raise ConfigError(
            f'builtin_commands.renamed.{old}: "{new}" is already {what} "{taken.command}"; '
            "choose another name, or disable or rename that one too",
            key=f"builtin_commands.renamed.{old}",
            file=CONFIG_FILENAME,
        )


def _require_known(known: dict[str, CatalogEntry], name: str, path: str) -> None:
    if name in known:
        return
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    raise ConfigError(
        f'{path}: Zoryx has no built-in command or alias "{name}"{hint}',
        key=path,
        file=CONFIG_FILENAME,
    )


# -- applying the config to a built-in cog ----------------------------------------------


def apply_builtin_config(cog: commands.Cog, section: BuiltinCommandsConfig) -> list[str]:
    """Turn off and rename the cog's commands as ``section`` says, before it is added.

    Returns one line per change made (for the log).
    """
    if not section.disabled and not section.renamed:
        return []
    disabled, renamed = set(section.disabled), section.renamed
    changes: list[str] = []
    kept: list[commands.Command[Any, ..., Any]] = []
    for command in cog.__cog_commands__:
        if command.parent is None and command.name.lower() in disabled:
            changes.append(f"turned off built-in command {command.name!r}")
            continue
        kept.append(command)
        if command.parent is None:
            changes.extend(_edit_aliases(command, disabled, renamed))
            new = renamed.get(command.name.lower())
            if new is not None:
                changes.append(f"renamed built-in command {command.name!r} to {new!r}")
                _rename(command, new)
    if len(kept) != len(cog.__cog_commands__):
        cog.__cog_commands__ = tuple(kept)  # type: ignore[assignment,misc]
    if cog.__cog_app_commands_group__ is None:
        apps: list[Any] = []
        for app in cog.__cog_app_commands__:
            if app.name in disabled:
                changes.append(f"turned off built-in slash command {app.name!r}")
                continue
            new = renamed.get(app.name)
            if new is not None:
                changes.append(f"renamed built-in slash command {app.name!r} to {new!r}")
                _rename_app(app, new)
            apps.append(app)
        cog.__cog_app_commands__ = apps
    return changes


def _edit_aliases(
    command: commands.Command[Any, ..., Any], disabled: set[str], renamed: dict[str, str]
) -> list[str]:
    changes: list[str] = []
    aliases: list[str] = []
    for alias in command.aliases:
        key = alias.lower()
        if key in disabled:
            changes.append(f"turned off alias {alias!r} of built-in command {command.name!r}")
        elif key in renamed:
            changes.append(f"renamed alias {alias!r} of {command.name!r} to {renamed[key]!r}")
            aliases.append(renamed[key])
        else:
            aliases.append(alias)
    if changes:
        command.aliases = aliases
    return changes


def _rename(command: commands.Command[Any, ..., Any], new: str) -> None:
    command.name = new
    app = getattr(command, "app_command", None)
    if app is not None:
        _rename_app(app, new)


def _rename_app(app: Any, new: str) -> None:
    app.name = new
    with contextlib.suppress(AttributeError):
        app._locale_name = app_commands.locale_str(new)
