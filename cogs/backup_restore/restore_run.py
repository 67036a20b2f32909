"""The state one restore carries from component to component.

A :class:`RestoreRun` holds the snapshot-ID → live-object maps every component fills and
reads (an overwrite or a member's role needs the role restored earlier), the report being
built, the progress counter and :meth:`RestoreRun.call`, the one place a Discord request
is made: a refusal (403, 404, any HTTP error, an image Discord cannot read) is written to
the report as a failed item and raised as :class:`StepFailed` for the caller's loop to
move on. A dry run changes nothing: it makes no request that writes (it may read, e.g.
the ban list), and the maps hold :class:`Planned` stand-ins for what would be created,
so later components report what they would do with them.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import discord

from .model import ComponentResult, ItemOutcome, RestoreOptions, RestoreProgress, RestoreReport

if TYPE_CHECKING:
    from zoryx.bot import ZoryxBot

log = logging.getLogger("zoryx.backups.restore")

T = TypeVar("T")

#: Longest text of a Discord error kept in a report line.
ERROR_TEXT_MAX = 120
#: Let other tasks run after this many steps (a dry run over a big guild awaits nothing).
YIELD_EVERY = 200


class StepFailed(Exception):
    """A request was refused; the failure is already in the report."""


@dataclass(frozen=True)
class Planned:
    """Stands in, during a dry run, for an object the restore would create."""

    name: str
    id: int = 0


LiveRole = discord.Role | Planned
LiveChannel = discord.abc.GuildChannel | Planned


def perm_label(name: str) -> str:
    """``manage_roles`` → ``Manage Roles``."""
    return name.replace("_", " ").title()


def perm_names(bits: int) -> list[str]:
    """The readable names of the permissions set in ``bits``."""
    return [perm_label(name) for name, value in discord.Permissions(bits) if value]


def image_bytes(text: Any) -> bytes | None:
    """The bytes of a base64 image of the snapshot; None for none or for text that is not
    base64 (a hand-edited file)."""
    if not text:
        return None
    try:
        return base64.b64decode(str(text), validate=True)
    except ValueError:  # binascii.Error is one
        return None


async def image_differs(asset: discord.Asset | None, data: bytes | None) -> bool:
    """Whether a live image differs from ``data`` (read from the CDN to compare; an image
    that cannot be read counts as different)."""
    if asset is None or data is None:
        return (asset is None) != (data is None)
    try:
        return await asset.read() != data
    except (discord.HTTPException, aiohttp.ClientError, OSError):
        return True


def failure_reason(exc: BaseException) -> str:
    """A short, user-readable reason for a refused request."""
    if isinstance(exc, discord.Forbidden):
        return "refused by Discord: missing permissions"
    if isinstance(exc, discord.NotFound):
        return "no longer exists"
    if isinstance(exc, discord.HTTPException):
        text = (exc.text or "").strip()[:ERROR_TEXT_MAX]
        return f"Discord answered {exc.status}" + (f": {text}" if text else "")
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientError | OSError):
        return "network error"
    return str(exc)[:ERROR_TEXT_MAX] or type(exc).__name__


class RestoreRun:
    """One restore's shared state (see the module docstring)."""

    def __init__(
        self,
        guild: discord.Guild,
        me: discord.Member,
        snapshot: dict[str, Any],
        options: RestoreOptions,
        *,
        bot: ZoryxBot,
        report: RestoreReport,
        progress: Callable[[RestoreProgress], None] | None,
    ) -> None:
        self.guild = guild
        self.me = me
        self.snap = snapshot
        self.options = options
        self.bot = bot
        self.report = report
        self.dry_run = options.dry_run
        self.update_existing = options.update_existing
        self._progress = progress
        self.component = ""
        self.done_steps = 0
        self.total_steps = 0
        #: snapshot role ID → live role (or a Planned stand-in during a dry run)
        self.roles: dict[int, LiveRole] = {}
        #: snapshot category/channel ID → live channel (or Planned)
        self.channels: dict[int, LiveChannel] = {}
        #: snapshot IDs of the roles and channels this run created (or would create)
        self.created_roles: set[int] = set()
        self.created_channels: set[int] = set()
        #: snapshot channel ID → overwrites sent with its creation
        self.preset_overwrites: dict[int, int] = {}
        self._role_names: dict[int, str] | None = None
        #: the reason shown in the server's audit log
        self.audit_reason = f"backup restore {report.snapshot_id}".strip()

    # -- the report ------------------------------------------------------------------------
    def result(self, component: str | None = None) -> ComponentResult:
        return self.report.components.setdefault(component or self.component, ComponentResult())

    def record(self, outcome: ItemOutcome, text: str, component: str | None = None) -> None:
        """Add one item line; ``unchanged`` items are not listed."""
        if outcome == "unchanged":
            return
        getattr(self.result(component), outcome).append(text)

    async def skip_all(self, items: list[str], reason: str) -> None:
        """Skip every item of the current component for one reason (one progress step each)."""
        for item in items:
            self.record("skipped", f"{item}: {reason}")
        await self.step(f"skipped: {reason}", len(items))

    # -- progress --------------------------------------------------------------------------
    def begin(self, component: str) -> None:
        self.component = component
        self.result(component)
        self.emit(f"{component}: starting")

    async def step(self, message: str, count: int = 1) -> None:
        """``count`` more steps done: publish progress, and now and then yield the loop."""
        before = self.done_steps
        self.done_steps = min(self.total_steps, self.done_steps + max(0, count))
        self.emit(message)
        if before // YIELD_EVERY != self.done_steps // YIELD_EVERY:
            await asyncio.sleep(0)

    def emit(self, message: str, *, done: bool = False) -> None:
        if self._progress is None:
            return
        update = RestoreProgress(
            guild_id=self.guild.id,
            snapshot_id=self.report.snapshot_id,
            component=self.component,
            done_steps=self.done_steps,
            total_steps=self.total_steps,
            message=message,
            done=done,
        )
        try:
            self._progress(update)
        except Exception:  # a broken progress display must not stop a restore
            log.exception("restore progress callback failed")

    # -- Discord calls ---------------------------------------------------------------------
    async def call(
        self, label: str, action: Callable[[], Awaitable[T]], *, record: bool = True
    ) -> T:
        """Run one request; a refusal goes to ``failed`` as ``"<label>: <reason>"`` (unless
        ``record`` is False) and raises :class:`StepFailed` (its ``__cause__`` is Discord's
        answer). Never called during a dry run."""
        assert not self.dry_run, "a dry run makes no requests"
        try:
            return await action()
        except (discord.HTTPException, aiohttp.ClientError, OSError, ValueError) as exc:
            # ValueError: discord.py refusing an image or argument before sending it.
            reason = failure_reason(exc)
            log.info("restore of guild %s: %s: %s", self.guild.id, label, reason)
            if record:
                self.record("failed", f"{label}: {reason}")
            raise StepFailed(label) from exc

    # -- the bot's rights ------------------------------------------------------------------
    @property
    def perms(self) -> discord.Permissions:
        return self.me.guild_permissions

    @property
    def is_admin(self) -> bool:
        return self.perms.administrator or self.guild.owner_id == self.me.id

    def lacks(self, *names: str) -> str | None:
        """``"the bot lacks the Manage Roles permission"`` when one of ``names`` is
        missing, else None."""
        perms = self.perms
        missing = [perm_label(n) for n in names if not (perms.administrator or getattr(perms, n))]
        if not missing:
            return None
        return f"the bot lacks the {' and '.join(missing)} permission"

    def ungrantable(self, bits: int) -> list[str]:
        """Permissions in ``bits`` the bot may not hand out (it lacks them itself)."""
        if self.is_admin:
            return []
        return perm_names(bits & ~self.perms.value)

    @property
    def top_position(self) -> int:
        return self.me.top_role.position

    def manageable(self, role: discord.Role) -> bool:
        """Whether the bot may edit, move or assign ``role``."""
        if role.is_default() or role.managed:
            return False
        return self.guild.owner_id == self.me.id or role.position < self.top_position

    async def member(self, user_id: int) -> discord.Member | None:
        """The member with that ID, from the cache; asked of Discord only when the member
        list is not loaded (a read: a dry run may make it too)."""
        found = self.guild.get_member(user_id)
        if found is not None or self.guild.chunked:
            return found
        try:
            return await self.guild.fetch_member(user_id)
        except discord.HTTPException:
            return None

    # -- snapshot lookups ------------------------------------------------------------------
    def role_name(self, snapshot_id: int) -> str:
        """The snapshot's name of a role (its ID when the snapshot has no such role)."""
        if self._role_names is None:
            self._role_names = {int(r["id"]): str(r["name"]) for r in self.snap.get("roles") or []}
        return self._role_names.get(int(snapshot_id), str(snapshot_id))

    def live_role(self, snapshot_id: int) -> LiveRole | None:
        return self.roles.get(int(snapshot_id))

    def live_channel(self, snapshot_id: int | None) -> LiveChannel | None:
        return None if snapshot_id is None else self.channels.get(int(snapshot_id))
