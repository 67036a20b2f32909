"""The operator API: every privileged action, with a role check and an audit record.

The console, owner-only Discord commands and (later) the web export all call this API,
so the rules live in one place.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..storage.audit import AuditLog
from .paths import PathRefused, is_secret, relative_to_root, resolve_inside

if TYPE_CHECKING:
    from ..bot import ZoryxBot
    from ..extensions import ExtensionInfo

log = logging.getLogger("zoryx.operator")
T = TypeVar("T")
MAX_EDIT_BYTES = 2 << 20


class Role(enum.IntEnum):
    VISITOR = 0
    HELPER = 1
    OWNER = 2


@dataclass(frozen=True)
class Actor:
    """Who is acting: a name for the audit trail, a role, and the face used."""

    name: str
    role: Role
    source: str  # "console", "discord", "web"


class OperatorError(Exception):
    """An action failed for a reason the operator should read."""


class PermissionDenied(OperatorError):
    """The actor's role does not allow the action."""


@dataclass(frozen=True)
class FileEntry:
    path: str
    name: str
    is_dir: bool
    size: int


# action name -> minimum role
ACTIONS: dict[str, Role] = {
    "list_files": Role.VISITOR,
    "read_file": Role.VISITOR,
    "reload_extension": Role.HELPER,
    "load_extension": Role.HELPER,
    "unload_extension": Role.HELPER,
    "send_message": Role.HELPER,
    "clear_caches": Role.HELPER,
    "sync_commands": Role.HELPER,
    "write_file": Role.OWNER,
    "create_file": Role.OWNER,
    "rename_file": Role.OWNER,
    "delete_file": Role.OWNER,
    "leave_guild": Role.OWNER,
    "shutdown": Role.OWNER,
    "backup_databases": Role.OWNER,
    "cleanup_orphans": Role.OWNER,
    "set_hook_enabled": Role.HELPER,
    "reset_hook_circuit": Role.HELPER,
}


class OperatorAPI:
    """Privileged actions on a running bot.

    Args:
        bot: The running bot (its services give the store, databases and extensions).
        root: The bot directory (file actions are confined to it).
        shutdown: Callback that starts a graceful shutdown.
    """

    def __init__(
        self, bot: ZoryxBot, root: Path, shutdown: Callable[[str], Awaitable[None]] | None = None
    ) -> None:
        self.bot = bot
        self.root = root.resolve()
        self.audit = AuditLog(bot.services.db)
        self._shutdown = shutdown

    def role_for_user(self, user_id: int) -> Role:
        return Role.OWNER if user_id in self.bot.services.owner_ids else Role.VISITOR

    async def _act(
        self,
        actor: Actor,
        action: str,
        target: str,
        work: Callable[[], Awaitable[T]],
        audit: bool = True,
    ) -> T:
        needed = ACTIONS[action]
        if actor.role < needed:
            await self._record(actor, action, target, False, f"denied: needs {needed.name.lower()}")
            raise PermissionDenied(f"{action} needs the {needed.name.lower()} role")
        try:
            result = await work()
        except PathRefused as exc:
            await self._record(actor, action, target, False, str(exc))
            raise OperatorError(str(exc)) from exc
        except OperatorError as exc:
            await self._record(actor, action, target, False, str(exc))
            raise
        except Exception as exc:
            await self._record(actor, action, target, False, f"{type(exc).__name__}: {exc}")
            raise OperatorError(f"{action} failed: {type(exc).__name__}: {exc}") from exc
        if audit:
            await self._record(actor, action, target, True, "")
        return result

    async def _record(self, actor: Actor, action: str, target: str, ok: bool, detail: str) -> None:
        try:
            await self.audit.record(
                actor=actor.name,
                role=actor.role.name.lower(),
                source=actor.source,
                action=action,
                target=target,
                ok=ok,
                detail=detail,
            )
        except Exception:  # the audit must never hide the action's own result
            log.exception("could not write the audit record for %s", action)

    # -- extensions --------------------------------------------------------------------
    async def reload_extension(self, actor: Actor, name: str) -> ExtensionInfo:
        async def work() -> ExtensionInfo:
            info = await self.bot.extension_manager.reload(name)
            if info.error:
                raise OperatorError(info.error)
            return info

        return await self._act(actor, "reload_extension", name, work)

    async def load_extension(self, actor: Actor, name: str) -> ExtensionInfo:
        async def work() -> ExtensionInfo:
            info = await self.bot.extension_manager.load(name)
            if info.state != "loaded":
                raise OperatorError(info.error or f"{name} did not load")
            return info

        return await self._act(actor, "load_extension", name, work)

    async def unload_extension(self, actor: Actor, name: str) -> ExtensionInfo:
        async def work() -> ExtensionInfo:
            from discord.ext import commands

            try:
                return await self.bot.extension_manager.unload(name)
            except commands.ExtensionNotLoaded:
                raise OperatorError(f"{name} is not loaded") from None

        return await self._act(actor, "unload_extension", name, work)

    async def sync_commands(self, actor: Actor) -> int:
        async def work() -> int:
            return await self.bot.sync_commands(force=True)

        return await self._act(actor, "sync_commands", "tree", work)

    # -- files ---------------------------------------------------------------------------
    async def list_files(self, actor: Actor, relative: str = "") -> list[FileEntry]:
        async def work() -> list[FileEntry]:
            folder = resolve_inside(self.root, relative)
            return await asyncio.to_thread(self._list, folder)

        return await self._act(actor, "list_files", relative or ".", work, audit=False)

    def _list(self, folder: Path) -> list[FileEntry]:
        if not folder.is_dir():
            raise OperatorError(f"not a folder: {relative_to_root(self.root, folder)}")
        out = []
        for entry in sorted(folder.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower())):
            if is_secret(entry.name) or entry.name in ("__pycache__", ".venv"):
                continue
            real = Path(os.path.realpath(entry))
            if real != self.root and self.root not in real.parents:
                continue  # symlink leading out of the bot directory
            out.append(
                FileEntry(
                    relative_to_root(self.root, entry),
                    entry.name,
                    entry.is_dir(),
                    entry.stat().st_size if entry.is_file() else 0,
                )
            )
        return out

    async def read_file(self, actor: Actor, relative: str) -> str:
        async def work() -> str:
            path = resolve_inside(self.root, relative)
            if not path.is_file():
                raise OperatorError(f"no such file: {relative}")
            if path.stat().st_size > MAX_EDIT_BYTES:
                raise OperatorError(f"{relative} is larger than {MAX_EDIT_BYTES >> 20} MiB")
            try:
                return await self.bot.services.store.read_text(path)
            except UnicodeDecodeError:
                raise OperatorError(f"{relative} is not a text file") from None

        return await self._act(actor, "read_file", relative, work, audit=False)

    async def write_file(self, actor: Actor, relative: str, text: str) -> Path:
        async def work() -> Path:
            path = resolve_inside(self.root, relative)
            if path.is_dir():
                raise OperatorError(f"{relative} is a folder")
            await self.bot.services.store.write_text(path, text)
            return path

        return await self._act(actor, "write_file", relative, work)

    async def create_file(self, actor: Actor, relative: str, text: str = "") -> Path:
        async def work() -> Path:
            path = resolve_inside(self.root, relative)
            if path.exists():
                raise OperatorError(f"{relative} already exists")
            await self.bot.services.store.write_text(path, text)
            return path

        return await self._act(actor, "create_file", relative, work)

    async def rename_file(self, actor: Actor, relative: str, new_relative: str) -> Path:
        async def work() -> Path:
            source = resolve_inside(self.root, relative)
            target = resolve_inside(self.root, new_relative)
            if not source.exists():
                raise OperatorError(f"no such file: {relative}")
            if target.exists():
                raise OperatorError(f"{new_relative} already exists")
            await asyncio.to_thread(_rename, source, target)
            self.bot.services.store.invalidate(source)
            return target

        return await self._act(actor, "rename_file", f"{relative} -> {new_relative}", work)

    async def delete_file(self, actor: Actor, relative: str) -> None:
        async def work() -> None:
            path = resolve_inside(self.root, relative)
            if path == self.root:
                raise OperatorError("refusing to delete the bot directory")
            if not path.exists():
                raise OperatorError(f"no such file: {relative}")
            await asyncio.to_thread(_delete, path)
            self.bot.services.store.invalidate(path)

        await self._act(actor, "delete_file", relative, work)

    # -- Discord -------------------------------------------------------------------------
    async def send_message(self, actor: Actor, channel_id: int, content: str) -> int:
        async def work() -> int:
            channel = self.bot.get_channel(channel_id)
            if channel is None or not hasattr(channel, "send"):
                raise OperatorError(f"unknown text channel {channel_id}")
            message = await channel.send(content)  # type: ignore[union-attr]
            return int(message.id)

        return await self._act(actor, "send_message", str(channel_id), work)

    async def leave_guild(self, actor: Actor, guild_id: int) -> str:
        async def work() -> str:
            guild = self.bot.get_guild(guild_id)
            if guild is None:
                raise OperatorError(f"the bot is not in guild {guild_id}")
            await guild.leave()
            return guild.name

        return await self._act(actor, "leave_guild", str(guild_id), work)

    async def clear_caches(self, actor: Actor) -> dict[str, Any]:
        async def work() -> dict[str, Any]:
            services = self.bot.services
            before = services.store.metrics().cache_size
            services.store.clear_cache()
            return {"atomic_cache_entries_cleared": before,
                    "guild_cache_entries_cleared": services.db.clear_caches()}

        return await self._act(actor, "clear_caches", "caches", work)

    async def backup_databases(self, actor: Actor) -> list[Path]:
        async def work() -> list[Path]:
            return await self.bot.services.db.backup()

        return await self._act(actor, "backup_databases", "databases", work)

    def _hooks(self) -> Any:
        hooks = self.bot.services.extra.get("hooks")
        if hooks is None:
            raise OperatorError("the event hooks feature is disabled")
        return hooks

    async def set_hook_enabled(self, actor: Actor, hook_id: str, enabled: bool) -> None:
        async def work() -> None:
            hooks = self._hooks()
            try:
                hooks.set_enabled(hook_id, enabled)
            except KeyError:
                raise OperatorError(f"unknown hook {hook_id}") from None
            await hooks.save()  # kept across restarts, whichever face asked
        await self._act(actor, "set_hook_enabled", f"{hook_id}={enabled}", work)

    async def reset_hook_circuit(self, actor: Actor, hook_id: str) -> None:
        async def work() -> None:
            try:
                self._hooks().reset_circuit(hook_id)
            except KeyError:
                raise OperatorError(f"unknown hook {hook_id}") from None
        await self._act(actor, "reset_hook_circuit", hook_id, work)

    async def cleanup_orphans(self, actor: Actor) -> list[int]:
        """Delete the stored data of guilds the bot is no longer in."""
        async def work() -> list[int]:
            active = {guild.id for guild in self.bot.guilds}
            return await self.bot.services.db.cleanup_orphans(active)
        return await self._act(actor, "cleanup_orphans", "guild data", work)

    async def shutdown(self, actor: Actor, reason: str = "operator request") -> None:
        async def work() -> None:
            if self._shutdown is None:
                raise OperatorError("this runtime cannot be shut down from here")
            await self._shutdown(reason)

        await self._act(actor, "shutdown", "bot", work)


def _rename(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)


def _delete(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
