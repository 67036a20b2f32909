"""Name clashes between a user's commands and the commands already on the bot.

A user extension's command wins over a built-in one (``cogs.*``): before the user's cog
(or bare command) is registered, the built-in's prefix entry, alias or slash command of
that name is taken out, a warning names what was replaced, and when the user's cog or
command is removed again (extension unloaded) the built-in is put back.

A clash with another *user* command is refused, and every clashing name of the cog is
listed in one error, not just the first one discord.py would meet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from .builtin_commands import command_module, is_builtin_module

if TYPE_CHECKING:
    from discord.ext.commands import Bot

log = logging.getLogger("zoryx.commands")

CHAT_INPUT = discord.AppCommandType.chat_input
EXTENSIONS_PACKAGE = "extensions"


class CommandClashError(commands.CommandRegistrationError):
    """A user's cog or command uses names that another user extension already uses.

    Unlike discord.py's :class:`~discord.ext.commands.CommandRegistrationError` (which it
    subclasses) it lists every clashing name, not the first.
    """

    def __init__(self, owner: str, names: list[str], clashes: list[str]) -> None:
        self.owner = owner
        self.names = names
        self.clashes = clashes
        self.name = names[0]
        self.alias_conflict = False
        listed = "; ".join(clashes)
        discord.ClientException.__init__(
            self, f"{owner} uses {len(clashes)} name(s) already taken: {listed}"
        )


def extension_of(module: str | None) -> str:
    """``extensions.shop.cog`` → ``shop``; other modules are returned as they are."""
    if not module:
        return "?"
    head, _, rest = module.partition(".")
    if head == EXTENSIONS_PACKAGE and rest:
        return rest.partition(".")[0]
    return module


@dataclass
class Claims:
    """The global names a cog or a bare command is about to register."""

    prefix: list[str] = field(default_factory=list)
    slash: list[tuple[str, discord.AppCommandType]] = field(default_factory=list)


def cog_claims(cog: commands.Cog, *, guild_scoped: bool = False) -> Claims:
    """Top-level prefix names and aliases, and global app command names, of ``cog``."""
    claims = Claims()
    for command in cog.__cog_commands__:
        if command.parent is None:
            _add_command_claims(claims, command, slash=not cog.__cog_is_app_commands_group__)
    group = cog.__cog_app_commands_group__
    if group is not None:
        if not guild_scoped and not group._guild_ids:
            claims.slash.append((group.name, CHAT_INPUT))
    elif not guild_scoped:
        for app in cog.__cog_app_commands__:
            if not getattr(app, "_guild_ids", None):
                claims.slash.append((app.name, CHAT_INPUT))
    return claims


def command_claims(command: commands.Command[Any, ..., Any]) -> Claims:
    claims = Claims()
    _add_command_claims(claims, command, slash=True)
    return claims


def _add_command_claims(
    claims: Claims, command: commands.Command[Any, ..., Any], *, slash: bool
) -> None:
    claims.prefix.extend(n.lower() for n in (command.name, *command.aliases))
    app = getattr(command, "app_command", None)
    if slash and app is not None and not getattr(app, "_guild_ids", None):
        claims.slash.append((app.name, CHAT_INPUT))


@dataclass
class Displaced:
    """What one user cog or command took away from one built-in command."""

    builtin: Any  # the built-in command (prefix/hybrid), or the app command when only that
    prefix_keys: list[str] = field(default_factory=list)  # keys taken out of all_commands
    whole_prefix: bool = False  # the command's own name (with all its aliases) was taken
    aliases: list[str] = field(default_factory=list)  # single aliases taken off the built-in
    app: Any = None  # the built-in app command taken out of the tree

    @property
    def name(self) -> str:
        return str(self.builtin.name)

    def describe(self) -> str:
        """E.g. "the built-in command 'help' (prefix and slash)"."""
        parts = (["prefix"] if self.whole_prefix else []) + (["slash"] if self.app else [])
        text = f"the built-in command {self.name!r}"
        if parts:
            text += f" ({' and '.join(parts)})"
        if self.aliases:
            listed = ", ".join(repr(a) for a in self.aliases)
            text = f"{text} and its alias {listed}" if parts else f"alias {listed} of {text}"
        return text


class CommandClashes:
    """Decides and records which built-ins user commands replace, and puts them back."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._displaced: dict[int, tuple[Any, list[Displaced]]] = {}
        self._cog_names: dict[int, tuple[commands.Cog, commands.Cog, str]] = {}

    # -- before registration --------------------------------------------------------------
    def make_room(self, owner: Any, claims: Claims, *, builtin_owner: bool = False) -> None:
        """Take the built-ins out of ``claims``' way, or raise listing every user clash.

        Args:
            owner: the cog or bare command about to be registered.
            claims: the names it registers.
            builtin_owner: whether ``owner`` is Zoryx's own (then nothing is displaced).

        Raises:
            CommandClashError: names already used by another user (or, for a built-in
                owner, by anything); nothing is changed then.
        """
        prefix_hits, slash_hits, clashes = self._find(owner, claims, builtin_owner)
        if clashes:
            raise CommandClashError(
                _owner_text(owner), [c[0] for c in clashes], [c[1] for c in clashes]
            )
        if not prefix_hits and not slash_hits:
            return
        records = self._displace(prefix_hits, slash_hits)
        self._displaced[id(owner)] = (owner, records)
        extension = _owner_extension(owner)
        for record in records:
            log.warning(
                "extension %r replaces %s; the built-in comes back when %r is unloaded",
                extension,
                record.describe(),
                extension,
            )

    def _find(
        self, owner: Any, claims: Claims, builtin_owner: bool
    ) -> tuple[dict[str, Any], dict[tuple[str, Any], Any], list[tuple[str, str]]]:
        prefix_hits: dict[str, Any] = {}
        slash_hits: dict[tuple[str, Any], Any] = {}
        clashes: list[tuple[str, str]] = []
        for key in dict.fromkeys(claims.prefix):
            holder = self.bot.all_commands.get(key)
            if holder is None:
                continue
            if not builtin_owner and is_builtin_module(command_module(holder)):
                prefix_hits[key] = holder
            else:
                what = "command" if key == holder.name.lower() else f"alias of {holder.name!r}"
                clashes.append((key, f"{key!r} ({what}, from {_where(holder)})"))
        for name, kind in dict.fromkeys(claims.slash):
            app = self.bot.tree.get_command(name, type=kind)
            if app is None:
                continue
            if not builtin_owner and is_builtin_module(command_module(app)):
                slash_hits[(name, kind)] = app
            else:
                clashes.append((f"/{name}", f"'/{name}' (slash command, from {_where(app)})"))
        return prefix_hits, slash_hits, clashes

    def _displace(
        self, prefix_hits: dict[str, Any], slash_hits: dict[tuple[str, Any], Any]
    ) -> list[Displaced]:
        table: dict[str, Any] = self.bot.all_commands
        records: dict[int, Displaced] = {}
        for key, builtin in prefix_hits.items():
            record = records.setdefault(id(builtin), Displaced(builtin))
            if key == builtin.name.lower():  # the command itself: all its prefix keys go
                taken = [k for k, v in list(table.items()) if v is builtin]
                for k in taken:
                    del table[k]
                record.prefix_keys.extend(taken)
                record.whole_prefix = True
            elif _same(table.get(key), builtin):  # only an alias
                del table[key]
                record.prefix_keys.append(key)
                record.aliases.append(key)
                builtin.aliases = [a for a in builtin.aliases if a.lower() != key]
        for (name, kind), app in slash_hits.items():
            removed = self.bot.tree.remove_command(name, type=kind)
            owner = getattr(app, "wrapped", None)  # the hybrid command it belongs to
            slot = id(owner) if owner is not None and id(owner) in records else id(app)
            record = records.setdefault(slot, Displaced(owner if owner is not None else app))
            record.app = removed if removed is not None else app
        return list(records.values())

    def free_cog_name(self, cog: commands.Cog) -> None:
        """A user cog named like a built-in cog (``Admin``, ``Info``…): the built-in cog is
        renamed ``Zoryx <name>`` so the user's can take the name."""
        name = cog.__cog_name__
        existing: Any = self.bot.cogs.get(name)
        if existing is None or existing is cog or not is_builtin_module(type(existing).__module__):
            return
        table: Any = getattr(self.bot, "_BotBase__cogs", None)  # discord.py keeps cogs here
        if not isinstance(table, dict) or not _same(table.get(name), existing):
            return
        new = f"Zoryx {name}"
        while new in table:
            new += "+"
        del table[name]
        existing.__cog_name__ = new
        table[new] = existing
        self._cog_names[id(cog)] = (cog, existing, name)
        log.warning(
            "extension %r has a cog named %r like a built-in cog; the built-in cog is now "
            "called %r",
            _owner_extension(cog),
            name,
            new,
        )

    # -- after removal --------------------------------------------------------------------
    def restore(self, owner: Any) -> None:
        """Put back the built-ins ``owner`` replaced (where nothing else took the name)."""
        self._restore_cog_name(owner)
        entry = self._displaced.pop(id(owner), None)
        if entry is None or entry[0] is not owner:
            return
        table = self.bot.all_commands
        for record in entry[1]:
            back: list[str] = []
            for key in record.prefix_keys:
                if table.get(key) is None:
                    table[key] = record.builtin
                    back.append(key)
            restored_aliases = [a for a in record.aliases if a in back]
            if restored_aliases:
                record.builtin.aliases = [*record.builtin.aliases, *restored_aliases]
            app = record.app
            if app is not None and self.bot.tree.get_command(app.name, type=_kind(app)) is None:
                self.bot.tree.add_command(app)
                back.append(f"/{app.name}")
            if back:
                log.info(
                    "built-in command %r is back (%s) now that %r is unloaded",
                    record.name,
                    ", ".join(back),
                    _owner_extension(owner),
                )

    def _restore_cog_name(self, owner: Any) -> None:
        record = self._cog_names.pop(id(owner), None)
        if record is not None and record[0] is owner:
            _restore_cog_name_of(self.bot, record)


def _restore_cog_name_of(bot: Bot, record: tuple[commands.Cog, commands.Cog, str]) -> None:
    _, builtin, name = record
    table = getattr(bot, "_BotBase__cogs", None)
    current = builtin.__cog_name__
    if not isinstance(table, dict) or name in table or table.get(current) is not builtin:
        return
    del table[current]
    builtin.__cog_name__ = name
    table[name] = builtin


def _same(a: object, b: object) -> bool:
    """``a is b`` (as a call, so type checkers do not narrow either side)."""
    return a is b


def _kind(app: Any) -> discord.AppCommandType:
    if isinstance(app, app_commands.ContextMenu):
        return app.type
    return CHAT_INPUT


def _where(command: Any) -> str:
    module = command_module(command)
    if is_builtin_module(module):
        return f"built-in {module}"
    return f"extension {extension_of(module)!r}"


def _owner_module(owner: Any) -> str | None:
    if isinstance(owner, commands.Cog):
        return type(owner).__module__
    return command_module(owner)


def _owner_extension(owner: Any) -> str:
    return extension_of(_owner_module(owner))


def _owner_text(owner: Any) -> str:
    if isinstance(owner, commands.Cog):
        return f"cog {owner.qualified_name!r} of extension {_owner_extension(owner)!r}"
    return f"command {owner.name!r} of extension {_owner_extension(owner)!r}"
