"""What Discord's client refuses before an application command reaches the bot.

A real user cannot send a command they may not use, a value outside ``min_value``/
``max_value`` or ``min_length``/``max_length``, a value that is not one of the ``choices``,
a channel of a type the option does not allow, or leave out a required option: the client
refuses and the bot never sees an interaction. The sandbox does the same and raises
:class:`ClientRefusal` (a 400 from the control API) explaining what was refused.

This module also turns accepted values into the ``options`` and ``resolved`` objects of the
interaction, as Discord sends them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from . import payloads, uploads
from .constants import Perm
from .errors import DiscordAPIError, unknown
from .permissions import channel_permissions

if TYPE_CHECKING:
    from .state import GuildState, SandboxState

SUB_COMMAND, SUB_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
MAX_SAFE_INTEGER = 2**53
MAX_STRING_LENGTH = 6000
_TYPE_NAMES = {
    STRING: "text",
    INTEGER: "a whole number",
    BOOLEAN: "true or false",
    USER: "a user",
    CHANNEL: "a channel",
    ROLE: "a role",
    MENTIONABLE: "a user or a role",
    NUMBER: "a number",
    ATTACHMENT: "a file",
}


class ClientRefusal(DiscordAPIError):
    """Discord's client would not send this interaction; the bot receives nothing."""

    def __init__(self, message: str, option: str | None = None) -> None:
        errors = None
        if option is not None:
            errors = {option: {"_errors": [{"code": "CLIENT_REFUSED", "message": message}]}}
        super().__init__(400, 50035, message, errors)
        self.option = option


# -- who may use a command where --------------------------------------------------------------
def check_can_use(
    state: SandboxState, cmd: dict[str, Any], channel_id: int, user_id: int | None
) -> None:
    """Contexts, ``dm_permission`` and access to the channel."""
    guild = state.guild_of_channel(channel_id)
    label = _label(cmd)
    contexts = cmd.get("contexts")
    if guild is None:
        if (
            cmd.get("guild_id")
            or cmd.get("dm_permission") is False
            or (contexts is not None and 1 not in contexts)
        ):
            raise ClientRefusal(f"{label} cannot be used in direct messages")
        return
    if contexts is not None and 0 not in contexts:
        raise ClientRefusal(f"{label} cannot be used in servers")
    if user_id is None:
        return
    channel = state.channel_or_404(channel_id)
    perms = channel_permissions(guild, channel, user_id)
    needed = int(Perm.VIEW_CHANNEL | Perm.USE_APPLICATION_COMMANDS)
    if perms & needed != needed:
        raise ClientRefusal(f"{label}: the user cannot use application commands in this channel")
    # ``default_member_permissions`` is not enforced: Discord lets server admins override it
    # per command (Integrations settings), which the sandbox does not emulate yet.


def _label(cmd: dict[str, Any]) -> str:
    return f"/{cmd['name']}" if int(cmd.get("type") or 1) == 1 else repr(cmd["name"])


# -- looking up users, roles and channels -------------------------------------------------------
def user_id_of(state: SandboxState, value: Any) -> int:
    if hasattr(value, "id") and not isinstance(value, dict):
        value = value.id
    if isinstance(value, bool):
        raise unknown("user")
    return int(state.find_user(value)["id"])


def role_id_of(guild: GuildState | None, value: Any) -> int:
    if guild is None or isinstance(value, bool):
        raise unknown("role")
    if isinstance(value, int) or (str(value).isascii() and str(value).isdigit()):
        if int(value) in guild.roles:
            return int(value)
    for role in guild.roles.values():
        if role["name"].lower() == str(value).lstrip("@").lower():
            return int(role["id"])
    raise unknown("role")


def channel_id_of(guild: GuildState | None, value: Any) -> int:
    if guild is None or isinstance(value, bool):
        raise unknown("channel")
    if isinstance(value, int) or (str(value).isascii() and str(value).isdigit()):
        if int(value) in guild.channels:
            return int(value)
    for chan in guild.channels.values():
        if chan["name"].lower() == str(value).lstrip("#").lower():
            return int(chan["id"])
    raise unknown("channel")


def is_role(guild: GuildState | None, value: Any) -> bool:
    try:
        role_id_of(guild, value)
    except DiscordAPIError:
        return False
    return True


# -- resolved objects ---------------------------------------------------------------------------
def resolve_user(
    state: SandboxState,
    guild: GuildState | None,
    channel_id: int,
    uid: int,
    resolved: dict[str, dict[str, Any]],
) -> None:
    """``resolved.users`` and, for a member, ``resolved.members`` with channel permissions."""
    resolved.setdefault("users", {})[str(uid)] = payloads.public_user(state.users[uid])
    if guild is not None and uid in guild.members:
        perms = channel_permissions(guild, state.channel_or_404(channel_id), uid)
        member = state.member_payload(guild, uid, with_user=False)
        resolved.setdefault("members", {})[str(uid)] = member | {"permissions": str(perms)}


def resolve_channel(
    guild: GuildState, cid: int, user_id: int | None, resolved: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    chan = guild.channels[cid]
    perms = channel_permissions(guild, chan, user_id) if user_id is not None else 0
    out = dict(chan) | {"permissions": str(perms)}
    resolved.setdefault("channels", {})[str(cid)] = out
    return out


# -- option values ------------------------------------------------------------------------------
def convert_options(
    state: SandboxState,
    channel_id: int,
    user_id: int | None,
    schema: list[dict[str, Any]],
    values: dict[str, Any],
    resolved: dict[str, dict[str, Any]],
    path: str,
    *,
    focused: str | None = None,
) -> list[dict[str, Any]]:
    """The ``options`` of a command interaction, refusing what Discord's client refuses.

    With ``focused`` (an autocomplete interaction) that option carries the text typed so
    far, as a string with ``focused: true``, and required options may still be missing.
    """
    guild = state.guild_of_channel(channel_id)
    known = {o["name"]: o for o in schema}
    for key in values:
        if key not in known:
            raise ClientRefusal(f"/{path} has no option {key!r}", key)
    out: list[dict[str, Any]] = []
    for opt in schema:
        name, otype = opt["name"], int(opt["type"])
        if name == focused:
            if not opt.get("autocomplete"):
                raise ClientRefusal(f"/{path}: option {name!r} has no autocomplete", name)
            typed = values.get(name, "")
            out.append({"name": name, "type": otype, "value": str(typed), "focused": True})
            continue
        if name not in values or values[name] is None:
            if opt.get("required") and focused is None:
                raise ClientRefusal(f"/{path}: option {name!r} is required", name)
            continue
        where = f"/{path}: option {name!r}"
        value = _convert(state, guild, channel_id, user_id, opt, values[name], resolved, where)
        out.append({"name": name, "type": otype, "value": value})
    return out


def _convert(
    state: SandboxState,
    guild: GuildState | None,
    channel_id: int,
    user_id: int | None,
    opt: dict[str, Any],
    raw: Any,
    resolved: dict[str, dict[str, Any]],
    where: str,
) -> Any:
    otype, name = int(opt["type"]), opt["name"]
    if otype == STRING:
        value: Any = _string(opt, raw, where)
    elif otype in (INTEGER, NUMBER):
        value = _number(opt, raw, where)
    elif otype == BOOLEAN:
        value = _boolean(raw, where, name)
    elif otype == USER or (otype == MENTIONABLE and not is_role(guild, raw)):
        uid = _lookup(lambda: user_id_of(state, raw), where, name, otype, raw)
        resolve_user(state, guild, channel_id, uid, resolved)
        value = str(uid)
    elif otype in (ROLE, MENTIONABLE):
        rid = _lookup(lambda: role_id_of(guild, raw), where, name, otype, raw)
        resolved.setdefault("roles", {})[str(rid)] = guild.roles[rid]  # type: ignore[union-attr]
        value = str(rid)
    elif otype == CHANNEL:
        value = _channel(guild, user_id, opt, raw, resolved, where)
    elif otype == ATTACHMENT:
        upload = uploads.as_upload(raw, name)
        attachment = uploads.store(state, channel_id, upload, ephemeral=True)
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        value = attachment["id"]
    else:
        raise ClientRefusal(f"{where} has an unknown type {otype}", name)
    return value


def _lookup(fn: Any, where: str, name: str, otype: int, raw: Any) -> int:
    try:
        return int(fn())
    except DiscordAPIError:
        raise ClientRefusal(
            f"{where} must be {_TYPE_NAMES[otype]} that exists here, not {raw!r}", name
        ) from None


def _choice(opt: dict[str, Any], value: Any, where: str) -> Any:
    """A choice's value given as the value or as the name the user picks in the client."""
    choices = opt.get("choices")
    if not choices:
        return value
    for choice in choices:
        if choice["value"] == value and not isinstance(value, bool):
            return choice["value"]
    for choice in choices:
        if isinstance(value, str) and choice["name"] == value:
            return choice["value"]
    offered = ", ".join(f"{c['name']} ({c['value']!r})" for c in choices)
    raise ClientRefusal(f"{where}: {value!r} is not one of the choices: {offered}", opt["name"])


def _string(opt: dict[str, Any], raw: Any, where: str) -> str:
    if not isinstance(raw, str):
        raise ClientRefusal(f"{where} takes text, not {raw!r}", opt["name"])
    if opt.get("choices"):
        return str(_choice(opt, raw, where))
    if not raw.strip():
        raise ClientRefusal(f"{where} cannot be empty", opt["name"])
    low = int(opt.get("min_length") or 0)
    given = opt.get("max_length")
    high = MAX_STRING_LENGTH if given is None else int(given)
    if not low <= len(raw) <= high:
        raise ClientRefusal(
            f"{where} must be {low} to {high} characters long, not {len(raw)}", opt["name"]
        )
    return raw


def _number(opt: dict[str, Any], raw: Any, where: str) -> int | float:
    integer = int(opt["type"]) == INTEGER
    kind = "a whole number" if integer else "a number"
    value: int | float
    if isinstance(raw, bool):
        raise ClientRefusal(f"{where} must be {kind}, not {raw!r}", opt["name"])
    if opt.get("choices") and isinstance(raw, str) and not _numeric(raw):
        raw = _choice(opt, raw, where)
    try:
        if isinstance(raw, str):
            value = int(raw.strip()) if integer else float(raw.strip())
        elif integer and isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        elif integer and isinstance(raw, int):
            value = raw
        elif not integer and isinstance(raw, int | float):
            value = float(raw)
        else:
            raise ValueError(raw)
    except (TypeError, ValueError):
        raise ClientRefusal(f"{where} must be {kind}, not {raw!r}", opt["name"]) from None
    if not math.isfinite(value) or not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise ClientRefusal(
            f"{where} must be between {-MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}, not {raw!r}",
            opt["name"],
        )
    if opt.get("choices"):
        return _choice(opt, value, where)  # type: ignore[no-any-return]
    low, high = opt.get("min_value"), opt.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{'-∞' if low is None else low}..{'∞' if high is None else high}"
        raise ClientRefusal(f"{where} must be in {bounds}, not {value!r}", opt["name"])
    return value


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _boolean(raw: Any, where: str, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ClientRefusal(f"{where} must be true or false, not {raw!r}", name)


def _channel(
    guild: GuildState | None,
    user_id: int | None,
    opt: dict[str, Any],
    raw: Any,
    resolved: dict[str, dict[str, Any]],
    where: str,
) -> str:
    name = opt["name"]
    cid = _lookup(lambda: channel_id_of(guild, raw), where, name, CHANNEL, raw)
    assert guild is not None
    chan = guild.channels[cid]
    allowed = opt.get("channel_types")
    if allowed and int(chan["type"]) not in allowed:
        raise ClientRefusal(
            f"{where} takes channels of types {sorted(allowed)}; #{chan['name']} is of type "
            f"{chan['type']}",
            name,
        )
    if user_id is not None:
        perms = channel_permissions(guild, chan, user_id)
        if not perms & Perm.VIEW_CHANNEL:
            raise ClientRefusal(f"{where}: the user cannot see #{chan['name']}", name)
    resolve_channel(guild, cid, user_id, resolved)
    return str(cid)
