"""Worlds to populate a sandbox: a realistic demo world and a scale generator."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .constants import DEFAULT_EVERYONE, ChannelType, Perm

if TYPE_CHECKING:
    from .state import Application, GuildState, SandboxState

_FIRST = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "niaj",
    "olivia",
    "peggy",
    "rupert",
    "sybil",
    "trent",
    "victor",
    "walter",
    "yara",
    "zoe",
    "amir",
    "bea",
    "cyrus",
    "dina",
    "eli",
    "fatima",
    "gus",
    "hana",
    "igor",
    "jun",
    "kemal",
    "lena",
    "milo",
    "nora",
    "oscar",
    "priya",
    "quinn",
    "rosa",
    "sami",
    "tomas",
    "uma",
    "vera",
    "wen",
    "xena",
    "yusuf",
    "zara",
    "arjun",
    "bianca",
    "chen",
]

BOT_PERMISSIONS = int(
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.ADD_REACTIONS
    | Perm.MANAGE_MESSAGES
    | Perm.MANAGE_ROLES
    | Perm.MANAGE_CHANNELS
    | Perm.KICK_MEMBERS
    | Perm.BAN_MEMBERS
    | Perm.MANAGE_GUILD
    | Perm.MANAGE_WEBHOOKS
    | Perm.MANAGE_GUILD_EXPRESSIONS
    | Perm.MODERATE_MEMBERS
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.CONNECT
    | Perm.SPEAK
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.MANAGE_THREADS
    | Perm.MANAGE_NICKNAMES
    | Perm.CHANGE_NICKNAME
    | Perm.MENTION_EVERYONE
)
MOD_PERMISSIONS = int(
    Perm.KICK_MEMBERS
    | Perm.BAN_MEMBERS
    | Perm.MANAGE_MESSAGES
    | Perm.MODERATE_MEMBERS
    | Perm.MANAGE_NICKNAMES
    | Perm.VIEW_AUDIT_LOG
    | Perm.MANAGE_THREADS
)


def _deny(target: int, perms: int, kind: int = 0) -> dict[str, object]:
    return {"id": str(target), "type": kind, "allow": "0", "deny": str(perms)}


def _allow(target: int, perms: int, kind: int = 0) -> dict[str, object]:
    return {"id": str(target), "type": kind, "allow": str(perms), "deny": "0"}


def build_guild(
    state: SandboxState,
    app: Application,
    name: str,
    owner_id: int,
    member_ids: list[int],
    *,
    rng: random.Random,
    rich: bool = True,
) -> GuildState:
    """A guild laid out like a real community server, with the bot as a member."""
    guild = state.create_guild(name, owner_id)
    admin = state.create_role(
        guild,
        "Admin",
        permissions=int(Perm.ADMINISTRATOR),
        color=0xE74C3C,
        hoist=True,
        position=5,
        dispatch=False,
    )
    bot_role = state.create_role(
        guild, app.name, permissions=BOT_PERMISSIONS, color=0x5865F2, position=4, dispatch=False
    )
    bot_role["managed"] = True
    bot_role["tags"] = {"bot_id": str(app.bot_id)}
    mod = state.create_role(
        guild,
        "Moderator",
        permissions=MOD_PERMISSIONS,
        color=0x3498DB,
        hoist=True,
        mentionable=True,
        position=3,
        dispatch=False,
    )
    helper = state.create_role(guild, "Helper", color=0x2ECC71, position=2, dispatch=False)
    member_role = state.create_role(
        guild, "Member", permissions=0, color=0x95A5A6, position=1, dispatch=False
    )
    gid = guild.id
    info = state.create_channel(
        guild, ChannelType.GUILD_CATEGORY, "Information", position=0, dispatch=False
    )
    community = state.create_channel(
        guild, ChannelType.GUILD_CATEGORY, "Community", position=1, dispatch=False
    )
    voice_cat = state.create_channel(
        guild, ChannelType.GUILD_CATEGORY, "Voice", position=2, dispatch=False
    )
    welcome = state.create_channel(
        guild,
        ChannelType.GUILD_TEXT,
        "welcome",
        parent_id=int(info["id"]),
        topic="Say hi!",
        position=0,
        dispatch=False,
    )
    state.create_channel(
        guild,
        ChannelType.GUILD_TEXT,
        "rules",
        parent_id=int(info["id"]),
        topic="Read before posting",
        position=1,
        dispatch=False,
        overwrites=[_deny(gid, int(Perm.SEND_MESSAGES))],
    )
    state.create_channel(
        guild,
        ChannelType.GUILD_ANNOUNCEMENT,
        "announcements",
        parent_id=int(info["id"]),
        position=2,
        dispatch=False,
        overwrites=[_deny(gid, int(Perm.SEND_MESSAGES))],
    )
    general = state.create_channel(
        guild,
        ChannelType.GUILD_TEXT,
        "general",
        parent_id=int(community["id"]),
        topic="General chat",
        position=3,
        dispatch=False,
    )
    if rich:
        state.create_channel(
            guild,
            ChannelType.GUILD_TEXT,
            "off-topic",
            parent_id=int(community["id"]),
            position=4,
            dispatch=False,
        )
        state.create_channel(
            guild,
            ChannelType.GUILD_TEXT,
            "bot-commands",
            parent_id=int(community["id"]),
            topic="Talk to the bot here",
            position=5,
            dispatch=False,
        )
        state.create_channel(
            guild,
            ChannelType.GUILD_TEXT,
            "mod-only",
            parent_id=int(community["id"]),
            position=6,
            dispatch=False,
            overwrites=[
                _deny(gid, int(Perm.VIEW_CHANNEL)),
                _allow(int(mod["id"]), int(Perm.VIEW_CHANNEL)),
            ],
        )
        state.create_channel(
            guild,
            ChannelType.GUILD_FORUM,
            "help-forum",
            parent_id=int(community["id"]),
            position=7,
            dispatch=False,
        )
        state.create_channel(
            guild,
            ChannelType.GUILD_VOICE,
            "Lounge",
            parent_id=int(voice_cat["id"]),
            position=0,
            dispatch=False,
        )
        gaming = state.create_channel(
            guild,
            ChannelType.GUILD_VOICE,
            "Gaming",
            parent_id=int(voice_cat["id"]),
            position=1,
            dispatch=False,
        )
        state.create_channel(
            guild,
            ChannelType.GUILD_STAGE_VOICE,
            "Town Hall",
            parent_id=int(voice_cat["id"]),
            position=2,
            dispatch=False,
        )
        guild.data["afk_channel_id"] = gaming["id"]  # Discord allows only voice channels
        for emoji_name in ("zoryx", "pepe_thumbs", "party_blob", "ferris"):
            eid = state.ids.next()
            from .payloads import emoji

            guild.emojis[eid] = emoji(eid, emoji_name)
        from .payloads import sticker

        sid = state.ids.next()
        guild.stickers[sid] = sticker(sid, "wave", guild_id=gid, tags="wave")
    guild.data["system_channel_id"] = welcome["id"]
    guild.data["rules_channel_id"] = None
    del general
    state.add_member(guild, app.bot_id, roles=[int(bot_role["id"])], dispatch=False)
    guild.members[owner_id]["roles"] = [admin["id"]]
    for index, uid in enumerate(member_ids):
        if uid == owner_id:
            continue
        roles = [int(member_role["id"])]
        if index % 12 == 1:
            roles.append(int(mod["id"]))
        elif index % 12 == 2:
            roles.append(int(helper["id"]))
        state.add_member(guild, uid, roles=roles, dispatch=False)
        if rng.random() < 0.6:
            guild.presences[uid] = {
                "user": {"id": str(uid)},
                "guild_id": str(gid),
                "status": rng.choice(["online", "online", "idle", "dnd"]),
                "activities": [],
                "client_status": {"desktop": "online"},
            }
    guild.roles[gid]["permissions"] = str(DEFAULT_EVERYONE)
    return guild


def demo_world(state: SandboxState, app: Application) -> None:
    """Three communities (about 50 members in the largest), with a human owner."""
    rng = random.Random(1)
    owner = state.create_user("owner", global_name="Sandbox Owner")
    state.owner_user_id = int(owner["id"])
    users = [int(state.create_user(name)["id"]) for name in _FIRST]
    owner_id = int(owner["id"])
    build_guild(state, app, "Zoryx Lounge", owner_id, [owner_id, *users], rng=rng)
    build_guild(state, app, "Pixel Guild", owner_id, [owner_id, *users[:20]], rng=rng)
    build_guild(state, app, "Study Hall", users[0], [users[0], owner_id, *users[20:34]], rng=rng)


def empty_world(state: SandboxState, app: Application) -> None:
    """Only an owner user and one small guild (fast start for unit tests)."""
    owner = state.create_user("owner", global_name="Sandbox Owner")
    state.owner_user_id = int(owner["id"])
    users = [int(state.create_user(name)["id"]) for name in _FIRST[:5]]
    build_guild(
        state, app, "Test Guild", int(owner["id"]), [int(owner["id"]), *users], rng=random.Random(0)
    )


def scale_world(guilds: int, members: int, channels: int = 3):  # type: ignore[no-untyped-def]
    """A builder for ``guilds`` × ``members`` × ``channels`` (for load tests).

    Guild ``g`` carries a timestamp one millisecond after guild ``g - 1``, so the guilds
    spread evenly over any shard count (``(id >> 22) % shards``). Members are written
    straight into the state, without an event or a snowflake each, so 2,500 guilds of 100
    members build in about a second.
    """

    def build(state: SandboxState, app: Application) -> None:
        from . import payloads
        from .snowflake import snowflake_time_ms

        owner = state.create_user("owner")
        owner_id = int(owner["id"])
        state.owner_user_id = owner_id
        pool = [int(state.create_user(f"user{i}")["id"]) for i in range(max(members, 1))]
        start_ms = snowflake_time_ms(state.ids.next()) + 1
        made = [
            state.create_guild(f"Guild {g}", owner_id, gid=state.ids.next(at_ms=start_ms + g))
            for g in range(guilds)
        ]
        template = payloads.member_fields(start_ms)
        humans = pool[: members - 1]
        for guild in made:
            for c in range(channels):
                state.create_channel(
                    guild, ChannelType.GUILD_TEXT, f"channel-{c}", position=c, dispatch=False
                )
            for uid in (*humans, app.bot_id):
                fields = dict(template)
                fields["roles"] = []
                guild.members[uid] = fields

    return build


def backup_world(state: SandboxState, app: Application) -> None:
    """Build "Backup Lab" (everything a backup captures) and an empty "Restore Target"."""
    from .world_backup import backup_world as build

    build(state, app)


def scale_guild(state: SandboxState, app: Application) -> None:
    """One guild of 500 channels, 250 roles and 10,000 members, and an empty target."""
    from .world_scale import scale_guild_world

    scale_guild_world()(state, app)


WORLDS = {
    "demo": demo_world,
    "empty": empty_world,
    "backup": backup_world,
    "scale_guild": scale_guild,
}
