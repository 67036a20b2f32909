"""What a bot asks of the gateway once identified: member chunks (op 8), its presence
(op 3) and its voice state (op 4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .gateway_payloads import parse_request_members, parse_voice_state
from .snowflake import shard_for

if TYPE_CHECKING:
    from .gateway import Gateway
    from .gateway_conn import Session
    from .state import SandboxState


def request_members(gateway: Gateway, session: Session, d: Any) -> None:
    """Answer op 8 with GUILD_MEMBERS_CHUNKs (of ``chunk_size`` members each)."""
    state = gateway.state
    request = parse_request_members(d)
    gid = request.guild_id
    guild = state.guilds.get(gid)
    if guild is None or session.app.bot_id not in guild.members:
        return
    query, limit = request.query, request.limit
    if request.user_ids is not None:
        wanted = request.user_ids
        uids = [u for u in wanted if u in guild.members]
        not_found = [str(u) for u in wanted if u not in guild.members]
    else:
        uids = list(guild.members)
        not_found = []
        if query:
            q = str(query).lower()
            uids = [u for u in uids if state.users[u]["username"].lower().startswith(q)]
        if limit:
            uids = uids[:limit]
    size = gateway.options.chunk_size
    chunks = [uids[i : i + size] for i in range(0, len(uids), size)] or [[]]
    for index, part in enumerate(chunks):
        data: dict[str, Any] = {
            "guild_id": str(gid),
            "members": [state.member_payload(guild, u) for u in part],
            "chunk_index": index,
            "chunk_count": len(chunks),
        }
        if not_found and index == 0:
            data["not_found"] = not_found
        if request.presences:
            data["presences"] = [guild.presences[u] for u in part if u in guild.presences]
        if request.nonce is not None:
            data["nonce"] = request.nonce
        gateway.send_to(session, "GUILD_MEMBERS_CHUNK", data)


def bot_presence(state: SandboxState, session: Session, d: dict[str, Any]) -> None:
    """Record the bot's presence (op 3) in the guilds of its shard."""
    bot_id = session.app.bot_id
    user = {"id": str(bot_id)}
    for guild in state.guilds.values():
        if bot_id in guild.members and shard_for(guild.id, session.shard_count) == session.shard_id:
            presence = {
                "user": user,
                "guild_id": str(guild.id),
                "status": d.get("status", "online"),
                "activities": d.get("activities") or [],
                "client_status": {"web": d.get("status", "online")},
            }
            guild.presences[bot_id] = presence


def bot_voice(state: SandboxState, session: Session, d: Any) -> None:
    """Move the bot in voice (op 4): its voice state is recorded and dispatched."""
    request = parse_voice_state(d)
    guild = state.guilds.get(request.guild_id)
    if guild is None:
        return
    from .voice import set_voice_state

    set_voice_state(
        state,
        guild,
        session.app.bot_id,
        request.channel_id or None,
        self_mute=request.self_mute,
        self_deaf=request.self_deaf,
    )


__all__ = ["bot_presence", "bot_voice", "request_members"]
