"""Voice state bookkeeping (no audio: voice servers are not emulated)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import unknown

if TYPE_CHECKING:
    from .state import GuildState, SandboxState


def set_voice_state(
    state: SandboxState,
    guild: GuildState,
    user_id: int,
    channel_id: int | None,
    *,
    self_mute: bool = False,
    self_deaf: bool = False,
) -> dict[str, Any]:
    """Move a member into (or out of, with ``None``) a voice channel and dispatch it.

    Server mute and deafen belong to the member, so they carry over to every join or move.
    """
    fields = guild.members.get(user_id)
    if fields is None:
        raise unknown("member")
    if channel_id is not None:
        channel = guild.channels.get(channel_id)
        if channel is None or channel["type"] not in (2, 13):
            raise unknown("channel")
    member = state.member_payload(guild, user_id)
    data: dict[str, Any] = {
        "guild_id": str(guild.id),
        "channel_id": str(channel_id) if channel_id else None,
        "user_id": str(user_id),
        "member": member,
        "session_id": f"voice-{user_id}",
        "deaf": bool(fields.get("deaf")),
        "mute": bool(fields.get("mute")),
        "self_deaf": self_deaf,
        "self_mute": self_mute,
        "self_stream": False,
        "self_video": False,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }
    if channel_id is None:
        guild.voice_states.pop(user_id, None)
    else:
        guild.voice_states[user_id] = {k: v for k, v in data.items() if k != "member"}
    state.dispatch("VOICE_STATE_UPDATE", data, guild_id=guild.id)
    return data
