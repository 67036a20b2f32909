"""Application commands: global and guild, bulk overwrite, CRUD, permissions."""

from __future__ import annotations

from typing import Any

from ..command_schema import check_unique_names, validate_command
from ..errors import DiscordAPIError, invalid_form, missing_access, unknown
from .base import NO_CONTENT, Ctx, RestAPI

MAX_CHAT_INPUT = 100
MAX_CONTEXT = 5


def _check_app(ctx: Ctx) -> None:
    if ctx.app is None or str(ctx.app.id) != ctx.params["application_id"]:
        raise missing_access()


def _store(ctx: Ctx, guild_scoped: bool) -> dict[int, dict[str, Any]]:
    assert ctx.app is not None
    if not guild_scoped:
        return ctx.app.commands
    guild = ctx.state.guild_or_404(ctx.id("guild_id"))
    if ctx.app.bot_id not in guild.members:
        raise missing_access()
    return ctx.app.guild_commands.setdefault(guild.id, {})


def _make(
    ctx: Ctx, body: dict[str, Any], existing: dict[int, dict[str, Any]], guild_id: int | None
) -> dict[str, Any]:
    assert ctx.app is not None
    ctype = int(body.get("type") or 1)
    previous = next(
        (c for c in existing.values() if c["name"] == body["name"] and c["type"] == ctype), None
    )
    cid = int(previous["id"]) if previous else ctx.state.ids.next()
    cmd = {
        "id": str(cid),
        "application_id": str(ctx.app.id),
        "version": str(ctx.state.ids.next()),
        "type": ctype,
        "name": body["name"],
        "name_localizations": body.get("name_localizations"),
        "description": body.get("description", "") if ctype == 1 else "",
        "description_localizations": body.get("description_localizations"),
        "options": body.get("options") or [],
        "default_member_permissions": body.get("default_member_permissions"),
        "dm_permission": body.get("dm_permission", True),
        "nsfw": bool(body.get("nsfw", False)),
        "integration_types": body.get("integration_types") or [0],
        "contexts": body.get("contexts"),
    }
    if guild_id is not None:
        cmd["guild_id"] = str(guild_id)
    return cmd


def _check_limits(commands: list[dict[str, Any]]) -> None:
    counts: dict[int, int] = {}
    for cmd in commands:
        counts[cmd["type"]] = counts.get(cmd["type"], 0) + 1
    if (
        counts.get(1, 0) > MAX_CHAT_INPUT
        or counts.get(2, 0) > MAX_CONTEXT
        or counts.get(3, 0) > MAX_CONTEXT
    ):
        raise DiscordAPIError(400, 30032, "Maximum number of application commands reached")


def setup(api: RestAPI) -> None:
    for scoped, base in (
        (False, "/applications/{application_id}/commands"),
        (True, "/applications/{application_id}/guilds/{guild_id}/commands"),
    ):
        _register(api, scoped, base)

    @api.route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/permissions")
    async def perms(ctx: Ctx) -> list[Any]:
        _check_app(ctx)
        return []


def _register(api: RestAPI, scoped: bool, base: str) -> None:
    async def list_all(ctx: Ctx) -> list[dict[str, Any]]:
        _check_app(ctx)
        return list(_store(ctx, scoped).values())

    async def bulk(ctx: Ctx) -> list[dict[str, Any]]:
        _check_app(ctx)
        store = _store(ctx, scoped)
        body = ctx.body if isinstance(ctx.body, list) else None
        if body is None:
            raise invalid_form("_", "BASE_TYPE_ARRAY", "Must be an array.")
        for i, item in enumerate(body):
            validate_command(item, str(i))
        check_unique_names(body)
        gid = ctx.id("guild_id") if scoped else None
        made = [_make(ctx, item, store, gid) for item in body]
        _check_limits(made)
        store.clear()
        store.update({int(c["id"]): c for c in made})
        return made

    async def create(ctx: Ctx) -> dict[str, Any]:
        _check_app(ctx)
        store = _store(ctx, scoped)
        body = ctx.json()
        validate_command(body)
        cmd = _make(ctx, body, store, ctx.id("guild_id") if scoped else None)
        candidate = {**store, int(cmd["id"]): cmd}
        _check_limits(list(candidate.values()))
        store[int(cmd["id"])] = cmd
        return cmd

    async def get_one(ctx: Ctx) -> dict[str, Any]:
        _check_app(ctx)
        cmd = _store(ctx, scoped).get(ctx.id("command_id"))
        if cmd is None:
            raise unknown("application command")
        return cmd

    async def edit(ctx: Ctx) -> dict[str, Any]:
        cmd = await get_one(ctx)
        body = {**cmd, **ctx.json()}
        validate_command(body)
        for key in (
            "name",
            "description",
            "options",
            "default_member_permissions",
            "dm_permission",
            "nsfw",
            "contexts",
            "integration_types",
        ):
            if key in ctx.json():
                cmd[key] = body[key]
        return cmd

    async def delete(ctx: Ctx) -> Any:
        _check_app(ctx)
        if _store(ctx, scoped).pop(ctx.id("command_id"), None) is None:
            raise unknown("application command")
        return NO_CONTENT

    api.route("GET", base)(list_all)
    api.route("PUT", base)(bulk)
    api.route("POST", base)(create)
    api.route("GET", base + "/{command_id}")(get_one)
    api.route("PATCH", base + "/{command_id}")(edit)
    api.route("DELETE", base + "/{command_id}")(delete)
