"""Control-API actions for application commands: context menus and autocomplete.

``POST /_sandbox/act/context_menu`` runs a user command (``{"user", "command",
"target_user", "channel"?, "guild"?}``) or a message command (``{"user", "command",
"channel_id", "message_id"}``). ``POST /_sandbox/act/autocomplete`` types into an
autocomplete option (``{"user", "command", "channel", "focused", "value", "options"?}``).
Both answer ``{interaction_id}`` (plus the bot's answer with ``wait``), or 400 with the
reason when Discord's client would refuse the action.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .control_request import Call
from .errors import invalid_form

if TYPE_CHECKING:
    from .control import ControlAPI


async def context_menu(api: ControlAPI, call: Call) -> dict[str, Any]:
    body = call.body
    user = api.driver.user(api._user_id(body))
    name = body.text("command")
    has_user, has_message = body.has("target_user"), body.has("message_id")
    if has_user == has_message:
        raise invalid_form(
            "target_user",
            "BASE_TYPE_REQUIRED",
            'Give "target_user" (a user command) or "message_id" (a message command)',
        )
    if has_message:
        message = api._message(api._body_channel(body, "channel_id"), body.snowflake("message_id"))
        handle = await user.context_menu(name, message)
    else:
        where = api._body_channel(body) if body.has("channel") else None
        handle = await user.context_menu(
            name, body.ref("target_user"), where, in_guild=body.ref("guild", required=False)
        )
    return await api._answer(handle, call)


async def autocomplete(api: ControlAPI, call: Call) -> dict[str, Any]:
    body = call.body
    user = api.driver.user(api._user_id(body))
    cid = api._body_channel(body)
    command = body.text("command").strip().lstrip("/")
    typed = body.data.get("value", "")
    if not isinstance(typed, str | int | float) or isinstance(typed, bool):
        raise invalid_form("value", "BASE_TYPE_STRING", "Must be a string.")
    handle = await user.autocomplete(
        command, body.text("focused"), str(typed), cid, **body.mapping("options")
    )
    return await api._answer(handle, call)
