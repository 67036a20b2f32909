"""An activity simulator: demo users chat, react, type, hop in voice and use the bot.

It brings a sandbox to life for demos and soak tests. Every action goes through the
sandbox state's mutation methods, so the bot sees ordinary gateway events, and users only
do what their permissions allow. The simulator runs as one asyncio task on the sandbox's
loop, paced to ``rate_per_minute`` actions, keeps a bounded amount of history and never
stops on an error (it logs it, counts it and carries on).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter, deque
from typing import TYPE_CHECKING, Any

from .constants import THREAD_TYPES, InteractionType, Perm
from .errors import DiscordAPIError
from .permissions import channel_permissions
from .slash import build_command_data
from .state import SandboxState
from .voice import set_voice_state

if TYPE_CHECKING:
    from .server import SandboxServer
    from .state import Application, GuildState

log = logging.getLogger("zoryx.sandbox.simulator")

CORPUS: tuple[str, ...] = (
    "good morning everyone",
    "anyone around?",
    "lol",
    "that build finally passed",
    "brb, coffee",
    "has anyone tried the new patch yet?",
    "can someone help me with my config?",
    "nice!",
    "I think the docs cover that, check the pinned messages",
    "same here",
    "what are we playing tonight?",
    "gg",
    "thanks, that fixed it",
    "just got back from lunch",
    "does the bot have a leaderboard?",
    "weekend plans?",
    "this channel is quiet today",
    "how do I get the Helper role?",
    "haha yes",
    "who's up for a voice chat later?",
    "my internet keeps dropping",
    "welcome to the server!",
    "ok that's actually impressive",
    "I'll check after the meeting",
    "anyone know a good pixel art tool?",
    "reminder: study session at 8",
    "the new emoji is great",
    "hmm, not sure about that",
    "see you all tomorrow",
    "is the event still on?",
    "I pushed a fix, can someone review?",
    "morning! :)",
    "that's a fair point",
    "oops, wrong channel",
    "happy friday",
    "anyone else's bot lagging or just mine?",
    "please keep it civil, folks",
    "love this community",
    "back from vacation, what did I miss?",
    "night all",
)
UNICODE_EMOJIS: tuple[str, ...] = ("👍", "😂", "🎉", "❤️", "👀", "🔥", "✅", "🙏", "😮", "💯")
KINDS: tuple[str, ...] = ("message", "reaction", "typing", "voice", "command", "slash")
DEFAULT_WEIGHTS: dict[str, float] = {
    "message": 40,
    "reaction": 15,
    "typing": 10,
    "voice": 8,
    "command": 15,
    "slash": 12,
}
_TEXT_TYPES = frozenset({0, 5, 10, 11})
_VOICE_TYPES = frozenset({2, 13})
_SEND = int(Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
_SEND_THREAD = int(Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES_IN_THREADS)
_REACT = int(Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY | Perm.ADD_REACTIONS)
_CONNECT = int(Perm.VIEW_CHANNEL | Perm.CONNECT)
_COMMANDS = int(Perm.VIEW_CHANNEL | Perm.USE_APPLICATION_COMMANDS)
_LOGGED_ERRORS = 5


class ActivitySimulator:
    """Makes the non-bot members of the bot's guilds act at a steady pace.

    Args:
        target: A :class:`SandboxServer` (or ``Sandbox``) or a bare :class:`SandboxState`.
        rate_per_minute: Actions per minute (at most :attr:`MAX_RATE`).
        seed: Seed for the random choices; the same seed and world give the same sequence
            of choices (outcomes that depend on the bot's replies can still differ).
        prefix: Prefix of the bot's prefix commands.
        commands: Prefix commands users try (without the prefix).
        weights: Relative frequency of each action kind (see :data:`KINDS`).
        max_voice_per_guild: Upper bound on users the simulator keeps in voice per guild.
        history: Number of recent actions kept for :meth:`stats`.

    ``start()`` and ``stop()`` may be called from any thread; the work happens on the
    sandbox loop. :meth:`step` performs one action immediately (on the sandbox loop).
    """

    MAX_RATE = 6_000.0

    def __init__(
        self,
        target: SandboxServer | SandboxState,
        rate_per_minute: float = 30.0,
        seed: int | None = None,
        *,
        prefix: str = "!",
        commands: tuple[str, ...] = ("help", "stats", "ping"),
        weights: dict[str, float] | None = None,
        max_voice_per_guild: int = 6,
        history: int = 50,
    ) -> None:
        if isinstance(target, SandboxState):
            self.state = target
            self.server: SandboxServer | None = None
        else:
            self.state = target.state
            self.server = target
        self.rate_per_minute = 30.0
        self.set_rate(rate_per_minute)
        self.seed = seed
        self.prefix = prefix
        self.commands = tuple(commands)
        self.weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        unknown_kinds = set(self.weights) - set(KINDS)
        if unknown_kinds:
            raise ValueError(f"unknown action kinds: {sorted(unknown_kinds)}")
        self.max_voice_per_guild = max_voice_per_guild
        self.rng = random.Random(seed)
        self._pace = random.Random(None if seed is None else seed + 1)
        self.by_kind: Counter[str] = Counter()
        self.actions = 0
        self.errors = 0
        self.last_error: str | None = None
        self.recent: deque[dict[str, Any]] = deque(maxlen=history)
        self._in_voice: dict[int, set[int]] = {}
        self._wanted = False
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- control ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._wanted

    def set_rate(self, rate_per_minute: float) -> None:
        """Change the pace (takes effect from the next action)."""
        rate = float(rate_per_minute)
        if not 0 < rate <= self.MAX_RATE:
            raise ValueError(f"rate_per_minute must be in (0, {self.MAX_RATE:g}]")
        self.rate_per_minute = rate

    def start(self) -> None:
        """Start acting (idempotent). Call it from the sandbox loop or any other thread."""
        self._wanted = True
        self._on_loop(self._ensure_task)

    def stop(self) -> None:
        """Stop acting: no action starts after this returns (idempotent)."""
        self._wanted = False
        if self._loop is not None and not self._loop.is_closed():
            self._on_loop(self._cancel_task)

    def _target_loop(self) -> asyncio.AbstractEventLoop:
        if self.server is not None:
            return self.server.loop
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "ActivitySimulator on a bare SandboxState must be started on the sandbox loop"
            ) from None

    def _on_loop(self, fn: Any) -> None:
        loop = self._loop if self._loop is not None else self._target_loop()
        self._loop = loop
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is loop:
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    def _ensure_task(self) -> None:
        if self._wanted and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="sandbox-activity-simulator"
            )

    def _cancel_task(self) -> None:
        if not self._wanted and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        with contextlib.suppress(asyncio.CancelledError):
            while self._wanted:
                interval = 60.0 / self.rate_per_minute
                next_at = max(next_at + interval * self._pace.uniform(0.5, 1.5), loop.time())
                await asyncio.sleep(next_at - loop.time())
                if not self._wanted:
                    break
                self.step()

    def stats(self) -> dict[str, Any]:
        """Counters for the control API and the console (a snapshot)."""
        return {
            "running": self._wanted,
            "rate_per_minute": self.rate_per_minute,
            "seed": self.seed,
            "actions": self.actions,
            "by_kind": dict(self.by_kind),
            "errors": self.errors,
            "last_error": self.last_error,
            "recent": list(self.recent)[-10:],
        }

    # -- one action ---------------------------------------------------------------------
    def step(self) -> dict[str, Any] | None:
        """Perform one random action now; returns what was done (``None`` if nothing)."""
        try:
            record = self._act()
        except Exception as exc:
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            if self.errors <= _LOGGED_ERRORS and not isinstance(exc, DiscordAPIError):
                log.warning("activity simulator action failed", exc_info=True)
            else:
                log.debug("activity simulator action failed: %s", self.last_error)
            return None
        if record is not None:
            record["at"] = round(time.time(), 3)
            self.actions += 1
            self.by_kind[record["kind"]] += 1
            self.recent.append(record)
        return record

    def _act(self) -> dict[str, Any] | None:
        bots = {app.bot_id for app in self.state.apps.values()}
        guilds = [g for g in self.state.guilds.values() if bots & g.members.keys()]
        if not guilds:
            return None
        guild = self.rng.choice(guilds)
        uid = self._pick_member(guild)
        if uid is None:
            return None
        kinds = [k for k in KINDS if self.weights.get(k, 0) > 0]
        kind = self.rng.choices(kinds, [self.weights[k] for k in kinds])[0]
        action = getattr(self, f"_do_{kind}")
        record: dict[str, Any] | None = action(guild, uid)
        if record is None and kind != "message":
            record = self._do_message(guild, uid)
        return record

    def _pick_member(self, guild: GuildState) -> int | None:
        members = tuple(guild.members)
        for _ in range(8):
            uid = self.rng.choice(members)
            if not self.state.users[uid].get("bot"):
                return uid
        humans = [u for u in members if not self.state.users[u].get("bot")]
        return self.rng.choice(humans) if humans else None

    def _channels(
        self, guild: GuildState, uid: int, types: frozenset[int], perms: int
    ) -> list[dict[str, Any]]:
        out = []
        for channel in guild.channels.values():
            if channel["type"] not in types:
                continue
            if channel.get("thread_metadata", {}).get("archived"):
                continue
            need = _SEND_THREAD if channel["type"] in THREAD_TYPES and perms == _SEND else perms
            if channel_permissions(guild, channel, uid) & need == need:
                out.append(channel)
        return out

    def _base(
        self, kind: str, guild: GuildState, uid: int, channel: dict[str, Any] | None
    ) -> dict[str, Any]:
        return {
            "kind": kind,
            "user": self.state.users[uid]["username"],
            "guild": guild.name,
            "channel": channel["name"] if channel is not None else None,
        }

    def _do_message(self, guild: GuildState, uid: int) -> dict[str, Any] | None:
        channels = self._channels(guild, uid, _TEXT_TYPES, _SEND)
        if not channels:
            return None
        channel = self.rng.choice(channels)
        content = self.rng.choice(CORPUS)
        self.state.create_message(int(channel["id"]), uid, content=content)
        return {**self._base("message", guild, uid, channel), "content": content}

    def _do_command(self, guild: GuildState, uid: int) -> dict[str, Any] | None:
        if not self.commands:
            return None
        channels = self._channels(guild, uid, _TEXT_TYPES, _SEND)
        preferred = [c for c in channels if "bot" in c["name"]]
        if not channels:
            return None
        channel = self.rng.choice(preferred or channels)
        content = self.prefix + self.rng.choice(self.commands)
        self.state.create_message(int(channel["id"]), uid, content=content)
        return {**self._base("command", guild, uid, channel), "content": content}

    def _do_typing(self, guild: GuildState, uid: int) -> dict[str, Any] | None:
        channels = self._channels(guild, uid, _TEXT_TYPES, _SEND)
        if not channels:
            return None
        channel = self.rng.choice(channels)
        self.state.typing(int(channel["id"]), uid)
        return self._base("typing", guild, uid, channel)

    def _do_reaction(self, guild: GuildState, uid: int) -> dict[str, Any] | None:
        channels = [
            c
            for c in self._channels(guild, uid, _TEXT_TYPES, _REACT)
            if self.state.messages.get(int(c["id"]))
        ]
        if not channels:
            return None
        channel = self.rng.choice(channels)
        store = self.state.messages[int(channel["id"])]
        recent = [mid for _, mid in zip(range(10), reversed(store), strict=False)]
        mid = self.rng.choice(recent)
        custom = list(guild.emojis.values())
        if custom and self.rng.random() < 0.3:
            chosen = self.rng.choice(custom)
            emoji: dict[str, Any] = {"id": chosen["id"], "name": chosen["name"]}
        else:
            emoji = {"id": None, "name": self.rng.choice(UNICODE_EMOJIS)}
        cid = int(channel["id"])
        added = self.state.add_reaction(cid, mid, uid, emoji)
        if not added:
            self.state.remove_reaction(cid, mid, uid, emoji)
        return {
            **self._base("reaction", guild, uid, channel),
            "emoji": emoji["name"],
            "action": "add" if added else "remove",
        }

    def _do_voice(self, guild: GuildState, uid: int) -> dict[str, Any] | None:
        ours = self._in_voice.setdefault(guild.id, set())
        ours.intersection_update(guild.voice_states)
        if uid in guild.voice_states and uid not in ours:
            return None  # somebody else put this user in voice: leave them alone
        channels = self._channels(guild, uid, _VOICE_TYPES, _CONNECT)
        if uid not in ours and len(ours) >= self.max_voice_per_guild:
            uid = self.rng.choice(sorted(ours))
        if uid in ours:
            current = guild.voice_states[uid].get("channel_id")
            others = [c for c in channels if c["id"] != current]
            if others and self.rng.random() < 0.3:
                channel = self.rng.choice(others)
                set_voice_state(self.state, guild, uid, int(channel["id"]))
                return {**self._base("voice", guild, uid, channel), "action": "move"}
            set_voice_state(self.state, guild, uid, None)
            ours.discard(uid)
            return {**self._base("voice", guild, uid, None), "action": "leave"}
        if not channels:
            return None
        channel = self.rng.choice(channels)
        set_voice_state(self.state, guild, uid, int(channel["id"]))
        ours.add(uid)
        return {**self._base("voice", guild, uid, channel), "action": "join"}

    def _do_slash(self, guild: GuildState, uid: int) -> dict[str, Any] | None:
        apps = [a for a in self.state.apps.values() if a.bot_id in guild.members]
        if not apps:
            return None
        app = self.rng.choice(apps)
        choices = self._simple_commands(app, guild, uid)
        channels = self._channels(guild, uid, _TEXT_TYPES, _COMMANDS)
        channels = [
            c for c in channels if channel_permissions(guild, c, app.bot_id) & Perm.VIEW_CHANNEL
        ]
        if not choices or not channels:
            return None
        name = self.rng.choice(choices)
        channel = self.rng.choice(channels)
        cid = int(channel["id"])
        data = build_command_data(self.state, app, cid, name, {})
        record = self.state.interactions.create(
            app, InteractionType.APPLICATION_COMMAND, uid, cid, data
        )
        return {
            **self._base("slash", guild, uid, channel),
            "command": name,
            "interaction_id": str(record.id),
        }

    def _simple_commands(self, app: Application, guild: GuildState, uid: int) -> list[str]:
        """Chat-input commands the user may run that need no options or subcommands."""
        from .permissions import base_permissions

        perms = base_permissions(guild, uid)
        names: list[str] = []
        for cmd in [*app.guild_commands.get(guild.id, {}).values(), *app.commands.values()]:
            if cmd.get("type", 1) != 1 or cmd["name"] in names:
                continue
            options = cmd.get("options") or []
            if any(o.get("required") or o.get("type") in (1, 2) for o in options):
                continue
            needed = cmd.get("default_member_permissions")
            if needed is not None and perms & int(needed) != int(needed):
                continue
            names.append(cmd["name"])
        return sorted(names)
