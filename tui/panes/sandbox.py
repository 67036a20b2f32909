"""Sandbox: act as a user of the sandbox Discord, and run the activity simulator.

Only shown when the bot runs on the embedded sandbox. The form (guilds, channels, users)
and the simulator's figures come from the ``sandbox`` and ``sandbox_guild`` views. A
message is posted with the operator action ``sandbox_say`` (the sandbox driver, exactly as
a test would: the bot receives an ordinary gateway event and answers over REST); the
pane then reads the bot's replies with the ``sandbox_messages`` view, after the posted
message's id, and shows them under it. A ``/command`` line is ``sandbox_slash`` and the
``sandbox_interaction`` view. The simulator is the sandbox's own ``ActivitySimulator``,
kept on ``sandbox.simulator`` as the sandbox control API does, so both faces see and
steer the same one (operator action ``sandbox_simulator``).
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
from zoryx.readmodel import ActionFailed, SourceLost

from .base import Pane

REPLY_TIMEOUT = 8.0
CHAT_TIMEOUT = 3.0
MORE_REPLIES = 0.5
#: Replies shown under one message at most (a command may answer with several).
MAX_REPLIES = 6
DEFAULT_RATE = 30


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
        self._overview: dict[str, Any] | None = None  # the last ``sandbox`` view
        self._stats: dict[str, Any] | None = None  # the simulator's last figures
        self._names: dict[str, dict[int, str]] = {"user": {}, "channel": {}}

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
    def _select(self, name: str) -> Select[int]:
        return self.query_one(f"#sbx-{name}", Select)

    def _value(self, name: str) -> int | None:
        value = self._select(name).value
        return value if isinstance(value, int) else None

    def _fill(self, name: str, options: list[tuple[str, int]], preferred: int | None) -> None:
        select = self._select(name)
        current = self._value(name)
        select.set_options(options)
        values = [value for _, value in options]
        for choice in (current, preferred, values[0] if values else None):
            if choice is not None and choice in values:
                select.value = choice
                return

    async def _fill_guild(self, guild_id: int) -> None:
        guild = await self.source.read("sandbox_guild", guild_id=guild_id)
        if guild is None:
            return
        channels = [(f"#{c['name']}", c["id"]) for c in guild["channels"]]
        self._names["channel"] = {c["id"]: c["name"] for c in guild["channels"]}
        general = next((v for label, v in channels if label == "#general"), None)
        self._fill("channel", channels, general)
        users = [(u["name"], u["id"]) for u in guild["users"]]
        self._names["user"] = {u["id"]: u["name"] for u in guild["users"]}
        self._fill("user", users, guild["owner_id"])

    async def _refill(self, guild_id: int) -> None:
        try:
            await self._fill_guild(guild_id)
        except SourceLost:
            pass  # the form keeps the last guild's choices; the header says the bot is gone

    async def refresh_data(self) -> None:
        data = await self.source.read("sandbox")
        if data is None:
            return
        self._overview = data
        self._stats = data["simulator"]
        guilds = [(g["name"], g["id"]) for g in data["guilds"]]
        if guilds != self._guild_options:
            self._guild_options = guilds
            self._filling = True
            try:
                self._fill("guild", guilds, None)
                guild_id = self._value("guild")
                if guild_id is not None:
                    await self._fill_guild(guild_id)
            finally:
                self.call_after_refresh(self._filled)
        self._show_stats()

    def _filled(self) -> None:
        self._filling = False

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "sbx-guild" and not self._filling and isinstance(event.value, int):
            self.run_worker(self._refill(event.value), group="sbx-fill", exclusive=True)

    # -- talking -----------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "sbx-text":
            self.action_send()
        elif event.input.id == "sbx-rate":
            self.run_worker(self._apply_rate(start=False), group="sbx-sim")

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
        user = self._names["user"].get(uid, str(uid))
        channel = self._names["channel"].get(cid, str(cid))
        log.write(Text.assemble((f"› {user}", "bold cyan"), f" in #{channel}: {text}"))
        try:
            if text.startswith("/"):
                await self._slash(uid, cid, text[1:])
            else:
                await self._say(uid, cid, text)
        except ActionFailed as exc:
            log.write(Text(f"✗ {exc}", style="bold red"))
        except Exception as exc:
            log.write(Text(f"✗ {_describe(exc)}", style="bold red"))

    async def _say(self, user_id: int, channel_id: int, text: str) -> None:
        sent = await self.source.act("sandbox_say", user=user_id, channel_id=channel_id, text=text)
        prefix = (self._overview or {}).get("prefix", "!")
        timeout = REPLY_TIMEOUT if text.startswith(prefix) else CHAT_TIMEOUT
        after, wait, shown = sent["id"], timeout, 0
        while shown < MAX_REPLIES:  # a command may answer with several messages
            replies = await self.source.read(
                "sandbox_messages",
                channel_id=channel_id,
                after=after,
                wait=wait,
                limit=MAX_REPLIES - shown,
            )
            if not replies:
                if not shown:
                    self._bot_line(f"(no reply within {timeout:.0f} s)", dim=True)
                return
            for reply in replies:
                self._show_reply(reply)
            shown += len(replies)
            after, wait = replies[-1]["id"], MORE_REPLIES

    async def _slash(self, user_id: int, channel_id: int, line: str) -> None:
        words = line.split()
        path = " ".join(w for w in words if "=" not in w)
        options = dict(w.split("=", 1) for w in words if "=" in w)
        if not path:
            raise CommandError("usage: /command [option=value …]")
        started = await self.source.act(
            "sandbox_slash", user=user_id, channel_id=channel_id, command=path, options=options
        )
        result = await self.source.read(
            "sandbox_interaction", interaction_id=started["interaction_id"], wait=REPLY_TIMEOUT
        )
        if result is None or not result["answered"]:
            self._bot_line(f"(no answer within {REPLY_TIMEOUT:.0f} s)", dim=True)
            return
        hidden = " (only you can see this)" if result["ephemeral"] else ""
        self._bot_line((result["text"] or "(empty answer)") + hidden)

    def _show_reply(self, message: dict[str, Any]) -> None:
        text = message["text"] or "(empty message)"
        controls = message["controls"]
        if controls:
            text += f"\n[{controls} button(s)/menu(s)]"
        self._bot_line(text)

    def _bot_line(self, text: str, *, dim: bool = False) -> None:
        name = (self._overview or {}).get("bot_name", "bot")
        line = Text.assemble((f"‹ {name}", "bold green"), ": ")
        line.append(text, style="dim" if dim else "")
        self.query_one("#sbx-log", RichLog).write(line)

    def action_clear(self) -> None:
        self.query_one("#sbx-log", RichLog).clear()

    # -- the simulator -----------------------------------------------------------------------
    @property
    def simulator_running(self) -> bool:
        """Whether the simulator ran when the pane last heard (what its button shows)."""
        return bool(self._stats and self._stats["running"])

    def _rate(self) -> int | None:
        raw = self.query_one("#sbx-rate", Input).value.strip()
        max_rate = (self._overview or {}).get("max_rate")
        if raw.isdigit() and 0 < int(raw) and (max_rate is None or int(raw) <= max_rate):
            return int(raw)
        shown = "?" if max_rate is None else f"{max_rate:g}"
        self.query_one("#sbx-stats", LiveStatic).show(
            ("rate", shown),
            lambda: Text(f"The rate must be 1 to {shown} actions per minute.", style="bold red"),
            None,
        )
        return None

    async def _apply_rate(self, *, start: bool) -> bool:
        """Set the rate typed in (and start the simulator); False if the rate is invalid.

        Without a simulator yet, a rate alone only waits for the next start.
        """
        rate = self._rate()
        if rate is None:
            return False
        if not start and self._stats is None:
            return True
        await self._simulate(True if start else None, rate)
        return True

    async def _simulate(self, running: bool | None, rate: int | None = None) -> None:
        try:
            self._stats = await self.source.act(
                "sandbox_simulator", running=running, rate_per_minute=rate
            )
        except (ActionFailed, SourceLost) as exc:
            self.app.notify(str(exc), severity="error")
            return
        self._show_stats()

    def action_toggle_simulator(self) -> None:
        if self.simulator_running:
            self.run_worker(self.stop_simulator(), group="sbx-sim")
        else:
            self.run_worker(self.start_simulator(), group="sbx-sim")

    async def start_simulator(self) -> bool:
        return await self._apply_rate(start=True)

    async def stop_simulator(self) -> None:
        await self._simulate(False)

    def _show_stats(self) -> None:
        stats = self._stats
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
            if not await self.start_simulator():
                raise CommandError("the rate must be a whole number of actions per minute")
            if not self.simulator_running:
                raise CommandError("the simulator did not start (see the notification)")
            assert self._stats is not None
            return f"simulator started at {self._stats['rate_per_minute']:g} actions/min"
        if verb in ("stop", "off"):
            await self.stop_simulator()
            return "simulator stopped"
        raise CommandError("usage: :sim start [rate] | :sim stop")


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


PANE = SandboxPane
