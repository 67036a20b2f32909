"""Issue 15: a SIGKILL while snapshots are written leaves every index readable and every
indexed snapshot complete; the next start-up leaves no temp file and an index that
matches the files.

The helper (tests/helpers/backup_snapshot_proc.py) runs a real runtime on the sandbox
and writes snapshots of its guild three at a time, with pruning past the per-guild limit
(so deletions run too). We SIGKILL it 20 times at random moments on the same bot
directory. After every kill, read straight from the disk: each ``index.json`` parses,
each entry's file exists and verifies against the checksum the index recorded, and each
acknowledged snapshot is indexed unless newer ones pushed it out. At every start the
helper reports what it found once the runtime and the backup service had started:
no leftovers, no entry without a file, no unindexed file, nothing that fails to verify.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cogs.backup_restore.canonical import decode_snapshot

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

REPO = Path(__file__).resolve().parents[2]
HELPER = REPO / "tests" / "helpers" / "backup_snapshot_proc.py"
KILLS = 20
MAX_PER_GUILD = 6  # BACKUP_MAX_PER_GUILD of the helper
LINE_TIMEOUT = 60.0
PLANTED_AT = 5
"""Before this run, plant the temp files a kill during a write leaves (a kill does not
always land inside a write, and the start-up cleanup must be exercised every time)."""


def helper_env(pycache: Path) -> dict[str, str]:
    """A bytecode cache outside the repository keeps the 21 starts fast."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(REPO), "PYTHONPYCACHEPREFIX": str(pycache)}


def run_helper(
    bot_dir: Path, kill_after: tuple[int, float] | None, err: Path, env: dict[str, str]
) -> list[str]:
    """Start the helper; once ready and ``kill_after[0]`` snapshots were acknowledged,
    wait ``kill_after[1]`` s and SIGKILL it (None: let it start and stop). Complete lines."""
    args = [sys.executable, str(HELPER), str(bot_dir)]
    with err.open("wb") as err_file:
        proc = subprocess.Popen(
            args if kill_after else [*args, "--once"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=err_file,
            env=env,
        )
    lines: list[str] = []
    reached = threading.Event()
    wanted = kill_after[0] if kill_after else 0

    def read() -> None:
        assert proc.stdout is not None
        acks, ready = 0, False
        for raw in proc.stdout:
            if not raw.endswith(b"\n"):
                break
            lines.append(raw.decode().rstrip("\n"))
            ready = ready or lines[-1].startswith("ready")
            acks += lines[-1].startswith("a ")
            if ready and acks >= wanted:
                reached.set()
        reached.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if kill_after is not None:
            reached.wait(LINE_TIMEOUT)
            time.sleep(kill_after[1])  # the random kill moment, not a synchronisation
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=LINE_TIMEOUT)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        reader.join(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()
    errors = err.read_text(errors="replace")[-3000:]
    expected = -signal.SIGKILL if kill_after else 0
    assert proc.returncode == expected, f"helper exited with {proc.returncode}: {errors}"
    assert any(line.startswith("ready") for line in lines), f"never ready: {errors}"
    return lines


def check_ready_state(lines: list[str]) -> None:
    """What the start-up left: clean."""
    [ready] = [line for line in lines if line.startswith("ready ")]
    state = json.loads(ready[len("ready ") :])
    assert state == {"leftovers": [], "missing": [], "unindexed": [], "bad": []}, state


def check_disk(root: Path, acknowledged: list[tuple[str, str]]) -> int:
    """Every index parses and names complete snapshots; acknowledged ones are kept unless
    pruned by newer ones. Returns the number of leftover files (temp files of the kill)."""
    leftovers = 0
    indexes: dict[str, list[dict[str, Any]]] = {}
    for folder in sorted(p for p in root.glob("[1-9]*") if p.name.isdigit()):
        index = folder / "index.json"
        if not index.exists():
            continue
        try:
            entries = json.loads(index.read_text("utf-8"))["snapshots"]
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AssertionError(f"{index} is torn: {exc}") from None
        indexes[folder.name] = entries
        for entry in entries:
            raw = (folder / f"{entry['id']}.json").read_bytes()  # FileNotFoundError fails
            assert decode_snapshot(raw, entry["checksum"])["guild_id"] == int(folder.name)
        leftovers += sum(1 for p in folder.iterdir() if p.name.startswith("."))
    for guild, snapshot_id in acknowledged:
        entries = indexes.get(guild, [])
        if snapshot_id in {e["id"] for e in entries}:
            continue
        newer = [e for e in entries if e["id"][:16] >= snapshot_id[:16]]
        assert len(newer) >= MAX_PER_GUILD, f"acknowledged snapshot {snapshot_id} is gone"
    return leftovers


def plant_leftovers(root: Path) -> list[Path]:
    folder = root / "4242"
    folder.mkdir(parents=True, exist_ok=True)
    planted = [
        folder / ".20270101T000000Z-abcdef.json.0123456789ab.tmp",
        folder / ".index.json.ba9876543210.tmp",
    ]
    for path in planted:
        path.write_bytes(b'{"checksum":"')
        os.utime(path, (1_000_000_000.0, 1_000_000_000.0))
    return planted


@pytest.mark.timeout(300)  # ~40 s idle; 21 interpreter starts are slow on a loaded box
def test_sigkill_while_snapshotting_leaves_readable_backups(tmp_path: Path) -> None:
    bot_dir = tmp_path / "bot"
    bot_dir.mkdir()
    (bot_dir / "config.json").write_text(json.dumps({"auto_reload": False}), encoding="utf-8")
    root = bot_dir / "data" / "backups"
    env = helper_env(tmp_path / "pycache")
    seed = int(os.environ.get("ZORYX_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    acknowledged: list[tuple[str, str]] = []
    leftovers_after_kills = 0
    for run in range(KILLS + 1):
        plan = (rng.randint(0, 9), rng.uniform(0.0, 0.03)) if run < KILLS else None
        planted = plant_leftovers(root) if run == PLANTED_AT else []
        lines: list[str] = []
        try:
            lines = run_helper(bot_dir, plan, tmp_path / "helper.err", env)
            check_ready_state(lines)
            assert not any(p.exists() for p in planted), "start-up left temp files"
            acks = [line.split() for line in lines if line.startswith("a ")]
            acknowledged += [(guild, snapshot_id) for _, guild, snapshot_id in acks]
            leftovers_after_kills += check_disk(root, acknowledged)
        except AssertionError as exc:
            context = f"seed={seed} (ZORYX_KILL_SEED) run={run} plan={plan} last={lines[-3:]}"
            raise AssertionError(f"{exc}\n{context}") from None
        if plan is None:
            assert "closed" in lines, "the final start-up did not shut down cleanly"
    # The workload really ran: many snapshots, enough to prune, over several guilds.
    assert len(acknowledged) > KILLS, (
        f"seed={seed}: {len(acknowledged)} acknowledged, {leftovers_after_kills} temp files"
    )
    assert len({guild for guild, _ in acknowledged}) > 1, f"seed={seed}"
