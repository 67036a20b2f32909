"""Restore jobs started in the background: a bounded registry the faces poll.

Each job runs in its own task and publishes its latest :class:`~.model.RestoreProgress`;
when it ends, its :class:`~.model.RestoreReport` is kept. A job that raised or was
cancelled still gets a report whose ``error`` says what happened, so no outcome is lost.
The registry keeps the last :data:`JOBS_KEPT` finished jobs (running ones are never
dropped; a per-guild lock bounds them to one per guild).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from .model import JobInfo, RestoreProgress, RestoreReport

log = logging.getLogger("zoryx.backups")

JOBS_KEPT = 20
STOP_TIMEOUT = 10.0
"""Seconds :meth:`RestoreJobs.stop` waits for cancelled jobs to finish their clean-up."""

ProgressSink = Callable[[RestoreProgress], None]
JobWork = Callable[[ProgressSink], Awaitable[RestoreReport]]


@dataclass
class _Job:
    info: JobInfo
    dry_run: bool = False
    task: asyncio.Task[None] | None = None


class RestoreJobs:
    """The registry of restore jobs (newest last)."""

    def __init__(self, keep: int = JOBS_KEPT, *, clock: Callable[[], float] = time.time) -> None:
        self._keep = keep
        self._clock = clock
        self._jobs: OrderedDict[str, _Job] = OrderedDict()

    def start(
        self,
        guild_id: int,
        snapshot_id: str,
        started_by: str,
        work: JobWork,
        *,
        dry_run: bool = False,
        on_end: Callable[[], None] | None = None,
    ) -> JobInfo:
        """Run ``work(progress_sink)`` in a task; return the job's first :class:`JobInfo`.

        ``on_end`` is called once the task is over, however it ended (even when it was
        cancelled before it started).
        """
        job_id = self._new_id()
        first = RestoreProgress(guild_id, snapshot_id, "", 0, 0, "starting")
        job = _Job(JobInfo(job_id, guild_id, snapshot_id, started_by, first, None), dry_run)
        self._jobs[job_id] = job

        def publish(progress: RestoreProgress) -> None:
            if job.info.report is None:  # a late update never overwrites the end
                job.info = replace(job.info, progress=progress)

        task = asyncio.get_running_loop().create_task(
            self._run(job, work, publish), name=f"backup-restore-{job_id}"
        )
        job.task = task
        started = self._clock()

        def ended(_: asyncio.Task[None]) -> None:
            if job.info.report is None:  # cancelled before the work began
                self._finish(job, self._failed(job, started, "stopped before it began"))
            job.task = None
            if on_end is not None:
                on_end()

        task.add_done_callback(ended)
        self._trim()
        return job.info

    async def _run(self, job: _Job, work: JobWork, publish: ProgressSink) -> None:
        started = self._clock()
        try:
            report = await work(publish)
        except asyncio.CancelledError:
            self._finish(job, self._failed(job, started, "stopped: the bot is shutting down"))
            raise
        except Exception as exc:
            log.exception("restore job %s of guild %s failed", job.info.job_id, job.info.guild_id)
            self._finish(job, self._failed(job, started, str(exc) or type(exc).__name__))
        else:
            self._finish(job, report)
        finally:
            self._trim()

    def _failed(self, job: _Job, started: float, error: str) -> RestoreReport:
        return RestoreReport(
            guild_id=job.info.guild_id,
            snapshot_id=job.info.snapshot_id,
            dry_run=job.dry_run,
            started_at=started,
            finished_at=self._clock(),
            error=error,
        )

    @staticmethod
    def _finish(job: _Job, report: RestoreReport) -> None:
        last = job.info.progress
        message = f"failed: {report.error}" if report.error else "done"
        done = RestoreProgress(
            last.guild_id,
            last.snapshot_id,
            last.component,
            last.total_steps if not report.error else last.done_steps,
            last.total_steps,
            message,
            done=True,
        )
        job.info = replace(job.info, progress=done, report=report)

    def _new_id(self) -> str:
        while True:
            job_id = secrets.token_hex(4)
            if job_id not in self._jobs:
                return job_id

    def _trim(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.info.report is not None]
        excess = len(self._jobs) - self._keep
        for job_id in finished[: max(0, excess)]:
            del self._jobs[job_id]

    def get(self, job_id: str) -> JobInfo | None:
        job = self._jobs.get(job_id)
        return None if job is None else job.info

    def all(self) -> list[JobInfo]:
        """Every job kept, newest first."""
        return [job.info for job in reversed(self._jobs.values())]

    def running(self) -> list[JobInfo]:
        return [job.info for job in self._jobs.values() if job.info.report is None]

    async def wait(self, job_id: str) -> JobInfo | None:
        """Wait until the job ended (tests and tools); its final info."""
        job = self._jobs.get(job_id)
        if job is not None and job.task is not None:
            await asyncio.wait({job.task})
        return self.get(job_id)

    async def stop(self) -> None:
        """Cancel running jobs and wait (bounded) until they finished cleaning up."""
        tasks = [job.task for job in self._jobs.values() if job.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT)
            for task in pending:
                log.error(
                    "restore task %s did not stop within %.0f s", task.get_name(), STOP_TIMEOUT
                )
