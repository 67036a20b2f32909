"""Build interaction ``data`` the way Discord does: slash options, components, modals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import payloads
from .errors import DiscordAPIError, unknown

if TYPE_CHECKING:
    from .state import Application, SandboxState

_SUB_COMMAND, _SUB_GROUP = 1, 2
_STRING, _INTEGER, _BOOLEAN, _USER, _CHANNEL, _ROLE, _MENTIONABLE, _NUMBER, _ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)


def find_command(
    state: SandboxState, app: Application, guild_id: int | None, name: str
) -> dict[str, Any]:
    """A registered chat-input command: guild commands first, then global ones."""
    pools = []
    if guild_id is not None:
        pools.append(app.guild_commands.get(guild_id, {}))
    pools.append(app.commands)
    for pool in pools:
        for cmd in pool.values():
            if cmd["name"] == name and cmd["type"] == 1:
                return cmd
    raise DiscordAPIError(404, 10063, f"Unknown application command: /{name} (did the bot sync?)")


def build_command_data(
    state: SandboxState, app: Application, channel_id: int, path: str, values: dict[str, Any]
) -> dict[str, Any]:
    """``data`` for an APPLICATION_COMMAND interaction, with ``resolved`` objects."""
    guild = state.guild_of_channel(channel_id)
    parts = path.split()
    cmd = find_command(state, app, guild.id if guild else None, parts[0])
    resolved: dict[str, dict[str, Any]] = {}
    schema = cmd.get("options") or []
    nested: list[dict[str, Any]] | None = None
    chain: list[dict[str, Any]] = []
    for part in parts[1:]:
        opt = next(
            (o for o in schema if o["name"] == part and o["type"] in (_SUB_COMMAND, _SUB_GROUP)),
            None,
        )
        if opt is None:
            raise DiscordAPIError(400, 50035, f"/{path}: unknown subcommand {part!r}")
        chain.append(opt)
        schema = opt.get("options") or []
    leaf_options = _convert_options(state, guild, schema, values, resolved, path)
    if chain:
        nested = leaf_options
        for opt in reversed(chain):
            nested = [{"name": opt["name"], "type": opt["type"], "options": nested}]
        options = nested
    else:
        options = leaf_options
    data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": options}
    if guild is not None and cmd.get("guild_id"):
        data["guild_id"] = str(guild.id)
    if resolved:
        data["resolved"] = resolved
    return data


def _convert_options(
    state: SandboxState,
    guild: Any,
    schema: list[dict[str, Any]],
    values: dict[str, Any],
    resolved: dict[str, dict[str, Any]],
    path: str,
) -> list[dict[str, Any]]:
    known = {o["name"]: o for o in schema}
    for key in values:
        if key not in known:
            raise DiscordAPIError(400, 50035, f"/{path} has no option {key!r}")
    out = []
    for opt in schema:
        name = opt["name"]
        if name not in values:
            if opt.get("required"):
                raise DiscordAPIError(400, 50035, f"/{path}: option {name!r} is required")
            continue
        value = values[name]
        otype = opt["type"]
        if otype == _USER or (otype == _MENTIONABLE and not _is_role(guild, value)):
            uid = _user_id(state, value)
            user = payloads.public_user(state.users[uid])
            resolved.setdefault("users", {})[str(uid)] = user
            if guild is not None and uid in guild.members:
                resolved.setdefault("members", {})[str(uid)] = state.member_payload(
                    guild, uid, with_user=False
                ) | {"permissions": "0"}
            value = str(uid)
        elif otype in (_ROLE, _MENTIONABLE):
            rid = _role_id(guild, value)
            resolved.setdefault("roles", {})[str(rid)] = guild.roles[rid]
            value = str(rid)
        elif otype == _CHANNEL:
            cid = _channel_id(guild, value)
            chan = guild.channels[cid]
            resolved.setdefault("channels", {})[str(cid)] = {
                k: chan.get(k) for k in ("id", "name", "type", "parent_id", "guild_id")
            } | {"permissions": "0"}
            value = str(cid)
        elif otype == _INTEGER:
            value = int(value)
        elif otype == _NUMBER:
            value = float(value)
        elif otype == _BOOLEAN:
            value = bool(value)
        elif otype == _STRING:
            value = str(value)
            choices = opt.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                raise DiscordAPIError(400, 50035, f"/{path}: {value!r} is not a choice of {name!r}")
        out.append({"name": name, "type": otype, "value": value})
    return out


def _is_role(guild: Any, value: Any) -> bool:
    if guild is None:
        return False
    try:
        _role_id(guild, value)
        return True
    except DiscordAPIError:
        return False


def _user_id(state: SandboxState, value: Any) -> int:
    if hasattr(value, "id"):
        return int(value.id)
    return int(state.find_user(value)["id"])


def _role_id(guild: Any, value: Any) -> int:
    if guild is None:
        raise unknown("role")
    if isinstance(value, int) or str(value).isdigit():
        if int(value) in guild.roles:
            return int(value)
    for role in guild.roles.values():
        if role["name"].lower() == str(value).lstrip("@").lower():
            return int(role["id"])
    raise unknown("role")


def _channel_id(guild: Any, value: Any) -> int:
    if guild is None:
        raise unknown("channel")
    if isinstance(value, int) or str(value).isdigit():
        if int(value) in guild.channels:
            return int(value)
    for chan in guild.channels.values():
        if chan["name"].lower() == str(value).lstrip("#").lower():
            return int(chan["id"])
    raise unknown("channel")


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
                if actual == 5 or (actual == 7 and not _is_role(guild, v)):
                    uid = _user_id(state, v)
                    resolved.setdefault("users", {})[str(uid)] = payloads.public_user(
                        state.users[uid]
                    )
                    if guild is not None and uid in guild.members:
                        resolved.setdefault("members", {})[str(uid)] = state.member_payload(
                            guild, uid, with_user=False
                        )
                    ids.append(str(uid))
                elif actual in (6, 7):
                    rid = _role_id(guild, v)
                    resolved.setdefault("roles", {})[str(rid)] = guild.roles[rid]  # type: ignore[union-attr]
                    ids.append(str(rid))
                else:
                    cid = _channel_id(guild, v)
                    chan = guild.channels[cid]  # type: ignore[union-attr]
                    resolved.setdefault("channels", {})[str(cid)] = {
                        k: chan.get(k) for k in ("id", "name", "type", "parent_id", "guild_id")
                    } | {"permissions": "0"}
                    ids.append(str(cid))
            data["values"] = ids
            data["resolved"] = resolved
    return data


def build_modal_data(modal: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``data`` for a MODAL_SUBMIT: text inputs (bare or inside labels) filled from ``values``."""
    rows: list[dict[str, Any]] = []
    inputs: list[str] = []
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
                rows.append(
                    {"type": 18, "id": row.get("id", 0), "component": _text_input(comp, values)}
                )
                inputs.append(comp["custom_id"])
            elif comp.get("type") in (3, 5, 6, 7, 8):
                chosen = [str(v) for v in values.get(comp["custom_id"], [])]
                rows.append(
                    {
                        "type": 18,
                        "id": row.get("id", 0),
                        "component": {
                            "type": comp["type"],
                            "custom_id": comp["custom_id"],
                            "values": chosen,
                        },
                    }
                )
                inputs.append(comp["custom_id"])
    unknown_keys = set(values) - set(inputs)
    if unknown_keys:
        raise DiscordAPIError(400, 50035, f"the modal has no inputs {sorted(unknown_keys)}")
    return {"custom_id": modal.get("custom_id"), "components": rows}


def _text_input(comp: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    value = str(values.get(comp["custom_id"], comp.get("value") or ""))
    if comp.get("required", True) and not value:
        raise DiscordAPIError(400, 50035, f"modal input {comp['custom_id']!r} is required")
    if len(value) > int(comp.get("max_length") or 4000):
        raise DiscordAPIError(400, 50035, f"modal input {comp['custom_id']!r} is too long")
    return {"type": 4, "custom_id": comp["custom_id"], "value": value}
