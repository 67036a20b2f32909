"""The bot's command registration, with Zoryx's rules on top of discord.py's.

:class:`CommandRegistryMixin` (a base of :class:`zoryx.bot.ZoryxBot`) wraps the
methods that add and remove cogs, commands and extensions:

- built-in cogs get the ``builtin_commands`` config (turned off / renamed commands)
  applied before they are registered (:mod:`zoryx.builtin_commands`);
- a user's cog or bare command replaces built-ins of the same names, and clashes with
  other user commands are refused all at once (:mod:`zoryx.command_clash`);
- every change touches the slash command auto-sync (:mod:`zoryx.autosync`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from discord.abc import Snowflake
from discord.ext import commands
from discord.utils import MISSING

from .autosync import AutoSync
from .builtin_commands import apply_builtin_config, command_module, is_builtin_module
from .command_clash import CommandClashes, cog_claims, command_claims

if TYPE_CHECKING:
    from .config import Config

    _Base = commands.AutoShardedBot
else:
    _Base = object

log = logging.getLogger("zoryx.commands")


class CommandRegistryMixin(_Base):
    """Put before :class:`commands.AutoShardedBot` in the bases; call
    :meth:`setup_command_registry` in ``__init__``."""

    command_clashes: CommandClashes
    autosync: AutoSync

    def setup_command_registry(self, config: Config) -> None:
        self._builtin_config = config.builtin_commands
        self.command_clashes = CommandClashes(self)  # type: ignore[arg-type]
        self.autosync = AutoSync(
            self,  # type: ignore[arg-type]
            enabled=config.command_sync.auto_sync,
            debounce=config.command_sync.debounce,
        )

    def _touch(self) -> None:
        autosync = getattr(self, "autosync", None)
        if autosync is not None:
            autosync.touch()

    # -- cogs ----------------------------------------------------------------------------
    async def add_cog(
        self,
        cog: commands.Cog,
        /,
        *,
        override: bool = False,
        guild: Snowflake | None = MISSING,
        guilds: Sequence[Snowflake] = MISSING,
    ) -> None:
        clashes = getattr(self, "command_clashes", None)
        if clashes is None or not isinstance(cog, commands.Cog):
            await super().add_cog(cog, override=override, guild=guild, guilds=guilds)
            return
        builtin = is_builtin_module(type(cog).__module__)
        if builtin:
            for change in apply_builtin_config(cog, self._builtin_config):
                log.info("config.json builtin_commands: %s", change)
        if override and cog.__cog_name__ in self.cogs:
            await self.remove_cog(cog.__cog_name__, guild=guild, guilds=guilds)
        scoped = guild is not MISSING or guilds is not MISSING
        clashes.make_room(cog, cog_claims(cog, guild_scoped=scoped), builtin_owner=builtin)
        if not builtin:
            clashes.free_cog_name(cog)
        try:
            await super().add_cog(cog, override=override, guild=guild, guilds=guilds)
        except BaseException:
            clashes.restore(cog)
            raise
        finally:
            self._touch()

    async def remove_cog(
        self,
        name: str,
        /,
        *,
        guild: Snowflake | None = MISSING,
        guilds: Sequence[Snowflake] = MISSING,
    ) -> commands.Cog | None:
        cog = await super().remove_cog(name, guild=guild, guilds=guilds)
        clashes = getattr(self, "command_clashes", None)
        if cog is not None and clashes is not None:
            clashes.restore(cog)
        self._touch()
        return cog

    # -- bare commands (``bot.add_command`` in an extension's setup) ------------------------
    def add_command(self, command: commands.Command[Any, ..., Any], /) -> None:
        clashes = getattr(self, "command_clashes", None)
        bare_user = (
            clashes is not None
            and command.cog is None
            and command.parent is None
            and not is_builtin_module(command_module(command))
        )
        if not bare_user:
            super().add_command(command)
        else:
            assert clashes is not None
            clashes.make_room(command, command_claims(command))
            try:
                super().add_command(command)
            except BaseException:
                clashes.restore(command)
                raise
        self._touch()

    def remove_command(self, name: str, /) -> commands.Command[Any, ..., Any] | None:
        command = super().remove_command(name)
        clashes = getattr(self, "command_clashes", None)
        if command is not None and clashes is not None and command.cog is None:
            if name.lower() == command.name.lower():
                clashes.restore(command)
        self._touch()
        return command

    # -- extensions ----------------------------------------------------------------------
    async def load_extension(self, name: str, *, package: str | None = None) -> None:
        with self._hold():
            await super().load_extension(name, package=package)

    async def unload_extension(self, name: str, *, package: str | None = None) -> None:
        with self._hold():
            await super().unload_extension(name, package=package)

    async def reload_extension(self, name: str, *, package: str | None = None) -> None:
        with self._hold():
            await super().reload_extension(name, package=package)

    def _hold(self) -> contextlib.AbstractContextManager[None]:
        autosync = getattr(self, "autosync", None)
        return autosync.hold() if autosync is not None else contextlib.nullcontext()

    async def close(self) -> None:
        autosync = getattr(self, "autosync", None)
        if autosync is not None:
            autosync.stop()
        await super().close()
