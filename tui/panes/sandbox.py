"""Sandbox: act as a user of the sandbox Discord, and run the activity simulator.

Only shown when the bot runs on the embedded sandbox. Messages are posted through the
sandbox driver exactly as a test would (``sandbox.user(...).say``), so the bot receives an
ordinary gateway event and answers over REST; the pane then waits for the bot's reply in
a worker and shows it under the message. The simulator is the sandbox's own
``ActivitySimulator``, kept on ``sandbox.simulator`` as the sandbox control API does, so
both faces see and steer the same one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, Input, Label, RichLog, Select, Static

from tui.widgets import CommandError, LiveStatic

from .base import Pane

REPLY_TIMEOUT = 8.0
CHAT_TIMEOUT = 3.0
MORE_REPLIES = 0.5
DEFAULT_RATE = 30
TEXT_TYPES = (0, 5)


class SandboxPane(Pane):
    """Post as a demo user and see the bot's answer; start and stop simulated activity."""

    pane_id = "sandbox"
    title = "Sandbox"
    short_title = "Sbox"
    refresh_seconds = 1.0
    sandbox_only = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "toggle_simulator", "Simulator on/off"),
        Binding("ctrl+l", "clear", "Clear"),
    ]
    extra_help = [
        ("enter", "in the message line: send it (a /name opt=value line runs a slash command)"),
        ("esc", "leave the message line for the conversation (number keys jump panes again)"),
        ("tab", "move between user, guild, channel, message, rate and buttons"),
        ("ctrl+t", "start or stop the activity simulator at the rate shown"),
        ("ctrl+l", "clear the conversation"),
    ]

    DEFAULT_CSS = """
    SandboxPane .sbx-row { height: 1; margin: 0 1; }
    SandboxPane .sbx-row Label { padding: 0 1 0 0; }
    SandboxPane .sbx-row Select { width: 1fr; margin-right: 1; }
    SandboxPane #sbx-text { width: 1fr; margin-right: 1; }
    SandboxPane #sbx-rate { width: 8; margin-right: 1; }
    SandboxPane #sbx-log { width: 100%; height: 1fr; border: round $primary 60%;
        border-title-style: bold;
        margin-top: 1; }
    SandboxPane #sbx-sim-row { margin: 1 1 0 1; }
    SandboxPane #sbx-stats { height: auto; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._guild_options: list[tuple[str, int]] = []
        self._filling = False

    def compose(self) -> ComposeResult:
        yield Static(
            "Act as a user of the sandbox world: pick who and where, type, enter sends.",
            classes="pane-hint",
        )
        with Horizontal(classes="sbx-row"):
            yield Label("As")
            yield Select([], id="sbx-user", prompt="user", allow_blank=True, compact=True)
            yield Label("in")
            yield Select([], id="sbx-guild", prompt="guild", allow_blank=True, compact=True)
            yield Select([], id="sbx-channel", prompt="channel", allow_blank=True, compact=True)
        with Horizontal(classes="sbx-row"):
            yield Label("›")
            yield Input(
                id="sbx-text", placeholder="a message, !help, or /roll dice=2", compact=True
            )
            yield Button("Send", id="sbx-send", compact=True)
        log = RichLog(id="sbx-log", max_lines=500, wrap=True, markup=False)
        log.border_title = "Conversation"
        yield log
        with Horizontal(classes="sbx-row", id="sbx-sim-row"):
            yield Label("Simulator")
            yield Input(str(DEFAULT_RATE), id="sbx-rate", type="integer", compact=True)
            yield Label("actions/min")
            yield Button("Start", id="sbx-sim", compact=True)
        yield LiveStatic(id="sbx-stats")

    def home_widget(self) -> Widget | None:
        return self.query_one("#sbx-log", RichLog)

    # -- the world ---------------------------------------------------------------------------
    @property
    def sandbox(self) -> Any:
        return self.runtime.sandbox

    def _select(self, name: str) -> Select[int]:
        return self.query_one(f"#sbx-{name}", Select)

    def _value(self, name: str) -> int | None:
        value = self._select(name).value
        return value if isinstance(value, int) else None

    def _guilds(self) -> list[tuple[str, int]]:
        sb = self.sandbox
        bot_id = sb.bot_id
        return [(g.name, g.id) for g in list(sb.state.guilds.values()) if bot_id in g.members]

    def _fill(self, name: str, options: list[tuple[str, int]], preferred: int | None) -> None:
        select = self._select(name)
        current = self._value(name)
        select.set_options(options)
        values = [value for _, value in options]
        for choice in (current, preferred, values[0] if values else None):
            if choice is not None and choice in values:
                select.value = choice
                return

    def _fill_guild(self, guild_id: int) -> None:
        sb = self.sandbox
        guild = sb.state.guilds.get(guild_id)
        if guild is None:
            return
        channels = sorted(
            (c for c in list(guild.channels.values()) if c["type"] in TEXT_TYPES),
            key=lambda c: (c.get("position", 0), int(c["id"])),
        )
        channel_options = [(f"#{c['name']}", int(c["id"])) for c in channels]
        general = next((v for label, v in channel_options if label == "#general"), None)
        self._fill("channel", channel_options, general)
        users = sb.state.users
        owner = sb.state.owner_user_id
        humans = [uid for uid in list(guild.members) if not users[uid].get("bot")]
        humans.sort(key=lambda uid: (uid != owner, str(users[uid]["username"]).lower()))
        self._fill("user", [(str(users[uid]["username"]), uid) for uid in humans], owner)

    async def refresh_data(self) -> None:
        if self.sandbox is None:
            return
        guilds = self._guilds()
        if guilds != self._guild_options:
            self._guild_options = guilds
            self._filling = True
            try:
                self._fill("guild", guilds, None)
                guild_id = self._value("guild")
                if guild_id is not None:
                    self._fill_guild(guild_id)
            finally:
                self.call_after_refresh(self._filled)
        self._show_stats()

    def _filled(self) -> None:
        self._filling = False

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "sbx-guild" and not self._filling and isinstance(event.value, int):
            self._fill_guild(event.value)

    # -- talking -----------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "sbx-text":
            self.action_send()
        elif event.input.id == "sbx-rate":
            self._apply_rate(start=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "sbx-send":
            self.action_send()
        elif event.button.id == "sbx-sim":
            self.action_toggle_simulator()

    def action_send(self) -> None:
        field = self.query_one("#sbx-text", Input)
        text = field.value.strip()
        if not text:
            return
        field.value = ""
        self.run_worker(self.send(text), group="sbx-send")

    async def send(self, text: str) -> None:
        """Post ``text`` (or run ``/command opt=value``) as the chosen user; show the replies."""
        log = self.query_one("#sbx-log", RichLog)
        uid, cid = self._value("user"), self._value("channel")
        if uid is None or cid is None:
            log.write(Text("Choose a user, a guild and a channel first.", style="yellow"))
            return
        sb = self.sandbox
        user = sb.user(uid)
        guild = sb.state.guilds.get(self._value("guild"))
        channel = guild.channels.get(cid, {}).get("name", cid) if guild is not None else cid
        log.write(Text.assemble((f"› {user.name}", "bold cyan"), f" in #{channel}: {text}"))
        try:
            if text.startswith("/"):
                await self._slash(user, cid, text[1:])
            else:
                await self._say(user, cid, text)
        except Exception as exc:
            log.write(Text(f"✗ {_describe(exc)}", style="bold red"))

    async def _say(self, user: Any, channel_id: int, text: str) -> None:
        sb = self.sandbox
        sent = await user.say(channel_id, text)
        prefix = self.runtime.services.config.prefix
        timeout = REPLY_TIMEOUT if text.startswith(prefix) else CHAT_TIMEOUT

        def after(message: Any) -> bool:
            return bool(message.id > sent.id)

        try:
            reply = await sb.expect_message(channel_id, check=after, timeout=timeout)
        except TimeoutError:
            self._bot_line(f"(no reply within {timeout:.0f} s)", dim=True)
            return
        self._show_reply(reply)
        for _ in range(5):  # a command may answer with several messages
            try:
                more = await sb.expect_message(channel_id, check=after, timeout=MORE_REPLIES)
            except TimeoutError:
                return
            self._show_reply(more)

    async def _slash(self, user: Any, channel_id: int, line: str) -> None:
        words = line.split()
        path = " ".join(w for w in words if "=" not in w)
        options = dict(w.split("=", 1) for w in words if "=" in w)
        if not path:
            raise CommandError("usage: /command [option=value …]")
        handle = await user.slash(path, channel_id, **options)
        try:
            result = await handle.response(timeout=REPLY_TIMEOUT)
        except TimeoutError:
            self._bot_line(f"(no answer within {REPLY_TIMEOUT:.0f} s)", dim=True)
            return
        hidden = " (only you can see this)" if result.ephemeral else ""
        self._bot_line((result.text() or "(empty answer)") + hidden)

    def _show_reply(self, message: Any) -> None:
        text = message.text() or "(empty message)"
        controls = len(message.custom_ids())
        if controls:
            text += f"\n[{controls} button(s)/menu(s)]"
        self._bot_line(text)

    def _bot_line(self, text: str, *, dim: bool = False) -> None:
        name = str(self.runtime.bot.user.name) if self.runtime.bot.user else "bot"
        line = Text.assemble((f"‹ {name}", "bold green"), ": ")
        line.append(text, style="dim" if dim else "")
        self.query_one("#sbx-log", RichLog).write(line)

    def action_clear(self) -> None:
        self.query_one("#sbx-log", RichLog).clear()

    # -- the simulator -----------------------------------------------------------------------
    def simulator(self) -> Any:
        return getattr(self.sandbox, "simulator", None)

    def _rate(self) -> int | None:
        raw = self.query_one("#sbx-rate", Input).value.strip()
        from zoryx.sandbox.simulator import ActivitySimulator

        if raw.isdigit() and 0 < int(raw) <= ActivitySimulator.MAX_RATE:
            return int(raw)
        self.query_one("#sbx-stats", LiveStatic).show(
            ("rate", ActivitySimulator.MAX_RATE),
            lambda: Text(
                f"The rate must be 1 to {ActivitySimulator.MAX_RATE:g} actions per minute.",
                style="bold red",
            ),
            None,
        )
        return None

    def _apply_rate(self, *, start: bool) -> bool:
        rate = self._rate()
        if rate is None:
            return False
        simulator = self.simulator()
        if simulator is None:
            if not start:
                return True
            from zoryx.sandbox.simulator import ActivitySimulator

            prefix = self.runtime.services.config.prefix
            simulator = ActivitySimulator(self.sandbox, rate, prefix=prefix)
            self.sandbox.simulator = simulator
        simulator.set_rate(rate)
        if start:
            simulator.start()
        self._show_stats()
        return True

    def action_toggle_simulator(self) -> None:
        simulator = self.simulator()
        if simulator is not None and simulator.running:
            self.stop_simulator()
        else:
            self.start_simulator()

    def start_simulator(self) -> bool:
        return self._apply_rate(start=True)

    def stop_simulator(self) -> None:
        simulator = self.simulator()
        if simulator is not None:
            simulator.stop()
        self._show_stats()

    def _show_stats(self) -> None:
        simulator = self.simulator()
        stats = simulator.stats() if simulator is not None else None
        running = bool(stats and stats["running"])
        button = self.query_one("#sbx-sim", Button)
        label = "Stop" if running else "Start"
        if str(button.label) != label:
            button.label = label
        text = Text()
        if stats is None:
            text.append("○ stopped", style="dim")
            text.append(" · no simulated activity yet")
        else:
            text.append(
                "● running" if running else "○ stopped", style="bold green" if running else "dim"
            )
            actions = stats["actions"]
            text.append(f" · {stats['rate_per_minute']:g}/min · {actions} action")
            text.append("" if actions == 1 else "s")
            kinds = " · ".join(f"{k} {n}" for k, n in sorted(stats["by_kind"].items()))
            if kinds:
                text.append(f" ({kinds})")
            errors = stats["errors"]
            text.append(f" · {errors} errors", style="bold red" if errors else "")
            recent = stats["recent"]
            if recent:
                last = recent[-1]
                where = f" in #{last['channel']}" if last.get("channel") else ""
                text.append(f"\nlast: {last['kind']} by {last['user']}{where} ({last['guild']})")
        stats_line = self.query_one("#sbx-stats", LiveStatic)
        width = stats_line.content_size.width  # the height decides whether to lay out
        lines = len(text.wrap(self.app.console, width)) if width else None
        stats_line.show((text.plain, tuple(text.spans), width), lambda: text, lines)

    # -- ``:`` commands ------------------------------------------------------------------------
    def command_help(self) -> list[tuple[str, str]]:
        return [("sim <start [rate] | stop>", "start or stop the sandbox activity simulator")]

    async def run_command(self, name: str, args: list[str]) -> Any:
        if name != "sim":
            return None
        verb = args[0].lower() if args else ""
        if verb in ("start", "on"):
            if len(args) > 1:
                self.query_one("#sbx-rate", Input).value = args[1]
            if not self.start_simulator():
                raise CommandError("the rate must be a whole number of actions per minute")
            return f"simulator started at {self.simulator().rate_per_minute:g} actions/min"
        if verb in ("stop", "off"):
            self.stop_simulator()
            return "simulator stopped"
        raise CommandError("usage: :sim start [rate] | :sim stop")


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


PANE = SandboxPane
