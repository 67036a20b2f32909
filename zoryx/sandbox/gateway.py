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
from .gateway_conn import Connection, GatewayFaults, GatewayOptions, Session
from .gateway_payloads import (
    PayloadRejected,
    parse_identify,
    parse_presence,
    parse_request_members,
    parse_resume,
    parse_voice_state,
)
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
        self.identify_count = 0
        self.resume_count = 0
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
        conn = Connection(ws, request.query.get("compress"), self.options.outbound_cap)
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
            self._request_members(conn.session, d)
        elif op == Op.PRESENCE_UPDATE:
            presence = parse_presence(d)
            conn.session.presence = presence
            self._bot_presence(conn.session, presence)
        elif op == Op.VOICE_STATE_UPDATE:
            self._bot_voice(conn.session, d)
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
        large = request.large_threshold
        guilds = [
            g
            for g in self.state.guilds.values()
            if app.bot_id in g.members and shard_for(g.id, shard_count) == shard_id
        ]
        bot = self.state.users[app.bot_id]
        ready = {
            "v": 10,
            "user": bot,
            "user_settings": {},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.url,
            "shard": [shard_id, shard_count],
            "application": {"id": str(app.id), "flags": app.flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["sandbox"],
            "auth": {},
            "_trace": ["zoryx-sandbox"],
        }
        self.send_to(session, "READY", ready)
        with_members = bool(intents & Intent.GUILD_MEMBERS)
        with_presences = bool(intents & Intent.GUILD_PRESENCES)
        for guild in guilds:
            payload = self.state.guild_payload(
                guild,
                bot_id=app.bot_id,
                members=with_members,
                presences=with_presences,
                large_threshold=large,
            )
            self.send_to(session, "GUILD_CREATE", payload)

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

    def _request_members(self, session: Session, d: Any) -> None:
        request = parse_request_members(d)
        gid = request.guild_id
        guild = self.state.guilds.get(gid)
        if guild is None or session.app.bot_id not in guild.members:
            return
        query, limit = request.query, request.limit
        if request.user_ids is not None:
            wanted = request.user_ids
            uids = [u for u in wanted if u in guild.members]
            not_found = [str(u) for u in wanted if u not in guild.members]
        else:
            uids = list(guild.members)
            not_found = []
            if query:
                q = str(query).lower()
                uids = [u for u in uids if self.state.users[u]["username"].lower().startswith(q)]
            if limit:
                uids = uids[:limit]
        size = self.options.chunk_size
        chunks = [uids[i : i + size] for i in range(0, len(uids), size)] or [[]]
        for index, part in enumerate(chunks):
            data: dict[str, Any] = {
                "guild_id": str(gid),
                "members": [self.state.member_payload(guild, u) for u in part],
                "chunk_index": index,
                "chunk_count": len(chunks),
            }
            if not_found and index == 0:
                data["not_found"] = not_found
            if request.presences:
                data["presences"] = [guild.presences[u] for u in part if u in guild.presences]
            if request.nonce is not None:
                data["nonce"] = request.nonce
            self.send_to(session, "GUILD_MEMBERS_CHUNK", data)

    def _bot_presence(self, session: Session, d: dict[str, Any]) -> None:
        bot_id = session.app.bot_id
        user = {"id": str(bot_id)}
        for guild in self.state.guilds.values():
            if (
                bot_id in guild.members
                and shard_for(guild.id, session.shard_count) == session.shard_id
            ):
                presence = {
                    "user": user,
                    "guild_id": str(guild.id),
                    "status": d.get("status", "online"),
                    "activities": d.get("activities") or [],
                    "client_status": {"web": d.get("status", "online")},
                }
                guild.presences[bot_id] = presence

    def _bot_voice(self, session: Session, d: Any) -> None:
        request = parse_voice_state(d)
        guild = self.state.guilds.get(request.guild_id)
        if guild is None:
            return
        from .voice import set_voice_state

        set_voice_state(
            self.state,
            guild,
            session.app.bot_id,
            request.channel_id or None,
            self_mute=request.self_mute,
            self_deaf=request.self_deaf,
        )

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
        for conn in list(self.connections):
            conn.close_soon(1001, "Sandbox shutting down")
        await asyncio.sleep(0)


__all__ = ["Connection", "Gateway", "GatewayFaults", "GatewayOptions", "Session"]
