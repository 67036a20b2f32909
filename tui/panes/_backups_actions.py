"""The Backups pane's state and actions: create, verify, diff, restore, pin, note, delete,
schedule.

Each action reads views (``backup``, ``backup_diff``, ``backup_job``) or runs an operator
action (``backup_create``, ``backup_restore``, ``backup_pin``, ``backup_note``,
``backup_delete``, ``backup_schedule``) through the pane's source. A restore runs in the
bot; :meth:`BackupActions.follow` polls its job for the progress bar and shows the
per-component summary when it is done. Every refusal is shown in the pane's result box and
notified, never as a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Coroutine
from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import DataTable, ProgressBar, Static
from textual.widgets.data_table import RowDoesNotExist

from tui.widgets import human_bytes
from zoryx.readmodel import ActionFailed, SourceLost

from ._backups_dialogs import RestoreChoice, RestoreDialog, ValuePrompt, component_label
from ._backups_text import audit_text, diff_text, report_text, schedule_text, snapshot_name
from ._console import confirm, go_back
from .base import Pane

__all__ = ["POLL_SECONDS", "BackupActions", "Failed"]

log = logging.getLogger("zoryx.console")

#: Seconds between two reads of a running restore's job.
POLL_SECONDS = 0.5
#: Audit records the ``a`` key shows (newest first).
AUDIT_SHOWN = 30


class Failed(Exception):
    """An action or a view said no; the message is for the operator."""


class BackupActions(Pane):
    """What the Backups pane knows (the selected guild and its snapshots) and does."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on = False
        self.guilds: list[dict[str, Any]] = []
        self.guild: dict[str, Any] | None = None  # the selected guild's details
        self.guild_id: int | None = None
        self.components: list[str] = []
        self.default_components: list[str] = []
        self.marked: str | None = None
        self.job: dict[str, Any] | None = None  # the restore being followed
        self.last_result = ""  # the result box's text
        self._filter = ""
        self._guild_rows: tuple[Any, ...] | None = None
        self._snapshot_rows: tuple[Any, ...] | None = None
        self._reads = 0  # refreshes started (only the latest one is shown)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#bk-snapshots", DataTable)

    def snapshots(self) -> list[dict[str, Any]]:
        return [] if self.guild is None else list(self.guild["snapshots"])

    def selected(self) -> dict[str, Any] | None:
        """The snapshot the keys act on (the snapshots table's row)."""
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.snapshots() if s["id"] == key), None)

    # -- actions ---------------------------------------------------------------------------
    def action_create(self) -> None:
        self._start(self.create())

    def action_verify(self) -> None:
        self._start(self.verify())

    def action_diff(self) -> None:
        self._start(self.diff())

    def action_restore(self) -> None:
        self._start(self.restore())

    def action_pin(self) -> None:
        self._start(self.pin())

    def action_note(self) -> None:
        self._start(self.note())

    def action_delete(self) -> None:
        self._start(self.delete())

    def action_schedule(self) -> None:
        self._start(self.schedule())

    def action_audit(self) -> None:
        self._start(self.audit())

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        self.run_worker(self._guarded(work), group="bk-action", exit_on_error=False)

    async def _guarded(self, work: Awaitable[None]) -> None:
        """Run an action; a refusal (its own, a view's or the operator API's) is shown,
        and anything unexpected too (its traceback goes to the log, not the screen)."""
        try:
            await work
        except (Failed, ActionFailed, SourceLost) as exc:
            self.fail(str(exc))
        except Exception as exc:
            log.exception("a Backups pane action failed")
            self.fail(f"unexpected error: {type(exc).__name__}: {exc} (details in the log)")

    def fail(self, message: str) -> None:
        self.show_result(Text(f"✗ {message}"), error=True)
        self.app.notify(message, severity="error", title="Backups")

    async def _act(self, action: str, **params: Any) -> Any:
        return await self.source.act(action, **params)

    def _target(self, live: bool = False) -> tuple[int, str]:
        guild = self.guild
        if guild is None:
            raise Failed("no guild selected")
        if guild["id"] != self.guild_id:
            raise Failed("the selected guild is still being read; try again")
        if live and not guild["present"]:
            raise Failed(f"the bot is no longer in {guild['name']}")
        return guild["id"], guild["name"]

    def _snapshot(self) -> dict[str, Any]:
        snapshot = self.selected()
        if snapshot is None:
            raise Failed("no backup selected")
        return snapshot

    async def create(self) -> None:
        gid, name = self._target(live=True)
        label = await self.app.push_screen_wait(
            ValuePrompt(f"Back up {name}", "Label (optional, up to 100 characters):")
        )
        if label is None:
            self.show_result(Text("Backup cancelled."))
            return
        self.show_result(Text(f"Backing up {name}…"))
        info = await self._act("backup_create", guild_id=gid, label=label.strip())
        text = f"✓ backed up {name}: {snapshot_name(info, self.frozen)}, "
        text += f"{human_bytes(info['size'])}, {info['counts'].get('members', 0)} members"
        if info.get("cooldown_bypassed"):
            text += " (cooldown skipped: you are a bot owner)"
        self.show_result(Text(text))
        await self.refresh_data()
        with contextlib.suppress(RowDoesNotExist):
            self.table.move_cursor(row=self.table.get_row_index(info["id"]), animate=False)

    async def _read_checked(self, view: str, **params: Any) -> dict[str, Any]:
        data = await self.source.read(view, **params)
        if data is None or data.get("error"):
            raise Failed((data or {}).get("error") or f"{view}: no answer")
        return dict(data)

    async def verify(self) -> None:
        gid, _ = self._target()
        snapshot = self._snapshot()
        name = snapshot_name(snapshot, self.frozen)
        self.show_result(Text(f"Verifying {name}…"))
        data = await self._read_checked("backup", guild_id=gid, snapshot_id=snapshot["id"])
        result = data["verify"]
        if result["ok"]:
            self.show_result(Text(f"✓ {name}: {result['reason']}"))
        else:
            self.fail(f"{name} is damaged: {result['reason']} — it will not be restored")

    async def diff(self) -> None:
        gid, name = self._target()
        snapshot = self._snapshot()
        marked = next((s for s in self.snapshots() if s["id"] == self.marked), None)
        if marked is not None and marked["id"] != snapshot["id"]:
            older, newer = sorted((marked, snapshot), key=lambda s: s["created_at"])
            params = {"a": older["id"], "b": newer["id"]}
            before, after = snapshot_name(older, self.frozen), snapshot_name(newer, self.frozen)
        else:
            self._target(live=True)
            params = {"a": snapshot["id"], "b": "current"}
            before, after = snapshot_name(snapshot, self.frozen), f"{name} now"
        self.show_result(Text(f"Comparing {before} with {after}…"))
        data = await self._read_checked("backup_diff", guild_id=gid, **params)
        self.show_result(diff_text(data, before, after))

    async def restore(self) -> None:
        gid, name = self._target(live=True)
        snapshot = self._snapshot()
        if self.job is not None and not self.job.get("done"):
            running = await self.source.read("backup_job", job_id=self.job["job_id"])
            if running is not None and not running["done"]:
                raise Failed("the restore started here is still running")
        title = f"Restore {snapshot_name(snapshot, self.frozen)} into {name}"
        choice: RestoreChoice | None = await self.app.push_screen_wait(
            RestoreDialog(title, self.components, self.default_components)
        )
        if choice is None or not choice.components:
            self.show_result(Text("Restore cancelled." if choice is None else "Nothing ticked."))
            return
        if choice.role_sync and "member_roles" in choice.components and not choice.dry_run:
            question = (
                f"Role sync also REMOVES from members of {name} every role they did not "
                "have in the backup. Restore with role sync?"
            )
            if not await confirm(self.app, question, "Sync roles"):
                self.show_result(Text("Restore cancelled (role sync not confirmed)."))
                return
        job = await self._act(
            "backup_restore",
            guild_id=gid,
            snapshot_id=snapshot["id"],
            components=list(choice.components),
            update_existing=choice.update_existing,
            role_sync=choice.role_sync,
            dry_run=choice.dry_run,
        )
        await self.follow(job)

    async def follow(self, job: dict[str, Any]) -> None:
        """Show a restore's progress until it is done, then its summary."""
        self.job = job
        box = self.query_one("#bk-progress")
        box.set_class(True, "-shown")
        self.hide_result()
        while True:
            self._show_progress(job)
            if job.get("done"):
                break
            await asyncio.sleep(POLL_SECONDS)
            polled = await self.source.read("backup_job", job_id=job["job_id"])
            if polled is None:
                raise Failed("the bot no longer knows this restore (restarted?)")
            self.job = job = polled
        text, problem = report_text(job)
        self.show_result(text, error=problem)
        await self.refresh_data()

    def _show_progress(self, job: dict[str, Any]) -> None:
        progress = job["progress"]
        total = max(1, int(progress["total_steps"]))
        done = total if job.get("done") else min(total, int(progress["done_steps"]))
        self.query_one("#bk-bar", ProgressBar).update(total=total, progress=done)
        state = "done" if job.get("done") else component_label(progress["component"])
        self.query_one("#bk-progress-text", Static).update(
            Text(f"Restore {state}: {progress['message']}")
        )

    async def pin(self) -> None:
        gid, _ = self._target()
        snapshot = self._snapshot()
        pinned = not snapshot["pinned"]
        await self._act("backup_pin", guild_id=gid, snapshot_id=snapshot["id"], pinned=pinned)
        verb = "pinned (kept when pruning, cannot be deleted)" if pinned else "unpinned"
        self.show_result(Text(f"✓ {snapshot_name(snapshot, self.frozen)} {verb}"))
        await self.refresh_data()

    async def note(self) -> None:
        gid, _ = self._target()
        snapshot = self._snapshot()
        note = await self.app.push_screen_wait(
            ValuePrompt("Note", "Note (up to 500 characters; empty removes it):", snapshot["note"])
        )
        if note is None:
            return
        await self._act("backup_note", guild_id=gid, snapshot_id=snapshot["id"], note=note)
        self.show_result(Text(f"✓ note of {snapshot_name(snapshot, self.frozen)} saved"))
        await self.refresh_data()

    async def delete(self) -> None:
        gid, name = self._target()
        snapshot = self._snapshot()
        label = snapshot_name(snapshot, self.frozen)
        if snapshot["pinned"]:
            raise Failed(f"{label} is pinned: unpin it first (p)")
        question = f"Delete the backup {label} of {name}? This cannot be undone."
        if not await confirm(self.app, question, "Delete"):
            self.show_result(Text(f"{label} kept."))
            return
        await self._act("backup_delete", guild_id=gid, snapshot_id=snapshot["id"])
        self.show_result(Text(f"✓ deleted {label}"))
        await self.refresh_data()

    async def schedule(self) -> None:
        gid, name = self._target()
        current = (self.guild or {}).get("schedule") or {}
        value = str(current["interval_hours"]) if current.get("enabled") else ""
        answer = await self.app.push_screen_wait(
            ValuePrompt(
                f"Schedule for {name}", "Back up every how many hours (1-168)? off: stop", value
            )
        )
        if answer is None:
            return
        text = answer.strip().lower()
        if text in ("off", "0", "disable", "no", ""):
            hours: int | None = None
        elif text.isdigit():
            hours = int(text)
        else:
            raise Failed(f"{answer.strip()[:20]!r} is not a number of hours (1-168) nor off")
        info = await self._act("backup_schedule", guild_id=gid, hours=hours)
        self.show_result(Text(f"✓ {name}: {schedule_text(info, self.frozen)}"))
        await self.refresh_data()

    async def audit(self) -> None:
        gid, name = self._target()
        data = await self._read_checked("backup_audit", guild_id=gid, limit=AUDIT_SHOWN)
        self.show_result(audit_text(name, data["entries"], self.frozen))

    # -- result box ------------------------------------------------------------------------
    def show_result(self, text: Text, *, error: bool = False) -> None:
        box = self.query_one("#bk-result", VerticalScroll)
        self.last_result = text.plain
        self.query_one("#bk-result-text", Static).update(text)
        box.set_class(True, "-shown")
        box.set_class(error, "-error")
        box.scroll_home(animate=False)

    def hide_result(self) -> None:
        self.query_one("#bk-result").set_class(False, "-shown")

    def action_hide_result(self) -> None:
        box = self.query_one("#bk-result")
        if box.has_class("-shown"):
            self.hide_result()
            if self.job is not None and self.job.get("done"):
                self.query_one("#bk-progress").set_class(False, "-shown")
            self.table.focus()
        else:
            go_back(self.app)
