"""Driver actions that change a guild as its owner would in Discord's client.

Mixed into :class:`~.driver.Sandbox`: tests damage a guild (delete roles, channels, emojis,
stickers; unban; edit roles and settings) and the bot's cache follows through the gateway
events Discord sends. Each action reuses the state/ops function the REST route uses, so the
rules (managed roles cannot be deleted, a category's children lose their parent…) and the
events are the same. The owner holds every permission, so no permission is checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from . import assets, channel_ops
from . import guild_ops as ops
from .errors import unknown

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from .lookup import ChannelRef, GuildRef
    from .ratelimit import RateLimiter
    from .state import GuildState, SandboxState

T = TypeVar("T")

_ROLE_FIELDS = frozenset(
    {"name", "permissions", "color", "hoist", "mentionable", "icon", "unicode_emoji", "position"}
)
_GUILD_IMAGES = ("icon", "banner", "splash", "discovery_splash")
_GUILD_CHANNELS = (
    "afk_channel",
    "system_channel",
    "rules_channel",
    "public_updates_channel",
    "safety_alerts_channel",
)
_GUILD_VALUES = frozenset(
    {
        "name",
        "description",
        "verification_level",
        "default_message_notifications",
        "explicit_content_filter",
        "afk_timeout",
        "system_channel_flags",
        "preferred_locale",
        "premium_progress_bar_enabled",
        "features",
    }
)


def _named(items: dict[int, dict[str, Any]], ref: int | str, what: str) -> int:
    """The id of an emoji/sticker given by id or exact name (404 when unknown)."""
    if isinstance(ref, int) or (str(ref).isascii() and str(ref).isdigit()):
        if int(ref) in items:
            return int(ref)
        raise unknown(what)
    name = str(ref).strip(":")
    for item_id, item in items.items():
        if item["name"] == name:
            return item_id
    raise unknown(what)


class GuildActions:
    """Owner-side guild changes for a :class:`~.driver.Sandbox` (run on its loop)."""

    if TYPE_CHECKING:  # provided by Sandbox and SandboxServer
        state: SandboxState
        limiter: RateLimiter

        def guild(self, ref: GuildRef = None) -> GuildState: ...
        def role_id(self, name: str, guild: int | str | None = None) -> int: ...
        def channel_id(self, ref: ChannelRef, guild: GuildRef = None) -> int: ...
        async def call(self, fn: Callable[[], Awaitable[T]]) -> T: ...

    def _role_ref(self, role: int | str, guild: GuildRef) -> int:
        if isinstance(role, int):
            return role
        return self.role_id(role, guild)

    async def delete_role(self, role: int | str, guild: GuildRef = None) -> None:
        """Delete a role (GUILD_MEMBER_UPDATE for its members, then GUILD_ROLE_DELETE).

        @everyone and managed roles answer 400 50028, as they do on Discord.
        """
        g = self.guild(guild)
        rid = self._role_ref(role, guild)

        async def run() -> None:
            data = ops.role_or_404(g, rid)
            if rid == g.id or data.get("managed"):
                raise ops.invalid_role()
            self.state.delete_role(g, rid)

        await self.call(run)

    async def edit_role(self, role: int | str, guild: GuildRef = None, **fields: Any) -> None:
        """Change a role: ``name``, ``permissions`` (int or ``discord.Permissions``),
        ``color``, ``hoist``, ``mentionable``, ``icon`` (image bytes or None),
        ``unicode_emoji`` and ``position`` (the other roles are renumbered)."""
        unknown_fields = set(fields) - _ROLE_FIELDS
        if unknown_fields:
            raise TypeError(f"edit_role() got unknown fields: {sorted(unknown_fields)}")
        g = self.guild(guild)
        rid = self._role_ref(role, guild)
        changes = dict(fields)
        position = changes.pop("position", None)
        if changes.get("permissions") is not None:
            changes["permissions"] = int(
                getattr(changes["permissions"], "value", changes["permissions"])
            )

        async def run() -> None:
            ops.role_or_404(g, rid)
            if isinstance(changes.get("icon"), bytes | bytearray):
                changes["icon"] = assets.keep_image(self.state, bytes(changes["icon"]))
            if changes:
                ops.edit_role(self.state, g, rid, changes)
            if position is not None:
                ops.reorder_roles(self.state, g, {rid: int(position)})

        await self.call(run)

    async def delete_channel(self, channel: ChannelRef, guild: GuildRef = None) -> None:
        """Delete a channel (a category's children lose their parent: CHANNEL_UPDATE each)."""
        cid = self.channel_id(channel, guild)

        async def run() -> None:
            channel_ops.delete_guild_channel(self.state, self.state.channel_or_404(cid))

        await self.call(run)

    async def delete_emoji(self, emoji: int | str, guild: GuildRef = None) -> None:
        """Delete a custom emoji by name or id (GUILD_EMOJIS_UPDATE); its image goes too."""
        g = self.guild(guild)

        async def run() -> None:
            assets.delete_emoji(self.state, g, _named(g.emojis, emoji, "emoji"))

        await self.call(run)

    async def delete_sticker(self, sticker: int | str, guild: GuildRef = None) -> None:
        """Delete a guild sticker by name or id (GUILD_STICKERS_UPDATE); its file goes too."""
        g = self.guild(guild)

        async def run() -> None:
            assets.delete_sticker(self.state, g, _named(g.stickers, sticker, "sticker"))

        await self.call(run)

    async def ban(
        self, user: int | str, guild: GuildRef = None, *, reason: str | None = None
    ) -> None:
        """Ban a user (GUILD_BAN_ADD, then GUILD_MEMBER_REMOVE when they were a member)."""
        g = self.guild(guild)
        uid = int(self.state.find_user(user)["id"])

        async def run() -> None:
            ops.ban_user(self.state, g, uid, reason=reason)

        await self.call(run)

    async def unban(self, user: int | str, guild: GuildRef = None) -> None:
        """Lift a ban (GUILD_BAN_REMOVE); 404 10026 when the user is not banned."""
        g = self.guild(guild)
        uid = int(self.state.find_user(user)["id"])

        async def run() -> None:
            ops.unban_user(self.state, g, uid)

        await self.call(run)

    async def edit_guild(self, guild: GuildRef = None, **fields: Any) -> None:
        """Change guild settings (one GUILD_UPDATE).

        Images (``icon``, ``banner``, ``splash``, ``discovery_splash``) are bytes or None;
        channels (``afk_channel``, ``system_channel``, ``rules_channel``…) are a channel
        reference or None; other fields take Discord's values (``verification_level``,
        ``default_message_notifications``, ``explicit_content_filter``, ``afk_timeout``,
        ``preferred_locale``, ``premium_progress_bar_enabled``, ``name``…).
        """
        allowed = _GUILD_VALUES | set(_GUILD_IMAGES) | set(_GUILD_CHANNELS)
        unknown_fields = set(fields) - allowed
        if unknown_fields:
            raise TypeError(f"edit_guild() got unknown fields: {sorted(unknown_fields)}")
        g = self.guild(guild)
        changes = {k: v for k, v in fields.items() if k in _GUILD_VALUES}
        for key in _GUILD_CHANNELS:
            if key in fields:
                ref = fields[key]
                changes[f"{key}_id"] = None if ref is None else str(self.channel_id(ref, g.id))

        async def run() -> None:
            for key in _GUILD_IMAGES:
                if key in fields:
                    changes[key] = _image_hash(self, g, fields[key])
            self.state.update_guild(g, changes)

        await self.call(run)

    async def set_rate_limits(self, *, strict: bool, global_limit: int | None = None) -> None:
        """Switch strict rate limits (real 429s) on or off in the running sandbox."""

        async def run() -> None:
            self.limiter.strict = strict
            if global_limit is not None:
                self.limiter.global_limit = global_limit

        await self.call(run)


def _image_hash(sb: GuildActions, guild: GuildState, value: bytes | None) -> str | None:
    if value is None:
        return None
    kind = ops.image_kind(bytes(value))
    if kind is None:
        raise ValueError(f"not an image for guild {guild.id}")
    return assets.keep_image(sb.state, bytes(value), animated=kind == "gif")
