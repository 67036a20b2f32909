"""Control-API actions on posted messages: a user edits or deletes one.

``POST /_sandbox/act/edit`` ``{user, channel_id, message_id, content?, embeds?}`` answers the
edited message; ``POST /_sandbox/act/delete`` ``{user, channel_id, message_id}`` answers
``{"deleted": true}``. The rules are the driver's (:class:`~.user_messages.MessageActions`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import invalid_form
from .views import SandboxMessage

if TYPE_CHECKING:
    from .control import ControlAPI
    from .control_request import Call


def _target(api: ControlAPI, call: Call) -> SandboxMessage:
    body = call.body
    cid = api._body_channel(body, "channel_id")
    return SandboxMessage(api.server.state.message_or_404(cid, body.snowflake("message_id")))


async def edit(api: ControlAPI, call: Call) -> dict[str, Any]:
    body = call.body
    user = api.driver.user(api._user_id(body))
    message = _target(api, call)
    content = body.text("content") if "content" in body.data else None
    embeds = body.data.get("embeds")
    if embeds is not None and not isinstance(embeds, list):
        raise invalid_form("embeds", "BASE_TYPE_ARRAY", "Must be an array.")
    if content is None and embeds is None:
        raise invalid_form("content", "BASE_TYPE_REQUIRED", "Give content or embeds to edit.")
    edited = await user.edit(message, content, embeds=embeds)
    return edited.raw


async def delete(api: ControlAPI, call: Call) -> dict[str, Any]:
    user = api.driver.user(api._user_id(call.body))
    await user.delete(_target(api, call))
    return {"deleted": True}


__all__ = ["delete", "edit"]
