"""The sandbox's in-memory Discord: users, guilds, channels, messages, applications.

Objects are stored as Discord-shaped payload dicts so that what the REST layer and the
gateway send is exactly what is stored. Every mutation goes through a method here that
updates the state *and* dispatches the matching gateway event to the listeners.
"""

from __future__ import annotations

import copy
import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import payloads
from .assets import AssetStore
from .channel_ops.base import ChannelStore
from .channel_ops.threads import delete_thread
from .constants import THREAD_TYPES, Perm
from .errors import DiscordAPIError, missing_access, missing_permissions, unknown
from .interactions import InteractionStore
from .messages import MessageOps
from .permissions import channel_permissions
from .snowflake import SnowflakeGenerator, make_token, snowflake_time_ms

log = logging.getLogger("zoryx.sandbox")

EventListener = Callable[["Event"], None]


@dataclass(slots=True)
class Event:
    """A gateway dispatch produced by a state mutation.

    Attributes:
        name: Dispatch name (``MESSAGE_CREATE``…).
        data: Payload (shared; listeners must not mutate it).
        guild_id: Guild the event belongs to, for shard routing and membership.
        user_ids: For events outside guilds (DMs), the users who may receive it.
    """

    name: str
    data: dict[str, Any]
    guild_id: int | None = None
    user_ids: frozenset[int] | None = None


@dataclass
class Application:
    """A bot application: its bot user, token, granted intents and commands."""

    id: int
    bot_id: int
    token: str
    name: str
    flags: int = (1 << 12) | (1 << 14) | (1 << 18)  # presence/members/content gateway flags
    privileged_granted: int = (1 << 1) | (1 << 8) | (1 << 15)
    commands: dict[int, dict[str, Any]] = field(default_factory=dict)
    guild_commands: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)


class GuildState:
    """One guild: its base fields plus keyed collections of roles, channels, members…

    ``channel_store`` is the state's :class:`ChannelStore` (thread memberships), so that
    permission checks on private threads need nothing but the guild.
    """

    __slots__ = (
        "bans",
        "channel_store",
        "channels",
        "data",
        "emojis",
        "id",
        "members",
        "presences",
        "roles",
        "stickers",
        "voice_states",
    )

    def __init__(self, data: dict[str, Any], channel_store: ChannelStore | None = None) -> None:
        self.id = int(data["id"])
        self.data = data
        self.channel_store = channel_store if channel_store is not None else ChannelStore()
        self.roles: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.members: dict[int, dict[str, Any]] = {}
        self.emojis: dict[int, dict[str, Any]] = {}
        self.stickers: dict[int, dict[str, Any]] = {}
        self.voice_states: dict[int, dict[str, Any]] = {}
        self.presences: dict[int, dict[str, Any]] = {}
        self.bans: dict[int, dict[str, Any]] = {}

    @property
    def owner_id(self) -> int:
        return int(self.data["owner_id"])

    @property
    def name(self) -> str:
        return str(self.data["name"])

    def thread_members(self, thread_id: int) -> dict[int, dict[str, Any]]:
        """Thread member records of one of the guild's threads, by user id."""
        return self.channel_store.thread_members.get(thread_id) or {}


class SandboxState(MessageOps):
    """All sandbox objects plus the event fan-out.

    Args:
        message_cap: Messages kept per channel (oldest dropped first).
        attachment_bytes_cap: Total bytes of uploaded attachments kept in memory.
        deterministic: Use a virtual clock for IDs so that worlds are reproducible.
    """

    def __init__(
        self,
        *,
        message_cap: int = 1000,
        attachment_bytes_cap: int = 64 << 20,
        deterministic: bool = False,
    ) -> None:
        self.ids = SnowflakeGenerator(start_ms=1_704_067_200_000 if deterministic else None)
        self.secret = secrets.token_bytes(32)
        self.users: dict[int, dict[str, Any]] = {}
        self.usernames: dict[str, int] = {}
        self.guilds: dict[int, GuildState] = {}
        self.channel_guild: dict[int, int] = {}
        self.dm_channels: dict[int, dict[str, Any]] = {}
        self.dm_by_pair: dict[frozenset[int], int] = {}
        self.messages: dict[int, OrderedDict[int, dict[str, Any]]] = {}
        self.message_cap = message_cap
        self.apps: dict[int, Application] = {}
        self.apps_by_token: dict[str, Application] = {}
        self.apps_by_bot: dict[int, Application] = {}
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.attachments: OrderedDict[int, tuple[str, str | None, bytes]] = OrderedDict()
        self.attachment_bytes = 0
        self.attachment_bytes_cap = attachment_bytes_cap
        self.assets = AssetStore()  # uploaded emoji/sticker/icon/avatar bytes (the CDN)
        self.listeners: list[EventListener] = []
        self.base_url = "http://127.0.0.1"
        self.gateway_url = "ws://127.0.0.1/gateway"
        self.owner_user_id: int | None = None
        self.channel_store = ChannelStore()
        super().__init__()
        self.interactions = InteractionStore(self)

    # -- events -----------------------------------------------------------------------
    def dispatch(
        self,
        name: str,
        data: dict[str, Any],
        *,
        guild_id: int | None = None,
        user_ids: Iterable[int] | None = None,
    ) -> None:
        """Fan an event out to every listener (the gateway, driver waiters…)."""
        event = Event(name, data, guild_id, frozenset(user_ids) if user_ids is not None else None)
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a broken observer must never break the server
                log.exception("sandbox listener failed on %s", name)

    # -- users and applications ----------------------------------------------------------
    def create_user(
        self,
        username: str,
        *,
        bot: bool = False,
        global_name: str | None = None,
        uid: int | None = None,
    ) -> dict[str, Any]:
        uid = uid or self.ids.next()
        data = payloads.user(uid, username, bot=bot, global_name=global_name)
        self.users[uid] = data
        self.usernames.setdefault(username.lower(), uid)
        return data

    def create_application(self, name: str = "Zoryx Sandbox Bot") -> Application:
        bot = self.create_user(name.lower().replace(" ", "-"), bot=True, global_name=None)
        bot_id = int(bot["id"])
        app = Application(
            id=bot_id, bot_id=bot_id, token=make_token(bot_id, self.secret), name=name
        )
        self.apps[app.id] = app
        self.apps_by_token[app.token] = app
        self.apps_by_bot[bot_id] = app
        return app

    def app_for_token(self, token: str | None) -> Application | None:
        if not token:
            return None
        return self.apps_by_token.get(token)

    def user_or_404(self, uid: int) -> dict[str, Any]:
        try:
            return self.users[uid]
        except KeyError:
            raise unknown("user") from None

    def find_user(self, name_or_id: str | int) -> dict[str, Any]:
        """Look a user up by id or (case-insensitive) username."""
        if isinstance(name_or_id, int) or (str(name_or_id).isascii() and str(name_or_id).isdigit()):
            return self.user_or_404(int(name_or_id))
        uid = self.usernames.get(str(name_or_id).lower().lstrip("@"))
        if uid is None:
            raise unknown("user")
        return self.users[uid]

    # -- guilds ---------------------------------------------------------------------------
    def guild_or_404(self, gid: int) -> GuildState:
        try:
            return self.guilds[gid]
        except KeyError:
            raise unknown("guild") from None

    def create_guild(self, name: str, owner_id: int, *, gid: int | None = None) -> GuildState:
        gid = gid or self.ids.next()
        guild = GuildState(payloads.guild_base(gid, name, owner_id=owner_id), self.channel_store)
        guild.roles[gid] = payloads.everyone_role(gid)
        self.guilds[gid] = guild
        guild.members[owner_id] = payloads.member_fields(snowflake_time_ms(gid))
        return guild

    def guild_payload(
        self,
        guild: GuildState,
        *,
        bot_id: int | None = None,
        members: bool = True,
        presences: bool = True,
        large_threshold: int = 250,
    ) -> dict[str, Any]:
        """A full GUILD_CREATE payload, as the bot ``bot_id`` receives it.

        ``threads`` holds the active threads that bot can see (with its own thread member
        record); without ``bot_id``, every active thread.
        """
        data = dict(guild.data)
        count = len(guild.members)
        large = count > large_threshold
        channels = [c for c in guild.channels.values() if c["type"] not in THREAD_TYPES]
        threads = [
            self._thread_for(guild, c, bot_id)
            for c in guild.channels.values()
            if c["type"] in THREAD_TYPES
            and not c["thread_metadata"]["archived"]
            and (bot_id is None or channel_permissions(guild, c, bot_id) & Perm.VIEW_CHANNEL)
        ]
        if members and not large:
            member_list = [self.member_payload(guild, uid) for uid in guild.members]
        else:
            wanted = {a.bot_id for a in self.apps.values()} | set(guild.voice_states)
            member_list = [
                self.member_payload(guild, uid) for uid in wanted if uid in guild.members
            ]
        data.update(
            unavailable=False,
            large=large,
            member_count=count,
            roles=list(guild.roles.values()),
            emojis=list(guild.emojis.values()),
            stickers=list(guild.stickers.values()),
            channels=channels,
            threads=threads,
            members=member_list,
            voice_states=list(guild.voice_states.values()),
            presences=list(guild.presences.values()) if presences and not large else [],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return data

    @staticmethod
    def _thread_for(
        guild: GuildState, thread: dict[str, Any], bot_id: int | None
    ) -> dict[str, Any]:
        """The thread with the bot's own thread member record, when it joined."""
        record = guild.thread_members(int(thread["id"])).get(bot_id) if bot_id else None
        return thread if record is None else {**thread, "member": dict(record)}

    def update_guild(self, guild: GuildState, changes: dict[str, Any]) -> dict[str, Any]:
        allowed = {
            "name",
            "icon",
            "verification_level",
            "default_message_notifications",
            "explicit_content_filter",
            "afk_channel_id",
            "afk_timeout",
            "system_channel_id",
            "system_channel_flags",
            "rules_channel_id",
            "public_updates_channel_id",
            "preferred_locale",
            "description",
            "banner",
            "splash",
            "features",
            "premium_progress_bar_enabled",
            "safety_alerts_channel_id",
            "owner_id",
            "discovery_splash",
        }
        for key, value in changes.items():
            if key in allowed:
                guild.data[key] = value
        out = dict(guild.data)
        out["roles"] = list(guild.roles.values())
        out["emojis"] = list(guild.emojis.values())
        out["stickers"] = list(guild.stickers.values())
        self.dispatch("GUILD_UPDATE", out, guild_id=guild.id)
        return out

    # -- members --------------------------------------------------------------------------
    def member_payload(
        self, guild: GuildState, uid: int, *, with_user: bool = True
    ) -> dict[str, Any]:
        fields = guild.members.get(uid)
        if fields is None:
            raise unknown("member")
        out = dict(fields)
        if with_user:
            out["user"] = payloads.public_user(self.users[uid])
        return out

    def add_member(
        self,
        guild: GuildState,
        uid: int,
        *,
        roles: list[int] | None = None,
        nick: str | None = None,
        dispatch: bool = True,
    ) -> dict[str, Any]:
        self.user_or_404(uid)
        if uid in guild.bans:
            raise DiscordAPIError(403, 40007, "The user is banned from this guild.")
        guild.members[uid] = payloads.member_fields(self.ids_now_ms(), roles, nick)
        if dispatch:
            data = self.member_payload(guild, uid)
            data["guild_id"] = str(guild.id)
            self.dispatch("GUILD_MEMBER_ADD", data, guild_id=guild.id)
            if uid in self.apps_by_bot:
                payload = self.guild_payload(guild, bot_id=uid)
                self.dispatch("GUILD_CREATE", payload, guild_id=guild.id, user_ids=[uid])
        return guild.members[uid]

    def remove_member(self, guild: GuildState, uid: int) -> None:
        if guild.members.pop(uid, None) is None:
            raise unknown("member")
        guild.voice_states.pop(uid, None)
        guild.presences.pop(uid, None)
        self.dispatch(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(guild.id), "user": payloads.public_user(self.users[uid])},
            guild_id=guild.id,
        )
        if uid in self.apps_by_bot:
            self.dispatch("GUILD_DELETE", {"id": str(guild.id)}, guild_id=guild.id, user_ids=[uid])

    def update_member(self, guild: GuildState, uid: int, changes: dict[str, Any]) -> dict[str, Any]:
        fields = guild.members.get(uid)
        if fields is None:
            raise unknown("member")
        for key in ("nick", "roles", "mute", "deaf", "communication_disabled_until", "flags"):
            if key in changes:
                value = changes[key]
                fields[key] = [str(r) for r in value] if key == "roles" else value
        data = self.member_payload(guild, uid)
        data["guild_id"] = str(guild.id)
        self.dispatch("GUILD_MEMBER_UPDATE", data, guild_id=guild.id)
        return data

    def ids_now_ms(self) -> int:
        return snowflake_time_ms(self.ids.next())

    # -- roles ----------------------------------------------------------------------------
    def create_role(
        self,
        guild: GuildState,
        name: str,
        *,
        permissions: int = 0,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        position: int | None = None,
        colors: dict[str, Any] | None = None,
        icon: str | None = None,
        unicode_emoji: str | None = None,
        dispatch: bool = True,
    ) -> dict[str, Any]:
        """Create a role; without ``position`` it goes to the bottom (1), moving the others up.

        Dispatches GUILD_ROLE_CREATE, then GUILD_ROLE_UPDATE for every role that moved.
        """
        rid = self.ids.next()
        shifted: list[dict[str, Any]] = []
        if position is None:
            position = 1
            for other in guild.roles.values():
                if other["id"] != str(guild.id):
                    other["position"] += 1
                    shifted.append(other)
        if colors is not None and colors.get("primary_color") is not None:
            color = int(colors["primary_color"])
        data = payloads.role(
            rid,
            name,
            position=position,
            permissions=permissions,
            color=color,
            hoist=hoist,
            mentionable=mentionable,
        )
        if colors is not None:
            data["colors"].update(colors, primary_color=color)
        data["icon"] = icon
        data["unicode_emoji"] = unicode_emoji
        guild.roles[rid] = data
        if dispatch:
            gid = str(guild.id)
            self.dispatch("GUILD_ROLE_CREATE", {"guild_id": gid, "role": data}, guild_id=guild.id)
            for other in shifted:
                self.dispatch(
                    "GUILD_ROLE_UPDATE", {"guild_id": gid, "role": other}, guild_id=guild.id
                )
        return data

    def update_role(self, guild: GuildState, rid: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply role changes (GUILD_ROLE_UPDATE).

        ``colors`` (``primary_color``/``secondary_color``/``tertiary_color``) and ``color``
        both set the primary colour; ``icon`` and ``unicode_emoji`` may be cleared with None.
        """
        data = guild.roles.get(rid)
        if data is None:
            raise unknown("role")
        for key in ("name", "hoist", "mentionable", "position"):
            if key in changes and changes[key] is not None:
                data[key] = changes[key]
        for key in ("icon", "unicode_emoji"):
            if key in changes:
                data[key] = changes[key]
        if changes.get("permissions") is not None:
            data["permissions"] = str(int(changes["permissions"]))
        colors = changes.get("colors")
        if isinstance(colors, dict):
            data["colors"].update(colors)
            data["colors"]["primary_color"] = int(data["colors"].get("primary_color") or 0)
            data["color"] = data["colors"]["primary_color"]
        if changes.get("color") is not None:
            data["color"] = data["colors"]["primary_color"] = int(changes["color"])
        self.dispatch(
            "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": data}, guild_id=guild.id
        )
        return data

    def delete_role(self, guild: GuildState, rid: int) -> None:
        if rid == guild.id or guild.roles.pop(rid, None) is None:
            raise unknown("role")
        for uid, fields in guild.members.items():
            if str(rid) in fields["roles"]:
                fields["roles"].remove(str(rid))
                data = self.member_payload(guild, uid)
                data["guild_id"] = str(guild.id)
                self.dispatch("GUILD_MEMBER_UPDATE", data, guild_id=guild.id)
        self.dispatch(
            "GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(rid)}, guild_id=guild.id
        )

    # -- channels -------------------------------------------------------------------------
    def channel_or_404(self, cid: int) -> dict[str, Any]:
        gid = self.channel_guild.get(cid)
        if gid is not None:
            return self.guilds[gid].channels[cid]
        dm = self.dm_channels.get(cid)
        if dm is None:
            raise unknown("channel")
        return dm

    def guild_of_channel(self, cid: int) -> GuildState | None:
        gid = self.channel_guild.get(cid)
        return self.guilds[gid] if gid is not None else None

    def create_channel(
        self,
        guild: GuildState,
        ctype: int,
        name: str,
        *,
        parent_id: int | None = None,
        topic: str | None = None,
        overwrites: list[dict[str, Any]] | None = None,
        position: int | None = None,
        extra: dict[str, Any] | None = None,
        dispatch: bool = True,
    ) -> dict[str, Any]:
        cid = self.ids.next()
        if position is None:
            position = sum(1 for c in guild.channels.values() if c["type"] == ctype)
        data = payloads.channel(
            cid,
            ctype,
            name,
            guild_id=guild.id,
            position=position,
            parent_id=parent_id,
            topic=topic,
            overwrites=overwrites,
            extra=extra,
        )
        guild.channels[cid] = data
        self.channel_guild[cid] = guild.id
        self.messages[cid] = OrderedDict()
        if dispatch:
            event = "THREAD_CREATE" if ctype in THREAD_TYPES else "CHANNEL_CREATE"
            out = dict(data)
            if ctype in THREAD_TYPES:
                out["newly_created"] = True
            self.dispatch(event, out, guild_id=guild.id)
        return data

    def update_channel(self, cid: int, changes: dict[str, Any]) -> dict[str, Any]:
        data = self.channel_or_404(cid)
        guild = self.guild_of_channel(cid)
        allowed = {
            "name",
            "topic",
            "position",
            "nsfw",
            "rate_limit_per_user",
            "bitrate",
            "user_limit",
            "permission_overwrites",
            "parent_id",
            "archived",
            "locked",
            "auto_archive_duration",
            "rtc_region",
            "default_auto_archive_duration",
            "flags",
            "available_tags",
            "applied_tags",
            "video_quality_mode",
        }
        meta_keys = {"archived", "locked", "auto_archive_duration", "invitable"}
        for key, value in changes.items():
            if key in meta_keys and "thread_metadata" in data:
                data["thread_metadata"][key] = value
            elif key in allowed:
                data[key] = value
        if guild is not None:
            event = "THREAD_UPDATE" if data["type"] in THREAD_TYPES else "CHANNEL_UPDATE"
            self.dispatch(event, data, guild_id=guild.id)
        return data

    def delete_channel(self, cid: int) -> dict[str, Any]:
        """Delete a guild channel (CHANNEL_DELETE), or a thread (THREAD_DELETE, sent only to
        the bots that could see it, with its memberships dropped)."""
        data = self.channel_or_404(cid)
        guild = self.guild_of_channel(cid)
        if guild is None:
            return data
        if data["type"] in THREAD_TYPES:
            return delete_thread(self, data)
        del guild.channels[cid]
        del self.channel_guild[cid]
        self.messages.pop(cid, None)
        self.dispatch("CHANNEL_DELETE", data, guild_id=guild.id)
        return data

    def dm_channel(self, a: int, b: int) -> dict[str, Any]:
        """The DM channel between two users (created on first use)."""
        pair = frozenset((a, b))
        cid = self.dm_by_pair.get(pair)
        if cid is not None:
            return self.dm_channels[cid]
        cid = self.ids.next()
        recipients = [payloads.public_user(self.users[u]) for u in pair]
        data = {
            "id": str(cid),
            "type": 1,
            "last_message_id": None,
            "recipients": recipients,
            "flags": 0,
        }
        self.dm_channels[cid] = data
        self.dm_by_pair[pair] = cid
        self.messages[cid] = OrderedDict()
        return data

    def dm_recipients(self, channel: dict[str, Any]) -> frozenset[int]:
        return frozenset(int(r["id"]) for r in channel.get("recipients", []))

    # -- permission helpers -----------------------------------------------------------------
    def require_perm(self, channel: dict[str, Any], user_id: int, perm: int) -> None:
        """Raise 50001/50013 unless the user holds ``perm`` in the channel."""
        guild = self.guild_of_channel(int(channel["id"]))
        if guild is None:
            if user_id not in self.dm_recipients(channel):
                raise missing_access()
            return
        perms = channel_permissions(guild, channel, user_id)
        if not perms & Perm.VIEW_CHANNEL:
            raise missing_access()
        if perms & perm != perm:
            raise missing_permissions()

    def require_guild_perm(self, guild: GuildState, user_id: int, perm: int) -> None:
        from .permissions import base_permissions

        if user_id not in guild.members:
            raise missing_access()
        if base_permissions(guild, user_id) & perm != perm:
            raise missing_permissions()

    # -- attachments ------------------------------------------------------------------------
    def store_attachment(self, filename: str, content_type: str | None, data: bytes) -> int:
        aid = self.ids.next()
        self.attachments[aid] = (filename, content_type, data)
        self.attachment_bytes += len(data)
        while self.attachment_bytes > self.attachment_bytes_cap and len(self.attachments) > 1:
            _, (_, _, old) = self.attachments.popitem(last=False)
            self.attachment_bytes -= len(old)
        return aid

    # -- misc ----------------------------------------------------------------------------
    def snapshot(self, data: dict[str, Any]) -> dict[str, Any]:
        """A deep copy for callers outside the sandbox loop."""
        return copy.deepcopy(data)


def api_error_body(exc: DiscordAPIError) -> dict[str, Any]:
    return exc.body()
