"""The ``backup`` world: a guild with everything a backup captures, and an empty target.

"Backup Lab" holds roles of every kind (colours, hoist, mentionable, permissions, a role
icon, a unicode emoji, a managed integration role the bot cannot recreate, roles above the
bot), three categories with text, announcement, voice, stage and forum channels and their
settings, permission overwrites for roles and members, custom emojis and stickers whose
image bytes the CDN serves, an icon and a banner, server settings, bans and about twenty
members with roles. The bot's role can manage roles, channels and expressions and holds
every permission the restorable roles and overwrites use, but sits below the top roles.

"Restore Target" has no roles (but the bot's administrator role) and no channels; the
same human members are in it without roles, so that member roles can be restored across
guilds. The human owner (``state.owner_user_id``) owns both guilds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import assets, payloads
from .cdn import make_gif, make_png
from .constants import ChannelType, Perm
from .worlds import _FIRST, BOT_PERMISSIONS, MOD_PERMISSIONS

if TYPE_CHECKING:
    from .state import Application, GuildState, SandboxState

LAB = "Backup Lab"
TARGET = "Restore Target"
FEATURES = ["ANIMATED_ICON", "BANNER", "INVITE_SPLASH", "ROLE_ICONS"]
VOICE_PERMISSIONS = int(Perm.MUTE_MEMBERS | Perm.DEAFEN_MEMBERS | Perm.MOVE_MEMBERS)
LAB_BOT_PERMISSIONS = int(
    BOT_PERMISSIONS
    | MOD_PERMISSIONS
    | VOICE_PERMISSIONS
    | Perm.CREATE_GUILD_EXPRESSIONS
    | Perm.PRIORITY_SPEAKER
    | Perm.STREAM
    | Perm.USE_VAD
    | Perm.REQUEST_TO_SPEAK
)
VIP_PERMISSIONS = int(Perm.PRIORITY_SPEAKER | Perm.STREAM | Perm.USE_EXTERNAL_STICKERS)
_VIEW = int(Perm.VIEW_CHANNEL)
_SEND = int(Perm.SEND_MESSAGES)
_MEMBERS = 20


def _overwrite(target: int | str, kind: int, allow: int = 0, deny: int = 0) -> dict[str, Any]:
    return {"id": str(target), "type": kind, "allow": str(allow), "deny": str(deny)}


def backup_world(state: SandboxState, app: Application) -> None:
    """Build "Backup Lab" and "Restore Target" (see the module docstring)."""
    owner = state.create_user("owner", global_name="Sandbox Owner")
    owner_id = int(owner["id"])
    state.owner_user_id = owner_id
    users = [int(state.create_user(name)["id"]) for name in _FIRST[:_MEMBERS]]
    banned = [int(state.create_user(name)["id"]) for name in ("spammer", "raider")]
    lab = state.create_guild(LAB, owner_id)
    roles = _lab_roles(state, lab, app)
    channels = _lab_channels(state, lab, roles, users)
    _lab_expressions(state, lab, owner)
    _lab_settings(state, lab, channels)
    _lab_members(state, lab, app, roles, owner_id, users)
    reasons = ("Posting scam links", "Raid on the general channel")
    for uid, reason in zip(banned, reasons, strict=True):
        user = payloads.public_user(state.users[uid])
        lab.bans[uid] = {"reason": reason, "user": user}
    _target_guild(state, app, owner_id, users)


def _lab_roles(state: SandboxState, guild: GuildState, app: Application) -> dict[str, int]:
    """Ten roles, bottom to top; returns their ids by name."""
    helper_icon = assets.keep_image(state, make_png(24, (0x2E, 0xCC, 0x71), (0x11, 0x11, 0x11)))
    specs: list[tuple[str, dict[str, Any]]] = [
        ("Member", {"color": 0x95A5A6}),
        ("Muted", {"color": 0x2C2F33}),
        ("Artist", {"color": 0xE91E63, "unicode_emoji": "🎨", "mentionable": True}),
        ("Helper", {"color": 0x2ECC71, "hoist": True, "icon": helper_icon}),
        ("VIP", {"color": 0xF1C40F, "hoist": True, "permissions": VIP_PERMISSIONS}),
        ("Twitch Subscriber", {"color": 0x9146FF}),
        (
            "Moderator",
            {
                "color": 0x3498DB,
                "hoist": True,
                "mentionable": True,
                "permissions": MOD_PERMISSIONS | VOICE_PERMISSIONS,
            },
        ),
        (app.name, {"color": 0x5865F2, "permissions": LAB_BOT_PERMISSIONS}),
        ("Admin", {"color": 0xE74C3C, "hoist": True, "permissions": int(Perm.ADMINISTRATOR)}),
        ("Founders", {"color": 0xFFD700, "hoist": True}),
    ]
    out: dict[str, int] = {}
    for position, (name, fields) in enumerate(specs, 1):
        data = state.create_role(guild, name, position=position, dispatch=False, **fields)
        out[name] = int(data["id"])
    twitch = guild.roles[out["Twitch Subscriber"]]
    twitch["managed"] = True
    twitch["tags"] = {"integration_id": str(state.ids.next())}
    bot_role = guild.roles[out[app.name]]
    bot_role["managed"] = True
    bot_role["tags"] = {"bot_id": str(app.bot_id)}
    return out


def _lab_channels(
    state: SandboxState, guild: GuildState, roles: dict[str, int], users: list[int]
) -> dict[str, int]:
    """Three categories and their channels; returns the channel ids by name."""
    gid = guild.id
    muted = roles["Muted"]
    mod = roles["Moderator"]
    out: dict[str, int] = {}

    def add(ctype: int, name: str, position: int, parent: str | None = None, **kw: Any) -> None:
        parent_id = out[parent] if parent else None
        data = state.create_channel(
            guild, ctype, name, parent_id=parent_id, position=position, dispatch=False, **kw
        )
        out[name] = int(data["id"])

    add(ChannelType.GUILD_CATEGORY, "Information", 0)
    add(
        ChannelType.GUILD_CATEGORY,
        "Community",
        1,
        overwrites=[_overwrite(muted, 0, deny=_SEND | int(Perm.ADD_REACTIONS))],
    )
    add(ChannelType.GUILD_CATEGORY, "Voice", 2)
    add(ChannelType.GUILD_TEXT, "welcome", 0, "Information", topic="Say hello to everyone")
    add(
        ChannelType.GUILD_TEXT,
        "rules",
        1,
        "Information",
        topic="Read before posting",
        overwrites=[_overwrite(gid, 0, deny=_SEND)],
    )
    add(
        ChannelType.GUILD_ANNOUNCEMENT,
        "announcements",
        2,
        "Information",
        topic="News from the staff",
        overwrites=[_overwrite(gid, 0, deny=_SEND), _overwrite(mod, 0, allow=_SEND)],
    )
    add(
        ChannelType.GUILD_TEXT,
        "general",
        3,
        "Community",
        topic="Anything goes",
        extra={"rate_limit_per_user": 5},
        overwrites=[
            _overwrite(muted, 0, deny=_SEND | int(Perm.ADD_REACTIONS)),
            _overwrite(users[1], 1, deny=int(Perm.ATTACH_FILES)),
        ],
    )
    add(
        ChannelType.GUILD_TEXT,
        "after-dark",
        4,
        "Community",
        topic="Adults only",
        extra={"nsfw": True, "rate_limit_per_user": 30},
    )
    add(
        ChannelType.GUILD_TEXT,
        "staff-room",
        5,
        "Community",
        topic="Moderators only",
        overwrites=[
            _overwrite(gid, 0, deny=_VIEW),
            _overwrite(mod, 0, allow=_VIEW | _SEND),
            _overwrite(users[5], 1, allow=_VIEW),
        ],
    )
    add(ChannelType.GUILD_FORUM, "help-forum", 6, "Community", topic="Ask for help here")
    forum = guild.channels[out["help-forum"]]
    forum.update(
        available_tags=[
            _tag(state, "question", "❓"),
            _tag(state, "bug", "🐛"),
            _tag(state, "solved", "✅", moderated=True),
        ],
        default_reaction_emoji={"emoji_id": None, "emoji_name": "👍"},
        default_forum_layout=1,
        default_sort_order=0,
        default_thread_rate_limit_per_user=10,
    )
    add(ChannelType.GUILD_TEXT, "bot-log", 7, overwrites=[_overwrite(gid, 0, deny=_VIEW)])
    add(
        ChannelType.GUILD_VOICE,
        "Lounge",
        0,
        "Voice",
        extra={"bitrate": 96000, "user_limit": 10, "rtc_region": "rotterdam"},
        overwrites=[_overwrite(muted, 0, deny=int(Perm.SPEAK))],
    )
    add(ChannelType.GUILD_VOICE, "AFK", 1, "Voice", extra={"bitrate": 8000, "user_limit": 0})
    add(
        ChannelType.GUILD_STAGE_VOICE,
        "Town Hall",
        2,
        "Voice",
        extra={"bitrate": 64000, "user_limit": 200},
        overwrites=[
            _overwrite(mod, 0, allow=VOICE_PERMISSIONS),
            _overwrite(users[0], 1, allow=int(Perm.MUTE_MEMBERS)),
        ],
    )
    return out


def _tag(state: SandboxState, name: str, emoji: str, *, moderated: bool = False) -> dict[str, Any]:
    return {
        "id": str(state.ids.next()),
        "name": name,
        "moderated": moderated,
        "emoji_id": None,
        "emoji_name": emoji,
    }


def _lab_expressions(state: SandboxState, guild: GuildState, owner: dict[str, Any]) -> None:
    """Three custom emojis (one animated) and two stickers, with distinct image bytes."""
    creator = payloads.public_user(owner)
    emojis = [
        ("lab_ok", make_png(32, (0x2E, 0xCC, 0x71), (0xFF, 0xFF, 0xFF)), False),
        ("lab_star", make_png(32, (0xF1, 0xC4, 0x0F), (0x00, 0x00, 0x00)), False),
        ("lab_dance", make_gif((0xE9, 0x1E, 0x63)), True),
    ]
    for name, data, animated in emojis:
        eid = state.ids.next()
        guild.emojis[eid] = payloads.emoji(eid, name, animated=animated, user_payload=creator)
        assets.keep_emoji(state, eid, data)
    stickers = [
        ("lab_wave", "A friendly wave", "wave", make_png(64, (0x34, 0x98, 0xDB), (0xFF, 0xFF, 0))),
        ("lab_cheer", "Cheering crowd", "tada", make_png(64, (0x9B, 0x59, 0xB6), (0, 0xFF, 0xFF))),
    ]
    for name, description, tags, data in stickers:
        sid = state.ids.next()
        sticker = payloads.sticker(sid, name, guild_id=guild.id, tags=tags, description=description)
        sticker["user"] = creator
        guild.stickers[sid] = sticker
        assets.keep_sticker(state, sid, data)


def _lab_settings(state: SandboxState, guild: GuildState, channels: dict[str, int]) -> None:
    guild.data.update(
        icon=assets.keep_image(state, make_png(64, (0x58, 0x65, 0xF2), (0xFF, 0xD7, 0x00))),
        banner=assets.keep_image(state, make_png(96, (0x1A, 0x1A, 0x2E), (0xE9, 0x45, 0x60))),
        description="Everything a backup has to capture",
        features=list(FEATURES),
        premium_tier=2,
        premium_subscription_count=7,
        verification_level=2,
        default_message_notifications=1,
        explicit_content_filter=1,
        afk_channel_id=str(channels["AFK"]),
        afk_timeout=900,
        system_channel_id=str(channels["welcome"]),
        system_channel_flags=1,
        preferred_locale="en-GB",
        premium_progress_bar_enabled=True,
    )


def _lab_members(
    state: SandboxState,
    guild: GuildState,
    app: Application,
    roles: dict[str, int],
    owner_id: int,
    users: list[int],
) -> None:
    """The owner (Admin, Founders), the bot (its role) and the users with role sets."""
    guild.members[owner_id]["roles"] = [str(roles["Admin"]), str(roles["Founders"])]
    state.add_member(guild, app.bot_id, roles=[roles[app.name]], dispatch=False)
    extra = {
        0: ["Moderator"],
        1: ["Moderator", "VIP"],
        2: ["VIP"],
        3: ["VIP", "Artist"],
        4: ["VIP"],
        5: ["Helper"],
        6: ["Helper"],
        7: ["Artist"],
        8: ["Twitch Subscriber"],
        9: ["Twitch Subscriber", "Artist"],
        10: ["Muted"],
    }
    nicks = {0: "Captain Alice", 5: "Frankie", 7: "Heidi the Artist"}
    for index, uid in enumerate(users):
        names = ["Member", *extra.get(index, [])]
        state.add_member(
            guild, uid, roles=[roles[n] for n in names], nick=nicks.get(index), dispatch=False
        )


def _target_guild(state: SandboxState, app: Application, owner_id: int, users: list[int]) -> None:
    """An empty guild where the bot holds an administrator role (restores land here)."""
    target = state.create_guild(TARGET, owner_id)
    target.data.update(features=list(FEATURES), premium_tier=2, premium_subscription_count=7)
    bot_role = state.create_role(
        target,
        app.name,
        permissions=int(Perm.ADMINISTRATOR),
        color=0x5865F2,
        position=1,
        dispatch=False,
    )
    bot_role["managed"] = True
    bot_role["tags"] = {"bot_id": str(app.bot_id)}
    state.add_member(target, app.bot_id, roles=[int(bot_role["id"])], dispatch=False)
    for uid in users:
        state.add_member(target, uid, dispatch=False)
