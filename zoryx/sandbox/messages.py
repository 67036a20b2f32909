"""Message operations of the sandbox state: create, edit, delete, reactions, pins."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from . import payloads
from .components import stored_components
from .constants import THREAD_TYPES, Perm
from .errors import DiscordAPIError, empty_message, invalid_form, unknown
from .mentions import (
    check_allowed_mentions,
    may_mass_mention,
    mentions_replied_user,
    resolve_pings,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .snowflake import SnowflakeGenerator
    from .state import GuildState

MAX_CONTENT = 2000
MAX_EMBEDS = 10


def check_message_body(
    content: str,
    *,
    embeds: list[dict[str, Any]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
    sticker_ids: list[str] | None = None,
    mtype: int | None = None,
) -> None:
    """Discord's checks on a new message's body (length, embed count, not empty)."""
    if len(content) > MAX_CONTENT:
        raise invalid_form(
            "content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length."
        )
    if embeds and len(embeds) > MAX_EMBEDS:
        raise invalid_form("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    if not (content or embeds or attachments or components or sticker_ids) and mtype is None:
        raise empty_message()


def _uncount(channel: dict[str, Any], message_ids: list[int]) -> None:
    """Deleted thread messages leave ``message_count`` (a forum post's starter never counted)."""
    if channel.get("type") in THREAD_TYPES:
        gone = sum(1 for mid in message_ids if str(mid) != channel["id"])
        channel["message_count"] = max(0, int(channel.get("message_count") or 0) - gone)


class MessageOps:
    """Mixin for :class:`SandboxState` holding message mutations."""

    messages: dict[int, OrderedDict[int, dict[str, Any]]]
    message_cap: int

    if TYPE_CHECKING:  # provided by SandboxState
        users: dict[int, dict[str, Any]]
        ids: SnowflakeGenerator

        def channel_or_404(self, cid: int) -> dict[str, Any]: ...
        def guild_of_channel(self, cid: int) -> GuildState | None: ...
        def member_payload(
            self, guild: GuildState, uid: int, *, with_user: bool = True
        ) -> dict[str, Any]: ...
        def dispatch(
            self,
            name: str,
            data: dict[str, Any],
            *,
            guild_id: int | None = None,
            user_ids: Iterable[int] | None = None,
        ) -> None: ...
        def dm_recipients(self, channel: dict[str, Any]) -> frozenset[int]: ...
        def require_perm(self, channel: dict[str, Any], user_id: int, perm: int) -> None: ...
        def ids_now_ms(self) -> int: ...

    def __init__(self) -> None:
        # Per channel: pinned message id -> when it was pinned, oldest pin first.
        self.pins: dict[int, dict[int, str]] = {}
        self.reactor_map: OrderedDict[int, dict[str, list[int]]] = OrderedDict()

    def _reactors_of(self, message_id: int) -> dict[str, list[int]]:
        entry = self.reactor_map.get(message_id)
        if entry is None:
            entry = self.reactor_map[message_id] = {}
            while len(self.reactor_map) > 20_000:
                self.reactor_map.popitem(last=False)
        return entry

    def stored_message(self, channel_id: int, message_id: int) -> dict[str, Any] | None:
        """The stored message, or None (no check that the channel exists)."""
        store = self.messages.get(channel_id)
        return store.get(message_id) if store is not None else None

    def message_or_404(self, channel_id: int, message_id: int) -> dict[str, Any]:
        self.channel_or_404(channel_id)
        msg = self.stored_message(channel_id, message_id)
        if msg is None:
            raise unknown("message")
        return msg

    def _mentions(
        self,
        channel: dict[str, Any],
        content: str,
        allowed: dict[str, Any] | None,
        author_id: int,
        *,
        webhook: bool,
    ) -> tuple[list[dict[str, Any]], list[str], bool]:
        """``mentions``, ``mention_roles`` and ``mention_everyone`` of a message, by
        Discord's rules (see :mod:`.mentions`): the author's permissions decide whether
        ``@everyone``/``@here`` and roles that are not mentionable ping."""
        guild = self.guild_of_channel(int(channel["id"]))
        pings = resolve_pings(
            content,
            allowed,
            known_users=self.users,
            roles=guild.roles if guild is not None else None,
            mass=may_mass_mention(guild, channel, author_id, webhook=webhook),
        )
        users = [self._mention_entry(guild, uid) for uid in pings.user_ids]
        return users, pings.role_ids, pings.everyone

    def _mention_entry(self, guild: GuildState | None, uid: int) -> dict[str, Any]:
        entry = payloads.public_user(self.users[uid])
        if guild is not None and uid in guild.members:
            entry["member"] = self.member_payload(guild, uid, with_user=False)
        return entry

    def _with_replied_user(
        self,
        guild: GuildState | None,
        mentions: list[dict[str, Any]],
        referenced: dict[str, Any] | None,
        author_id: int,
    ) -> list[dict[str, Any]]:
        """``mentions`` plus the author of the replied-to message (a user, not oneself)."""
        if referenced is None or referenced.get("webhook_id"):
            return mentions
        uid = int(referenced["author"]["id"])
        if uid == author_id or uid not in self.users:
            return mentions
        if any(m["id"] == str(uid) for m in mentions):
            return mentions
        return [*mentions, self._mention_entry(guild, uid)]

    def create_message(
        self,
        channel_id: int,
        author_id: int,
        *,
        content: str = "",
        embeds: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        sticker_ids: list[str] | None = None,
        tts: bool = False,
        flags: int = 0,
        nonce: str | int | None = None,
        message_reference: dict[str, Any] | None = None,
        allowed_mentions: dict[str, Any] | None = None,
        webhook: dict[str, Any] | None = None,
        interaction: dict[str, Any] | None = None,
        mtype: int | None = None,
        dispatch: bool = True,
    ) -> dict[str, Any]:
        """Store a message and dispatch MESSAGE_CREATE. Validation mirrors Discord's."""
        channel = self.channel_or_404(channel_id)
        guild = self.guild_of_channel(channel_id)
        content = content or ""
        check_message_body(
            content,
            embeds=embeds,
            attachments=attachments,
            components=components,
            sticker_ids=sticker_ids,
            mtype=mtype,
        )
        mid = self.ids.next()
        author = (
            payloads.public_user(self.users[author_id])
            if webhook is None
            else {
                "id": webhook["id"],
                "username": webhook.get("username") or webhook["name"],
                "discriminator": "0000",
                "avatar": webhook.get("avatar"),
                "bot": True,
                "global_name": None,
                "public_flags": 0,
            }
        )
        check_allowed_mentions(allowed_mentions)
        components = stored_components(components)
        mentions, mention_roles, everyone = self._mentions(
            channel, content, allowed_mentions, author_id, webhook=webhook is not None
        )
        referenced = None
        if message_reference and message_reference.get("message_id"):
            ref_channel = int(message_reference.get("channel_id") or channel_id)
            ref = self.stored_message(ref_channel, int(message_reference["message_id"]))
            if ref is None and message_reference.get("fail_if_not_exists", True):
                raise invalid_form(
                    "message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                )
            referenced = ref
            message_reference = {
                "type": 0,
                "message_id": str(message_reference["message_id"]),
                "channel_id": str(ref_channel),
                **({"guild_id": str(guild.id)} if guild else {}),
            }
            if mentions_replied_user(allowed_mentions):
                mentions = self._with_replied_user(guild, mentions, referenced, author_id)
        stickers = []
        if sticker_ids and guild is not None:
            for sid in sticker_ids:
                st = guild.stickers.get(int(sid))
                if st is None:
                    raise unknown("sticker")
                stickers.append({"id": st["id"], "name": st["name"], "format_type": 1})
        msg: dict[str, Any] = {
            "id": str(mid),
            "type": mtype if mtype is not None else (19 if referenced else 0),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": payloads.iso(),
            "edited_timestamp": None,
            "tts": tts,
            "mention_everyone": everyone,
            "mentions": mentions,
            "mention_roles": mention_roles,
            "attachments": attachments or [],
            "embeds": embeds or [],
            "pinned": False,
            "flags": flags,
            "components": components or [],
            "sticker_items": stickers,
        }
        if guild is not None:
            msg["guild_id"] = str(guild.id)
            if webhook is None and author_id in guild.members:
                msg["member"] = self.member_payload(guild, author_id, with_user=False)
        if nonce is not None:
            msg["nonce"] = nonce
        if webhook is not None:
            msg["webhook_id"] = webhook["id"]
        if message_reference:
            msg["message_reference"] = message_reference
            msg["referenced_message"] = referenced
        if interaction is not None:
            msg["interaction_metadata"] = interaction
            msg["application_id"] = interaction.get("application_id")
        if channel.get("type") in THREAD_TYPES:
            channel["message_count"] = channel.get("message_count", 0) + 1
            channel["total_message_sent"] = channel.get("total_message_sent", 0) + 1
        store = self.messages.setdefault(channel_id, OrderedDict())
        store[mid] = msg
        while len(store) > self.message_cap:
            store.popitem(last=False)
        channel["last_message_id"] = str(mid)
        if dispatch:
            self.dispatch_message("MESSAGE_CREATE", msg, channel)
        return msg

    def dispatch_message(self, name: str, msg: dict[str, Any], channel: dict[str, Any]) -> None:
        guild_id = msg.get("guild_id")
        if guild_id is not None:
            self.dispatch(name, msg, guild_id=int(guild_id))
        else:
            self.dispatch(name, msg, user_ids=self.dm_recipients(channel))

    def edit_message(
        self, channel_id: int, message_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        msg = self.message_or_404(channel_id, message_id)
        allowed = changes.get("allowed_mentions")
        check_allowed_mentions(allowed)
        if changes.get("components") is not None:
            changes = {**changes, "components": stored_components(changes["components"])}
        for key in ("content", "embeds", "components", "flags", "attachments"):
            if key in changes and changes[key] is not None:
                msg[key] = changes[key]
        if "content" in changes or allowed is not None:
            guild = self.guild_of_channel(channel_id)
            referenced = msg.get("referenced_message")
            # The reply ping stays as it was unless the edit sets allowed mentions again.
            if allowed is not None:
                ping = mentions_replied_user(allowed)
            else:
                ping = referenced is not None and any(
                    m["id"] == referenced["author"]["id"] for m in msg.get("mentions", ())
                )
            # Permissions are the author's at the time of the edit; a plain webhook's
            # message (not an interaction response) keeps the webhook's freedom.
            author_id = int(msg["author"]["id"])
            webhook = bool(msg.get("webhook_id")) and "interaction_metadata" not in msg
            mentions, roles, everyone = self._mentions(
                self.channel_or_404(channel_id), msg["content"], allowed, author_id, webhook=webhook
            )
            if ping:
                mentions = self._with_replied_user(guild, mentions, referenced, author_id)
            msg.update(mentions=mentions, mention_roles=roles, mention_everyone=everyone)
        msg["edited_timestamp"] = payloads.iso()
        self.dispatch_message("MESSAGE_UPDATE", msg, self.channel_or_404(channel_id))
        return msg

    def edit_as_user(
        self,
        channel_id: int,
        message_id: int,
        user_id: int,
        *,
        content: str | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A user edits their own message, as Discord's client does (MESSAGE_UPDATE)."""
        channel = self.channel_or_404(channel_id)
        self.require_perm(channel, user_id, int(Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY))
        msg = self.message_or_404(channel_id, message_id)
        if msg["author"]["id"] != str(user_id) or msg.get("webhook_id"):
            raise DiscordAPIError(403, 50005, "Cannot edit a message authored by another user")
        changes: dict[str, Any] = {}
        if content is not None:
            changes["content"] = content
        if embeds is not None:
            changes["embeds"] = embeds
        check_message_body(
            changes.get("content", msg["content"]),
            embeds=changes.get("embeds", msg["embeds"]),
            attachments=msg["attachments"],
            components=msg["components"],
            sticker_ids=[s["id"] for s in msg.get("sticker_items") or []],
        )
        return self.edit_message(channel_id, message_id, changes)

    def delete_as_user(self, channel_id: int, message_id: int, user_id: int) -> None:
        """A user deletes a message: their own, or another's with Manage Messages in a guild
        (MESSAGE_DELETE)."""
        channel = self.channel_or_404(channel_id)
        self.require_perm(channel, user_id, int(Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY))
        msg = self.message_or_404(channel_id, message_id)
        if msg["author"]["id"] != str(user_id):
            if self.guild_of_channel(channel_id) is None:
                raise DiscordAPIError(403, 50003, "Cannot execute action on a DM channel")
            self.require_perm(channel, user_id, int(Perm.MANAGE_MESSAGES))
        self.delete_message(channel_id, message_id)

    def delete_message(self, channel_id: int, message_id: int) -> None:
        self.message_or_404(channel_id, message_id)
        channel = self.channel_or_404(channel_id)
        msg = self.messages[channel_id].pop(message_id)
        self.pins.get(channel_id, {}).pop(message_id, None)
        _uncount(channel, [message_id])
        data = {"id": str(message_id), "channel_id": str(channel_id)}
        if "guild_id" in msg:
            data["guild_id"] = msg["guild_id"]
        self.dispatch_message("MESSAGE_DELETE", data, channel)

    def bulk_delete(self, channel_id: int, ids: list[int]) -> None:
        if not 2 <= len(ids) <= 100:
            raise invalid_form(
                "messages", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length."
            )
        guild = self.guild_of_channel(channel_id)
        store = self.messages.get(channel_id, OrderedDict())
        gone = [i for i in ids if store.pop(i, None) is not None]
        for mid in gone:
            self.pins.get(channel_id, {}).pop(mid, None)
        data: dict[str, Any] = {"ids": [str(i) for i in gone], "channel_id": str(channel_id)}
        if guild is not None:
            _uncount(self.channel_or_404(channel_id), gone)
            data["guild_id"] = str(guild.id)
            self.dispatch("MESSAGE_DELETE_BULK", data, guild_id=guild.id)

    # -- reactions -------------------------------------------------------------------------
    @staticmethod
    def parse_emoji(text: str) -> dict[str, Any]:
        """``name:id`` (custom) or a unicode emoji → partial emoji dict."""
        if ":" in text:
            name, _, eid = text.rpartition(":")
            return {"id": eid, "name": name.removeprefix("a:")}
        return {"id": None, "name": text}

    @staticmethod
    def _emoji_key(emoji: dict[str, Any]) -> str:
        return f"{emoji['name']}:{emoji['id']}" if emoji.get("id") else str(emoji["name"])

    def add_reaction(
        self, channel_id: int, message_id: int, user_id: int, emoji: dict[str, Any]
    ) -> bool:
        msg = self.message_or_404(channel_id, message_id)
        users = self._reactors_of(message_id).setdefault(self._emoji_key(emoji), [])
        if user_id in users:
            return False
        users.append(user_id)
        self._refresh_reactions(msg)
        data: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": str(channel_id),
            "message_id": str(message_id),
            "emoji": emoji,
            "burst": False,
            "type": 0,
            "message_author_id": msg["author"]["id"],
        }
        guild = self.guild_of_channel(channel_id)
        if guild is not None:
            data["guild_id"] = str(guild.id)
            if user_id in guild.members:
                data["member"] = self.member_payload(guild, user_id)
        self.dispatch_message("MESSAGE_REACTION_ADD", data, self.channel_or_404(channel_id))
        return True

    def remove_reaction(
        self, channel_id: int, message_id: int, user_id: int, emoji: dict[str, Any]
    ) -> None:
        msg = self.message_or_404(channel_id, message_id)
        users = self._reactors_of(message_id).get(self._emoji_key(emoji), [])
        if user_id not in users:
            return
        users.remove(user_id)
        self._refresh_reactions(msg)
        data: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": str(channel_id),
            "message_id": str(message_id),
            "emoji": emoji,
            "burst": False,
            "type": 0,
        }
        if "guild_id" in msg:
            data["guild_id"] = msg["guild_id"]
        self.dispatch_message("MESSAGE_REACTION_REMOVE", data, self.channel_or_404(channel_id))

    def clear_reactions(
        self, channel_id: int, message_id: int, emoji: dict[str, Any] | None = None
    ) -> None:
        msg = self.message_or_404(channel_id, message_id)
        data: dict[str, Any] = {"channel_id": str(channel_id), "message_id": str(message_id)}
        if "guild_id" in msg:
            data["guild_id"] = msg["guild_id"]
        if emoji is None:
            self.reactor_map[message_id] = {}
            name = "MESSAGE_REACTION_REMOVE_ALL"
        else:
            self._reactors_of(message_id).pop(self._emoji_key(emoji), None)
            data["emoji"] = emoji
            name = "MESSAGE_REACTION_REMOVE_EMOJI"
        self._refresh_reactions(msg)
        self.dispatch_message(name, data, self.channel_or_404(channel_id))

    def reactors(self, channel_id: int, message_id: int, emoji: dict[str, Any]) -> list[int]:
        self.message_or_404(channel_id, message_id)
        return list(self._reactors_of(message_id).get(self._emoji_key(emoji), []))

    def _refresh_reactions(self, msg: dict[str, Any]) -> None:
        out = []
        for key, users in self._reactors_of(int(msg["id"])).items():
            if not users:
                continue
            name, _, eid = key.rpartition(":") if ":" in key else (key, "", "")
            out.append(
                {
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "me": False,
                    "me_burst": False,
                    "burst_colors": [],
                    "emoji": {"id": eid or None, "name": name},
                }
            )
        msg["reactions"] = out

    # -- pins -----------------------------------------------------------------------------
    def set_pinned(self, channel_id: int, message_id: int, pinned: bool) -> None:
        msg = self.message_or_404(channel_id, message_id)
        pins = self.pins.setdefault(channel_id, {})
        if pinned and message_id not in pins:
            pins[message_id] = payloads.iso()
        elif not pinned:
            pins.pop(message_id, None)
        msg["pinned"] = pinned
        channel = self.channel_or_404(channel_id)
        channel["last_pin_timestamp"] = payloads.iso() if pins else None
        self.dispatch_message("MESSAGE_UPDATE", msg, channel)
        data: dict[str, Any] = {
            "channel_id": str(channel_id),
            "last_pin_timestamp": channel["last_pin_timestamp"],
        }
        if "guild_id" in msg:
            data["guild_id"] = msg["guild_id"]
        self.dispatch_message("CHANNEL_PINS_UPDATE", data, channel)

    def typing(self, channel_id: int, user_id: int) -> None:
        channel = self.channel_or_404(channel_id)
        data: dict[str, Any] = {
            "channel_id": str(channel_id),
            "user_id": str(user_id),
            "timestamp": self.ids_now_ms() // 1000,
        }
        guild = self.guild_of_channel(channel_id)
        if guild is not None:
            data["guild_id"] = str(guild.id)
            if user_id in guild.members:
                data["member"] = self.member_payload(guild, user_id)
            self.dispatch("TYPING_START", data, guild_id=guild.id)
        else:
            self.dispatch("TYPING_START", data, user_ids=self.dm_recipients(channel))
