"""The console's ``:`` commands: parsing, the built-in commands and dispatch to panes.

Built-ins (``say``, ``leave``, ``sync``, ``shutdown``, ``quit``, ``help``, ``pane``) live
here; panes add their own through :meth:`Pane.command_help` / :meth:`Pane.run_command` (the
Plugins pane provides ``reload``, ``load`` and ``unload``). Every privileged action goes
through the app's source (``source.act``: the operator API, as the console's operator); names to
complete and resolve (extensions, guilds, channels) come from the ``targets`` view.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from zoryx.readmodel import SourceLost

from ._dialogs import ConfirmScreen, HelpSection
from ._palette import PaletteEntry

if TYPE_CHECKING:
    from tui.app import ZoryxConsole
    from tui.panes.base import Pane

log = logging.getLogger("zoryx.console")

__all__ = ["GLOBAL_KEYS", "CommandError", "ConsoleCommands", "split_command"]

GLOBAL_KEYS: list[tuple[str, str]] = [
    ("1-9, 0, -", "jump to pane 1-11 (in a text box or the editor they type: esc leaves first)"),
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
        #: The last ``targets`` view read (completions must be answered without waiting).
        self.targets: dict[str, Any] = {"ready": False, "extensions": [], "guilds": []}
        quit_help = (
            "quit the console; the bot keeps running (also :q)"
            if app.attached
            else "shut the bot down gracefully and exit (also :q)"
        )
        shutdown_help = (
            "shut the bot down (asks twice; it does not restart by itself)"
            if app.attached
            else "shut the bot down gracefully and exit (asks first)"
        )
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
            "quit": _Builtin("quit", quit_help, self._quit),
            "shutdown": _Builtin("shutdown [reason]", shutdown_help, self._shutdown),
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
        keys = GLOBAL_KEYS
        if self.app.attached:
            keys = [
                (key, "quit the console; the bot keeps running") if key == "ctrl+q" else (key, text)
                for key, text in GLOBAL_KEYS
            ]
        sections: list[HelpSection] = [("Everywhere", keys)]
        if pane is not None:
            keys = [(b.key_display or b.key, b.description) for b in _pane_bindings(pane)]
            sections.append((f"{pane.title} pane", keys + list(pane.extra_help)))
        sections.append(("Commands (type : first)", self.help_rows(pane)))
        return sections

    def candidates(self) -> list[str]:
        """Completions for the command line: command names, then names for arguments."""
        names = self.names()
        out = list(names)
        targets = self.targets
        if targets["ready"]:
            for verb in ("reload", "load", "unload"):
                if verb in names:
                    out += [f"{verb} {name}" for name in targets["extensions"]]
            guilds = targets["guilds"]
            out += [f"leave {guild['name']}" for guild in guilds]
            if guilds:
                out += [f"say #{c['name']} " for c in guilds[0]["channels"]]
        out += [f"pane {pane.pane_id}" for pane in self.app.panes()]
        return out

    def palette(self) -> list[PaletteEntry]:
        """What ctrl+p lists: pane jumps, every command, one entry per extension reload."""
        app = self.app
        entries: list[PaletteEntry] = []
        for index, pane in enumerate(app.panes(), 1):
            jump = partial(app.action_show_pane, index)
            ref = index % 10 if index <= 10 else index  # what :pane takes
            entries.append((f"Go to {pane.title}", f"pane {ref}", jump))
        for usage, description in self.help_rows(app.current_pane()):
            line = usage.removeprefix(":")
            if "<" in line or "[" in line:
                prefill = line.split("<")[0].split("[")[0]
                entries.append((line, description, partial(app.action_command_line, prefill)))
            else:
                entries.append((line, description, partial(app.run_command_line, line)))
        if self.targets["ready"]:
            for name in self.targets["extensions"]:
                run = partial(app.run_command_line, f"reload {name}")
                entries.append((f"reload {name}", "reload this extension", run))
        entries.append(("Filter the current table", "/", app.action_filter))
        entries.append(("Keys for this pane", "?", app.action_help))
        return entries

    async def refresh_targets(self) -> dict[str, Any]:
        """Read the ``targets`` view again (kept when the bot does not answer)."""
        try:
            self.targets = await self.app.source.read("targets")
        except Exception as exc:  # the last names stay good enough to complete
            log.debug("reading the command line's targets failed: %s", exc)
        return self.targets

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
        except Exception as exc:  # ActionFailed (refused or failed) and anything unexpected
            log.warning("console command %r failed: %s", line, exc, exc_info=True)
            self.app.notify(str(exc) or type(exc).__name__, title=f":{name}", severity="error")
            return
        finally:
            if name not in ("quit", "shutdown"):
                await self.refresh_targets()
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
    async def _guilds(self) -> list[dict[str, Any]]:
        """The bot's guilds and text channels, read now (names must resolve as they are)."""
        targets = await self.refresh_targets()
        if not targets["ready"]:
            raise CommandError("the bot is not running")
        guilds: list[dict[str, Any]] = targets["guilds"]
        return guilds

    async def _say(self, args: list[str]) -> str:
        target, text = split_first(self._raw_args)  # the text is sent exactly as typed
        if not target or not text:
            raise CommandError("usage: :say [guild/]#channel <text>")
        guild, channel = resolve_channel(await self._guilds(), target)
        await self.app.source.act("send_message", channel_id=channel["id"], content=text)
        return f"sent to #{channel['name']} in {guild['name']}"

    async def _leave(self, args: list[str]) -> str | None:
        if not args:
            raise CommandError("usage: :leave <guild id or name>")
        guild = resolve_guild(await self._guilds(), " ".join(args))
        question = (
            f"Leave the guild {guild['name']} ({guild['id']})? The bot can only come back "
            "through a new invite."
        )
        if not await self.app.push_screen_wait(ConfirmScreen(question, "Leave")):
            return "cancelled"
        name = await self.app.source.act("leave_guild", guild_id=guild["id"])
        return f"left {name}"

    async def _sync(self, args: list[str]) -> str:
        count = await self.app.source.act("sync_commands")
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

    async def _shutdown(self, args: list[str]) -> str | None:
        """Stop the bot: in-process, the quit path; attached, two questions, then the
        operator API's ``shutdown`` and the console exits (nothing is left to show)."""
        app = self.app
        if not app.attached:
            if not await app.push_screen_wait(
                ConfirmScreen("Stop the bot and quit the console?", "Shut down")
            ):
                return "cancelled"
            await app.action_quit()
            return None
        source = app.source
        if not source.connected:
            raise CommandError("the bot does not answer: there is nothing to shut down")
        info = source.info
        first = (
            f"Shut down the bot {info.name} (pid {info.pid})? Attached consoles lose it; "
            "it will not restart by itself."
        )
        for question in (first, "Really shut it down?"):
            if not await app.push_screen_wait(ConfirmScreen(question, "Shut down")):
                return "cancelled"
        reason = self._raw_args or "shut down from an attached console"
        try:
            await source.act("shutdown", reason=reason)
        except SourceLost:
            pass  # the bot closes its control socket first thing as it shuts down
        log.info("asked the bot %s (pid %s) to shut down", info.name, info.pid)
        await app.action_quit()
        return None


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


Guild = Mapping[str, Any]


def resolve_guild(guilds: Sequence[Guild], ref: str) -> Guild:
    """A guild of the ``targets`` view's list, by id or (case-insensitive) name."""
    ref = ref.strip()
    if ref.isdigit():
        for guild in guilds:
            if guild["id"] == int(ref):
                return guild
    for guild in guilds:
        if str(guild["name"]).lower() == ref.lower():
            return guild
    raise CommandError(f"the bot is not in a guild called {ref!r}")


def resolve_channel(guilds: Sequence[Guild], ref: str) -> tuple[Guild, Guild]:
    """The (guild, text channel) for ``#general`` (first guild), ``Guild Name/#general``,
    ``<guild id>/#general`` or a channel id, in the ``targets`` view's guilds."""
    guild_ref, _, channel_ref = ref.rpartition("/")
    channel_ref = channel_ref.strip()
    if channel_ref.isdigit() and not guild_ref:
        for guild in guilds:
            for channel in guild["channels"]:
                if channel["id"] == int(channel_ref):
                    return guild, channel
        raise CommandError(f"unknown channel {channel_ref}")
    if not guilds:
        raise CommandError("the bot is in no guild")
    guild = resolve_guild(guilds, guild_ref) if guild_ref else guilds[0]
    wanted = channel_ref.lstrip("#").lower()
    for channel in guild["channels"]:
        if str(channel["name"]).lower() == wanted or str(channel["id"]) == wanted:
            return guild, channel
    raise CommandError(f"no text channel #{wanted} in {guild['name']}")
