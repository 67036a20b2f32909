"""Interactions: creation on behalf of users, callbacks, follow-ups and their records."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import payloads
from .constants import MESSAGE_FLAG_EPHEMERAL, MESSAGE_FLAG_LOADING, CallbackType, InteractionType
from .errors import already_acknowledged, invalid_form, unknown
from .permissions import channel_permissions

if TYPE_CHECKING:
    from .state import Application, SandboxState


@dataclass(eq=False)
class InteractionRecord:
    """Everything that happened to one interaction, for the driver to observe."""

    id: int
    token: str
    app: Application
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    payload: dict[str, Any]
    created: float = field(default_factory=time.monotonic)
    response_type: int | None = None
    response_data: dict[str, Any] | None = None
    original: dict[str, Any] | None = None
    original_ephemeral: bool = False
    followups: list[dict[str, Any]] = field(default_factory=list)
    ephemeral: dict[int, dict[str, Any]] = field(default_factory=dict)
    _waiters: list[asyncio.Future[None]] = field(default_factory=list)

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait_until(self, check: Callable[[InteractionRecord], bool], timeout: float) -> None:
        """Wait (on the sandbox loop) until ``check(self)`` holds."""
        deadline = time.monotonic() + timeout
        while not check(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"interaction {self.id}: condition not met within {timeout}s")
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await asyncio.wait_for(fut, remaining)
            except TimeoutError:
                pass


class InteractionStore:
    """Bounded store of interaction records by id and by token."""

    def __init__(self, state: SandboxState, cap: int = 2_000) -> None:
        self.state = state
        self.cap = cap
        self.by_id: OrderedDict[int, InteractionRecord] = OrderedDict()
        self.by_token: dict[str, InteractionRecord] = {}
        self.listeners: list[Callable[[InteractionRecord], None]] = []

    def _keep(self, record: InteractionRecord) -> None:
        self.by_id[record.id] = record
        self.by_token[record.token] = record
        while len(self.by_id) > self.cap:
            _, old = self.by_id.popitem(last=False)
            self.by_token.pop(old.token, None)

    def get(self, iid: int, token: str) -> InteractionRecord:
        record = self.by_id.get(iid)
        if record is None or record.token != token:
            raise unknown("interaction")
        return record

    def by_webhook_token(self, token: str) -> InteractionRecord | None:
        return self.by_token.get(token)

    def find_ephemeral(self, message_id: int) -> dict[str, Any] | None:
        """An ephemeral message the bot sent in answer to a kept interaction (newest first)."""
        for record in reversed(self.by_id.values()):
            msg = record.ephemeral.get(message_id)
            if msg is not None:
                return msg
        return None

    # -- creation ---------------------------------------------------------------------------
    def create(
        self,
        app: Application,
        itype: int,
        user_id: int,
        channel_id: int,
        data: dict[str, Any] | None,
        message: dict[str, Any] | None = None,
    ) -> InteractionRecord:
        state = self.state
        channel = state.channel_or_404(channel_id)
        guild = state.guild_of_channel(channel_id)
        iid = state.ids.next()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(app.id),
            "type": itype,
            "token": token,
            "version": 1,
            "channel_id": str(channel_id),
            "channel": {
                k: channel[k]
                for k in (
                    "id",
                    "type",
                    "name",
                    "guild_id",
                    "parent_id",
                    "position",
                    "permission_overwrites",
                    "nsfw",
                    "topic",
                    "flags",
                    "last_message_id",
                    "rate_limit_per_user",
                    "recipients",
                )
                if k in channel
            },
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 26_214_400,
            "authorizing_integration_owners": {"0": str(guild.id)}
            if guild
            else {"1": str(user_id)},
            "context": 0 if guild else 1,
            "app_permissions": str(channel_permissions(guild, channel, app.bot_id))
            if guild
            else "0",
        }
        if data is not None:
            payload["data"] = data
        if message is not None:
            payload["message"] = message
        if guild is not None:
            member = state.member_payload(guild, user_id)
            member["permissions"] = str(channel_permissions(guild, channel, user_id))
            payload["guild_id"] = str(guild.id)
            payload["guild_locale"] = "en-US"
            payload["guild"] = {"id": str(guild.id), "locale": "en-US", "features": []}
            payload["member"] = member
        else:
            payload["user"] = payloads.public_user(state.users[user_id])
        record = InteractionRecord(
            iid, token, app, itype, user_id, channel_id, guild.id if guild else None, payload
        )
        self._keep(record)
        state.dispatch(
            "INTERACTION_CREATE",
            payload,
            guild_id=guild.id if guild else None,
            user_ids=[app.bot_id],
        )
        return record

    # -- callbacks --------------------------------------------------------------------------
    def callback(
        self, record: InteractionRecord, body: dict[str, Any], attachments: list[dict[str, Any]]
    ) -> dict[str, Any]:
        if record.response_type is not None:
            raise already_acknowledged()
        ctype = int(body.get("type", 0))
        data = dict(body.get("data") or {})
        _check_callback_type(record.type, ctype, data)
        state = self.state
        record.response_type = ctype
        record.response_data = data
        resource: dict[str, Any] = {"type": ctype}
        ephemeral = bool(int(data.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL)
        if ctype in (
            CallbackType.CHANNEL_MESSAGE_WITH_SOURCE,
            CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
        ):
            loading = ctype == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
            flags = int(data.get("flags") or 0) | (MESSAGE_FLAG_LOADING if loading else 0)
            msg = self._respond_message(record, data, attachments, flags, ephemeral)
            record.original = msg
            record.original_ephemeral = ephemeral
            resource["message"] = msg
        elif ctype == CallbackType.UPDATE_MESSAGE:
            message = record.payload.get("message")
            if message is not None:
                changes = {
                    k: data[k] for k in ("content", "embeds", "components", "flags") if k in data
                }
                if attachments or "attachments" in data:
                    changes["attachments"] = attachments
                ephemeral_src = int(message.get("flags", 0)) & MESSAGE_FLAG_EPHEMERAL
                if ephemeral_src:
                    message.update(changes)
                    msg = message
                else:
                    msg = state.edit_message(
                        int(message["channel_id"]),
                        int(message["id"]),
                        {**changes, "allowed_mentions": data.get("allowed_mentions")},
                    )
                record.original = msg
                resource["message"] = msg
        elif ctype == CallbackType.DEFERRED_UPDATE_MESSAGE:
            message = record.payload.get("message")
            if message is not None:
                record.original = message
        elif ctype == CallbackType.MODAL:
            resource["type"] = ctype
        record.notify()
        for listener in list(self.listeners):
            listener(record)
        original = record.original
        return {
            "interaction": {
                "id": str(record.id),
                "type": record.type,
                "activity_instance_id": None,
                "response_message_id": original["id"] if original else None,
                "response_message_loading": bool(
                    original and int(original.get("flags", 0)) & MESSAGE_FLAG_LOADING
                ),
                "response_message_ephemeral": ephemeral,
            },
            "resource": resource,
        }

    def _respond_message(
        self,
        record: InteractionRecord,
        data: dict[str, Any],
        attachments: list[dict[str, Any]],
        flags: int,
        ephemeral: bool,
    ) -> dict[str, Any]:
        state = self.state
        meta = self.metadata(record)
        mtype = 0
        if record.type == InteractionType.APPLICATION_COMMAND:
            # CHAT_INPUT_COMMAND, or CONTEXT_MENU_COMMAND for user and message commands.
            command_type = int((record.payload.get("data") or {}).get("type") or 1)
            mtype = 20 if command_type == 1 else 23
        kwargs: dict[str, Any] = {
            "content": data.get("content") or "",
            "embeds": data.get("embeds") or [],
            "components": data.get("components") or [],
            "attachments": attachments,
            "tts": bool(data.get("tts")),
            "flags": flags,
            "allowed_mentions": data.get("allowed_mentions"),
            "interaction": meta,
            "mtype": mtype,
        }
        if ephemeral:
            msg = state.create_message(
                record.channel_id, record.app.bot_id, dispatch=False, **kwargs
            )
            state.messages[record.channel_id].pop(int(msg["id"]), None)
            record.ephemeral[int(msg["id"])] = msg
            return msg
        return state.create_message(record.channel_id, record.app.bot_id, **kwargs)

    def metadata(self, record: InteractionRecord) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "id": str(record.id),
            "type": record.type,
            "user": payloads.public_user(self.state.users[record.user_id]),
            "authorizing_integration_owners": record.payload["authorizing_integration_owners"],
            "application_id": str(record.app.id),
        }
        data = record.payload.get("data") or {}
        if data.get("name"):
            meta["name"] = data["name"]
        if record.type == InteractionType.APPLICATION_COMMAND and data.get("target_id"):
            if data.get("type") == 2:
                users = (data.get("resolved") or {}).get("users") or {}
                meta["target_user"] = users.get(data["target_id"])
            else:
                meta["target_message_id"] = data["target_id"]
        return meta

    # -- follow-ups and @original -----------------------------------------------------------
    def followup(
        self, record: InteractionRecord, data: dict[str, Any], attachments: list[dict[str, Any]]
    ) -> dict[str, Any]:
        if record.response_type is None:
            raise unknown("webhook")
        flags = int(data.get("flags") or 0)
        ephemeral = bool(flags & MESSAGE_FLAG_EPHEMERAL)
        if record.response_type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE and (
            record.original is not None
            and int(record.original.get("flags", 0)) & MESSAGE_FLAG_LOADING
        ):
            # The first follow-up of a deferred response fills the loading message.
            msg = self.edit_original(
                record, {**data, "flags": flags & ~MESSAGE_FLAG_LOADING}, attachments
            )
            return msg
        msg = self._respond_message(record, data, attachments, flags, ephemeral)
        record.followups.append(msg)
        record.notify()
        return msg

    def find_message(self, record: InteractionRecord, message_id: str) -> dict[str, Any]:
        if message_id == "@original":
            if record.original is None:
                raise unknown("message")
            return record.original
        mid = int(message_id)
        if mid in record.ephemeral:
            return record.ephemeral[mid]
        for msg in record.followups:
            if int(msg["id"]) == mid:
                return msg
        return self.state.message_or_404(record.channel_id, mid)

    def edit_original(
        self,
        record: InteractionRecord,
        data: dict[str, Any],
        attachments: list[dict[str, Any]],
        message_id: str = "@original",
    ) -> dict[str, Any]:
        msg = self.find_message(record, message_id)
        changes: dict[str, Any] = {
            k: data[k] for k in ("content", "embeds", "components") if k in data
        }
        flags = int(msg.get("flags", 0)) & ~MESSAGE_FLAG_LOADING
        changes["flags"] = flags
        if attachments or "attachments" in data:
            keep = {str(a.get("id")) for a in data.get("attachments") or [] if isinstance(a, dict)}
            changes["attachments"] = [
                a for a in msg.get("attachments", []) if a["id"] in keep
            ] + attachments
        if int(msg["id"]) in record.ephemeral:
            msg.update(changes)
            msg["edited_timestamp"] = payloads.iso()
            out = msg
        else:
            changes["allowed_mentions"] = data.get("allowed_mentions")
            out = self.state.edit_message(int(msg["channel_id"]), int(msg["id"]), changes)
        if message_id == "@original" or (record.original and record.original["id"] == out["id"]):
            record.original = out
        record.notify()
        return out

    def delete_message(self, record: InteractionRecord, message_id: str) -> None:
        msg = self.find_message(record, message_id)
        mid = int(msg["id"])
        if record.ephemeral.pop(mid, None) is None:
            self.state.delete_message(int(msg["channel_id"]), mid)
        if record.original is not None and record.original["id"] == msg["id"]:
            record.original = None
        record.followups = [m for m in record.followups if m["id"] != msg["id"]]
        record.notify()


def _check_callback_type(itype: int, ctype: int, data: dict[str, Any]) -> None:
    """Autocomplete is answered with choices only (at most 25), and choices answer only it;
    a modal cannot answer a modal submission."""
    autocomplete = itype == InteractionType.AUTOCOMPLETE
    if autocomplete != (ctype == CallbackType.AUTOCOMPLETE_RESULT) or (
        itype == InteractionType.MODAL_SUBMIT and ctype == CallbackType.MODAL
    ):
        raise invalid_form(
            "type",
            "INTERACTION_CALLBACK_TYPE_INVALID",
            f"Callback type {ctype} is not valid for interactions of type {itype}",
        )
    choices = data.get("choices")
    if autocomplete and (not isinstance(choices, list) or len(choices) > 25):
        raise invalid_form("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
