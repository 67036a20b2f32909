"""A large guild for benchmarks: many channels, roles with overwrites, many members.

``scale_guild_world(channels=500, roles=250, members=10_000)`` returns a world builder.
"Scale Guild" has ``channels`` channels in all (categories of at most 50 children holding
text and voice channels), ``roles`` roles (the bot's managed role on top, so that it may
manage every other), permission overwrites for one to three roles on every fifth channel,
and ``members`` members (owner and bot included) with zero to three random roles each.
"Scale Target" is an empty guild where the bot holds an administrator role.

Members are written straight into the state, without a gateway event or a fresh snowflake
each, so 10,000 of them take a fraction of a second.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

from . import payloads
from .constants import ChannelType, Perm
from .snowflake import snowflake_time_ms
from .worlds import BOT_PERMISSIONS

if TYPE_CHECKING:
    from .server import WorldBuilder
    from .state import Application, GuildState, SandboxState

SCALE_GUILD = "Scale Guild"
SCALE_TARGET = "Scale Target"
PER_CATEGORY = 50  # Discord's limit of channels in one category
_ROLE_PERMISSIONS = (
    0,
    int(Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES),
    int(Perm.ADD_REACTIONS | Perm.ATTACH_FILES | Perm.EMBED_LINKS),
    int(Perm.MANAGE_MESSAGES | Perm.KICK_MEMBERS),
    int(Perm.CONNECT | Perm.SPEAK),
)
_OVERWRITE_BITS = (
    int(Perm.SEND_MESSAGES),
    int(Perm.ADD_REACTIONS),
    int(Perm.ATTACH_FILES | Perm.EMBED_LINKS),
    int(Perm.VIEW_CHANNEL),
)


def scale_guild_world(
    channels: int = 500,
    roles: int = 250,
    members: int = 10_000,
    *,
    seed: int = 7,
    target_members: bool = False,
) -> WorldBuilder:
    """A builder for "Scale Guild" (see the module docstring) and "Scale Target".

    Args:
        channels: Channels of the guild, categories included (Discord allows 500).
        roles: Roles besides @everyone, the bot's included (Discord allows 250).
        members: Members, the owner and the bot included.
        seed: Seed of the random role sets and overwrites (the world is reproducible).
        target_members: Put the human members in "Scale Target" too (without roles), so
            that a restore there can give their roles back.
    """
    if channels < 2 or roles < 1 or members < 2:
        raise ValueError("scale_guild_world needs channels >= 2, roles >= 1 and members >= 2")

    def build(state: SandboxState, app: Application) -> None:
        rng = random.Random(seed)
        owner = state.create_user("owner", global_name="Sandbox Owner")
        owner_id = int(owner["id"])
        state.owner_user_id = owner_id
        guild = state.create_guild(SCALE_GUILD, owner_id)
        role_ids = _roles(state, guild, app, roles, rng)
        _channels(state, guild, channels, role_ids, rng)
        joined_ms = snowflake_time_ms(guild.id)
        humans: list[int] = []
        for i in range(members - 2):
            uid = int(state.create_user(f"member{i:05d}")["id"])
            picked = rng.sample(role_ids, k=min(len(role_ids), rng.randint(0, 3)))
            guild.members[uid] = payloads.member_fields(joined_ms, picked)
            humans.append(uid)
        _target(state, app, owner_id, humans if target_members else [])

    return build


def _roles(
    state: SandboxState, guild: GuildState, app: Application, count: int, rng: random.Random
) -> list[int]:
    """``count - 1`` plain roles, then the bot's role on top; returns the plain role ids."""
    out: list[int] = []
    for position in range(1, count):
        data = state.create_role(
            guild,
            f"role-{position:03d}",
            permissions=rng.choice(_ROLE_PERMISSIONS),
            color=rng.randrange(0x1000000),
            hoist=position % 10 == 0,
            mentionable=position % 7 == 0,
            position=position,
            dispatch=False,
        )
        out.append(int(data["id"]))
    bot_role = state.create_role(
        guild, app.name, permissions=BOT_PERMISSIONS, color=0x5865F2, position=count, dispatch=False
    )
    bot_role["managed"] = True
    bot_role["tags"] = {"bot_id": str(app.bot_id)}
    joined_ms = snowflake_time_ms(guild.id)
    guild.members[app.bot_id] = payloads.member_fields(joined_ms, [int(bot_role["id"])])
    return out


def _channels(
    state: SandboxState, guild: GuildState, count: int, role_ids: list[int], rng: random.Random
) -> None:
    """Categories first, then their children round-robin (every fourth child is voice)."""
    categories = math.ceil(count / (PER_CATEGORY + 1))
    parents = [
        int(
            state.create_channel(
                guild, ChannelType.GUILD_CATEGORY, f"Category {c:02d}", position=c, dispatch=False
            )["id"]
        )
        for c in range(categories)
    ]
    text_pos = voice_pos = 0
    for index in range(count - categories):
        voice = index % 4 == 3
        overwrites = []
        if index % 5 == 0 and role_ids:
            for rid in rng.sample(role_ids, k=min(len(role_ids), rng.randint(1, 3))):
                bits = rng.choice(_OVERWRITE_BITS)
                allow, deny = (bits, 0) if rng.random() < 0.5 else (0, bits)
                overwrites.append(
                    {"id": str(rid), "type": 0, "allow": str(allow), "deny": str(deny)}
                )
        ctype = ChannelType.GUILD_VOICE if voice else ChannelType.GUILD_TEXT
        state.create_channel(
            guild,
            ctype,
            f"voice-{index:03d}" if voice else f"text-{index:03d}",
            parent_id=parents[index % categories],
            position=voice_pos if voice else text_pos,
            overwrites=overwrites,
            topic=None if voice else f"Channel number {index}",
            dispatch=False,
        )
        if voice:
            voice_pos += 1
        else:
            text_pos += 1


def _target(state: SandboxState, app: Application, owner_id: int, humans: list[int]) -> None:
    target = state.create_guild(SCALE_TARGET, owner_id)
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
    joined_ms = snowflake_time_ms(target.id)
    target.members[app.bot_id] = payloads.member_fields(joined_ms, [int(bot_role["id"])])
    for uid in humans:
        target.members[uid] = payloads.member_fields(joined_ms)
