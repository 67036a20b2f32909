"""Crash test: SIGKILL a process writing to the SQLite databases, again and again.

The helper (tests/helpers/db_writer_proc.py) writes settings, roles, prefixes, extension
transactions and usage flushes to main.db and five guild databases through
:class:`Databases`, with a pool smaller than the guild count so connections are opened,
evicted and checkpointed all the time. We kill it 15 times: while it opens the databases
(the first time, while it creates their schema), during its first round (the first time,
while it creates the guild schemas) and after a random number of acknowledged rounds.

After every kill each database must pass ``PRAGMA integrity_check``, and what is on disk
must match what the writer acknowledged (WAL with synchronous=NORMAL survives process
crashes): a round starts by writing its number to main.db and then to each guild, and is
acknowledged once all its writes are committed. So main.db holds the last round the run
acknowledged or the one after it (the round the kill interrupted), each guild holds a
round between the last one ever acknowledged and main.db's, the next run reads exactly
what the checker read, and persisted usage counts never go backwards. Finally the layer
reopens and works.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from zoryx.storage.databases import Databases

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

REPO = Path(__file__).resolve().parents[1]
HELPER = REPO / "tests" / "helpers" / "db_writer_proc.py"
GUILDS = (1, 2, 3, 4, 5)
KILLS = 15
STARTUP = -1
"""Kill plan: kill while the writer opens the databases, not after a number of rounds."""


@dataclass(frozen=True)
class State:
    """What is on disk after a kill."""

    main_seq: int
    guild_seqs: dict[int, int]
    pings: int


@dataclass(frozen=True)
class Run:
    """What one writer process printed before it was killed."""

    started: int | None
    """The main.db sequence number it read once open, None if killed before."""
    acknowledged: list[int]
    """The rounds it reported as committed."""


def _query_one(path: Path, sql: str) -> object | None:
    """First column of the first row, or None if the file, the table or the row is missing.

    A kill while a database is first created can leave the file without its tables (the
    schema is created in one transaction); that reads as "nothing written", which the
    caller checks against what the writer acknowledged.
    """
    if not path.exists():
        return None
    conn = sqlite3.connect(path, timeout=5)
    try:
        row = conn.execute(sql).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        return None
    finally:
        conn.close()
    return None if row is None else row[0]


def read_state(data_dir: Path) -> State:
    """Check every database file's integrity and return what the writer left on disk."""
    main = data_dir / "main.db"
    guilds = {gid: data_dir / str(gid) / "guild.db" for gid in GUILDS}
    for path in [main, *guilds.values()]:
        if path.exists():
            verdict = _query_one(path, "PRAGMA integrity_check")
            assert verdict == "ok", f"{path.relative_to(data_dir)}: {verdict}"
    seq = _query_one(main, "SELECT value FROM global_stats WHERE key = 'seq'")
    pings = _query_one(main, "SELECT count FROM command_stats WHERE command = 'ping'")
    guild_seqs: dict[int, int] = {}
    for gid, path in guilds.items():
        gseq = _query_one(path, "SELECT value FROM settings WHERE key = 'seq'")
        guild_seqs[gid] = 0 if gseq is None else int(json.loads(str(gseq)))
    return State(
        main_seq=0 if seq is None else int(json.loads(str(seq))),
        guild_seqs=guild_seqs,
        pings=0 if pings is None else int(str(pings)),
    )


def run_and_kill(data_dir: Path, rounds: int, delay: float, stderr_path: Path) -> Run:
    """Start the writer, SIGKILL it ``delay`` seconds after a point, return what it printed.

    The point is the writer's ``start`` line if ``rounds`` is :data:`STARTUP`, else its
    ``rounds``-th acknowledged round (0: its ``ready`` line). Reaching the point is
    waited for on the writer's output, so the writer progresses however busy the machine
    is; the delay only spreads the kill over the work that follows.
    """
    with stderr_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(HELPER), str(data_dir)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
    assert proc.stdout is not None
    try:
        lines_to_wait = 1 if rounds == STARTUP else 2 + rounds
        seen: list[bytes] = []
        for _ in range(lines_to_wait):
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        # Read through the same buffered reader: lines it already buffered are not lost.
        rest = proc.stdout.read()
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
    errors = stderr_path.read_text(errors="replace")[-2000:]
    assert proc.returncode == -signal.SIGKILL, f"writer exited on its own: {errors}"
    assert len(seen) == lines_to_wait, f"writer stopped early: {seen!r} {errors}"
    # Only whole lines count: a line the kill cut short was not acknowledged.
    lines = (b"".join(seen) + rest).decode().split("\n")[:-1]
    assert lines[0] == "start", lines
    started = None
    if len(lines) > 1:
        assert lines[1].startswith("ready "), lines
        started = int(lines[1].split()[1])
    acknowledged = [int(line) for line in lines[2:] if line.isdigit()]
    return Run(started=started, acknowledged=acknowledged)


def kill_plan(kill: int, rng: random.Random) -> int:
    """Startup kills, first-round kills and kills after 1-3 acknowledged rounds, in turn."""
    if kill % 5 == 0:
        return STARTUP
    if kill % 5 == 1:
        return 0
    return rng.randrange(1, 4)


def check_run(run: Run, state: State, before: State, acknowledged: int, context: str) -> None:
    """Assert that ``state`` is exactly what ``run``'s kill may leave after ``before``."""
    if run.started is not None:
        assert run.started == before.main_seq, f"writer read another seq than on disk ({context})"
        assert run.acknowledged == list(
            range(run.started + 1, run.started + 1 + len(run.acknowledged))
        ), context
        last = run.acknowledged[-1] if run.acknowledged else run.started
        allowed = {last, last + 1}
    else:
        allowed = {before.main_seq}
    assert state.main_seq in allowed, (
        f"main.db seq={state.main_seq}, expected {allowed} ({context})"
    )
    for gid, gseq in state.guild_seqs.items():
        assert gseq >= acknowledged, f"guild {gid} lost acknowledged round: {gseq} ({context})"
        assert gseq <= state.main_seq, f"guild {gid} ahead of main.db: {gseq} ({context})"
    assert state.pings >= before.pings, f"usage count went backwards ({context})"


async def test_databases_survive_repeated_sigkill(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    state = State(main_seq=0, guild_seqs={}, pings=0)
    acknowledged = 0
    for kill in range(KILLS):
        rounds = kill_plan(kill, rng)
        run = run_and_kill(data_dir, rounds, rng.uniform(0, 0.03), tmp_path / "writer.err")
        before, state = state, read_state(data_dir)
        if run.acknowledged:
            acknowledged = run.acknowledged[-1]
        context = f"seed={seed} kill={kill} plan={rounds} {run} acknowledged={acknowledged}"
        check_run(run, state, before, acknowledged, context)
    assert acknowledged >= 3, "the plan guarantees rounds; prefixes are set every 3rd round"

    async with Databases(data_dir) as db:
        checks = await db.integrity_check()
        assert set(checks) == {"main.db"} | {f"{g}/guild.db" for g in GUILDS}
        assert set(checks.values()) == {"ok"}
        assert await db.get_global_stat("seq") >= acknowledged
        assert (await db.get_prefix(1) or "").endswith("!")
        await db.set_prefix(1, "after!")
        db.increment_usage("ping", 1)
        assert (await db.command_stats(limit=1))[0][0] == "ping"
    async with Databases(data_dir) as db:
        assert await db.get_prefix(1) == "after!"
