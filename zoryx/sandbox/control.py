"""The sandbox's HTTP control API under ``/_sandbox/``: drive the sandbox from another process.

Everything the Python driver (:class:`~zoryx.sandbox.Sandbox`) can do as a user is available
as JSON over HTTP, so the operator console or a test in another process can act as users,
read what the bot did and inject faults. The handlers run on the sandbox's event loop and
call the driver and state methods directly; they add no logic of their own.

Access is restricted twice: only loopback clients are answered, and every request must carry
``Authorization: Sandbox <control token>`` (a random secret made per sandbox, readable as
``server.control_token``). Errors use Discord's ``{code, message}`` body.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import control_apps, control_gateway, control_messages
from .cdn import install_cdn
from .control_request import Body, Call, is_loopback, read_json
from .driver import InteractionHandle, Sandbox
from .errors import DiscordAPIError, invalid_form, unauthorized, unknown
from .interactions import InteractionRecord
from .lookup import find_channel, find_guild
from .payloads import public_user
from .rest.base import json_response
from .simulator import ActivitySimulator
from .snowflake import shard_for
from .uploads import as_uploads
from .views import SandboxMessage

if TYPE_CHECKING:
    from .server import SandboxServer

log = logging.getLogger("zoryx.sandbox.control")

PREFIX = "/_sandbox"
AUTH_SCHEME = "Sandbox"
FAULT_KINDS = ("reconnect", "invalid_session", "drop", "heartbeat", "rest", "clear")

Handler = Callable[["Call"], Awaitable[Any]]


def interaction_view(record: InteractionRecord) -> dict[str, Any]:
    """What the control API shows of an interaction and the bot's answers to it."""
    data = record.payload.get("data") or {}
    return {
        "id": str(record.id),
        "type": record.type,
        "user_id": str(record.user_id),
        "channel_id": str(record.channel_id),
        "guild_id": str(record.guild_id) if record.guild_id else None,
        "name": data.get("name"),
        "custom_id": data.get("custom_id"),
        "responded": record.response_type is not None,
        "response_type": record.response_type,
        "response_data": record.response_data,
        "original": record.original,
        "original_ephemeral": record.original_ephemeral,
        "followups": record.followups,
    }


class ControlAPI:
    """The ``/_sandbox/`` routes of one sandbox server."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.token: str = getattr(server, "control_token", None) or secrets.token_urlsafe(32)
        server.control_token = self.token  # type: ignore[attr-defined]
        if not hasattr(server, "simulator"):
            server.simulator = None  # type: ignore[attr-defined]

    # -- plumbing -------------------------------------------------------------------------
    def install(self, app: web.Application) -> None:
        routes: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/info", self.info, False),
            ("GET", "/guilds", self.guilds, False),
            ("GET", "/identifies", partial(control_gateway.identifies, self), False),
            ("GET", "/users", self.list_users, False),
            ("POST", "/users", self.create_user, False),
            ("GET", "/channels/{channel}/messages", self.messages, False),
            ("GET", "/interactions/{interaction_id}", self.interaction, False),
            ("POST", "/act/say", self.say, True),
            ("POST", "/act/edit", partial(control_messages.edit, self), True),
            ("POST", "/act/delete", partial(control_messages.delete, self), True),
            ("POST", "/act/dm", self.dm, True),
            ("POST", "/act/slash", self.slash, True),
            ("POST", "/act/context_menu", partial(control_apps.context_menu, self), True),
            ("POST", "/act/autocomplete", partial(control_apps.autocomplete, self), True),
            ("POST", "/act/click", self.click, True),
            ("POST", "/act/select", self.select, True),
            ("POST", "/act/modal", self.modal, True),
            ("POST", "/act/react", self.react, True),
            ("POST", "/act/voice", self.voice, True),
            ("POST", "/act/typing", self.typing, True),
            ("POST", "/members", self.members, True),
            ("POST", "/faults", self.faults, False),
            ("GET", "/simulator", self.simulator_get, False),
            ("POST", "/simulator", self.simulator_set, False),
        ]
        for method, path, fn, needs_driver in routes:
            app.router.add_route(method, PREFIX + path, self._wrap(fn, needs_driver))
        app.router.add_route("*", PREFIX + "/{tail:.*}", self._wrap(self._not_found, False))

    def _wrap(
        self, fn: Handler, needs_driver: bool
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            if not is_loopback(request.remote):
                body = {"code": 50001, "message": "The control API only answers loopback clients"}
                return json_response(body, 403)
            header = request.headers.get("Authorization", "")
            scheme, _, given = header.partition(" ")
            if scheme != AUTH_SCHEME or not secrets.compare_digest(
                given.strip().encode(), self.token.encode()
            ):
                headers = {"WWW-Authenticate": AUTH_SCHEME}
                return json_response(unauthorized().body(), 401, headers)
            try:
                if needs_driver and not isinstance(self.server, Sandbox):
                    raise DiscordAPIError(
                        501, 0, "Acting as users needs a zoryx.sandbox.Sandbox server"
                    )
                call = Call(request, Body(await read_json(request)))
                result = await fn(call)
            except DiscordAPIError as exc:
                return json_response(exc.body(), exc.status)
            except TimeoutError as exc:
                return json_response({"code": 0, "message": str(exc) or "Timed out"}, 504)
            except Exception:
                log.exception("sandbox control %s %s failed", request.method, request.path)
                return json_response({"code": 0, "message": "500: Internal Server Error"}, 500)
            if isinstance(result, web.StreamResponse):
                return result
            return json_response(result)

        return handler

    @property
    def driver(self) -> Sandbox:
        assert isinstance(self.server, Sandbox)
        return self.server

    async def _not_found(self, call: Call) -> Any:
        raise DiscordAPIError(404, 0, f"404: Not Found ({call.request.method} {call.request.path})")

    def _user_id(self, body: Body, name: str = "user") -> int:
        ref = body.ref(name)
        assert ref is not None
        return int(self.server.state.find_user(ref)["id"])

    def _channel_id(self, ref: int | str, guild: int | str | None) -> int:
        """The id of an existing channel given by id or name (``#general`` in ``guild``)."""
        state = self.server.state
        cid = find_channel(state, ref, guild)
        state.channel_or_404(cid)
        return cid

    def _body_channel(self, body: Body, name: str = "channel") -> int:
        ref = body.ref(name)
        assert ref is not None
        return self._channel_id(ref, body.ref("guild", required=False))

    def _message(self, channel_id: int, message_id: int) -> SandboxMessage:
        """A stored message, or an ephemeral one the bot sent in answer to an interaction."""
        state = self.server.state
        state.channel_or_404(channel_id)
        msg = state.stored_message(channel_id, message_id)
        if msg is None:
            msg = state.interactions.find_ephemeral(message_id)
        if msg is None:
            raise unknown("message")
        return SandboxMessage(msg)

    def _record(self, iid: int | str) -> InteractionRecord:
        record = (
            self.server.state.interactions.by_id.get(int(iid))
            if str(iid).isascii() and str(iid).isdigit()
            else None
        )
        if record is None:
            raise unknown("interaction")
        return record

    async def _answer(self, handle: InteractionHandle, call: Call) -> dict[str, Any]:
        """``{interaction_id}``, plus the bot's answer when the body asked to ``wait``."""
        out: dict[str, Any] = {"interaction_id": str(handle.id)}
        wait = call.wait()
        if wait > 0:
            try:
                await handle.response(wait)
            except TimeoutError:
                pass
            out["interaction"] = interaction_view(handle.record)
        return out

    # -- reading --------------------------------------------------------------------------
    async def info(self, call: Call) -> dict[str, Any]:
        server = self.server
        state = server.state
        gateway = server.gateway
        connected: dict[str, int] = {}
        sessions = []
        for session in gateway.sessions.values():
            live = session.conn is not None
            if live:
                key = str(session.shard_id)
                connected[key] = connected.get(key, 0) + 1
            sessions.append(
                {
                    "shard_id": session.shard_id,
                    "shard_count": session.shard_count,
                    "connected": live,
                    "seq": session.seq,
                    "intents": session.intents,
                }
            )
        simulator: ActivitySimulator | None = getattr(server, "simulator", None)
        return {
            "url": server.url,
            "api_url": server.api_url,
            "gateway_url": server.gateway_url,
            "bot": {
                "id": str(server.bot_id),
                "username": state.users[server.bot_id]["username"],
                "application_id": str(server.app_info.id),
                "application_name": server.app_info.name,
                # Lets a bot attach with only the URL and the control token.
                "token": server.token,
            },
            "owner_user_id": (
                str(state.owner_user_id) if state.owner_user_id is not None else None
            ),
            "guilds": len(state.guilds),
            "channels": sum(len(g.channels) for g in state.guilds.values()),
            "users": len(state.users),
            "members": sum(len(g.members) for g in state.guilds.values()),
            "shard_count": server.shards,
            "strict_rate_limits": server.limiter.strict,
            "gateway": {
                "connected_per_shard": connected,
                "sessions": sessions,
                "identify_count": gateway.identify_count,
                "resume_count": gateway.resume_count,
                "heartbeat_faults": {
                    "ack_delay": gateway.faults.ack_delay,
                    "drop_acks": gateway.faults.drop_acks,
                },
            },
            "rest": {
                "requests": server.rest.requests,
                "rate_limited": server.limiter.refused,
                "pending_faults": [dict(rule) for rule in server.rest.faults.rules],
                "unemulated": sorted(set(server.rest.unemulated)),
            },
            "simulator": simulator.stats() if simulator is not None else None,
        }

    async def guilds(self, call: Call) -> list[dict[str, Any]]:
        state = self.server.state
        member_limit = call.limit("member_limit", 100, 10_000)
        out = []
        for guild in state.guilds.values():
            members = []
            for uid in list(guild.members)[:member_limit]:
                user = state.users[uid]
                fields = guild.members[uid]
                members.append(
                    {
                        "id": str(uid),
                        "username": user["username"],
                        "bot": bool(user.get("bot")),
                        "nick": fields.get("nick"),
                        "roles": list(fields["roles"]),
                    }
                )
            out.append(
                {
                    "id": str(guild.id),
                    "name": guild.name,
                    "owner_id": str(guild.owner_id),
                    "shard_id": shard_for(guild.id, self.server.shards),
                    "bot_is_member": self.server.bot_id in guild.members,
                    "member_count": len(guild.members),
                    "roles": [
                        {
                            "id": r["id"],
                            "name": r["name"],
                            "position": r["position"],
                            "permissions": r["permissions"],
                        }
                        for r in sorted(guild.roles.values(), key=lambda r: -int(r["position"]))
                    ],
                    "channels": [
                        {
                            "id": c["id"],
                            "name": c["name"],
                            "type": c["type"],
                            "parent_id": c.get("parent_id"),
                            "position": c.get("position", 0),
                        }
                        for c in guild.channels.values()
                    ],
                    "emojis": [{"id": e["id"], "name": e["name"]} for e in guild.emojis.values()],
                    "voice_states": [
                        {"user_id": v["user_id"], "channel_id": v["channel_id"]}
                        for v in guild.voice_states.values()
                    ],
                    "members": members,
                }
            )
        return out

    async def list_users(self, call: Call) -> list[dict[str, Any]]:
        limit = call.limit("limit", 200, 10_000)
        users = list(self.server.state.users.values())[:limit]
        return [public_user(u) for u in users]

    async def create_user(self, call: Call) -> dict[str, Any]:
        state = self.server.state
        name = call.body.text("username").strip()
        if not 2 <= len(name) <= 32:
            raise invalid_form(
                "username", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 32 in length."
            )
        if name.isdigit() or name.lower() in state.usernames:
            raise invalid_form("username", "USERNAME_ALREADY_TAKEN", "Username is unavailable.")
        global_name = call.body.data.get("global_name")
        if global_name is not None and not isinstance(global_name, str):
            raise invalid_form("global_name", "BASE_TYPE_STRING", "Must be a string.")
        return public_user(state.create_user(name, global_name=global_name))

    async def messages(self, call: Call) -> list[dict[str, Any]]:
        state = self.server.state
        cid = self._channel_id(call.param("channel"), call.query.get("guild"))
        limit = call.limit("limit", 50, 1_000) or 50
        after, before = call.query.get("after"), call.query.get("before")
        for name, value in (("after", after), ("before", before)):
            if value is not None and not (value.isascii() and value.isdigit()):
                raise invalid_form(name, "NUMBER_TYPE_COERCE", f"Value {value!r} is not snowflake.")

        def select() -> list[dict[str, Any]]:
            msgs = list(state.messages.get(cid, {}).values())
            if before is not None:
                msgs = [m for m in msgs if int(m["id"]) < int(before)]
            if after is not None:
                return [m for m in msgs if int(m["id"]) > int(after)][:limit]
            return msgs[-limit:]

        wait = call.wait()
        if wait > 0 and not select() and isinstance(self.server, Sandbox):
            try:
                await self.server.wait_until(lambda: bool(select()), timeout=wait)
            except TimeoutError:
                pass
        return select()

    async def interaction(self, call: Call) -> dict[str, Any]:
        record = self._record(call.param("interaction_id"))
        wait = call.wait()
        if wait > 0 and isinstance(self.server, Sandbox):
            try:
                await InteractionHandle(self.server, record).response(wait)
            except TimeoutError:
                pass
        return interaction_view(record)

    # -- acting as users --------------------------------------------------------------------
    async def say(self, call: Call) -> dict[str, Any]:
        body = call.body
        user = self.driver.user(self._user_id(body))
        cid = self._body_channel(body)
        reply_to = self._message(cid, body.snowflake("reply_to")) if body.has("reply_to") else None
        embeds = body.data.get("embeds")
        if embeds is not None and not isinstance(embeds, list):
            raise invalid_form("embeds", "BASE_TYPE_ARRAY", "Must be an array.")
        content = body.text("content", "")
        files = as_uploads(body.data.get("files"))
        mention_author = body.boolean("mention_author", True)
        msg = await user.say(
            cid,
            content,
            embeds=embeds,
            reply_to=reply_to,
            files=files,
            mention_author=mention_author,
        )
        return msg.raw

    async def dm(self, call: Call) -> dict[str, Any]:
        user = self.driver.user(self._user_id(call.body))
        msg = await user.dm(call.body.text("content"))
        return msg.raw

    async def slash(self, call: Call) -> dict[str, Any]:
        body = call.body
        user = self.driver.user(self._user_id(body))
        cid = self._body_channel(body)
        command = body.text("command").strip().lstrip("/")
        handle = await user.slash(command, cid, **body.mapping("options"))
        return await self._answer(handle, call)

    async def click(self, call: Call) -> dict[str, Any]:
        body = call.body
        user = self.driver.user(self._user_id(body))
        message = self._message(
            self._body_channel(body, "channel_id"), body.snowflake("message_id")
        )
        handle = await user.click(message, body.text("custom_id"))
        return await self._answer(handle, call)

    async def select(self, call: Call) -> dict[str, Any]:
        body = call.body
        user = self.driver.user(self._user_id(body))
        message = self._message(
            self._body_channel(body, "channel_id"), body.snowflake("message_id")
        )
        handle = await user.select(message, body.text("custom_id"), body.strings("values"))
        return await self._answer(handle, call)

    async def modal(self, call: Call) -> dict[str, Any]:
        body = call.body
        user = self.driver.user(self._user_id(body))
        opened_by = InteractionHandle(self.driver, self._record(body.snowflake("interaction_id")))
        handle = await user.submit_modal(opened_by, body.mapping("values"))
        return await self._answer(handle, call)

    async def react(self, call: Call) -> dict[str, Any]:
        body = call.body
        user = self.driver.user(self._user_id(body))
        cid = self._body_channel(body, "channel_id")
        message = SandboxMessage(
            self.server.state.message_or_404(cid, body.snowflake("message_id"))
        )
        emoji = body.text("emoji")
        if body.boolean("remove", False):
            await user.unreact(message, emoji)
        else:
            await user.react(message, emoji)
        return {"reactions": self.server.state.message_or_404(cid, message.id).get("reactions", [])}

    async def voice(self, call: Call) -> dict[str, Any]:
        body = call.body
        uid = self._user_id(body)
        user = self.driver.user(uid)
        guild_ref = body.ref("guild", required=False)
        if body.has("channel"):
            await user.join_voice(self._body_channel(body), guild_ref)
        elif guild_ref is not None:
            await user.leave_voice(find_guild(self.server.state, guild_ref).id)
        else:
            for guild in list(self.server.state.guilds.values()):
                if uid in guild.voice_states:
                    await user.leave_voice(guild.id)
        states = [
            g.voice_states[uid] for g in self.server.state.guilds.values() if uid in g.voice_states
        ]
        return {"voice_states": states}

    async def typing(self, call: Call) -> dict[str, Any]:
        body = call.body
        user = self.driver.user(self._user_id(body))
        await user.typing(self._body_channel(body))
        return {}

    async def members(self, call: Call) -> dict[str, Any]:
        body = call.body
        uid = self._user_id(body)
        guild = find_guild(self.server.state, body.ref("guild", required=False))
        action = body.text("action")
        roles = body.strings("roles")
        if action == "join":
            if uid in guild.members:
                raise DiscordAPIError(400, 0, "The user is already a member of the guild")
            await self.driver.add_member(uid, guild.id, roles=roles)
        elif action == "leave":
            await self.driver.remove_member(uid, guild.id)
            return {"member": None}
        elif action == "set_roles":
            await self.driver.set_roles(uid, roles, guild.id)
        else:
            raise invalid_form(
                "action", "BASE_TYPE_CHOICES", "Value must be one of join, leave, set_roles."
            )
        return {"member": self.server.state.member_payload(guild, uid)}

    # -- faults and the simulator ------------------------------------------------------------
    async def faults(self, call: Call) -> dict[str, Any]:
        body = call.body
        gateway, rest = self.server.gateway, self.server.rest
        kind = body.text("kind")
        shard = body.integer("shard") if body.has("shard") else None
        out: dict[str, Any] = {"kind": kind}
        if kind == "reconnect":
            out["sessions"] = gateway.send_reconnect(shard)
        elif kind == "invalid_session":
            out["sessions"] = gateway.send_invalid_session(body.boolean("resumable", False), shard)
        elif kind == "drop":
            out["sessions"] = gateway.drop_connections(shard)
        elif kind == "heartbeat":
            ack_delay = body.number("ack_delay", gateway.faults.ack_delay)
            drop_acks = body.integer("drop_acks", gateway.faults.drop_acks)
            if ack_delay < 0 or drop_acks < 0:
                raise invalid_form("ack_delay", "NUMBER_TYPE_MIN", "Must be 0 or more.")
            gateway.faults.ack_delay, gateway.faults.drop_acks = ack_delay, drop_acks
            out.update(ack_delay=ack_delay, drop_acks=drop_acks)
        elif kind == "rest":
            status = body.integer("status")
            count = body.integer("count", 1)
            if not 400 <= status <= 599:
                raise invalid_form("status", "NUMBER_TYPE_MAX", "Must be between 400 and 599.")
            if count < 1:
                raise invalid_form("count", "NUMBER_TYPE_MIN", "Must be 1 or more.")
            rest.faults.add(
                status,
                count,
                body.text("path_contains", ""),
                body.number("retry_after", 0.05),
                body.boolean("global", False),
            )
            out["pending"] = [dict(rule) for rule in rest.faults.rules]
        elif kind == "clear":
            rest.faults.rules.clear()
            gateway.faults.ack_delay, gateway.faults.drop_acks = 0.0, 0
        else:
            raise invalid_form(
                "kind", "BASE_TYPE_CHOICES", f"Value must be one of {', '.join(FAULT_KINDS)}."
            )
        return out

    def _simulator(self) -> ActivitySimulator | None:
        return getattr(self.server, "simulator", None)

    async def simulator_get(self, call: Call) -> dict[str, Any]:
        simulator = self._simulator()
        if simulator is None:
            return {"running": False, "rate_per_minute": 0.0, "actions": 0, "by_kind": {}}
        return simulator.stats()

    async def simulator_set(self, call: Call) -> dict[str, Any]:
        body = call.body
        simulator = self._simulator()
        rate = body.number("rate_per_minute") if body.has("rate_per_minute") else None
        if rate is not None and not 0 < rate <= ActivitySimulator.MAX_RATE:
            raise invalid_form(
                "rate_per_minute",
                "NUMBER_TYPE_MAX",
                f"Must be more than 0 and at most {ActivitySimulator.MAX_RATE:g}.",
            )
        if simulator is None:
            seed = body.integer("seed") if body.has("seed") else None
            prefix = body.text("prefix", "!")
            simulator = ActivitySimulator(self.server, rate or 30.0, seed=seed, prefix=prefix)
            self.server.simulator = simulator  # type: ignore[attr-defined]
        elif rate is not None:
            simulator.set_rate(rate)
        if body.has("running"):
            if body.boolean("running"):
                simulator.start()
            else:
                simulator.stop()
        return simulator.stats()


def install_control(app: web.Application, server: SandboxServer) -> None:
    """Register the control API and the placeholder CDN on the sandbox's application.

    Sets ``server.control_token`` (a random secret) and ``server.simulator`` (``None``)
    when the server does not define them.
    """
    ControlAPI(server).install(app)
    install_cdn(app, server.state)
