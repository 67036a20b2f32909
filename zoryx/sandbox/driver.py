"""Drive a sandbox from tests: act as users, observe what the bot does, inject faults."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import channel_ops
from .app_actions import AppCommandActions
from .constants import THREAD_TYPES, CallbackType, InteractionType, Perm
from .errors import DiscordAPIError, unknown
from .guild_actions import GuildActions
from .interactions import InteractionRecord
from .lookup import ChannelRef, GuildRef, find_channel, find_guild
from .mentions import USER_ALLOWED_MENTIONS
from .messages import check_message_body
from .server import SandboxServer
from .uploads import UploadLike, as_uploads
from .uploads import store as store_upload
from .user_messages import MessageActions
from .views import InteractionResult, SandboxMessage

if TYPE_CHECKING:
    from .state import Event, GuildState

MessageCheck = Callable[[SandboxMessage], bool]


class Sandbox(GuildActions, SandboxServer):
    """A sandbox server plus a Python API to act as users and wait for the bot.

    Every method may be awaited from any event loop: work runs on the sandbox's own loop.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Per channel: messages already returned by expect_message, and a floor below
        # which messages are ignored (see skip_existing).
        self._consumed: dict[int, OrderedDict[int, None]] = {}
        self._floors: dict[int, int] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self.state.listeners.append(self._wake)

    # -- waiting machinery (sandbox loop) --------------------------------------------------
    def _wake(self, event: Event) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def _wait_for(self, probe: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = probe()
            if result is not None and result is not False:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await asyncio.wait_for(fut, min(remaining, 0.25))
            except TimeoutError:
                pass

    # -- lookups ---------------------------------------------------------------------------
    def guild(self, ref: GuildRef = None) -> GuildState:
        """A guild by id or name (default: the first guild); 404 10004 when unknown."""
        return find_guild(self.state, ref)

    def channel_id(self, ref: ChannelRef, guild: GuildRef = None) -> int:
        """Resolve ``#general``/``general``/id/message/payload to a channel id."""
        return find_channel(self.state, ref, guild)

    def role_id(self, name: str, guild: int | str | None = None) -> int:
        for role in self.guild(guild).roles.values():
            if role["name"].lower() == name.lower().lstrip("@"):
                return int(role["id"])
        raise unknown("role")

    def user(self, name_or_id: str | int) -> SandboxUser:
        """A handle acting as a (non-bot) user of the world."""
        return SandboxUser(self, int(self.state.find_user(name_or_id)["id"]))

    async def create_user(self, username: str) -> SandboxUser:
        async def run() -> int:
            return int(self.state.create_user(username)["id"])

        return SandboxUser(self, await self.call(run))

    # -- observing the bot -----------------------------------------------------------------
    async def expect_message(
        self,
        channel: ChannelRef,
        *,
        content: str | None = None,
        contains: str | None = None,
        check: MessageCheck | None = None,
        author: int | str | None = "bot",
        timeout: float = 5.0,
        guild: int | str | None = None,
        include_interactions: bool = False,
    ) -> SandboxMessage:
        """Wait for the oldest matching message in a channel not returned before.

        Matching is first-in first-out and race-free: a reply that arrives before this
        call is found, and each message is returned at most once.

        Args:
            channel: Channel reference (id, ``#name``, or a message in it).
            content: Exact content to match.
            contains: Substring of the content or embed text.
            check: Extra predicate on the message.
            author: ``"bot"`` (default), a user id/name, or ``None`` for anyone.
            timeout: Seconds before :class:`TimeoutError`.
            guild: Guild used to resolve a channel name.
            include_interactions: Also match interaction responses (by default they are
                observed through the :class:`InteractionHandle` of the interaction).
        """
        cid = self.channel_id(channel, guild)
        author_id = self._author_id(author)

        def matches(msg: dict[str, Any]) -> bool:
            if not include_interactions and "interaction_metadata" in msg:
                return False
            view = SandboxMessage(msg)
            if author_id is not None and int(msg["author"]["id"]) != author_id:
                return False
            if content is not None and view.content != content:
                return False
            if contains is not None and contains not in view.text():
                return False
            return check is None or check(SandboxMessage.of(msg))

        def probe() -> SandboxMessage | None:
            floor = self._floors.get(cid, 0)
            consumed = self._consumed.setdefault(cid, OrderedDict())
            for mid, msg in self.state.messages.get(cid, {}).items():
                if mid > floor and mid not in consumed and matches(msg):
                    consumed[mid] = None
                    while len(consumed) > 5_000:
                        consumed.popitem(last=False)
                    return SandboxMessage.of(msg)
            return None

        async def run() -> SandboxMessage:
            return await self._wait_for(probe, timeout, f"a message in channel {cid}")

        return await self.call(run)

    def skip_existing(self, channel: ChannelRef, guild: int | str | None = None) -> None:
        """Ignore every message already in the channel in later expectations."""
        cid = self.channel_id(channel, guild)
        store = self.state.messages.get(cid)
        self._floors[cid] = next(reversed(store)) if store else 0

    async def expect_no_message(
        self, channel: ChannelRef, *, within: float = 0.5, author: int | str | None = "bot"
    ) -> None:
        """Assert that no matching message arrives within ``within`` seconds."""
        try:
            msg = await self.expect_message(channel, author=author, timeout=within)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message: {msg.content!r}")

    async def wait_until(
        self, predicate: Callable[[], bool], *, timeout: float = 5.0, what: str = "a condition"
    ) -> None:
        """Wait until ``predicate()`` (run on the sandbox loop after each event) is true."""

        async def run() -> None:
            await self._wait_for(lambda: predicate() or None, timeout, what)

        await self.call(run)

    async def expect_role(
        self,
        user: int | str,
        role: int | str,
        *,
        present: bool = True,
        guild: int | str | None = None,
        timeout: float = 5.0,
    ) -> None:
        """Wait until a member has (or no longer has) a role."""
        g = self.guild(guild)
        uid = int(self.state.find_user(user)["id"])
        rid = role if isinstance(role, int) else self.role_id(role, guild)

        def has() -> bool:
            member = g.members.get(uid)
            return member is not None and (str(rid) in member["roles"]) == present

        await self.wait_until(has, timeout=timeout, what=f"role {rid} present={present} on {uid}")

    def messages(self, channel: ChannelRef, guild: int | str | None = None) -> list[SandboxMessage]:
        """All stored messages of a channel, oldest first (snapshot)."""
        cid = self.channel_id(channel, guild)
        return [SandboxMessage.of(m) for m in list(self.state.messages.get(cid, {}).values())]

    def _author_id(self, author: int | str | None) -> int | None:
        if author is None:
            return None
        if author == "bot":
            return self.bot_id
        return int(self.state.find_user(author)["id"])

    # -- world changes ---------------------------------------------------------------------
    async def add_member(
        self, user: int | str, guild: int | str | None = None, roles: list[str] | None = None
    ) -> None:
        g = self.guild(guild)
        uid = int(self.state.find_user(user)["id"])
        role_ids = [self.role_id(r, guild) for r in roles or []]

        async def run() -> None:
            self.state.add_member(g, uid, roles=role_ids)

        await self.call(run)

    async def remove_member(self, user: int | str, guild: int | str | None = None) -> None:
        g = self.guild(guild)
        uid = int(self.state.find_user(user)["id"])

        async def run() -> None:
            self.state.remove_member(g, uid)

        await self.call(run)

    async def set_roles(
        self, user: int | str, roles: list[str], guild: int | str | None = None
    ) -> None:
        g = self.guild(guild)
        uid = int(self.state.find_user(user)["id"])
        ids = [self.role_id(r, guild) for r in roles]

        async def run() -> None:
            self.state.update_member(g, uid, {"roles": ids})

        await self.call(run)

    # -- fault injection -------------------------------------------------------------------
    async def send_reconnect(self, shard_id: int | None = None) -> int:
        async def run() -> int:
            return self.gateway.send_reconnect(shard_id)

        return await self.call(run)

    async def send_invalid_session(self, resumable: bool, shard_id: int | None = None) -> int:
        async def run() -> int:
            return self.gateway.send_invalid_session(resumable, shard_id)

        return await self.call(run)

    async def drop_connections(self, shard_id: int | None = None) -> int:
        async def run() -> int:
            return self.gateway.drop_connections(shard_id)

        return await self.call(run)

    async def fail_requests(
        self,
        status: int,
        count: int,
        path_contains: str = "",
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> None:
        """The next ``count`` REST requests whose path contains the text answer ``status``."""

        async def run() -> None:
            self.rest.faults.add(status, count, path_contains, retry_after, is_global)

        await self.call(run)

    async def set_heartbeat_faults(self, *, ack_delay: float = 0.0, drop_acks: int = 0) -> None:
        async def run() -> None:
            self.gateway.faults.ack_delay = ack_delay
            self.gateway.faults.drop_acks = drop_acks

        await self.call(run)


class SandboxUser(AppCommandActions, MessageActions):
    """Acts as one user: say, slash, context menus, click, select, submit modals, react…"""

    def __init__(self, sandbox: Sandbox, user_id: int) -> None:
        self.sandbox = sandbox
        self.id = user_id

    @property
    def name(self) -> str:
        return str(self.sandbox.state.users[self.id]["username"])

    def __repr__(self) -> str:
        return f"<SandboxUser {self.name} ({self.id})>"

    async def say(
        self,
        channel: ChannelRef,
        content: str = "",
        *,
        embeds: list[dict[str, Any]] | None = None,
        reply_to: SandboxMessage | None = None,
        guild: int | str | None = None,
        files: UploadLike | Sequence[UploadLike] | None = None,
        mention_author: bool = True,
    ) -> SandboxMessage:
        """Post a message as this user (permissions apply, as on Discord).

        A reply pings the replied-to author unless ``mention_author`` is false (the "@ on"
        switch of Discord's reply bar).

        ``files`` are attachments (:class:`~.uploads.Upload` or ``(filename, bytes)``),
        stored by the sandbox and served by its CDN; they need ``ATTACH_FILES``.
        """
        sb = self.sandbox
        cid = sb.channel_id(channel, guild)
        upload_list = as_uploads(files)

        async def run() -> SandboxMessage:
            chan = sb.state.channel_or_404(cid)
            in_thread = chan["type"] in THREAD_TYPES
            perm = Perm.SEND_MESSAGES_IN_THREADS if in_thread else Perm.SEND_MESSAGES
            sb.state.require_perm(chan, self.id, int(perm))
            if upload_list:
                sb.state.require_perm(chan, self.id, int(Perm.ATTACH_FILES))
            if in_thread:
                named = [{"filename": u.filename} for u in upload_list]
                check_message_body(content, embeds=embeds, attachments=named)
                channel_ops.prepare_thread_post(sb.state, chan, self.id)
            ref = {"message_id": reply_to.id, "channel_id": cid} if reply_to else None
            allowed = {**USER_ALLOWED_MENTIONS, "replied_user": mention_author} if ref else None
            attachments = [store_upload(sb.state, cid, u) for u in upload_list] or None
            msg = sb.state.create_message(
                cid,
                self.id,
                content=content,
                embeds=embeds,
                message_reference=ref,
                attachments=attachments,
                allowed_mentions=allowed,
            )
            return SandboxMessage.of(msg)

        return await sb.call(run)

    async def dm(self, content: str) -> SandboxMessage:
        """Send the bot a direct message."""
        sb = self.sandbox

        async def run() -> SandboxMessage:
            chan = sb.state.dm_channel(self.id, sb.bot_id)
            msg = sb.state.create_message(int(chan["id"]), self.id, content=content)
            return SandboxMessage.of(msg)

        return await sb.call(run)

    def dm_channel_id(self) -> int:
        return int(self.sandbox.state.dm_channel(self.id, self.sandbox.bot_id)["id"])

    async def slash(
        self,
        command: str,
        channel: ChannelRef = "#general",
        /,
        *,
        in_guild: int | str | None = None,
        **options: Any,
    ) -> InteractionHandle:
        """Invoke the bot's slash ``command`` (``"group sub"`` for subcommands).

        Args:
            command: Command path, e.g. ``"stats"`` or ``"config set"``.
            channel: Where it is used (``#name`` resolved in ``in_guild``, or an id).
            in_guild: Guild used to resolve a channel name (default: the first guild).
            **options: Option values by name; users/roles/channels may be names or ids.
        """
        sb = self.sandbox
        cid = sb.channel_id(channel, in_guild)

        async def run() -> InteractionRecord:
            from .slash import build_command_data

            data = build_command_data(sb.state, sb.app_info, cid, command, options, user_id=self.id)
            return sb.state.interactions.create(
                sb.app_info, InteractionType.APPLICATION_COMMAND, self.id, cid, data
            )

        return InteractionHandle(sb, await sb.call(run))

    async def click(self, message: SandboxMessage, custom_id: str) -> InteractionHandle:
        """Press a button on a message."""
        return await self._component(message, custom_id, 2, None)

    async def select(
        self, message: SandboxMessage, custom_id: str, values: list[str]
    ) -> InteractionHandle:
        """Choose ``values`` in a select menu on a message."""
        return await self._component(message, custom_id, None, values)

    async def _component(
        self, message: SandboxMessage, custom_id: str, ctype: int | None, values: list[str] | None
    ) -> InteractionHandle:
        sb = self.sandbox

        async def run() -> InteractionRecord:
            from .slash import build_component_data

            store = sb.state.messages.get(message.channel_id)
            current = store.get(message.id) if store is not None else None
            if current is None:
                current = message.raw
            data = build_component_data(sb.state, current, custom_id, ctype, values)
            return sb.state.interactions.create(
                sb.app_info,
                InteractionType.MESSAGE_COMPONENT,
                self.id,
                message.channel_id,
                data,
                message=current,
            )

        return InteractionHandle(sb, await sb.call(run))

    async def submit_modal(
        self, opened_by: InteractionHandle, values: dict[str, Any]
    ) -> InteractionHandle:
        """Fill in and submit the modal the bot opened in answer to ``opened_by``."""
        sb = self.sandbox

        async def run() -> InteractionRecord:
            from .slash import build_modal_data

            record = opened_by.record
            if record.response_type != CallbackType.MODAL or not record.response_data:
                raise DiscordAPIError(400, 0, "The bot did not answer with a modal")
            data = build_modal_data(
                record.response_data, values, state=sb.state, channel_id=record.channel_id
            )
            return sb.state.interactions.create(
                sb.app_info,
                InteractionType.MODAL_SUBMIT,
                self.id,
                record.channel_id,
                data,
                message=record.payload.get("message"),
            )

        return InteractionHandle(sb, await sb.call(run))

    async def react(self, message: SandboxMessage, emoji: str) -> None:
        sb = self.sandbox

        async def run() -> None:
            chan = sb.state.channel_or_404(message.channel_id)
            sb.state.require_perm(
                chan, self.id, int(Perm.ADD_REACTIONS | Perm.READ_MESSAGE_HISTORY)
            )
            sb.state.add_reaction(
                message.channel_id, message.id, self.id, sb.state.parse_emoji(emoji)
            )

        await sb.call(run)

    async def unreact(self, message: SandboxMessage, emoji: str) -> None:
        sb = self.sandbox

        async def run() -> None:
            sb.state.remove_reaction(
                message.channel_id, message.id, self.id, sb.state.parse_emoji(emoji)
            )

        await sb.call(run)

    async def join_voice(self, channel: ChannelRef, guild: int | str | None = None) -> None:
        sb = self.sandbox
        cid = sb.channel_id(channel, guild)

        async def run() -> None:
            from .voice import set_voice_state

            g = sb.state.guild_of_channel(cid)
            if g is None:
                raise unknown("channel")
            set_voice_state(sb.state, g, self.id, cid)

        await sb.call(run)

    async def leave_voice(self, guild: int | str | None = None) -> None:
        sb = self.sandbox
        g = sb.guild(guild)

        async def run() -> None:
            from .voice import set_voice_state

            set_voice_state(sb.state, g, self.id, None)

        await sb.call(run)

    async def typing(self, channel: ChannelRef, guild: int | str | None = None) -> None:
        sb = self.sandbox
        cid = sb.channel_id(channel, guild)

        async def run() -> None:
            sb.state.typing(cid, self.id)

        await sb.call(run)


class InteractionHandle:
    """An interaction a user started; await the bot's answer with :meth:`response`."""

    def __init__(self, sandbox: Sandbox, record: InteractionRecord) -> None:
        self.sandbox = sandbox
        self.record = record

    @property
    def id(self) -> int:
        return self.record.id

    async def response(self, timeout: float = 5.0, *, final: bool = True) -> InteractionResult:
        """Wait for the bot's callback; with ``final``, also for a deferred answer's content."""
        rec = self.record

        def done(r: InteractionRecord) -> bool:
            if r.response_type is None:
                return False
            if final and r.response_type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
                return r.original is not None and not int(r.original.get("flags", 0)) & (1 << 7)
            return True

        async def run() -> InteractionResult:
            await rec.wait_until(done, timeout)
            return self._result()

        return await self.sandbox.call(run)

    async def followup(self, index: int = 0, timeout: float = 5.0) -> SandboxMessage:
        """Wait for the ``index``-th follow-up message."""
        rec = self.record

        async def run() -> SandboxMessage:
            await rec.wait_until(lambda r: len(r.followups) > index, timeout)
            return SandboxMessage.of(rec.followups[index])

        return await self.sandbox.call(run)

    async def wait_original(
        self, check: Callable[[SandboxMessage], bool], timeout: float = 5.0
    ) -> SandboxMessage:
        """Wait until the response message satisfies ``check`` (e.g. after an edit)."""
        rec = self.record

        def ok(r: InteractionRecord) -> bool:
            return r.original is not None and check(SandboxMessage.of(r.original))

        async def run() -> SandboxMessage:
            await rec.wait_until(ok, timeout)
            assert rec.original is not None
            return SandboxMessage.of(rec.original)

        return await self.sandbox.call(run)

    def _result(self) -> InteractionResult:
        rec = self.record
        msg = SandboxMessage.of(rec.original) if rec.original is not None else None
        return InteractionResult(
            rec.response_type,
            dict(rec.response_data or {}),
            msg,
            rec.original_ephemeral,
            [SandboxMessage.of(m) for m in rec.followups],
        )
