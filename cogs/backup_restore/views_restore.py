"""``backuprestore``: choose components and options, confirm (role sync has its own
confirmation), then follow the job — its message is edited at most every 2 s — until the
final report."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import discord

from cogs.core import embeds as styles
from cogs.core._common import DESCRIPTION_LIMIT, clip

from . import embeds_restore as shown
from .model import COMPONENTS, JobInfo, RestoreOptions, RestoreProgress, SnapshotInfo
from .views import USER_ERRORS, OwnedView, cid, said

log = logging.getLogger("zoryx.backups")

EDIT_INTERVAL = 2.0
"""Seconds between two edits of a progress message, at least."""
POLL_INTERVAL = 0.5
COMPONENTS_ID = cid("components")
FOLLOWERS_MAX = 64


@dataclass
class Choice:
    """What the member picked on the restore screen."""

    components: set[str] = field(default_factory=lambda: set(RestoreOptions().components))
    update_existing: bool = False
    role_sync: bool = False

    def ordered(self) -> list[str]:
        return shown.ordered(self.components)


StartRestore = Callable[[Choice, bool], Awaitable[JobInfo]]
"""``(choice, dry_run)`` → the started job (raises OperatorError/BackupError)."""
Follow = Callable[[JobInfo, discord.Message, bool], None]
"""Start following a job's progress in ``message`` (``dry_run`` flag)."""


class RestoreView(OwnedView):
    """Component toggles, update-existing, role sync, dry run, restore (confirmed)."""

    def __init__(
        self, author_id: int, info: SnapshotInfo, *, start: StartRestore, follow: Follow
    ) -> None:
        super().__init__(author_id, "backuprestore")
        self.info = info
        self.start = start
        self.follow = follow
        self.choice = Choice()
        self.stage = "setup"  # or "confirm", "role_sync"
        self.notice: str | None = None
        self._build()

    def embed(self) -> discord.Embed:
        c = self.choice
        if self.stage == "confirm":
            embed = shown.confirm(self.info, c.ordered(), c.update_existing, c.role_sync)
        elif self.stage == "role_sync":
            embed = shown.role_sync_warning(self.info)
        else:
            embed = shown.setup(self.info, c.ordered(), c.update_existing, c.role_sync)
        if self.notice:
            text = f"{self.notice}\n\n{embed.description or ''}"
            embed.description = clip(text.strip(), DESCRIPTION_LIMIT)
        return embed

    def _build(self) -> None:
        self.clear_items()
        danger = discord.ButtonStyle.danger
        if self.stage == "confirm":
            self.button("confirm", "Confirm restore", self._confirm, style=danger)
            self.button("back", "Back", self._back)
            return
        if self.stage == "role_sync":
            self.button("rolesync:on", "Turn on role sync", self._role_sync_on, style=danger)
            self.button("rolesync:off", "Keep it off", self._back)
            return
        select: discord.ui.Select[RestoreView] = discord.ui.Select(
            custom_id=COMPONENTS_ID,
            placeholder="Components to restore",
            min_values=1,
            max_values=len(COMPONENTS),
            options=[
                discord.SelectOption(
                    label=shown.label(name),
                    value=name,
                    description=shown.COMPONENT_HELP.get(name, "")[:100] or None,
                    default=name in self.choice.components,
                )
                for name in COMPONENTS
            ],
            row=0,
        )
        select.callback = self._components  # type: ignore[method-assign]
        self.add_item(select)
        c = self.choice
        self.button(
            "update",
            f"🔁 Update existing: {'on' if c.update_existing else 'off'}",
            self._update,
            row=1,
        )
        self.button(
            "rolesync", f"👥 Role sync: {'on' if c.role_sync else 'off'}", self._role_sync, row=1
        )
        self.button("dryrun", "🧪 Dry run", self._dry_run, style=discord.ButtonStyle.primary, row=2)
        self.button("restore", "♻️ Restore…", self._ask, style=danger, row=2)
        self.button("cancel", "Cancel", self._cancel, row=2)

    async def _edit(self, interaction: discord.Interaction) -> None:
        self._build()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    # -- setup -------------------------------------------------------------------------------
    async def _components(self, interaction: discord.Interaction) -> None:
        data = cast("dict[str, Any]", interaction.data or {})
        values = data.get("values") or []
        picked = {str(v) for v in values if v in COMPONENTS}
        if picked:
            self.choice.components = picked
        if "member_roles" not in self.choice.components:
            self.choice.role_sync = False  # role sync only acts on member roles
        self.notice = None
        await self._edit(interaction)

    async def _update(self, interaction: discord.Interaction) -> None:
        self.choice.update_existing = not self.choice.update_existing
        await self._edit(interaction)

    async def _role_sync(self, interaction: discord.Interaction) -> None:
        if self.choice.role_sync:
            self.choice.role_sync = False
        else:
            self.stage = "role_sync"
        await self._edit(interaction)

    async def _role_sync_on(self, interaction: discord.Interaction) -> None:
        self.choice.role_sync = True
        self.choice.components.add("member_roles")
        self.stage = "setup"
        await self._edit(interaction)

    async def _ask(self, interaction: discord.Interaction) -> None:
        self.stage, self.notice = "confirm", None
        await self._edit(interaction)

    async def _back(self, interaction: discord.Interaction) -> None:
        self.stage = "setup"
        await self._edit(interaction)

    async def _cancel(self, interaction: discord.Interaction) -> None:
        self.stop()
        self.clear_items()
        await interaction.response.edit_message(
            embed=styles.info("Restore cancelled", "Nothing was changed."), view=None
        )

    # -- starting ----------------------------------------------------------------------------
    async def _dry_run(self, interaction: discord.Interaction) -> None:
        await self._begin(interaction, dry_run=True)

    async def _confirm(self, interaction: discord.Interaction) -> None:
        await self._begin(interaction, dry_run=False)

    async def _begin(self, interaction: discord.Interaction, *, dry_run: bool) -> None:
        try:
            job = await self.start(self.choice, dry_run)
        except USER_ERRORS as exc:
            self.stage, self.notice = "setup", f"❌ Not started: {said(interaction.client, exc)}"
            await self._edit(interaction)
            return
        self.stop()
        self.clear_items()
        await interaction.response.edit_message(
            embed=shown.progress(job, dry_run=dry_run), view=None
        )
        if interaction.message is not None:
            self.follow(job, interaction.message, dry_run)


async def follow_job(
    job: JobInfo,
    *,
    get_job: Callable[[str], JobInfo | None],
    edit: Callable[[discord.Embed], Awaitable[None]],
    dry_run: bool,
    interval: float = EDIT_INTERVAL,
    poll: float = POLL_INTERVAL,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Edit a progress message until the job ends, then show its report.

    ``job`` is what the message shows now (it was just edited); later edits are at
    least ``interval`` seconds apart, and only when the progress changed.
    """
    last_edit = clock()
    last_shown: RestoreProgress | None = job.progress
    job_id = job.job_id
    while True:
        current = get_job(job_id)
        finished = current is None or current.report is not None
        if finished or (current is not None and current.progress != last_shown):
            wait = last_edit + interval - clock()
            if wait > 0:
                await sleep(wait if finished else min(wait, poll))
                continue
            if current is None:
                await edit(shown.lost(job_id))
                return
            if current.report is not None:
                await edit(shown.report(current.report, current.snapshot_id))
                return
            await edit(shown.progress(current, dry_run=dry_run))
            last_edit, last_shown = clock(), current.progress
        await sleep(poll)


class Followers:
    """The tasks that keep restore messages current (bounded; cancelled on unload)."""

    def __init__(self, get_job: Callable[[str], JobInfo | None]) -> None:
        self.get_job = get_job
        self.tasks: set[asyncio.Task[None]] = set()

    def follow(self, job: JobInfo, message: discord.Message, dry_run: bool) -> None:
        """Edit ``message`` with the job's progress, then its report."""

        async def edit(embed: discord.Embed) -> None:
            with contextlib.suppress(discord.HTTPException):
                await message.edit(embed=embed, view=None)

        if len(self.tasks) >= FOLLOWERS_MAX:  # never expected: one restore per guild
            log.warning("not following restore job %s: too many followed", job.job_id)
            return
        task = asyncio.get_running_loop().create_task(
            follow_job(job, get_job=self.get_job, edit=edit, dry_run=dry_run),
            name=f"backup-restore-follow-{job.job_id}",
        )
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("following a restore failed", exc_info=task.exception())

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
