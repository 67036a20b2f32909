"""``zoryx tui``: the keyboard-driven operator console, running the bot in its own loop.

The app builds the same :class:`~zoryx.runtime.Runtime` as ``zoryx run --headless`` and
starts it from a worker (``runtime.start()``, never ``bot.run()``). Until the bot is ready
the body shows the start-up steps; then the registered panes (``tui/panes``) appear behind
a one-line tab strip. Keys follow k9s/lazygit: numbers jump to panes, ``:`` opens the
command line, ``/`` filters, ``?`` lists every key, ``esc`` goes back.

Panes read and act through the app's :attr:`ZoryxConsole.source` only: a
:class:`~zoryx.readmodel.local.LocalSource` on the runtime it runs, or — given a
``source`` (attach mode) — a bot running in another process, which the console never
starts nor stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer

from tui.panes import Pane, load_panes
from tui.panes.base import is_text_field
from tui.widgets import (
    BotStatus,
    CommandBar,
    ConfirmScreen,
    ConsoleCommands,
    ConsoleProvider,
    ConsoleScreen,
    ErrorPanel,
    HelpScreen,
    LogBuffer,
    PaletteEntry,
    PaneTabs,
    StartupView,
    StatusLine,
)
from tui.widgets._bot_status import StatusFeed
from tui.widgets._header import PANE_KEY_NAMES, PANE_KEYS
from tui.widgets._process_guard import ProcessGuard, guarded_terminal_stream
from tui.widgets._refresh import PaneRefresher
from tui.widgets._session import Failure, RuntimeSession, wait_for_bot
from zoryx.gctune import tune_for_long_run, tuning_enabled
from zoryx.operator import CONSOLE_OWNER
from zoryx.readmodel import Source
from zoryx.readmodel.local import LocalSource
from zoryx.readmodel.probes import probes
from zoryx.runtime import Runtime

log = logging.getLogger("zoryx.console")

__all__ = ["ZoryxConsole", "run_attached", "run_console"]

#: Seconds after the panes are shown before the console's start-up heap is frozen (the
#: first pane has refreshed and painted by then).
GC_FREEZE_DELAY = 1.0


class ZoryxConsole(App[int]):
    """The operator console.

    Args:
        bot_dir: The bot directory (ignored when ``runtime`` or ``source`` is given).
        runtime: A runtime to run (built or not, started or not); default: a new one,
            which the console then owns and shuts down when it closes, however it closes.
        source: Attach to a bot running elsewhere (e.g. over its control socket): no
            runtime is built or started, the panes appear once the bot answers, and
            quitting the console only closes the source — the bot keeps running.
        environ: Environment for a new runtime (tests); default ``os.environ``.
        sandbox_world: Sandbox world for a new runtime.
        sandbox_options: Sandbox options for a new runtime (``{"deterministic": True}``).
        frozen_clock: Render placeholders for volatile values (uptime, latency, CPU,
            times…) so screenshots are reproducible.
        handle_signals: Install SIGTERM/SIGHUP/SIGINT handlers on the loop.
        tune_gc: Tune the garbage collector for a long run (:mod:`zoryx.gctune`) in a new
            runtime, as ``zoryx tui`` does. Whenever the runtime tunes it (a given runtime
            too), the console's own start-up objects are frozen as well, once its panes
            are built.
    """

    CSS_PATH = "app.tcss"
    AUTO_FOCUS = None
    TITLE = "Zoryx console"
    COMMANDS = App.COMMANDS | {ConsoleProvider}
    # The navigation keys are priority bindings so that the key typed right after them
    # already reaches the new focus (":" then "reload…" typed or pasted at once); while
    # the operator types into a field or a dialog is open, check_action hands them back.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("colon", "command_line", "Cmd", key_display=":", priority=True),
        Binding("slash", "filter", "Filter", key_display="/", priority=True),
        Binding("question_mark", "help", "Help", key_display="?", priority=True),
        # While the operator types into a pane's text field, keys type (digits too) and
        # esc leaves the field; then the number keys jump again (see Pane.leave_field).
        Binding("escape", "leave_field", "Leave box", key_display="esc"),
        Binding("escape", "back", "Back", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+c", "confirm_quit", "Quit", show=False, priority=True),
        Binding("left_square_bracket", "step_pane(-1)", "Previous pane", show=False, priority=True),
        Binding("right_square_bracket", "step_pane(1)", "Next pane", show=False, priority=True),
        *(
            Binding(
                PANE_KEY_NAMES.get(key, key),
                f"show_pane({n})",
                f"Pane {n}",
                key_display=key,
                show=False,
                priority=True,
            )
            for n, key in enumerate(PANE_KEYS, 1)
        ),
    ]
    NAVIGATION = frozenset({"command_line", "filter", "help", "show_pane", "step_pane"})
    NOTICES = 50

    def __init__(
        self,
        bot_dir: Path | str = ".",
        *,
        runtime: Runtime | None = None,
        environ: dict[str, str] | None = None,
        sandbox_world: str = "demo",
        sandbox_options: dict[str, Any] | None = None,
        frozen_clock: bool = False,
        handle_signals: bool = True,
        tune_gc: bool = False,
        source: Source | None = None,
    ) -> None:
        super().__init__()
        self.attached = source is not None
        self._owns_runtime = runtime is None and source is None
        self.runtime: Runtime | None = None
        self.session: RuntimeSession | None = None
        self.actor = CONSOLE_OWNER
        if source is None:
            self.runtime = runtime or Runtime(
                Path(bot_dir),
                console_logging=False,
                sandbox_world=sandbox_world,
                sandbox_options=sandbox_options,
                environ=environ,
                tune_gc=tune_gc,
            )
            self.session = RuntimeSession(self.runtime)
            source = LocalSource(self.runtime, self.actor)
        #: Where every pane reads views and runs operator actions.
        self.source: Source = source
        self.frozen_clock = frozen_clock
        self.notices: deque[tuple[SeverityLevel, str]] = deque(maxlen=self.NOTICES)
        self.console_commands = ConsoleCommands(self)
        self.ready_event = asyncio.Event()
        self.shutdown_finished = asyncio.Event()
        self.exit_code = 0
        self._pane_classes: list[type[Pane]] = []
        self._pane_filters: dict[str, str] = {}
        self.refresher = PaneRefresher(self)
        self._guard = ProcessGuard(self._stop_requested)
        self._handle_signals = handle_signals
        self._quitting = False
        self._unsubscribe: list[Callable[[], None]] = []
        self.status_feed = StatusFeed(self.source, attached=self.attached, frozen=frozen_clock)

    @property
    def log_buffer(self) -> LogBuffer | None:
        """The runtime's log tail (what the Logs pane's view reads); None when attached."""
        return self.runtime.log_tail if self.runtime is not None else None

    # -- layout --------------------------------------------------------------------------
    def get_default_screen(self) -> ConsoleScreen:
        # The panes' updates repaint a few lines at a time beside the bot: this screen
        # renders only those lines (see tui/widgets/_screen.py).
        return ConsoleScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status-line")
        yield PaneTabs(id="pane-tabs")
        with ContentSwitcher(id="body", initial="startup"):
            yield StartupView(id="startup")
        yield CommandBar(self.command_candidates, id="command-bar")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._guard.install(signals=self._handle_signals, watch_terminal=not self.is_headless)
        if self.runtime is not None:
            probes(self.runtime)  # loop lag is sampled from now on
        self.set_interval(0.5, self._tick)
        self.run_worker(self._boot(), name="boot", group="boot", exit_on_error=False)

    async def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if self.runtime is None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.source.close(), 10)
        else:
            if self._owns_runtime:
                try:
                    await asyncio.wait_for(self.runtime.shutdown("console closed"), 30)
                except Exception:
                    log.exception("shutting the bot down failed")
            await probes(self.runtime, start=False).stop()
        self._guard.restore()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.NAVIGATION and (self._typing() or isinstance(self.screen, ModalScreen)):
            return False
        if action == "leave_field":
            return self._typing() and not isinstance(self.screen, ModalScreen)
        return True

    def _typing(self) -> bool:
        focused = self.focused
        return focused is not None and is_text_field(focused)

    def notify(self, message: str, *, severity: SeverityLevel = "information", **kw: Any) -> None:
        self.notices.append((severity, message))
        kw.setdefault("markup", False)  # messages carry user data ("[REDACTED]", "[key]"…)
        super().notify(message, severity=severity, **kw)

    # -- start-up and the bot's life -----------------------------------------------------
    async def _boot(self) -> None:
        self._set_status(BotStatus("starting"))
        step = self.query_one(StartupView).step
        try:
            if self.session is None:
                status = await wait_for_bot(self.source, step, lambda: self._quitting)
                if status is None:
                    return
            else:
                await self.session.start(step)
        except Failure as failure:
            if not self._quitting:
                await self._fail(failure)
            return
        if self._quitting:
            return
        await self.console_commands.refresh_targets()
        await self._show_workspace()
        if self.session is not None:
            self.run_worker(self._watch_runtime(), name="watch", group="watch", exit_on_error=False)
        else:
            self._unsubscribe.append(self.source.subscribe("lifecycle", self._on_lifecycle))
        self.ready_event.set()
        self.set_timer(GC_FREEZE_DELAY, self._freeze_console_heap)

    def _freeze_console_heap(self) -> None:
        """Keep the console's start-up objects out of the garbage collector's way.

        The runtime freezes its start-up heap when the bot is ready (``gc.freeze``); the
        console's widgets, styles and caches come after. Left in the collected
        generations, the first collection to promote them took ~50 ms and every later
        full collection walks them all, while the bot waits. Frozen once the panes are
        built and painted, they cost nothing (only when the runtime tunes the collector).
        """
        runtime = self.runtime
        if runtime is not None and runtime.tune_gc and tuning_enabled() and not self._quitting:
            tune_for_long_run()

    async def _show_workspace(self) -> None:
        status = await self.status_feed.read()
        # Sandbox-only panes drive the sandbox the bot runs beside (not one it is attached
        # to with ZORYX_SANDBOX_URL).
        embedded = status is not None and status.get("sandbox") == "embedded"
        self._pane_classes = [
            cls
            for cls in load_panes()
            if not (cls.sandbox_only and not embedded) and await cls.listed(self.source)
        ]
        panes: list[Widget] = []
        for cls in self._pane_classes:
            pane = cls(id=cls.pane_id)
            pane.display = False
            panes.append(pane)
        body = self.query_one("#body", ContentSwitcher)
        await body.mount_all(panes)
        self.query_one(PaneTabs).titles = tuple(
            (cls.title, cls.short_title or cls.title) for cls in self._pane_classes
        )
        self._show_status(status)
        if panes:
            self.action_show_pane(1)

    async def _watch_runtime(self) -> None:
        assert self.session is not None
        failure = await self.session.watch()
        if failure is not None and not self._quitting:
            await self._fail(failure)

    def _on_lifecycle(self, event: dict[str, Any]) -> None:
        """An attached bot's lifecycle: the connection lost or back, the bot stopping."""
        status = self.status_feed.lifecycle(event)
        if status is not None and not self._quitting:
            self._set_status(status)
        if event.get("state") in ("lost", "connected"):  # the last data stays, greyed out
            self.query_one("#body").set_class(event.get("state") == "lost", "-lost")

    async def _fail(self, failure: Failure) -> None:
        self.exit_code = failure.exit_code
        body = self.query_one("#body", ContentSwitcher)
        await body.query("#error-panel").remove()
        panel = ErrorPanel(failure.title, failure.message, failure.details, id="error-panel")
        panel.display = False
        await body.mount(panel)
        body.current = "error-panel"
        state = "crashed" if "crash" in failure.title else "error"
        self._set_status(BotStatus(state, detail=failure.title))
        self.call_after_refresh(panel.focus)

    # -- status line and refresh ---------------------------------------------------------
    def _set_status(self, status: BotStatus) -> None:
        self.query_one(StatusLine).status = status

    def _show_status(self, status: dict[str, Any] | None) -> None:
        line = self.status_feed.ready(status)
        if line is None or self._quitting:
            return  # the line keeps saying what the app last knew (starting, lost…)
        if self.query_one(StatusLine).status.state not in ("crashed", "error"):
            self._set_status(line)

    async def _tick(self) -> None:
        pane = self.current_pane()
        if pane is not None and not self._quitting:
            self.refresher.tick(pane)
            self._show_status(await self.status_feed.read())

    def refresh_pane(self, pane: Pane) -> None:
        """Refresh ``pane`` now (in a worker) unless a refresh of it is still running."""
        self.refresher.refresh(pane)

    # -- panes ---------------------------------------------------------------------------
    def panes(self) -> list[Pane]:
        return list(self.query_one("#body", ContentSwitcher).query_children(Pane))

    def current_pane(self) -> Pane | None:
        body = self.query_one("#body", ContentSwitcher)
        for child in body.children:  # not visible_content: it raises while a child mounts
            if child.id == body.current:
                return child if isinstance(child, Pane) else None
        return None

    @property
    def pane_ids(self) -> list[str]:
        return [cls.pane_id for cls in self._pane_classes]

    def action_show_pane(self, number: int) -> None:
        panes = self.panes()
        body = self.query_one("#body", ContentSwitcher)
        if not 1 <= number <= len(panes) or body.current == "error-panel":
            return
        pane = panes[number - 1]
        body.current = pane.id
        self.query_one(PaneTabs).active = number - 1
        self.sub_title = pane.title
        focusable = [w for w in pane.query("*") if w.focusable and w.display]
        if focusable:
            focusable[0].focus()
        self.refresh_pane(pane)

    def action_step_pane(self, step: int) -> None:
        panes, pane = self.panes(), self.current_pane()
        if panes and pane is not None:
            self.action_show_pane((panes.index(pane) + step) % len(panes) + 1)

    def show_pane_by_ref(self, ref: str) -> bool:
        """Show a pane by number, id or title prefix; False when none matches."""
        panes = self.panes()
        if ref.isdigit():
            number = int(ref) or 10
            if number <= len(panes):
                self.action_show_pane(number)
                return True
            return False
        for index, pane in enumerate(panes, 1):
            if pane.pane_id == ref.lower() or pane.title.lower().startswith(ref.lower()):
                self.action_show_pane(index)
                return True
        return False

    # -- command line, filter, help, back ------------------------------------------------
    def action_command_line(self, value: str = "") -> None:
        self.query_one(CommandBar).open("command", value)
        # Completions name extensions and guilds as they are now.
        self.run_worker(self.console_commands.refresh_targets(), group="targets", exclusive=True)

    def action_filter(self) -> None:
        pane = self.current_pane()
        if pane is not None:
            self.query_one(CommandBar).open("filter", self._pane_filters.get(pane.pane_id, ""))

    def on_command_bar_command_entered(self, event: CommandBar.CommandEntered) -> None:
        self._focus_pane()
        self.run_command_line(event.text)

    def run_command_line(self, line: str) -> None:
        """Run a ``:`` command line in a worker (commands may ask for confirmation)."""
        self.run_worker(self.console_commands.run(line), group="command", exit_on_error=False)

    def on_command_bar_filter_changed(self, event: CommandBar.FilterChanged) -> None:
        pane = self.current_pane()
        if pane is not None:
            self._pane_filters[pane.pane_id] = event.text
            pane.apply_filter(event.text)
        if event.final:
            self._focus_pane()

    def on_command_bar_dismissed(self, event: CommandBar.Dismissed) -> None:
        if event.mode == "filter":
            self._clear_filter()
        self._focus_pane()

    def _clear_filter(self) -> bool:
        pane = self.current_pane()
        if pane is None or not self._pane_filters.get(pane.pane_id):
            return False
        self._pane_filters[pane.pane_id] = ""
        pane.apply_filter("")
        return True

    def _focus_pane(self) -> None:
        pane = self.current_pane()
        if pane is None:
            return
        focused = self.focused
        if focused is not None and pane in focused.ancestors_with_self:
            return
        focusable = [w for w in pane.query("*") if w.focusable and w.display]
        if focusable:
            focusable[0].focus()

    def action_back(self) -> None:  # type: ignore[override]  # sync on purpose: panes call it
        """``esc``: close the command line, else clear the filter, else refocus the pane."""
        bar = self.query_one(CommandBar)
        if bar.display:
            bar.dismiss()
        elif not self._clear_filter():
            self._focus_pane()

    def action_leave_field(self) -> None:
        """``esc`` in a pane's text field (a message box, the editor): back to the pane."""
        pane = self.current_pane()
        if pane is not None:
            pane.leave_field()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            pane = self.current_pane()
            title = f"Keys — {pane.title}" if pane is not None else "Keys"
            self.push_screen(HelpScreen(title, self.console_commands.help_sections(pane)))

    def command_candidates(self) -> list[str]:
        """Completions for the command line (see :meth:`ConsoleCommands.candidates`)."""
        return self.console_commands.candidates()

    def palette_entries(self) -> list[PaletteEntry]:
        """What ctrl+p lists (see :meth:`ConsoleCommands.palette`)."""
        return self.console_commands.palette()

    async def refresh_palette(self) -> None:
        """Read again the names the palette offers (the palette is opening)."""
        await self.console_commands.refresh_targets()

    # -- quitting ------------------------------------------------------------------------
    def _booting(self) -> bool:
        return any(w.group == "boot" and not w.is_finished for w in self.workers)

    def action_confirm_quit(self) -> None:
        if isinstance(self.screen, ConfirmScreen) or self._quitting:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._begin_quit("console quit")

        question = (
            "Quit the console? The bot keeps running."
            if self.attached
            else "Stop the bot and quit the console?"
        )
        self.push_screen(ConfirmScreen(question, "Quit"), answered)

    async def action_quit(self) -> None:
        self._begin_quit("console quit")

    def _stop_requested(self, reason: str, force: bool) -> None:
        if not self.is_headless:
            if force:
                os._exit(1)
            self._guard.arm_deadline()
        self._begin_quit(reason)

    def _begin_quit(self, reason: str) -> None:
        if self._quitting:
            return
        self._quitting = True
        self.refresher.stopped = True
        if self.session is None:
            self._set_status(BotStatus("stopping", detail="leaving the bot running…"))
            self.run_worker(self._detach_and_exit(), group="quit", exit_on_error=False)
            return
        self.session.stopping = True
        self._set_status(BotStatus("stopping", detail="closing the bot, flushing the databases…"))
        self.run_worker(self._shutdown_and_exit(reason), group="quit", exit_on_error=False)

    async def _detach_and_exit(self) -> None:
        """Attach mode: close the source (never the bot) and exit."""
        try:
            await asyncio.wait_for(self.source.close(), 10)
        except Exception:
            log.exception("closing the connection to the bot failed")
        finally:
            self.shutdown_finished.set()
            self.exit(self.exit_code, return_code=self.exit_code)

    async def _shutdown_and_exit(self, reason: str) -> None:
        assert self.runtime is not None
        try:
            # Quitting while the runtime is still being built: let the build finish (it is
            # short) so that what it starts (the sandbox, the databases) is stopped too.
            for _ in range(200):
                if self.runtime.services is not None or not self._booting():
                    break
                await asyncio.sleep(0.05)
            await asyncio.wait_for(self.runtime.shutdown(reason), 30)
        except Exception:
            log.exception("graceful shutdown failed")
        finally:
            self.shutdown_finished.set()
            self.exit(self.exit_code, return_code=self.exit_code)


def run_console(bot_dir: Path, **options: Any) -> int:
    """Run the console until the operator quits; returns the process exit code."""
    options.setdefault("tune_gc", True)  # a long run, as ``zoryx run --headless``
    return asyncio.run(_run_console(Path(bot_dir), options))


async def _run_console(bot_dir: Path, options: dict[str, Any]) -> int:
    with guarded_terminal_stream():
        app = ZoryxConsole(bot_dir, **options)
        try:
            await app.run_async()
        finally:
            if app.runtime is not None:  # never the bot the console is attached to
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(app.runtime.shutdown("console closed"), 30)
    if app.return_code:
        return app.return_code
    return app.exit_code


def run_attached(target: str) -> int:
    """Attach the console to a running bot (``zoryx tui --attach``); the bot keeps running
    whatever happens here. Returns the process exit code (2: no bot to attach to)."""
    return asyncio.run(_run_attached(target))


async def _run_attached(target: str) -> int:
    from zoryx.control.client import RemoteSource
    from zoryx.readmodel import SourceLost

    try:
        source = await RemoteSource.open(target)
    except (SourceLost, ValueError) as exc:  # no bot, unreachable, refused: one line
        print(f"zoryx tui --attach: {exc}", file=sys.stderr)
        return 2
    try:
        with guarded_terminal_stream():
            app = ZoryxConsole(source=source)
            await app.run_async()
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(source.close(), 10)
    return app.return_code or app.exit_code
