"""The console's ``:`` commands: parsing, the built-in commands and dispatch to panes.

Built-ins (``say``, ``leave``, ``sync``, ``quit``, ``help``, ``pane``) live here; panes add
their own through :meth:`Pane.command_help` / :meth:`Pane.run_command` (the Plugins pane
provides ``reload``, ``load`` and ``unload``). Every privileged action goes through the
operator API as the console's actor.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from ._dialogs import ConfirmScreen, HelpSection
from ._palette import PaletteEntry

if TYPE_CHECKING:
    from tui.app import ZoryxConsole
    from tui.panes.base import Pane

log = logging.getLogger("zoryx.console")

__all__ = ["GLOBAL_KEYS", "CommandError", "ConsoleCommands", "split_command"]

GLOBAL_KEYS: list[tuple[str, str]] = [
    ("1-9, 0", "jump to pane 1-10 (in a text box or the editor they type: esc leaves first)"),
    ("[ / ]", "previous / next pane"),
    (":", "command line (↑/↓ history, → accepts the suggestion)"),
    ("/", "filter the current table (enter keeps it, esc clears it)"),
    ("?", "this help"),
    (
        "esc",
        "back: leave a text box or the editor, close the command line or dialog, clear the filter",
    ),
    ("tab / shift+tab", "move the focus"),
    ("ctrl+p", "command palette: every pane and action"),
    ("ctrl+q", "stop the bot gracefully and quit"),
    ("ctrl+c", "quit, after a confirmation"),
]


class CommandError(Exception):
    """A command could not run; the message is shown to the operator."""


def split_command(line: str) -> tuple[str, list[str]]:
    """``"say '#general' hi there"`` → ``("say", ["#general", "hi", "there"])``."""
    line = line.strip().removeprefix(":").strip()
    try:
        parts = shlex.split(line)
    except ValueError:
        parts = line.split()
    if not parts:
        return "", []
    return parts[0].lower(), parts[1:]


def split_first(text: str) -> tuple[str, str]:
    """The first word (quotes allowed around it) and the rest of ``text``, untouched."""
    text = text.strip()
    if text[:1] in ("'", '"'):
        end = text.find(text[0], 1)
        if end > 0:
            return text[1:end], text[end + 1 :].strip()
    first, _, rest = text.partition(" ")
    return first, rest.strip()


@dataclass(frozen=True)
class _Builtin:
    usage: str
    description: str
    handler: Callable[[list[str]], Awaitable[str | None]]


class ConsoleCommands:
    """Parses and runs ``:`` command lines for one console app."""

    ALIASES = {"q": "quit", "exit": "quit", "h": "help", "?": "help", "goto": "pane"}

    def __init__(self, app: ZoryxConsole) -> None:
        self.app = app
        self._raw_args = ""
        self.builtins: dict[str, _Builtin] = {
            "say": _Builtin(
                "say [guild/]#channel <text>",
                "send a message as the bot (first guild unless named)",
                self._say,
            ),
            "leave": _Builtin(
                "leave <guild id or name>", "leave a guild (asks first)", self._leave
            ),
            "sync": _Builtin("sync", "sync slash commands with Discord now", self._sync),
            "pane": _Builtin("pane <number or name>", "jump to a pane", self._pane),
            "help": _Builtin("help", "show every key and command", self._help),
            "quit": _Builtin("quit", "shut the bot down gracefully and exit (also :q)", self._quit),
        }

    # -- catalogue -------------------------------------------------------------------------
    def help_rows(self, pane: Pane | None = None) -> list[tuple[str, str]]:
        """(usage, description) of the built-ins, then of every pane's commands."""
        rows = [(f":{b.usage}", b.description) for b in self.builtins.values()]
        for candidate in self._panes(pane):
            rows += [(f":{usage}", description) for usage, description in candidate.command_help()]
        return rows

    def names(self) -> list[str]:
        names = list(self.builtins)
        for pane in self._panes(None):
            names += [usage.split()[0] for usage, _ in pane.command_help() if usage.strip()]
        return names

    def _panes(self, first: Pane | None) -> list[Pane]:
        panes = list(self.app.panes())
        if first is not None and first in panes:
            panes.remove(first)
            panes.insert(0, first)
        return panes

    def help_sections(self, pane: Pane | None) -> list[HelpSection]:
        """What ``?`` shows: global keys, the pane's keys, then every ``:`` command."""
        sections: list[HelpSection] = [("Everywhere", GLOBAL_KEYS)]
        if pane is not None:
            keys = [(b.key_display or b.key, b.description) for b in _pane_bindings(pane)]
            sections.append((f"{pane.title} pane", keys + list(pane.extra_help)))
        sections.append(("Commands (type : first)", self.help_rows(pane)))
        return sections

    def candidates(self) -> list[str]:
        """Completions for the command line: command names, then names for arguments."""
        names = self.names()
        out = list(names)
        bot = self._running_bot()
        if bot is not None:
            extensions = sorted(bot.extension_manager.extensions)
            for verb in ("reload", "load", "unload"):
                if verb in names:
                    out += [f"{verb} {name}" for name in extensions]
            out += [f"leave {guild.name}" for guild in bot.guilds]
            if bot.guilds:
                out += [f"say #{c.name} " for c in bot.guilds[0].text_channels]
        out += [f"pane {pane.pane_id}" for pane in self.app.panes()]
        return out

    def palette(self) -> list[PaletteEntry]:
        """What ctrl+p lists: pane jumps, every command, one entry per extension reload."""
        app = self.app
        entries: list[PaletteEntry] = []
        for index, pane in enumerate(app.panes(), 1):
            jump = partial(app.action_show_pane, index)
            entries.append((f"Go to {pane.title}", f"pane {index % 10}", jump))
        for usage, description in self.help_rows(app.current_pane()):
            line = usage.removeprefix(":")
            if "<" in line or "[" in line:
                prefill = line.split("<")[0].split("[")[0]
                entries.append((line, description, partial(app.action_command_line, prefill)))
            else:
                entries.append((line, description, partial(app.run_command_line, line)))
        bot = self._running_bot()
        if bot is not None:
            for name in sorted(bot.extension_manager.extensions):
                run = partial(app.run_command_line, f"reload {name}")
                entries.append((f"reload {name}", "reload this extension", run))
        entries.append(("Filter the current table", "/", app.action_filter))
        entries.append(("Keys for this pane", "?", app.action_help))
        return entries

    def _running_bot(self) -> Any:
        runtime = self.app.runtime
        return runtime.bot if runtime is not None and runtime.ready is not None else None

    # -- running ---------------------------------------------------------------------------
    async def run(self, line: str) -> None:
        """Run one command line and report the outcome as a notification."""
        name, args = split_command(line)
        if not name:
            return
        name = self.ALIASES.get(name, name)
        self._raw_args = line.strip().removeprefix(":").strip().partition(" ")[2].strip()
        try:
            message = await self._dispatch(name, args)
        except CommandError as exc:
            self.app.notify(str(exc), title=f":{name}", severity="error")
            return
        except Exception as exc:  # OperatorError and anything unexpected
            log.warning("console command %r failed: %s", line, exc, exc_info=True)
            self.app.notify(str(exc) or type(exc).__name__, title=f":{name}", severity="error")
            return
        if message:
            self.app.notify(message, title=f":{name}")

    async def _dispatch(self, name: str, args: list[str]) -> str | None:
        builtin = self.builtins.get(name)
        if builtin is not None:
            return await builtin.handler(args)
        for pane in self._panes(self.app.current_pane()):
            if name in {usage.split()[0] for usage, _ in pane.command_help() if usage.strip()}:
                result: Any = await pane.run_command(name, args)
                return None if result is None else str(result)
        raise CommandError(f"unknown command :{name} — press ? for the list")

    # -- built-ins -------------------------------------------------------------------------
    def _bot(self) -> Any:
        runtime = self.app.runtime
        if runtime is None or runtime.bot is None or runtime.ready is None:
            raise CommandError("the bot is not running")
        return runtime.bot

    async def _say(self, args: list[str]) -> str:
        target, text = split_first(self._raw_args)  # the text is sent exactly as typed
        if not target or not text:
            raise CommandError("usage: :say [guild/]#channel <text>")
        bot = self._bot()
        channel = resolve_channel(bot, target)
        await bot.operator.send_message(self.app.actor, channel.id, text)
        return f"sent to #{channel.name} in {channel.guild.name}"

    async def _leave(self, args: list[str]) -> str | None:
        if not args:
            raise CommandError("usage: :leave <guild id or name>")
        bot = self._bot()
        guild = resolve_guild(bot, " ".join(args))
        question = (
            f"Leave the guild {guild.name} ({guild.id})? The bot can only come back "
            "through a new invite."
        )
        if not await self.app.push_screen_wait(ConfirmScreen(question, "Leave")):
            return "cancelled"
        name = await bot.operator.leave_guild(self.app.actor, guild.id)
        return f"left {name}"

    async def _sync(self, args: list[str]) -> str:
        count = await self._bot().operator.sync_commands(self.app.actor)
        return f"synced {count} slash command(s)"

    async def _pane(self, args: list[str]) -> None:
        if not args:
            raise CommandError("usage: :pane <number or name>")
        if not self.app.show_pane_by_ref(" ".join(args)):
            raise CommandError(f"no pane {' '.join(args)!r}")

    async def _help(self, args: list[str]) -> None:
        self.app.action_help()

    async def _quit(self, args: list[str]) -> None:
        await self.app.action_quit()


def _pane_bindings(pane: Pane) -> list[Binding]:
    """The bindings a pane class declares (its own and its Pane ancestors')."""
    from tui.panes.base import Pane as BasePane

    out: list[Binding] = []
    for cls in reversed(type(pane).__mro__):
        if isinstance(cls, type) and issubclass(cls, BasePane):
            for item in cls.__dict__.get("BINDINGS", []):
                if isinstance(item, Binding):
                    out.append(item)
                elif isinstance(item, tuple):
                    out.append(Binding(*item))
    return out


def resolve_guild(bot: Any, ref: str) -> Any:
    """A guild the bot is in, by id or (case-insensitive) name."""
    ref = ref.strip()
    if ref.isdigit():
        guild = bot.get_guild(int(ref))
        if guild is not None:
            return guild
    for guild in bot.guilds:
        if guild.name.lower() == ref.lower():
            return guild
    raise CommandError(f"the bot is not in a guild called {ref!r}")


def resolve_channel(bot: Any, ref: str) -> Any:
    """``#general`` (first guild), ``Guild Name/#general``, ``<guild id>/#general`` or an id."""
    guild_ref, _, channel_ref = ref.rpartition("/")
    channel_ref = channel_ref.strip()
    if channel_ref.isdigit() and not guild_ref:
        channel = bot.get_channel(int(channel_ref))
        if channel is None:
            raise CommandError(f"unknown channel {channel_ref}")
        return channel
    if not bot.guilds:
        raise CommandError("the bot is in no guild")
    guild = resolve_guild(bot, guild_ref) if guild_ref else bot.guilds[0]
    wanted = channel_ref.lstrip("#").lower()
    for channel in guild.text_channels:
        if channel.name.lower() == wanted or str(channel.id) == wanted:
            return channel
    raise CommandError(f"no text channel #{wanted} in {guild.name}")
