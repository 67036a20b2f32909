"""A world for start-up at scale: thousands of large guilds, built in a second or two.

``many_guilds_world(2_500, members=260)`` returns a builder of 2,500 guilds ("Guild 0000"…)
with a ``#general`` text channel each and ``members`` members, the bot and the owner
included. Above 250 members (Discord's ``large_threshold``) a guild is *large*: its
GUILD_CREATE carries only the bot's member, so a bot with the members intent has to
request ("chunk") every guild's member list, as it does on Discord.

The human members are the same users in every guild, each with one member record shared
by all the guilds, so 2,500 × 260 members cost tens of megabytes, not hundreds. An edit
of a human member (roles, nick) therefore shows in every guild: this world is for
start-up tests and benchmarks, not for moderation tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import payloads
from .constants import ChannelType

if TYPE_CHECKING:
    from .server import WorldBuilder
    from .state import Application, SandboxState

GUILD_NAME = "Guild {index:04d}"


def many_guilds_world(guilds: int = 2_500, members: int = 260) -> WorldBuilder:
    """A builder of ``guilds`` guilds with ``members`` members each (see the module)."""
    if guilds < 1 or members < 2:
        raise ValueError("many_guilds_world needs guilds >= 1 and members >= 2")

    def build(state: SandboxState, app: Application) -> None:
        owner = state.create_user("owner", global_name="Sandbox Owner")
        owner_id = int(owner["id"])
        state.owner_user_id = owner_id
        humans = [int(state.create_user(f"member{i:04d}")["id"]) for i in range(members - 2)]
        records = {uid: payloads.member_fields(0) for uid in humans}
        for index in range(guilds):
            guild = state.create_guild(GUILD_NAME.format(index=index), owner_id)
            state.create_channel(guild, ChannelType.GUILD_TEXT, "general", dispatch=False)
            guild.members.update(records)
            state.add_member(guild, app.bot_id, dispatch=False)

    return build
