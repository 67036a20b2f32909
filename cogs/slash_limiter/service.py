"""The slash command limiter: keeps the global slash command count under Discord's limit.

Discord refuses a sync with more than 100 global chat-input commands (error 30032) and then
registers none of the new ones. While installed, the limiter intercepts
``bot.tree.add_command``: once the tree holds ``safe_limit`` global slash commands, a new
*pure* slash command (not a group, not the slash half of a hybrid command) is turned into a
prefix command instead (:mod:`.converter`) and never reaches the tree. Groups and hybrid
commands are left alone unless adding them would pass the hard limit (``max_limit``); then
they are blocked. Limits are read from ``config.slash_limiter`` every time, so changing the
config changes what happens to the next command.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import MISSING

from . import counter
from .converter import UnsupportedCommand, convert_command

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

log = logging.getLogger("zoryx.slash_limiter")
EXEMPT = frozenset({"slashlimit"})


@dataclass(frozen=True, slots=True)
class Limits:
    max_limit: int
    warning_threshold: int
    safe_limit: int


@dataclass(frozen=True, slots=True)
class LimiterEntry:
    """A slash command the limiter converted to a prefix command or blocked."""

    name: str
    kind: Literal["converted", "blocked"]
    reason: str
    at: float
    module: str | None
    cog: str | None
    count: int  # global slash commands in the tree when it was intercepted


@dataclass(frozen=True, slots=True)
class LimiterSnapshot:
    counts: counter.SlashCount
    limits: Limits
    status: counter.Status
    converted: tuple[LimiterEntry, ...]
    blocked: tuple[LimiterEntry, ...]
    installed: bool


class SlashLimiterService:
    """Counts, intercepts and remembers. ``install()`` hooks the bot's command tree."""

    def __init__(
        self,
        bot: ZoryxBot,
        limits: Callable[[], Any] | None = None,
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.bot = bot
        self._limits_source = limits or (lambda: bot.services.config.slash_limiter)
        self.wall = wall
        self._converted: dict[str, tuple[LimiterEntry, commands.Command[Any, ..., Any]]] = {}
        self._blocked: dict[str, LimiterEntry] = {}
        self._original_add: Callable[..., Any] | None = None
        self._original_remove: Callable[..., Any] | None = None
        self._warned = False

    # -- limits & counts ---------------------------------------------------------------
    def limits(self) -> Limits:
        """The configured limits, made consistent (warning ≤ safe ≤ max ≤ 100)."""
        cfg = self._limits_source()
        hard = max(1, min(int(getattr(cfg, "max_limit", 100)), 100))
        safe = max(0, min(int(getattr(cfg, "safe_limit", 95)), hard))
        warning = max(0, min(int(getattr(cfg, "warning_threshold", 90)), safe))
        return Limits(hard, warning, safe)

    def count(self) -> counter.SlashCount:
        return counter.count(self.bot.tree)

    def status(self) -> counter.Status:
        limits = self.limits()
        return counter.status_for(self.count().total, limits.warning_threshold, limits.safe_limit)

    def converted(self) -> list[LimiterEntry]:
        self._prune()
        return sorted((e for e, _ in self._converted.values()), key=lambda e: e.name)

    def blocked(self) -> list[LimiterEntry]:
        self._prune()
        return sorted(self._blocked.values(), key=lambda e: e.name)

    def is_converted(self, name: str) -> bool:
        return name in self._converted

    def snapshot(self) -> LimiterSnapshot:
        return LimiterSnapshot(
            self.count(),
            self.limits(),
            self.status(),
            tuple(self.converted()),
            tuple(self.blocked()),
            self.installed,
        )

    # -- installation ------------------------------------------------------------------
    @property
    def installed(self) -> bool:
        return self._original_add is not None

    def install(self) -> None:
        """Intercept ``bot.tree.add_command``/``remove_command`` (idempotent)."""
        if self.installed:
            return
        tree = self.bot.tree
        self._original_add = tree.add_command
        self._original_remove = tree.remove_command
        tree.add_command = self._add_command  # type: ignore[method-assign]
        tree.remove_command = self._remove_command  # type: ignore[method-assign]
        self._adopt()
        limits, total = self.limits(), self.count().total
        log.info(
            "slash command limiter on: %d/%d global slash commands (warning %d, safe %d)",
            total,
            limits.max_limit,
            limits.warning_threshold,
            limits.safe_limit,
        )
        self._warn(total)

    def uninstall(self) -> None:
        """Stop intercepting. Converted commands stay (they keep working)."""
        tree = self.bot.tree
        ours = {"add_command": self._add_command, "remove_command": self._remove_command}
        for attr, method in ours.items():
            if vars(tree).get(attr) == method:  # leave a wrapper installed after ours alone
                delattr(tree, attr)
        self._original_add = self._original_remove = None

    def _adopt(self) -> None:
        """Remember converted commands left by an earlier instance (limiter reload)."""
        for command in self.bot.commands:
            if command.extras.get("zoryx_converted") and command.name not in self._converted:
                entry = LimiterEntry(
                    command.name,
                    "converted",
                    "converted before the limiter was reloaded",
                    self.wall(),
                    command.module,
                    command.cog.qualified_name if command.cog else None,
                    self.count().total,
                )
                self._converted[command.name] = (entry, command)

    # -- interception ------------------------------------------------------------------
    def _add_command(
        self,
        command: Any,
        /,
        *,
        guild: Any = MISSING,
        guilds: Any = MISSING,
        override: bool = False,
    ) -> None:
        assert self._original_add is not None
        original = self._original_add
        is_global = _is_global(command, guild, guilds)
        chat_input = isinstance(command, app_commands.Command | app_commands.Group)
        if not (is_global and chat_input) or command.name in EXEMPT:
            return original(command, guild=guild, guilds=guilds, override=override)
        existing = self.bot.tree.get_command(command.name)
        total = self.count().total
        after = total if existing is not None else total + 1
        limits = self.limits()
        if existing is None and counter.is_pure_command(command) and after > limits.safe_limit:
            self._convert(command, total, limits)
            return None
        if existing is None and after > limits.max_limit:
            kind = "hybrid command" if counter.is_hybrid(command) else "command group"
            self._block(command, total, f"{kind}: would pass the hard limit ({limits.max_limit})")
            return None
        result = original(command, guild=guild, guilds=guilds, override=override)
        self._warn(after)
        return result

    def _remove_command(self, command: str, /, **options: Any) -> Any:
        assert self._original_remove is not None
        result = self._original_remove(command, **options)
        global_chat = options.get("guild") is None and options.get(
            "type", discord.AppCommandType.chat_input
        ) in (discord.AppCommandType.chat_input, None)
        if global_chat:
            self._blocked.pop(command, None)
            record = self._converted.pop(command, None)
            if record is not None and self.bot.all_commands.get(command) is record[1]:
                self.bot.remove_command(command)
                log.info("removed converted command %s", command)
        return result

    def _convert(self, command: Any, total: int, limits: Limits) -> None:
        name = command.name
        stale = self._converted.pop(name, None)
        if stale is not None and self.bot.all_commands.get(name) is stale[1]:
            self.bot.remove_command(name)
        try:
            prefix = convert_command(command)
            self.bot.add_command(prefix)
        except UnsupportedCommand as exc:
            self._block(command, total, f"over the safe limit and cannot be converted: {exc}")
            return
        except commands.CommandRegistrationError:
            self._block(
                command, total, "over the safe limit, and a prefix command of that name exists"
            )
            return
        command.extras["zoryx_converted"] = True
        _move_into_cog(prefix, command)
        entry = self._entry(command, "converted", f"safe limit {limits.safe_limit} reached", total)
        self._converted[name] = (entry, prefix)
        log.warning(
            "slash command /%s (from %s) converted to a prefix command: %d/%d global slash "
            "commands, safe limit %d",
            name,
            entry.module,
            total,
            limits.max_limit,
            limits.safe_limit,
        )

    def _block(self, command: Any, total: int, reason: str) -> None:
        entry = self._entry(command, "blocked", reason, total)
        self._blocked[command.name] = entry
        log.error("slash command /%s (from %s) blocked: %s", command.name, entry.module, reason)

    def _entry(self, command: Any, kind: Any, reason: str, total: int) -> LimiterEntry:
        callback = getattr(command, "callback", None)
        module = getattr(callback, "__module__", None) or getattr(command, "module", None)
        binding = getattr(command, "binding", None)
        cog = binding.qualified_name if isinstance(binding, commands.Cog) else None
        return LimiterEntry(command.name, kind, reason, self.wall(), module, cog, total)

    def _warn(self, total: int) -> None:
        limits = self.limits()
        if total >= limits.warning_threshold and not self._warned:
            self._warned = True
            log.warning(
                "%d global slash commands: warning threshold %d reached (new slash commands "
                "become prefix commands from %d)",
                total,
                limits.warning_threshold,
                limits.safe_limit,
            )
        elif total < limits.warning_threshold:
            self._warned = False

    def _prune(self) -> None:
        """Forget entries whose command or extension is gone."""
        for name, (_, prefix) in list(self._converted.items()):
            if self.bot.all_commands.get(name) is not prefix:
                del self._converted[name]
        for name, entry in list(self._blocked.items()):
            if entry.module is not None and entry.module not in sys.modules:
                del self._blocked[name]


def _is_global(command: Any, guild: Any, guilds: Any) -> bool:
    """Whether ``tree.add_command`` with these arguments registers a global command."""
    if guild is not MISSING:
        return guild is None
    if guilds is not MISSING:
        return len(guilds) == 0
    return not getattr(command, "_guild_ids", None)


def _move_into_cog(prefix: commands.Command[Any, ..., Any], command: Any) -> None:
    """Make the cog own the prefix command instead of the slash command.

    ``cog.get_commands()``/``get_app_commands()`` (help, plugin registry) then show what
    really exists, and removing the cog removes the prefix command. New objects are
    assigned, so a ``Cog._inject`` loop over the old list is not disturbed.
    """
    cog = prefix.cog
    if cog is None:
        return
    cog.__cog_app_commands__ = [c for c in cog.__cog_app_commands__ if c is not command]
    cog.__cog_commands__ = (*cog.__cog_commands__, prefix)  # type: ignore[misc]
