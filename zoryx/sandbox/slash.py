"""Build interaction ``data`` the way Discord does: slash options, context menus,
autocomplete, components and modals.

What Discord's client refuses (bad option values, commands a user may not use) is checked in
:mod:`.app_validation` and raised as :class:`~.app_validation.ClientRefusal`.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import payloads, uploads
from .app_validation import (
    ClientRefusal,
    channel_id_of,
    check_can_use,
    convert_options,
    is_role,
    resolve_user,
    role_id_of,
    user_id_of,
)
from .constants import MESSAGE_FLAG_EPHEMERAL, Perm
from .errors import DiscordAPIError
from .permissions import channel_permissions

if TYPE_CHECKING:
    from .state import Application, SandboxState

_SUB_COMMAND, _SUB_GROUP = 1, 2
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
_FILE_UPLOAD = 19


def find_command(
    state: SandboxState, app: Application, guild_id: int | None, name: str, ctype: int = 1
) -> dict[str, Any]:
    """A registered command of type ``ctype``: guild commands first, then global ones."""
    pools = []
    if guild_id is not None:
        pools.append(app.guild_commands.get(guild_id, {}))
    pools.append(app.commands)
    for pool in pools:
        for cmd in pool.values():
            if cmd["name"] == name and cmd["type"] == ctype:
                return cmd
    label = f"/{name}" if ctype == CHAT_INPUT else repr(name)
    kind = {CHAT_INPUT: "application command", USER_COMMAND: "user command"}.get(
        ctype, "message command"
    )
    raise DiscordAPIError(404, 10063, f"Unknown {kind}: {label} (did the bot sync?)")


def build_command_data(
    state: SandboxState,
    app: Application,
    channel_id: int,
    path: str,
    values: dict[str, Any],
    *,
    user_id: int | None = None,
    focused: str | None = None,
) -> dict[str, Any]:
    """``data`` for an APPLICATION_COMMAND (or, with ``focused``, AUTOCOMPLETE) interaction.

    ``user_id`` is the invoking user: with it, what they may not use is refused as
    Discord's client refuses it (permissions, contexts, channels they cannot see).
    """
    guild = state.guild_of_channel(channel_id)
    parts = path.split()
    if not parts:
        raise ClientRefusal("No command given")
    cmd = find_command(state, app, guild.id if guild else None, parts[0])
    check_can_use(state, cmd, channel_id, user_id)
    resolved: dict[str, dict[str, Any]] = {}
    schema = cmd.get("options") or []
    chain: list[dict[str, Any]] = []
    for part in parts[1:]:
        opt = next(
            (o for o in schema if o["name"] == part and o["type"] in (_SUB_COMMAND, _SUB_GROUP)),
            None,
        )
        if opt is None:
            raise ClientRefusal(f"/{path}: unknown subcommand {part!r}")
        chain.append(opt)
        schema = opt.get("options") or []
    if any(o["type"] in (_SUB_COMMAND, _SUB_GROUP) for o in schema):
        names = ", ".join(o["name"] for o in schema)
        raise ClientRefusal(f"/{path} is not runnable on its own; pick one of: {names}")
    options = convert_options(
        state, channel_id, user_id, schema, values, resolved, path, focused=focused
    )
    if focused is not None and not any(o.get("focused") for o in options):
        raise ClientRefusal(f"/{path} has no option {focused!r}", focused)
    for opt in reversed(chain):
        options = [{"name": opt["name"], "type": opt["type"], "options": options}]
    data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": options}
    if guild is not None and cmd.get("guild_id"):
        data["guild_id"] = str(guild.id)
    if resolved:
        data["resolved"] = resolved
    return data


def build_context_menu_data(
    state: SandboxState,
    app: Application,
    channel_id: int,
    name: str,
    user_id: int,
    *,
    target_user: int | None = None,
    target_message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``data`` for a user (``target_user``) or message (``target_message``) command.

    Discord sends ``target_id`` and the target in ``resolved``: the user (and member, with
    permissions, in a guild) or the whole message, content included whatever the bot's
    intents (the message-content exception for message commands).
    """
    guild = state.guild_of_channel(channel_id)
    ctype = MESSAGE_COMMAND if target_message is not None else USER_COMMAND
    cmd = find_command(state, app, guild.id if guild else None, name, ctype)
    check_can_use(state, cmd, channel_id, user_id)
    resolved: dict[str, dict[str, Any]] = {}
    if target_message is not None:
        if int(target_message["channel_id"]) != channel_id:
            raise ClientRefusal(f"{name!r}: the message is not in this channel")
        if int(target_message.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL:
            raise ClientRefusal(f"{name!r}: message commands cannot target ephemeral messages")
        if guild is not None:
            perms = channel_permissions(guild, state.channel_or_404(channel_id), user_id)
            if not perms & Perm.READ_MESSAGE_HISTORY:
                raise ClientRefusal(f"{name!r}: the user cannot read this channel's messages")
        target_id = str(target_message["id"])
        resolved["messages"] = {target_id: copy.deepcopy(target_message)}
    else:
        assert target_user is not None
        state.user_or_404(target_user)
        target_id = str(target_user)
        resolve_user(state, guild, channel_id, target_user, resolved)
    data: dict[str, Any] = {
        "id": cmd["id"],
        "name": cmd["name"],
        "type": ctype,
        "target_id": target_id,
        "resolved": resolved,
    }
    if guild is not None and cmd.get("guild_id"):
        data["guild_id"] = str(guild.id)
    return data


def _find_component(items: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for item in items:
        if item.get("custom_id") == custom_id:
            return item
        for key in ("components",):
            found = _find_component(item.get(key) or [], custom_id)
            if found is not None:
                return found
        for key in ("component", "accessory"):
            if isinstance(item.get(key), dict):
                found = _find_component([item[key]], custom_id)
                if found is not None:
                    return found
    return None


def build_component_data(
    state: SandboxState,
    message: dict[str, Any],
    custom_id: str,
    ctype: int | None,
    values: list[str] | None,
) -> dict[str, Any]:
    """``data`` for a MESSAGE_COMPONENT interaction; the component must exist and be enabled."""
    comp = _find_component(message.get("components") or [], custom_id)
    if comp is None:
        raise DiscordAPIError(400, 50035, f"message {message['id']} has no component {custom_id!r}")
    if comp.get("disabled"):
        raise DiscordAPIError(400, 50035, f"component {custom_id!r} is disabled")
    actual = int(comp["type"])
    if ctype is not None and actual != ctype:
        raise DiscordAPIError(400, 50035, f"component {custom_id!r} is not a button")
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": actual}
    if actual in (3, 5, 6, 7, 8):
        chosen = list(values or [])
        lo, hi = int(comp.get("min_values", 1)), int(comp.get("max_values", 1))
        if not lo <= len(chosen) <= hi:
            raise DiscordAPIError(400, 50035, f"select {custom_id!r} takes {lo}..{hi} values")
        if actual == 3:
            allowed = {o["value"] for o in comp.get("options") or []}
            bad = [v for v in chosen if v not in allowed]
            if bad:
                raise DiscordAPIError(400, 50035, f"{bad} are not options of {custom_id!r}")
            data["values"] = chosen
        else:
            guild = state.guild_of_channel(int(message["channel_id"]))
            resolved: dict[str, dict[str, Any]] = {}
            ids = []
            for v in chosen:
                if actual == 5 or (actual == 7 and not is_role(guild, v)):
                    uid = user_id_of(state, v)
                    resolved.setdefault("users", {})[str(uid)] = payloads.public_user(
                        state.users[uid]
                    )
                    if guild is not None and uid in guild.members:
                        resolved.setdefault("members", {})[str(uid)] = state.member_payload(
                            guild, uid, with_user=False
                        )
                    ids.append(str(uid))
                elif actual in (6, 7):
                    rid = role_id_of(guild, v)
                    resolved.setdefault("roles", {})[str(rid)] = guild.roles[rid]  # type: ignore[union-attr]
                    ids.append(str(rid))
                else:
                    cid = channel_id_of(guild, v)
                    chan = guild.channels[cid]  # type: ignore[union-attr]
                    resolved.setdefault("channels", {})[str(cid)] = {
                        k: chan.get(k) for k in ("id", "name", "type", "parent_id", "guild_id")
                    } | {"permissions": "0"}
                    ids.append(str(cid))
            data["values"] = ids
            data["resolved"] = resolved
    return data


def build_modal_data(
    modal: dict[str, Any],
    values: dict[str, Any],
    *,
    state: SandboxState | None = None,
    channel_id: int | None = None,
) -> dict[str, Any]:
    """``data`` for a MODAL_SUBMIT: inputs (bare or inside labels) filled from ``values``.

    Text inputs take text, selects a list of values, and file uploads (component 19, in a
    label) a list of files (see :func:`.uploads.as_upload`): those are stored as ephemeral
    attachments in ``state`` and sent in ``resolved.attachments``, their ids as ``values``.
    """
    rows: list[dict[str, Any]] = []
    inputs: list[str] = []
    resolved: dict[str, dict[str, Any]] = {}
    for row in modal.get("components") or []:
        if row.get("type") == 1:
            filled = []
            for comp in row.get("components") or []:
                if comp.get("type") == 4:
                    filled.append(_text_input(comp, values))
                    inputs.append(comp["custom_id"])
            rows.append({"type": 1, "components": filled})
        elif row.get("type") == 18 and isinstance(row.get("component"), dict):
            comp = row["component"]
            if comp.get("type") == 4:
                sent = _text_input(comp, values)
            elif comp.get("type") in (3, 5, 6, 7, 8):
                chosen = [str(v) for v in values.get(comp["custom_id"], [])]
                sent = {"type": comp["type"], "custom_id": comp["custom_id"], "values": chosen}
            elif comp.get("type") == _FILE_UPLOAD:
                if state is None or channel_id is None:
                    raise ClientRefusal("file uploads need the sandbox state and a channel")
                sent = _file_upload(state, channel_id, comp, values, resolved)
            else:
                continue
            if comp.get("id") is not None:
                sent["id"] = comp["id"]
            rows.append({"type": 18, "id": row.get("id", 0), "component": sent})
            inputs.append(comp["custom_id"])
    unknown_keys = set(values) - set(inputs)
    if unknown_keys:
        raise ClientRefusal(f"the modal has no inputs {sorted(unknown_keys)}")
    data: dict[str, Any] = {"custom_id": modal.get("custom_id"), "components": rows}
    if resolved:
        data["resolved"] = resolved
    return data


def _file_upload(
    state: SandboxState,
    channel_id: int,
    comp: dict[str, Any],
    values: dict[str, Any],
    resolved: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    custom_id = comp["custom_id"]
    files = uploads.as_uploads(values.get(custom_id), custom_id)
    low = comp.get("min_values")
    high = comp.get("max_values")
    low = 1 if low is None else int(low)
    high = 1 if high is None else int(high)
    required = comp.get("required", True) is not False
    if files or required:
        if not max(low, 1 if required else 0) <= len(files) <= high:
            raise ClientRefusal(
                f"file upload {custom_id!r} takes {max(low, 1 if required else 0)} to {high} "
                f"files, not {len(files)}",
                custom_id,
            )
    ids = []
    for upload in files:
        attachment = uploads.store(state, channel_id, upload, ephemeral=True)
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        ids.append(attachment["id"])
    return {"type": _FILE_UPLOAD, "custom_id": custom_id, "values": ids}


def _text_input(comp: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    custom_id = comp["custom_id"]
    value = str(values.get(custom_id, comp.get("value") or ""))
    if comp.get("required", True) and not value:
        raise ClientRefusal(f"modal input {custom_id!r} is required", custom_id)
    low, high = int(comp.get("min_length") or 0), int(comp.get("max_length") or 4000)
    if value and not low <= len(value) <= high:
        raise ClientRefusal(
            f"modal input {custom_id!r} must be {low} to {high} characters long", custom_id
        )
    return {"type": 4, "custom_id": comp["custom_id"], "value": value}
