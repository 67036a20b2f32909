"""The sandbox gateway: websocket sessions, identify/resume, intents, event fan-out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .constants import EVENT_INTENTS, PRIVILEGED_INTENTS, Close, Intent, Op, Perm
from .gateway_conn import Connection, GatewayFaults, GatewayOptions, SendWindow, Session
from .gateway_payloads import PayloadRejected, parse_identify, parse_presence, parse_resume
from .gateway_ready import GuildStream, ready_payload
from .gateway_requests import bot_presence, bot_voice, request_members
from .identify_limits import IdentifyLimits
from .permissions import channel_permissions
from .snowflake import shard_for

if TYPE_CHECKING:
    from .state import Event, GuildState, SandboxState

log = logging.getLogger("zoryx.sandbox.gateway")

_ALL_INTENTS = 0
for _i in Intent:
    _ALL_INTENTS |= int(_i)

_CONTENT_EVENTS = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE"})
_BLANKED = {"content": "", "embeds": [], "attachments": [], "components": []}
# How an event relates to channel visibility (one dict lookup per event on the hot path):
# _GATED: about something in a channel (``data.channel_id``), sent only to bots that see it;
# _THREAD: about a thread (``data.id``), sent only to bots that see it when it is private;
# _RESET: a bot may see channels differently afterwards (the visibility cache is dropped);
# _MEMBER: the same, when the member concerned is a bot.
_GATED, _THREAD, _RESET, _MEMBER = 1, 2, 4, 8
_VISIBILITY_KIND: dict[str, int] = {
    **dict.fromkeys(
        (
            "MESSAGE_CREATE",
            "MESSAGE_UPDATE",
            "MESSAGE_DELETE",
            "MESSAGE_DELETE_BULK",
            "MESSAGE_REACTION_ADD",
            "MESSAGE_REACTION_REMOVE",
            "MESSAGE_REACTION_REMOVE_ALL",
            "MESSAGE_REACTION_REMOVE_EMOJI",
            "CHANNEL_PINS_UPDATE",
            "TYPING_START",
        ),
        _GATED,
    ),
    **dict.fromkeys(
        (
            "GUILD_CREATE",
            "GUILD_UPDATE",
            "GUILD_DELETE",
            "GUILD_ROLE_CREATE",
            "GUILD_ROLE_UPDATE",
            "GUILD_ROLE_DELETE",
            "CHANNEL_CREATE",
            "CHANNEL_UPDATE",
            "CHANNEL_DELETE",
            "THREAD_DELETE",
            "THREAD_LIST_SYNC",
        ),
        _RESET,
    ),
    **dict.fromkeys(("THREAD_CREATE", "THREAD_UPDATE", "THREAD_MEMBERS_UPDATE"), _THREAD | _RESET),
    **dict.fromkeys(("GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE"), _MEMBER),
}
_PRIVATE_THREAD = 12
_VISIBILITY_CACHE_CAP = 50_000


def _thread_member_ids(data: dict[str, Any]) -> frozenset[str]:
    """User ids added to or removed from a thread by a THREAD_MEMBERS_UPDATE."""
    added = [str(m.get("user_id")) for m in data.get("added_members") or ()]
    return frozenset([*added, *(str(u) for u in data.get("removed_member_ids") or ())])


class Gateway:
    """Accepts gateway connections and fans state events out to sessions."""

    def __init__(self, state: SandboxState, options: GatewayOptions | None = None) -> None:
        self.state = state
        self.options = options or GatewayOptions()
        self.faults = GatewayFaults()
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.url = ""
        self.identify_count = 0  # accepted identifies
        self.resume_count = 0
        self.rate_limited = 0  # connections closed 4008 for sending too much
        self.identify_limits = IdentifyLimits(
            max_concurrency=self.options.max_concurrency,
            total=self.options.session_start_total,
        )
        self._streams: set[asyncio.Task[None]] = set()
        # (bot id, channel id) -> whether the bot can see the channel (VIEW_CHANNEL).
        self._visible: dict[tuple[int, str], bool] = {}
        state.listeners.append(self.on_event)

    # -- fan-out -------------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        name = event.name
        kind = _VISIBILITY_KIND.get(name, 0)
        if kind & _RESET or (kind & _MEMBER and self._is_bot(event.data.get("user"))):
            self._visible.clear()
        if not self.sessions:
            return
        data_json: str | None = None
        blanked_json: str | None = None
        guild = self.state.guilds.get(event.guild_id) if event.guild_id is not None else None
        need_guild, need_dm = EVENT_INTENTS.get(name, (None, None))
        need = need_guild if event.guild_id is not None else need_dm
        # The channel whose visibility gates delivery, if any.
        gate: str | None = None
        # Bots added to or removed from a thread (told even without GUILD_MEMBERS).
        involved: frozenset[str] = frozenset()
        if guild is not None and kind & (_GATED | _THREAD):
            if kind & _GATED:
                gate = event.data.get("channel_id")
            else:
                gate = self._private_thread(guild, event.data.get("id"))
                if name == "THREAD_MEMBERS_UPDATE":
                    involved = _thread_member_ids(event.data)
        visible = self._visible
        for session in list(self.sessions.values()):
            bot_id = session.app.bot_id
            if event.user_ids is not None:
                if bot_id not in event.user_ids:
                    continue
            elif guild is None or bot_id not in guild.members:
                continue
            if event.guild_id is not None:
                if session.shard_id != shard_for(event.guild_id, session.shard_count):
                    continue
                if session.pending and event.guild_id in session.pending:
                    # Its GUILD_CREATE is still to come and will include this change.
                    if name not in ("GUILD_CREATE", "GUILD_DELETE"):
                        continue
                    session.pending.discard(event.guild_id)
            elif session.shard_id != 0:
                continue
            if involved and str(bot_id) in involved:
                if not session.intents & Intent.GUILDS:
                    continue
            else:
                if need is not None and not session.intents & need:
                    continue
                if gate is not None:
                    seen = visible.get((bot_id, gate))
                    if seen is None:
                        assert guild is not None
                        seen = self._sees(guild, bot_id, gate)
                    if not seen:
                        continue
            if (
                event.name in _CONTENT_EVENTS
                and not session.intents & Intent.MESSAGE_CONTENT
                and self._content_hidden(event.data, bot_id, event.guild_id)
            ):
                if blanked_json is None:
                    blanked_json = json.dumps({**event.data, **_BLANKED})
                self._deliver(session, event.name, blanked_json)
                continue
            if data_json is None:
                data_json = json.dumps(event.data)
            self._deliver(session, event.name, data_json)

    def _sees(self, guild: GuildState, bot_id: int, channel_id: str) -> bool:
        """Whether the bot can see the channel, computed and cached (until permissions may
        change: see ``_VISIBILITY_KIND``). A channel that is gone does not hold events back."""
        channel = guild.channels.get(int(channel_id))
        seen = channel is None or bool(
            channel_permissions(guild, channel, bot_id) & Perm.VIEW_CHANNEL
        )
        if len(self._visible) >= _VISIBILITY_CACHE_CAP:
            self._visible.clear()
        self._visible[(bot_id, channel_id)] = seen
        return seen

    @staticmethod
    def _private_thread(guild: GuildState, thread_id: Any) -> str | None:
        thread = guild.channels.get(int(thread_id)) if thread_id else None
        if thread is None or thread.get("type") != _PRIVATE_THREAD:
            return None
        return str(thread_id)

    def _is_bot(self, user: Any) -> bool:
        return isinstance(user, dict) and int(user.get("id") or 0) in self.state.apps_by_bot

    @staticmethod
    def _content_hidden(data: dict[str, Any], bot_id: int, guild_id: int | None) -> bool:
        if guild_id is None:
            return False
        if data.get("author", {}).get("id") == str(bot_id):
            return False
        return not any(m.get("id") == str(bot_id) for m in data.get("mentions", ()))

    def _deliver(self, session: Session, name: str, data_json: str) -> None:
        _, text = session.frame(name, data_json)
        if session.conn is not None:
            session.conn.send(text)

    def send_to(self, session: Session, name: str, data: dict[str, Any]) -> None:
        self._deliver(session, name, json.dumps(data))

    # -- connection handling -------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, max_msg_size=16 << 20, autoping=True)
        await ws.prepare(request)
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=Close.DECODE_ERROR, message=b"only encoding=json is supported")
            return ws
        options = self.options
        sends = SendWindow(options.send_limit, options.send_window)
        conn = Connection(ws, request.query.get("compress"), options.outbound_cap, sends)
        self.connections.add(conn)
        conn.send_op(
            Op.HELLO,
            {"heartbeat_interval": self.options.heartbeat_interval_ms, "_trace": ["zoryx-sandbox"]},
        )
        watchdog = asyncio.get_running_loop().create_task(self._watchdog(conn))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    raw: str | bytes = msg.data
                elif msg.type == WSMsgType.BINARY:
                    raw = msg.data
                else:
                    break
                if not conn.sends.allow(time.monotonic()):
                    self.rate_limited += 1
                    log.warning(
                        "a gateway client sent over %s payloads in %gs; closing with 4008",
                        self.options.send_limit,
                        self.options.send_window,
                    )
                    conn.close_soon(Close.RATE_LIMITED, "You are being rate limited.")
                    break
                try:
                    payload = json.loads(raw)
                    op = payload["op"]
                except (ValueError, KeyError, TypeError, RecursionError):
                    conn.close_soon(Close.DECODE_ERROR, "Error while decoding payload.")
                    break
                if not isinstance(op, int) or isinstance(op, bool):
                    conn.close_soon(Close.DECODE_ERROR, "Error while decoding payload.")
                    break
                try:
                    await self._handle_op(conn, op, payload.get("d"))
                except PayloadRejected as exc:
                    log.info("gateway payload (op %s) rejected: %s", op, exc.reason)
                    conn.close_soon(exc.code, exc.reason)
                if conn.closed:
                    break
        finally:
            watchdog.cancel()
            if conn.close_task is not None:
                with contextlib.suppress(Exception):
                    await conn.close_task
            self.connections.discard(conn)
            self._detach(conn)
            if not conn.closed:
                conn.closed = True
                conn.queue.put_nowait(None)
        return ws

    def _detach(self, conn: Connection) -> None:
        session = conn.session
        if session is not None and session.conn is conn:
            session.conn = None
            session.detached_at = time.monotonic()
        self._expire_sessions()

    def _expire_sessions(self) -> None:
        now = time.monotonic()
        for sid, session in list(self.sessions.items()):
            if (
                session.conn is None
                and session.detached_at is not None
                and (now - session.detached_at > self.options.resume_window)
            ):
                del self.sessions[sid]

    async def _watchdog(self, conn: Connection) -> None:
        interval = self.options.heartbeat_interval_ms / 1000
        with contextlib.suppress(asyncio.CancelledError):
            while not conn.closed:
                await asyncio.sleep(interval / 2)
                if time.monotonic() - conn.last_heartbeat > interval * 1.5 + 5:
                    conn.close_soon(Close.SESSION_TIMED_OUT, "Session timed out.")
                    return

    async def _handle_op(self, conn: Connection, op: int, d: Any) -> None:
        if op == Op.HEARTBEAT:
            conn.last_heartbeat = time.monotonic()
            await self._ack(conn)
        elif op == Op.IDENTIFY:
            self._identify(conn, d)
        elif op == Op.RESUME:
            self._resume(conn, d)
        elif conn.session is None:
            conn.close_soon(Close.NOT_AUTHENTICATED, "Not authenticated.")
        elif op == Op.REQUEST_GUILD_MEMBERS:
            request_members(self, conn.session, d)
        elif op == Op.PRESENCE_UPDATE:
            presence = parse_presence(d)
            conn.session.presence = presence
            bot_presence(self.state, conn.session, presence)
        elif op == Op.VOICE_STATE_UPDATE:
            bot_voice(self.state, conn.session, d)
        else:
            conn.close_soon(Close.UNKNOWN_OPCODE, "Unknown opcode.")

    async def _ack(self, conn: Connection) -> None:
        if self.faults.drop_acks > 0:
            self.faults.drop_acks -= 1
            return
        delay = self.faults.ack_delay or self.options.heartbeat_ack_latency_ms / 1000
        if delay <= 0:
            conn.send_op(Op.HEARTBEAT_ACK, None)
            return
        # send_op does nothing once the connection is closed.
        asyncio.get_running_loop().call_later(delay, conn.send_op, Op.HEARTBEAT_ACK, None)

    def _identify(self, conn: Connection, d: Any) -> None:
        if conn.session is not None:
            conn.close_soon(Close.ALREADY_AUTHENTICATED, "Already authenticated.")
            return
        request = parse_identify(d, _ALL_INTENTS)  # wrong types: 4002, shard 4010, bits 4013
        app = self.state.app_for_token(request.token)
        if app is None:
            conn.close_soon(Close.AUTHENTICATION_FAILED, "Authentication failed.")
            return
        shard_id, shard_count, intents = request.shard_id, request.shard_count, request.intents
        if intents & PRIVILEGED_INTENTS & ~app.privileged_granted:
            conn.close_soon(Close.DISALLOWED_INTENTS, "Disallowed intent(s).")
            return
        record = self.identify_limits.check(app.id, shard_id, shard_count)
        if not record.accepted:
            # Discord's answer to an identify over max_concurrency (or the daily session
            # starts): op 9, not resumable; the client waits and identifies again.
            log.info("identify of shard %s refused (%s)", shard_id, record.reason)
            conn.send_op(Op.INVALID_SESSION, False)
            return
        self.identify_count += 1
        session = Session(
            secrets.token_hex(16),
            app,
            shard_id,
            shard_count,
            intents,
            buffer=deque(maxlen=self.options.replay_buffer),
        )
        session.presence = request.presence
        self.sessions[session.id] = session
        session.conn = conn
        conn.session = session
        guild_ids = [
            g.id
            for g in self.state.guilds.values()
            if app.bot_id in g.members and shard_for(g.id, shard_count) == shard_id
        ]
        session.pending = set(guild_ids)
        self.send_to(session, "READY", ready_payload(self, session, app, guild_ids))
        stream = GuildStream(self, session, iter(guild_ids), request.large_threshold)
        if stream.send_slice():
            task = asyncio.get_running_loop().create_task(stream.run())
            self._streams.add(task)
            task.add_done_callback(self._streams.discard)

    def _resume(self, conn: Connection, d: Any) -> None:
        request = parse_resume(d)
        session = self.sessions.get(request.session_id)
        if session is None or session.app.token != request.token:
            conn.send_op(Op.INVALID_SESSION, False)
            return
        seq = request.seq
        if session.buffer and seq < session.buffer[0][0] - 1:
            conn.send_op(Op.INVALID_SESSION, False)
            del self.sessions[session.id]
            return
        if session.conn is not None and session.conn is not conn:
            session.conn.close_soon(Close.UNKNOWN_ERROR, "Session resumed elsewhere.")
        session.conn = conn
        session.detached_at = None
        conn.session = session
        self.resume_count += 1
        for s, text in session.buffer:
            if s > seq:
                conn.send(text)
        self._deliver(session, "RESUMED", '{"_trace":["zoryx-sandbox"]}')

    # -- fault injection -----------------------------------------------------------------
    def live_sessions(self, shard_id: int | None = None) -> list[Session]:
        return [
            s
            for s in self.sessions.values()
            if s.conn is not None and (shard_id is None or s.shard_id == shard_id)
        ]

    def send_reconnect(self, shard_id: int | None = None) -> int:
        sessions = self.live_sessions(shard_id)
        for session in sessions:
            assert session.conn is not None
            session.conn.send_op(Op.RECONNECT, None)
        return len(sessions)

    def send_invalid_session(self, resumable: bool, shard_id: int | None = None) -> int:
        sessions = self.live_sessions(shard_id)
        for session in sessions:
            assert session.conn is not None
            session.conn.send_op(Op.INVALID_SESSION, resumable)
            if not resumable:
                self.sessions.pop(session.id, None)
        return len(sessions)

    def drop_connections(self, shard_id: int | None = None) -> int:
        sessions = self.live_sessions(shard_id)
        for session in sessions:
            assert session.conn is not None
            session.conn.abort()
        return len(sessions)

    async def close_all(self) -> None:
        for task in list(self._streams):
            task.cancel()
        for conn in list(self.connections):
            conn.close_soon(1001, "Sandbox shutting down")
        await asyncio.sleep(0)


__all__ = ["Connection", "Gateway", "GatewayFaults", "GatewayOptions", "Session"]
