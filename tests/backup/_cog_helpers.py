"""Helpers for the Discord-face tests of backups: a runtime with the real backup cog on the
``backup`` sandbox world, and ways to act as members and read the bot's answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from zoryx.runtime import Runtime
from zoryx.sandbox.views import SandboxMessage
from zoryx.sandbox.world_backup import LAB

CHANNEL = "#welcome"  # no slowmode there (#general has one)
ADMIN = "bob"  # made an Administrator of the lab (not a bot owner)
MEMBER = "carol"  # a plain member


def write_bot_dir(root: Path) -> Path:
    """A bot directory whose config answers every error and has no per-user command
    cooldown between a test's commands."""
    root.mkdir(parents=True, exist_ok=True)
    cooldowns = {"error_reply_window": 0, "default_rate": 10_000, "default_per": 1}
    config = {"auto_reload": False, "cooldowns": cooldowns}
    (root / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return root


@asynccontextmanager
async def backup_runtime(root: Path) -> AsyncIterator[Runtime]:
    """A runtime with backup & restore on, on the ``backup`` world; bob is an Administrator."""
    rt = Runtime(
        write_bot_dir(root),
        console_logging=False,
        environ={"ENABLE_BACKUP_RESTORE": "true", "BACKUP_COOLDOWN": "300"},
        sandbox_world="backup",
    )
    await rt.start()
    try:
        assert "backups" in rt.bot.services.extra, "the backup cog did not load"
        await rt.sandbox.set_roles(ADMIN, ["Member", "Admin"], guild=LAB)
        await rt.sandbox.wait_until(
            lambda: _is_admin(rt, ADMIN), timeout=10, what="bob is an administrator"
        )
        yield rt
    finally:
        await rt.shutdown()


def _is_admin(rt: Runtime, name: str) -> bool:
    guild = next(g for g in rt.bot.guilds if g.name == LAB)
    member = guild.get_member(int(rt.sandbox.state.find_user(name)["id"]))
    return member is not None and member.guild_permissions.administrator


async def run(
    rt: Runtime, user: str, text: str, channel: str = CHANNEL, *, timeout: float = 30.0
) -> SandboxMessage:
    """Post ``text`` as ``user`` in the lab and return the bot's next message there."""
    await rt.sandbox.user(user).say(channel, text, guild=LAB)
    return await rt.sandbox.expect_message(channel, guild=LAB, timeout=timeout)


async def slash(rt: Runtime, user: str, command: str, **options: Any) -> Any:
    """Run a slash command as ``user`` in the lab; the final answer (InteractionResult)."""
    handle = await rt.sandbox.user(user).slash(command, CHANNEL, in_guild=LAB, **options)
    return await handle.response(timeout=30.0)


def title(msg: SandboxMessage | None) -> str:
    return str(msg.embeds[0].get("title") or "") if msg is not None and msg.embeds else ""


def field(msg: SandboxMessage, name: str) -> str:
    for item in msg.embeds[0].get("fields", []):
        if item["name"] == name:
            return str(item["value"])
    names = [f["name"] for f in msg.embeds[0].get("fields", [])]
    raise AssertionError(f"no field {name!r} in {names}")


def components(msg: SandboxMessage) -> dict[str, dict[str, Any]]:
    """The message's components by custom_id."""
    out: dict[str, dict[str, Any]] = {}
    for row in msg.components:
        for item in row.get("components", []):
            if item.get("custom_id"):
                out[item["custom_id"]] = item
    return out


def stored(rt: Runtime, msg: SandboxMessage) -> SandboxMessage:
    """The message as the sandbox holds it now (after edits)."""
    return SandboxMessage.of(rt.sandbox.state.messages[msg.channel_id][msg.id])


async def until(
    rt: Runtime, msg: SandboxMessage, check: Callable[[SandboxMessage], bool], what: str
) -> SandboxMessage:
    """Wait until the stored message satisfies ``check``; return it."""
    await rt.sandbox.wait_until(lambda: check(stored(rt, msg)), timeout=30, what=what)
    return stored(rt, msg)


async def click(
    rt: Runtime, user: str, msg: SandboxMessage, custom_id: str, *, values: list[str] | None = None
) -> Any:
    """Press a button (or choose ``values`` in a select) as ``user``; the interaction result."""
    actor = rt.sandbox.user(user)
    current = stored(rt, msg)
    if values is None:
        handle = await actor.click(current, custom_id)
    else:
        handle = await actor.select(current, custom_id, values)
    return await handle.response(timeout=30.0, final=False)


async def clicked(
    rt: Runtime,
    user: str,
    msg: SandboxMessage,
    custom_id: str,
    check: Callable[[SandboxMessage], bool],
    *,
    values: list[str] | None = None,
    what: str = "the message to change",
) -> SandboxMessage:
    """Click as ``user`` and wait until the message satisfies ``check``."""
    await click(rt, user, msg, custom_id, values=values)
    return await until(rt, msg, check, what)


def has_title(text: str) -> Callable[[SandboxMessage], bool]:
    return lambda m: text in title(m)


async def new_backup(rt: Runtime, user: str = "owner", label: str = "") -> str:
    """Create a backup of the lab through the command; its ID."""
    text = f'!backupcreate "{label}"' if label else "!backupcreate"
    msg = await run(rt, user, text)
    assert title(msg) == "✅ Backup created", msg.text()
    return str(msg.embeds[0]["description"]).split("`")[1]
