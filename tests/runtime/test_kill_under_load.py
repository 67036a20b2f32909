"""Issue 13: 100 SIGKILLs under a mixed load leave 0 corrupt files, 0 lost acknowledged
writes and 0 leftover temp or part files.

The helper (tests/helpers/kill_load_proc.py) starts like the runtime does (config.json,
leftover cleanup, databases) and then writes everything at once: guild settings, global
stats, audit records, usage flushes, status changes saved to config.json, AtomicStore
JSON files and database backups. It prints a line before each write and one after it
returned (acknowledged). We SIGKILL it 100 times on the same bot directory (during
start-up, during a backup, or at a random moment of its work) and after every kill check:

* every JSON file parses and config.json loads; every database, backups included, passes
  ``PRAGMA integrity_check`` and every backup is a self-contained database;
* each key holds its last acknowledged value or the one written when the kill came, in
  the files (checked after the kill) and through the API (read by the next start-up);
* the last acknowledged backup is still there (or was pruned by newer ones);
* every file that is not a database, its WAL, a backup or a JSON file the workload writes
  is gone once the next start-up ran its leftover cleanup.

A final clean start-up and shutdown must leave no file but those.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from zoryx.config import load_config
from zoryx.storage.databases import BACKUPS_KEPT
from zoryx.storage.leftovers import remove_leftovers

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

REPO = Path(__file__).resolve().parents[2]
HELPER = REPO / "tests" / "helpers" / "kill_load_proc.py"
KILLS = 100
GUILDS = (1, 2, 3)
LINE_TIMEOUT = 60.0
"""Generous wait for the helper to reach the line a kill is timed from."""

_STAMP = r"\d{8}T\d{6}_\d{6}Z"
EXPECTED_FILE = re.compile(
    r"config\.json"
    r"|data/(plugin_registry|event_hooks)\.json"
    r"|data/main\.db(-wal|-shm)?"
    r"|data/\d+/guild\.db(-wal|-shm)?"
    rf"|data/\d+/guild_backup_{_STAMP}\.db"
    rf"|data/backups/db/main_{_STAMP}\.db"
)
"""Every file the workload may legitimately leave; anything else is a leftover."""
BACKUP_STAMP = re.compile(rf"{_STAMP}\.db$")


@dataclass(frozen=True)
class Plan:
    """When to kill: ``delay`` seconds after the ``count``-th line starting with ``anchor``."""

    anchor: str
    count: int
    delay: float


def plan_for(kill: int, rng: random.Random) -> Plan:
    """Kills during start-up, during a backup and at random moments of the work, in turn."""
    if kill % 10 == 0:
        return Plan("start", 1, rng.uniform(0, 0.06))
    if kill % 10 in (1, 2):
        return Plan("w backup", rng.randint(1, 2), rng.uniform(0, 0.015))
    return Plan("ready", 1, rng.uniform(0, 0.15))


def helper_env(pycache: Path) -> dict[str, str]:
    """The helper's environment, with a bytecode cache outside the repository: without
    one each of the 101 starts would compile every module again."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(REPO), "PYTHONPYCACHEPREFIX": str(pycache)}


def run_helper(
    bot_dir: Path, run: int, plan: Plan | None, err_path: Path, env: dict[str, str]
) -> list[str]:
    """Start the helper; SIGKILL it as ``plan`` says (None: let it finish); return its
    complete output lines (a line the kill cut short was never acknowledged)."""
    args = [sys.executable, str(HELPER), str(bot_dir), str(run)]
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            args if plan else [*args, "--final"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
        )
    lines: list[str] = []
    reached = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        seen = 0
        for raw in proc.stdout:
            if not raw.endswith(b"\n"):
                break
            lines.append(raw.decode().rstrip("\n"))
            if plan and lines[-1].startswith(plan.anchor):
                seen += 1
                if seen == plan.count:
                    reached.set()
        reached.set()  # end of output: the helper is gone

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if plan is not None:
            reached.wait(LINE_TIMEOUT)
            time.sleep(plan.delay)  # the random kill moment, not a synchronisation
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=LINE_TIMEOUT)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        reader.join(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()
    errors = err_path.read_text(errors="replace")[-3000:]
    expected_rc = -signal.SIGKILL if plan else 0
    assert proc.returncode == expected_rc, f"helper exited with {proc.returncode}: {errors}"
    if plan is not None:
        anchors = sum(line.startswith(plan.anchor) for line in lines)
        assert anchors >= plan.count, f"helper never reached {plan}: {lines[-5:]} {errors}"
    return lines


@dataclass
class Expected:
    """What the disk may hold, from the helper's acknowledged and attempted writes."""

    possible: defaultdict[str, set[int | None]] = field(
        default_factory=lambda: defaultdict(lambda: {None})
    )
    usage: tuple[int, int] = (0, 0)
    """Persisted usage count bounds: last acknowledged total, total counted so far."""
    audit_kept: set[int] = field(default_factory=set)
    audit_tried: set[int] = field(default_factory=set)
    last_backup: list[Path] = field(default_factory=list)
    acknowledged: int = 0

    def apply(self, line: str) -> None:
        kind, key, value = line.split(" ", 2)
        if kind == "a":
            self.acknowledged += 1
        if key == "backup":
            if kind == "a":
                self.last_backup = [Path(p) for p in json.loads(value)]
            return
        number = int(value)
        if key == "usage":
            low, high = self.usage
            self.usage = (number, high) if kind == "a" else (low, number)
        elif key == "audit":
            (self.audit_kept if kind == "a" else self.audit_tried).add(number)
        elif kind == "a":
            self.possible[key] = {number}
        else:
            self.possible[key].add(number)

    def observe(self, key: str, value: int | None) -> None:
        """``value`` is on disk for ``key``: check it is allowed, then it is the only one."""
        allowed = self.possible[key]
        assert value in allowed, f"{key}={value}, expected one of {sorted(allowed, key=str)}"
        self.possible[key] = {value}

    def observe_state(self, state: dict[str, Any]) -> None:
        """Check what a start-up read through the API."""
        for key, value in state.items():
            if key == "usage":
                low, high = self.usage
                assert low <= value <= high, f"usage count {value} not in [{low}, {high}]"
                self.usage = (value, value)
            elif key == "audit":
                present = set(value)
                lost = self.audit_kept - present
                assert not lost, f"acknowledged audit records lost: {sorted(lost)[:10]}"
                unknown = present - self.audit_tried
                assert not unknown, f"audit records never written: {sorted(unknown)[:10]}"
                self.audit_kept = present
            else:
                self.observe(key, value)


def relative_files(bot_dir: Path) -> set[str]:
    return {p.relative_to(bot_dir).as_posix() for p in bot_dir.rglob("*") if p.is_file()}


def unexpected_files(bot_dir: Path) -> set[str]:
    return {name for name in relative_files(bot_dir) if not EXPECTED_FILE.fullmatch(name)}


def sqlite_verdict(path: Path, *, read_only: bool) -> tuple[str, str, list[str]]:
    """Integrity verdict, journal mode and table names of a database file."""
    mode = "ro" if read_only else "rw"
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode={mode}", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return f"error: {exc}", "", []
    try:
        verdict = "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
        journal = str(conn.execute("PRAGMA journal_mode").fetchone()[0])
        tables = [str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master")]
    except sqlite3.DatabaseError as exc:  # not a database, or damaged beyond checking
        return f"error: {exc}", "", []
    finally:
        conn.close()
    return verdict, journal, tables


class Checker:
    """File checks after each kill; backups are immutable, so each is checked once."""

    def __init__(self, bot_dir: Path, expected: Expected) -> None:
        self.bot_dir, self.expected = bot_dir, expected
        self.checked_backups: set[str] = set()

    def check_files(self) -> None:
        data = self.bot_dir / "data"
        names = relative_files(self.bot_dir)
        for name in sorted(names):
            path = self.bot_dir / name
            if not EXPECTED_FILE.fullmatch(name):
                continue  # a leftover: checked to be removed at the next start-up
            if name.endswith(".json"):
                try:
                    record = json.loads(path.read_text(encoding="utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise AssertionError(f"{name} is torn: {exc}") from None
                if name.startswith("data/"):
                    self.expected.observe(f"json:{path.stem}", record["seq"])
            elif name.endswith(("/main.db", "/guild.db")):
                verdict, _, _ = sqlite_verdict(path, read_only=False)
                assert verdict == "ok", f"{name}: {verdict}"
            elif name.endswith(".db") and name not in self.checked_backups:
                verdict, journal, tables = sqlite_verdict(path, read_only=True)
                assert verdict == "ok", f"backup {name}: {verdict}"
                assert journal == "delete", f"backup {name} needs its {journal} file"
                table = "global_stats" if path.name.startswith("main_") else "guild_config"
                assert table in tables, f"backup {name} is incomplete: {tables}"
                self.checked_backups.add(name)
        if "config.json" in names:
            status = load_config(self.bot_dir, create=False).status
            texts = [entry.text for entry in status.rotation]
            value = int(texts[0].split()[1]) if texts else None
            self.expected.observe("status", value)
        for backup in self.expected.last_backup:
            series = BACKUP_STAMP.sub("*.db", backup.name)  # main_*.db or guild_backup_*.db
            newer = [p for p in backup.parent.glob(series) if p > backup]
            assert backup.exists() or len(newer) >= BACKUPS_KEPT, (
                f"acknowledged backup {backup.relative_to(data)} is gone"
            )


def check_cycle(
    lines: list[str], bot_dir: Path, expected: Expected, checker: Checker, leftovers: set[str]
) -> None:
    """Check one run's start-up, record its writes, check the files its kill left."""
    if "clean" in lines:
        survivors = sorted(n for n in leftovers if (bot_dir / n).exists())
        assert not survivors, f"the start-up cleanup left {survivors}"
        leftovers.clear()
    for line in lines:
        if line.startswith("state "):
            try:
                expected.observe_state(json.loads(line[6:]))
            except AssertionError as exc:
                raise AssertionError(f"after restart: {exc}") from None
        elif line.startswith(("w ", "a ")):
            expected.apply(line)
    try:
        checker.check_files()
    except AssertionError as exc:
        raise AssertionError(f"after kill: {exc}") from None
    leftovers.update(unexpected_files(bot_dir))


@pytest.mark.timeout(240)  # ~35 s idle; 101 interpreter starts are slow on a loaded box
def test_hundred_sigkills_under_mixed_load(tmp_path: Path) -> None:
    bot_dir = tmp_path / "bot"
    bot_dir.mkdir()
    err_path = tmp_path / "helper.err"
    env = helper_env(tmp_path / "pycache")
    seed = int(os.environ.get("ZORYX_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    expected = Expected()
    checker = Checker(bot_dir, expected)
    leftovers: set[str] = set()
    """Files kills left behind, which the next completed start-up cleanup must remove."""
    leftovers_seen: set[str] = set()
    for kill in range(KILLS + 1):
        plan = plan_for(kill, rng) if kill < KILLS else None  # last run: start and stop
        lines: list[str] = []
        try:
            lines = run_helper(bot_dir, kill + 1, plan, err_path, env)
            if plan is None:  # before check_cycle, whose SQLite checks would tidy up too
                assert "closed" in lines, "the final start-up did not finish"
                assert unexpected_files(bot_dir) == set(), "left after a clean start and stop"
                wal = [p.name for p in bot_dir.rglob("*") if p.name.endswith(("-wal", "-shm"))]
                assert wal == [], "a clean shutdown leaves no WAL or shared-memory file"
            check_cycle(lines, bot_dir, expected, checker, leftovers)
        except AssertionError as exc:
            context = f"seed={seed} (ZORYX_KILL_SEED) kill={kill} {plan} last={lines[-3:]}"
            raise AssertionError(f"{exc}\n{context}") from None
        leftovers_seen.update(leftovers)
    # The load really ran: every kind of write was acknowledged, backups were checked and
    # kills left both temp files and partial backups for the start-up cleanup.
    assert expected.acknowledged > KILLS, expected.acknowledged
    keys = ["stat", "status", "json:plugin_registry", "json:event_hooks"]
    keys += [f"{kind}:{g}" for kind in ("prefix", "roles", "setting") for g in GUILDS]
    assert [k for k in keys if None in expected.possible[k]] == [], f"seed={seed}"
    assert expected.usage[0] > 0 and expected.audit_kept, f"seed={seed}"
    assert len(checker.checked_backups) >= 1 + len(GUILDS), f"seed={seed}"
    assert any(name.endswith(".tmp") for name in leftovers_seen), f"seed={seed}"
    assert any(".db.part" in name for name in leftovers_seen), f"seed={seed}"


def test_cleanup_removes_side_files_of_partial_backups_and_config_temps(tmp_path: Path) -> None:
    """The leftovers a kill during a backup or a config.json save really leaves."""
    backups = tmp_path / "data" / "backups" / "db"
    backups.mkdir(parents=True)
    part = backups / "main_20240101T000000_000000Z.db.part"
    doomed = [
        part,
        part.with_name(part.name + "-journal"),  # SQLite's journal of the copy in progress
        part.with_name(part.name + "-wal"),
        part.with_name(part.name + "-shm"),
        tmp_path / ".config.json.a_9xk2mq.tmp",  # tempfile.mkstemp, as config.json's writer
    ]
    kept = [
        backups / "main_20240101T000000_000000Z.db",
        tmp_path / "data" / "main.db-journal",
        tmp_path / "data" / "main.db-wal",
        tmp_path / ".config.json.tmp",
        tmp_path / ".config.json.A_9XK2MQ.tmp",
    ]
    for path in doomed + kept:
        path.write_bytes(b"x")
        os.utime(path, (1_000_000_000.0, 1_000_000_000.0))
    removed = remove_leftovers([tmp_path])
    assert sorted(removed) == sorted(doomed)
    assert all(p.exists() for p in kept)


def test_cleanup_removes_what_a_process_killed_just_before_the_start_left(
    tmp_path: Path,
) -> None:
    """A file written right before this process started is older than it: removed.

    (An estimate of the process start taken from the whole-second boot time of
    /proc/stat was up to a second early and spared such files.)
    """
    leftover = tmp_path / ".plugin_registry.json.0123456789ab.tmp"
    leftover.write_bytes(b"{")
    code = (
        "import sys; from pathlib import Path; "
        "from zoryx.storage.leftovers import remove_leftovers; "
        "print(len(remove_leftovers([Path(sys.argv[1])])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1"] and not leftover.exists()
