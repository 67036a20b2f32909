"""The operator API: every privileged action, with a role check and an audit record.

The console, owner-only Discord commands and (later) the web export all call this API,
so the rules live in one place.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..redaction import redactor_of
from ..refusals import Refusal, RefusalLog
from ..storage.audit import AuditLog
from .backups import BackupActions
from .paths import CheckedPath, PathRefused, check_path, is_secret, open_for_reading

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
    #: Set for a Discord server administrator who is not a bot owner: the actor may then
    #: run only the actions in :data:`GUILD_ACTIONS`, and only on this guild.
    guild: int | None = None


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
    "run_in_sandbox": Role.OWNER,  # acts as a sandbox user
    "sandbox_say": Role.OWNER,  # acts as any sandbox user
    "sandbox_slash": Role.OWNER,  # acts as any sandbox user
    "sandbox_simulator": Role.OWNER,  # makes sandbox users act
    "backup_create": Role.HELPER,
    "backup_restore": Role.OWNER,
    "backup_delete": Role.OWNER,
    "backup_pin": Role.HELPER,
    "backup_note": Role.HELPER,
    "backup_schedule": Role.OWNER,
    "backup_export": Role.OWNER,  # bot owners only, never guild-scoped
}

#: Actions a guild-scoped actor (``Actor.guild`` set) may run on its own guild.
GUILD_ACTIONS: set[str] = {
    "backup_create",
    "backup_restore",
    "backup_delete",
    "backup_pin",
    "backup_note",
    "backup_schedule",
}


class OperatorAPI(BackupActions):
    """Privileged actions on a running bot.

    Args:
        bot: The running bot (its services give the store, databases and extensions).
        root: The bot directory (file actions are confined to it).
        shutdown: Callback that starts a graceful shutdown.
    """

    def __init__(
        self,
        bot: ZoryxBot,
        root: Path,
        shutdown: Callable[[str], Awaitable[None]] | None = None,
        events: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.bot = bot
        self.root = root.resolve()
        self.audit = AuditLog(bot.services.db, redactor_of(bot).redact)
        self._shutdown = shutdown
        # Refused attempts (here and in Discord's command checks): audited, and logged at
        # most once per user and action per minute.
        self.refusals = RefusalLog(self._record_refusal)
        # Publishes each audit record as an "audit" event (consoles see each other's acts).
        self._events = events

    def role_for_user(self, user_id: int) -> Role:
        return Role.OWNER if user_id in self.bot.services.owner_ids else Role.VISITOR

    async def _act(
        self,
        actor: Actor,
        action: str,
        target: str | _Target,
        work: Callable[[], Awaitable[T]],
        audit: bool = True,
        guild: int | None = None,
    ) -> T:
        needed = ACTIONS[action]
        scoped_out = actor.guild is not None and (
            action not in GUILD_ACTIONS or guild != actor.guild
        )
        if actor.role < needed or scoped_out:
            role = actor.role.name.lower()
            reason = (
                "is not allowed for this server's administrators"
                if scoped_out and actor.role >= needed
                else f"needs the {needed.name.lower()} role"
            )
            await self.refusals.refused(
                Refusal(actor.name, role, actor.source, action, str(target), reason)
            )
            raise PermissionDenied(f"{action} {reason}")
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

    async def _record(
        self, actor: Actor, action: str, target: str | _Target, ok: bool, detail: str
    ) -> None:
        detail = self.audit.redact(detail)  # error texts go to main.db and to the consoles
        try:
            await self.audit.record(
                actor=actor.name,
                role=actor.role.name.lower(),
                source=actor.source,
                action=action,
                target=str(target),
                ok=ok,
                detail=detail,
            )
        except Exception:  # the audit must never hide the action's own result
            log.exception("could not write the audit record for %s", action)
        if self._events is not None:
            self._events(
                "audit",
                {
                    "time": time.time(),
                    "actor": actor.name,
                    "role": actor.role.name.lower(),
                    "source": actor.source,
                    "action": action,
                    "target": str(target),
                    "ok": ok,
                    "detail": detail[:2000],
                },
            )

    async def _record_refusal(self, refusal: Refusal, detail: str) -> None:
        """The audit record of a refusal (see :class:`~zoryx.refusals.RefusalLog`)."""
        actor = Actor(refusal.who, Role[refusal.role.upper()], refusal.source)
        await self._record(actor, refusal.action, refusal.where, False, detail)

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
    # Every path goes through paths.check_path (the one path check). Delete and rename act
    # on a link itself; list, read and write follow it only to a non-secret place inside
    # the bot directory. The audit record names what was touched (link and target).
    async def list_files(self, actor: Actor, relative: str = "") -> list[FileEntry]:
        async def work() -> list[FileEntry]:
            checked = await _check(self.root, relative, follow=True)
            return await asyncio.to_thread(self._list, checked)

        return await self._act(actor, "list_files", relative or ".", work, audit=False)

    def _list(self, checked: CheckedPath) -> list[FileEntry]:
        folder = checked.target
        if not folder.is_dir():
            raise OperatorError(f"not a folder: {checked.relative}")
        prefix = "" if checked.relative == "." else checked.relative.strip("/") + "/"
        out = []
        for entry in sorted(folder.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower())):
            if is_secret(entry.name) or entry.name in ("__pycache__", ".venv"):
                continue
            if entry.is_symlink():
                try:  # hide links leading out of the bot directory or to a secret
                    check_path(self.root, prefix + entry.name, follow=True)
                except PathRefused:
                    continue
            try:
                is_dir = entry.is_dir()
                size = entry.stat().st_size if entry.is_file() else 0
            except OSError:  # a dangling link
                is_dir, size = False, 0
            out.append(FileEntry(prefix + entry.name, entry.name, is_dir, size))
        return out

    async def read_file(self, actor: Actor, relative: str) -> str:
        where = _Target(relative)

        async def work() -> str:
            checked = await _check(self.root, relative, follow=True)
            where.text = checked.describe(self.root)
            raw = await asyncio.to_thread(_read_checked, self.root, checked)
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise OperatorError(f"{relative} is not a text file") from None

        return await self._act(actor, "read_file", where, work, audit=False)

    async def write_file(self, actor: Actor, relative: str, text: str) -> Path:
        where = _Target(relative)

        async def work() -> Path:
            checked = await _check(self.root, relative, follow=True)
            where.text = checked.describe(self.root)
            if await asyncio.to_thread(checked.target.is_dir):
                raise OperatorError(f"{relative} is a folder")
            await self.bot.services.store.write_text(checked.target, text)
            return checked.target

        return await self._act(actor, "write_file", where, work)

    async def create_file(self, actor: Actor, relative: str, text: str = "") -> Path:
        async def work() -> Path:
            checked = await _check(self.root, relative, follow=True)
            if checked.is_link or await asyncio.to_thread(checked.path.exists):
                raise OperatorError(f"{relative} already exists")
            await self.bot.services.store.write_text(checked.path, text)
            return checked.path

        return await self._act(actor, "create_file", relative, work)

    async def rename_file(self, actor: Actor, relative: str, new_relative: str) -> Path:
        where = _Target(f"{relative} -> {new_relative}")

        async def work() -> Path:
            source = await _check(self.root, relative, follow=False)
            target = await _check(self.root, new_relative, follow=False)
            if source.is_link:
                where.text = f"{source.describe(self.root)} -> {new_relative}: moved the link"
            if source.path == self.root:
                raise OperatorError("refusing to rename the bot directory")
            await asyncio.to_thread(_rename, source, target)
            self.bot.services.store.invalidate(source.path)
            return target.path

        return await self._act(actor, "rename_file", where, work)

    async def delete_file(self, actor: Actor, relative: str) -> None:
        where = _Target(relative)

        async def work() -> None:
            checked = await _check(self.root, relative, follow=False)
            if checked.path == self.root:
                raise OperatorError("refusing to delete the bot directory")
            if checked.is_link:
                where.text = f"{checked.describe(self.root)}: removed the link only"
            await asyncio.to_thread(_delete, checked)
            self.bot.services.store.invalidate(checked.path)

        await self._act(actor, "delete_file", where, work)

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
            return {
                "atomic_cache_entries_cleared": before,
                "guild_cache_entries_cleared": services.db.clear_caches(),
            }

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
            # The record is written now: once the shutdown runs, the databases are closed.
            await self._record(actor, "shutdown", "bot", True, f"reason: {reason}")
            await self._shutdown(reason)

        await self._act(actor, "shutdown", "bot", work, audit=False)

    async def run_in_sandbox(
        self,
        actor: Actor,
        channel_id: int,
        command: str,
        args: str = "",
        slash: bool = False,
        user: str = "owner",
        timeout: float = 8.0,
    ) -> dict[str, Any]:
        """Run ``command`` in the embedded sandbox as its user ``user``, in ``channel_id``.

        A prefix command is said with the guild's prefix; a slash command gets ``args`` as
        ``name=value`` options. Returns ``{"answered": bool, "text": the bot's answer}``.
        """
        where = _Target(f"{user} in {channel_id}: {command}")

        async def work() -> dict[str, Any]:
            sandbox = self.bot.services.sandbox
            channel = self.bot.get_channel(channel_id)
            if sandbox is None:
                raise OperatorError("running commands needs the embedded sandbox Discord")
            guild = getattr(channel, "guild", None)
            if guild is None:
                raise OperatorError(f"unknown guild text channel {channel_id}")
            member = sandbox.user(user)
            try:
                if slash:
                    options = dict(part.split("=", 1) for part in args.split() if "=" in part)
                    where.text = f"{user} in {channel_id}: /{command} {args}".rstrip()
                    handle = await member.slash(command, channel_id, **options)
                    result = await handle.response(timeout=timeout)
                    return {"answered": True, "text": result.text() or "(empty answer)"}
                prefix, _ = await self.bot.prefixes.for_guild(guild.id)
                content = f"{prefix}{command} {args}".rstrip()
                where.text = f"{user} in {channel_id}: {content}"
                sandbox.skip_existing(channel_id)
                await member.say(channel_id, content)
                message = await sandbox.expect_message(channel_id, timeout=timeout)
            except TimeoutError:
                return {"answered": False, "text": ""}
            return {"answered": True, "text": message.text() or "(empty message)"}

        return await self._act(actor, "run_in_sandbox", where, work)

    # -- the sandbox Discord's users (zoryx.operator.sandbox_users) ----------------------
    def _sandbox(self) -> Any:
        sandbox = self.bot.services.sandbox
        if sandbox is None:
            raise OperatorError("this needs the embedded sandbox Discord")
        return sandbox

    async def sandbox_say(
        self, actor: Actor, user: int | str, channel_id: int, text: str
    ) -> dict[str, Any]:
        """Post ``text`` as the sandbox user ``user``; the bot's answers are read with the
        ``sandbox_messages`` view (``after`` the returned ``id``)."""
        from . import sandbox_users

        where = _Target(f"as {user} in {channel_id}")

        async def work() -> dict[str, Any]:
            sent = await sandbox_users.say(self._sandbox(), user, channel_id, text)
            where.text = f"as {sent['user']} in {sent['channel']}"
            return sent

        return await self._act(actor, "sandbox_say", where, work)

    async def sandbox_slash(
        self,
        actor: Actor,
        user: int | str,
        channel_id: int,
        command: str,
        options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run the slash ``command`` as the sandbox user ``user``; the answer is read with
        the ``sandbox_interaction`` view (the returned ``interaction_id``)."""
        from . import sandbox_users

        where = _Target(f"/{command} as {user} in {channel_id}")

        async def work() -> dict[str, Any]:
            started = await sandbox_users.slash(
                self._sandbox(), user, channel_id, command, options or {}
            )
            where.text = f"/{command} as {started['user']} in {started['channel']}"
            return started

        return await self._act(actor, "sandbox_slash", where, work)

    async def sandbox_simulator(
        self, actor: Actor, running: bool | None = None, rate_per_minute: float | None = None
    ) -> dict[str, Any] | None:
        """Start/stop the sandbox's activity simulator and/or set its pace; its figures."""
        from . import sandbox_users

        state = {True: "start", False: "stop", None: "pace"}[running]
        target = f"simulator {state}" + (f" at {rate_per_minute:g}/min" if rate_per_minute else "")

        async def work() -> dict[str, Any] | None:
            prefix = str(self.bot.services.config.prefix)
            return sandbox_users.set_simulator(self._sandbox(), prefix, running, rate_per_minute)

        return await self._act(actor, "sandbox_simulator", target, work)


class _Target:
    """The audit target of a file action; set to what was actually touched once known."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _read_checked(root: Path, checked: CheckedPath) -> bytes:
    if not checked.target.is_file():
        raise OperatorError(f"no such file: {checked.relative}")
    fd = open_for_reading(root, checked)
    with open(fd, "rb", closefd=True) as handle:
        if os.fstat(handle.fileno()).st_size > MAX_EDIT_BYTES:
            raise OperatorError(f"{checked.relative} is larger than {MAX_EDIT_BYTES >> 20} MiB")
        return handle.read(MAX_EDIT_BYTES + 1)


async def _check(root: Path, relative: str, *, follow: bool) -> CheckedPath:
    return await asyncio.to_thread(check_path, root, relative, follow=follow)


def _rename(source: CheckedPath, target: CheckedPath) -> None:
    """Move the entry ``source`` itself (a link moves as a link) to the free ``target``."""
    if not os.path.lexists(source.path):
        raise OperatorError(f"no such file: {source.relative}")
    if os.path.lexists(target.path):
        raise OperatorError(f"{target.relative} already exists")
    target.path.parent.mkdir(parents=True, exist_ok=True)
    os.rename(source.path, target.path)


def _delete(checked: CheckedPath) -> None:
    """Delete the entry itself: a link is unlinked, never followed."""
    import shutil

    path = checked.path
    if not os.path.lexists(path):
        raise OperatorError(f"no such file: {checked.relative}")
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        shutil.rmtree(path)
