"""Keeps a fleet of cluster processes running: start, restart with backoff, stop.

Used by ``zoryx cluster`` (:mod:`zoryx.cluster_launcher`). Each cluster is one child
process; its output is copied to the launcher's output with a ``[name]`` prefix. A child
that dies is started again after a delay that doubles from ``min_backoff`` to
``max_backoff`` and falls back to ``min_backoff`` once a run lasted ``stable_after``
seconds. Two exits are final: 0 (the bot was shut down on purpose, e.g. the ``shutdown``
command) and 2 (a configuration error, which a restart cannot fix).

Children run in their own session, so a Ctrl+C in the terminal reaches only the
launcher, which then asks each child once (SIGTERM) to shut down gracefully and kills
those still running after ``stop_timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

CONFIG_ERROR_EXIT = 2
"""``zoryx run`` exits 2 on a configuration error: restarting would fail the same way."""
LINE_LIMIT = 64 * 1024
"""Longest child output line copied whole; longer ones are cut."""


@dataclass(frozen=True)
class ChildSpec:
    """One supervised process: its name, command line and environment."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: str | None = None


@dataclass
class ChildState:
    """What the supervisor knows of one child (for status lines and tests)."""

    spec: ChildSpec
    pid: int | None = None
    starts: int = 0
    exits: list[int] = field(default_factory=list)
    next_delay: float = 0.0
    done: bool = False


class Supervisor:
    """Runs every child until :meth:`stop` (or until none is left to run).

    Args:
        children: The processes to run.
        out: Where status lines and the children's prefixed output go.
        min_backoff / max_backoff: First and largest delay before a restart (seconds).
        stable_after: A run at least this long resets the delay to ``min_backoff``.
        stop_timeout: Seconds a child gets to exit after SIGTERM before it is killed.
        clock: Monotonic clock (seconds).
    """

    def __init__(
        self,
        children: Sequence[ChildSpec],
        *,
        out: TextIO,
        min_backoff: float = 1.0,
        max_backoff: float = 60.0,
        stable_after: float = 60.0,
        stop_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.states = {spec.name: ChildState(spec) for spec in children}
        self.out = out
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.stable_after = stable_after
        self.stop_timeout = stop_timeout
        self.clock = clock
        self.config_error = False
        self._procs: dict[str, asyncio.subprocess.Process] = {}
        self._stopping: asyncio.Event | None = None
        self._kill_now: asyncio.Event | None = None

    # -- public ------------------------------------------------------------------------------
    async def run(self) -> int:
        """Supervise until stopped; 0 after a requested stop, 2 after a configuration error."""
        self._stopping = asyncio.Event()
        self._kill_now = asyncio.Event()
        tasks = [
            asyncio.create_task(self._supervise(state), name=f"zoryx-cluster-{name}")
            for name, state in self.states.items()
        ]
        try:
            await asyncio.gather(*tasks)
        finally:  # cancelled (or failed): no child may outlive the launcher
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for proc in self._procs.values():
                _signal(proc, signal.SIGKILL)
        return CONFIG_ERROR_EXIT if self.config_error else 0

    def stop(self) -> None:
        """Ask every child to stop (SIGTERM); a second call kills those still running."""
        if self._stopping is None or self._kill_now is None:
            return
        if self._stopping.is_set():
            self._kill_now.set()
            self.say("second stop request: killing the clusters still running")
            return
        self._stopping.set()
        self.say("stopping every cluster (a second Ctrl+C kills them)")

    def say(self, line: str) -> None:
        self.out.write(f"zoryx cluster: {line}\n")
        self.out.flush()

    # -- one child -----------------------------------------------------------------------------
    async def _supervise(self, state: ChildState) -> None:
        assert self._stopping is not None
        delay = self.min_backoff
        while not self._stopping.is_set():
            started = self.clock()
            code = await self._run_once(state)
            state.exits.append(code)
            if self._stopping.is_set():
                break
            if code == 0:
                self.say(f"{state.spec.name} exited normally (shut down on purpose); not restarted")
                break
            if code == CONFIG_ERROR_EXIT:
                self.say(
                    f"{state.spec.name} stopped with a configuration error (see its output); "
                    "stopping the fleet: fix the configuration and start zoryx cluster again"
                )
                self.config_error = True
                self.stop()
                break
            if self.clock() - started >= self.stable_after:
                delay = self.min_backoff
            state.next_delay = delay
            self.say(f"{state.spec.name} died ({_describe(code)}); restarting in {delay:g}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            delay = min(delay * 2, self.max_backoff)
        state.done = True

    async def _run_once(self, state: ChildState) -> int:
        """Run the child once; returns its exit code (-N: killed by signal N, -1: no start)."""
        spec = state.spec
        try:
            proc = await asyncio.create_subprocess_exec(
                *spec.argv,
                env=dict(spec.env),
                cwd=spec.cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                limit=LINE_LIMIT,
            )
        except OSError as exc:
            self.say(f"{spec.name} could not be started: {exc}")
            return -1
        self._procs[spec.name] = proc
        state.pid = proc.pid
        state.starts += 1
        self.say(f"{spec.name} started (pid {proc.pid})")
        pump = asyncio.create_task(self._pump(spec.name, proc))
        try:
            code = await self._wait(spec.name, proc)
            with contextlib.suppress(TimeoutError):  # the rest of its output, if any
                await asyncio.wait_for(asyncio.shield(pump), 5)
        finally:
            pump.cancel()
            self._procs.pop(spec.name, None)
        return code

    async def _wait(self, name: str, proc: asyncio.subprocess.Process) -> int:
        """Wait for the child to exit; on a stop request, SIGTERM it, then kill it if needed."""
        assert self._stopping is not None and self._kill_now is not None
        exited = asyncio.ensure_future(proc.wait())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if exited.done():
                return exited.result()
            _signal(proc, signal.SIGTERM)
            kill_now = asyncio.ensure_future(self._kill_now.wait())
            try:
                await asyncio.wait(
                    {exited, kill_now},
                    timeout=self.stop_timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                kill_now.cancel()
            if not exited.done():
                self.say(f"{name} (pid {proc.pid}) did not stop in time; killing it")
                _signal(proc, signal.SIGKILL)
            return await exited
        finally:
            stopping.cancel()
            if not exited.done():  # cancelled: never leave the child running
                _signal(proc, signal.SIGKILL)
                exited.cancel()

    async def _pump(self, name: str, proc: asyncio.subprocess.Process) -> None:
        """Copy the child's output line by line, prefixed with its name."""
        stream = proc.stdout
        if stream is None:
            return
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # a line over LINE_LIMIT: take what is buffered
                raw = await stream.read(LINE_LIMIT) + "…\n".encode()
            if not raw:
                return
            line = raw.decode("utf-8", errors="replace").rstrip()  # rich pads to the width
            self.out.write(f"[{name}] {line}\n")
            self.out.flush()


def _signal(proc: asyncio.subprocess.Process, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, sig)


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"exit {code}"
    return f"exit code {code}"
