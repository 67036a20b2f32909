"""Crash test: SIGKILL a process writing to the SQLite databases, again and again.

The helper (tests/helpers/db_writer_proc.py) writes settings, roles, prefixes, extension
transactions and usage flushes to main.db and five guild databases through
:class:`Databases`, with a pool smaller than the guild count so connections are opened,
evicted and checkpointed all the time. We kill it at random moments 15 times. After every
kill each database must pass ``PRAGMA integrity_check``, every round the writer reported
as done must be on disk (WAL with synchronous=NORMAL survives process crashes), and
persisted usage counts never go backwards. Finally the layer reopens and works.
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
from pathlib import Path

import pytest

from zoryx.storage.databases import Databases

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

REPO = Path(__file__).resolve().parents[1]
HELPER = REPO / "tests" / "helpers" / "db_writer_proc.py"
GUILDS = (1, 2, 3, 4, 5)
KILLS = 15
TIME_BUDGET_S = 20.0


def read_state(data_dir: Path) -> tuple[int, dict[int, int], int]:
    """Check every database file and return (main seq, guild seqs, persisted ping count)."""
    files = [data_dir / "main.db"] + [data_dir / str(g) / "guild.db" for g in GUILDS]
    for path in files:
        if not path.exists():
            continue
        conn = sqlite3.connect(path, timeout=5)
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
        assert verdict == [("ok",)], f"{path.relative_to(data_dir)}: {verdict}"
    conn = sqlite3.connect(data_dir / "main.db", timeout=5)
    try:
        row = conn.execute("SELECT value FROM global_stats WHERE key = 'seq'").fetchone()
        ping = conn.execute("SELECT count FROM command_stats WHERE command = 'ping'").fetchone()
    finally:
        conn.close()
    guild_seqs: dict[int, int] = {}
    for gid in GUILDS:
        path = data_dir / str(gid) / "guild.db"
        if not path.exists():
            continue
        conn = sqlite3.connect(path, timeout=5)
        try:
            grow = conn.execute("SELECT value FROM settings WHERE key = 'seq'").fetchone()
        finally:
            conn.close()
        guild_seqs[gid] = json.loads(grow[0]) if grow else 0
    return (json.loads(row[0]) if row else 0), guild_seqs, (ping[0] if ping else 0)


def run_and_kill(data_dir: Path, rng: random.Random) -> int:
    """Start the writer, kill it at a random moment, return the last round it finished."""
    proc = subprocess.Popen(
        [sys.executable, str(HELPER), str(data_dir)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if not first.startswith(b"ready"):
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"writer did not start: {first!r} {err.decode(errors='replace')[-2000:]}")
    start_seq = int(first.split()[1])
    time.sleep(rng.uniform(0.02, 0.35))
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL, err.decode(errors="replace")[-2000:]
    done = [int(line) for line in out.split(b"\n")[:-1] if line.strip().isdigit()]
    return done[-1] if done else start_seq


async def test_databases_survive_repeated_sigkill(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    started = time.monotonic()
    last_ping = 0
    committed = 0
    for kill in range(KILLS):
        committed = run_and_kill(data_dir, rng)
        seq, guild_seqs, ping = read_state(data_dir)
        context = f"seed={seed} kill={kill} reported={committed}"
        assert seq >= committed, f"main.db lost committed round: seq={seq} ({context})"
        assert seq <= committed + 1, context
        for gid, gseq in guild_seqs.items():
            assert gseq >= committed, f"guild {gid} lost committed round {gseq} ({context})"
        assert ping >= last_ping, f"usage count went backwards ({context})"
        last_ping = ping
    assert committed > 0, "writer never completed a round"
    assert time.monotonic() - started < TIME_BUDGET_S

    async with Databases(data_dir) as db:
        checks = await db.integrity_check()
        assert set(checks) == {"main.db"} | {f"{g}/guild.db" for g in GUILDS}
        assert set(checks.values()) == {"ok"}
        assert await db.get_global_stat("seq") >= committed
        assert (await db.get_prefix(1) or "").endswith("!")
        await db.set_prefix(1, "after!")
        db.increment_usage("ping", 1)
        assert (await db.command_stats(limit=1))[0][0] == "ping"
    async with Databases(data_dir) as db:
        assert await db.get_prefix(1) == "after!"
