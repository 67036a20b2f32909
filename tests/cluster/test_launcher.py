"""``zoryx cluster``: planning the fleet, refusing what cannot work, and supervising processes.

The supervisor tests run small Python children (no bot) so that restarts, backoff and
stopping are checked quickly; the full fleet runs in test_fleet_e2e.py.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from zoryx.cluster_launcher import (
    LaunchRefused,
    plan_fleet,
    prepare_directory,
    run_launcher,
    split_shards,
)
from zoryx.cluster_supervisor import ChildSpec, Supervisor
from zoryx.testing.waits import eventually

CHILD = r"""
import os, signal, sys
mode, log = sys.argv[1], sys.argv[2]
with open(log, "a") as f:
    f.write(f"{os.getpid()}\n")
print("hello from", os.environ.get("SHARD_CLUSTER_NAME"), flush=True)
if mode in ("crash", "clean", "config"):
    sys.exit({"crash": 3, "clean": 0, "config": 2}[mode])
if mode == "graceful":
    def on_term(*_):
        print("graceful stop", flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, on_term)
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("waiting for a signal", flush=True)
while True:
    signal.pause()
"""
SECRET = "a-private-ipc-secret-0123456789"


class Sink(io.StringIO):
    """The launcher's output, readable while it runs."""

    def lines(self) -> list[str]:
        return self.getvalue().splitlines()


@pytest.fixture
def child(tmp_path: Path) -> Path:
    path = tmp_path / "child.py"
    path.write_text(CHILD)
    return path


def spec(child: Path, tmp_path: Path, name: str, mode: str) -> ChildSpec:
    env = {**os.environ, "SHARD_CLUSTER_NAME": name}
    return ChildSpec(name, [sys.executable, str(child), mode, str(tmp_path / f"{name}.log")], env)


def starts(tmp_path: Path, name: str) -> list[int]:
    path = tmp_path / f"{name}.log"
    return [int(x) for x in path.read_text().split()] if path.exists() else []


# -- planning -----------------------------------------------------------------------------------
def test_shards_are_split_in_contiguous_blocks() -> None:
    assert split_shards(3, 6) == [(0, 1), (2, 3), (4, 5)]
    assert split_shards(3, 7) == [(0, 1, 2), (3, 4), (5, 6)]
    assert split_shards(1, 4) == [(0, 1, 2, 3)]
    with pytest.raises(LaunchRefused, match="3 clusters need at least 3 shards"):
        split_shards(3, 2)


def _bot_dir(tmp_path: Path, env: dict[str, str], config: dict[str, object] | None = None) -> Path:
    bot = tmp_path / "bot"
    (bot / "extensions").mkdir(parents=True)
    (bot / "config.json").write_text(json.dumps(config or {}))
    (bot / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return bot


def test_each_cluster_gets_its_shards_its_name_and_its_own_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("DISCORD_TOKEN", "SHARD_COUNT", "SHARD_IDS", "ENABLE_SHARD_MANAGER"):
        monkeypatch.delenv(key, raising=False)
    bot = _bot_dir(
        tmp_path,
        {
            "ZORYX_SANDBOX_URL": "http://127.0.0.1:1",
            "ZORYX_SANDBOX_TOKEN": "control",
            "SHARD_COUNT": "4",
        },
    )
    plans, manager_on = plan_fleet(bot, 2, None)  # SHARD_COUNT from .env
    assert not manager_on
    assert [(p.name, p.shard_ids, p.shard_count) for p in plans] == [
        ("cluster-0", (0, 1), 4),
        ("cluster-1", (2, 3), 4),
    ]
    plans, _ = plan_fleet(bot, 3, 6)  # --shards wins
    env = plans[2].environment({"SHARD_IDS": "9", "KEEP": "me"})
    assert env["SHARD_COUNT"] == "6" and env["SHARD_IDS"] == "4,5" and env["KEEP"] == "me"
    assert env["SHARD_CLUSTER_NAME"] == "cluster-2"
    directory = plans[2].directory
    assert directory == bot / "data" / "clusters" / "cluster-2"
    prepare_directory(bot, directory)
    prepare_directory(bot, directory)  # again: nothing breaks, nothing duplicated
    for name in ("config.json", ".env", "extensions"):
        assert (directory / name).resolve() == (bot / name).resolve()
    assert (directory / "data").is_dir() and not (directory / "data").is_symlink()
    assert (directory / "botlogs").is_dir() and not (directory / "botlogs").is_symlink()
    # The cluster reads the bot directory's configuration through its links.
    (bot / "extensions" / "hello.py").write_text("x = 1\n")
    assert (directory / "extensions" / "hello.py").read_text() == "x = 1\n"


@pytest.mark.parametrize(
    ("env", "config", "code", "message"),
    [
        ({}, None, 1, "the clusters need one Discord to share"),
        (
            {"DISCORD_TOKEN": "a.real.looking.token"},
            {"database": {"base_path": "/srv/shared-data"}},
            1,
            "database.base_path is absolute",
        ),
        (
            {"DISCORD_TOKEN": "a.real.looking.token", "ENABLE_SHARD_MANAGER": "true"},
            None,
            2,
            "SHARD_IPC_SECRET must be a private value",
        ),
        ({"SHARD_COUNT": "lots"}, None, 2, "SHARD_COUNT must be an integer"),
    ],
)
def test_a_fleet_that_cannot_work_is_refused_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    config: dict[str, object] | None,
    code: int,
    message: str,
) -> None:
    for key in ("DISCORD_TOKEN", "ZORYX_SANDBOX_URL", "SHARD_COUNT", "ENABLE_SHARD_MANAGER"):
        monkeypatch.delenv(key, raising=False)
    bot = _bot_dir(tmp_path, env, config)
    out, err = Sink(), Sink()
    assert run_launcher(bot, clusters=2, out=out, err=err) == code
    assert message in err.getvalue() and len(err.lines()) == 1
    assert out.getvalue() == ""
    assert not (bot / "data" / "clusters").exists()


def test_the_cli_refuses_more_clusters_than_shards(tmp_path: Path) -> None:
    bot = _bot_dir(tmp_path, {"DISCORD_TOKEN": "a.real.looking.token"})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHARD_", "ZORYX_"))}
    command = ["zoryx", "cluster", "--clusters", "3", "--shards", "2", "--dir", str(bot)]
    result = subprocess.run(
        [sys.executable, "-m", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert "3 clusters need at least 3 shards" in result.stderr


# -- supervising ----------------------------------------------------------------------------------
async def test_a_dead_cluster_is_restarted_with_a_growing_delay(
    tmp_path: Path, child: Path
) -> None:
    out = Sink()
    sup = Supervisor(
        [spec(child, tmp_path, "c0", "crash")],
        out=out,
        min_backoff=0.05,
        max_backoff=0.2,
        stable_after=3600,
    )
    task = asyncio.create_task(sup.run())
    await eventually(lambda: len(starts(tmp_path, "c0")) >= 5, timeout=60)
    sup.stop()
    assert await task == 0
    delays = [
        float(m)
        for m in re.findall(r"c0 died \(exit code 3\); restarting in ([\d.]+)s", out.getvalue())
    ]
    assert delays[:4] == [0.05, 0.1, 0.2, 0.2]  # doubles, capped at max_backoff
    assert "[c0] hello from c0" in out.lines()
    assert len(set(starts(tmp_path, "c0"))) == len(starts(tmp_path, "c0"))  # new processes


async def test_the_delay_falls_back_once_a_run_lasted(tmp_path: Path, child: Path) -> None:
    out = Sink()
    sup = Supervisor(
        [spec(child, tmp_path, "c0", "crash")], out=out, min_backoff=0.05, stable_after=0.0
    )
    task = asyncio.create_task(sup.run())
    await eventually(lambda: len(starts(tmp_path, "c0")) >= 4, timeout=60)
    sup.stop()
    await task
    delays = re.findall(r"restarting in ([\d.]+)s", out.getvalue())
    assert len(delays) >= 3 and set(delays) == {"0.05"}


async def test_a_deliberate_exit_is_not_restarted_and_a_config_error_stops_the_fleet(
    tmp_path: Path, child: Path
) -> None:
    out = Sink()
    sup = Supervisor([spec(child, tmp_path, "c0", "clean")], out=out, min_backoff=0.01)
    assert await sup.run() == 0  # returns by itself: nothing left to run
    assert len(starts(tmp_path, "c0")) == 1
    assert "c0 exited normally (shut down on purpose); not restarted" in out.getvalue()

    out = Sink()
    sup = Supervisor(
        [spec(child, tmp_path, "c1", "config"), spec(child, tmp_path, "c2", "graceful")],
        out=out,
        min_backoff=0.01,
    )
    assert await sup.run() == 2
    assert len(starts(tmp_path, "c1")) == 1
    assert "c1 stopped with a configuration error" in out.getvalue()
    assert sup.states["c2"].done  # the healthy cluster was stopped too


async def test_stop_asks_each_cluster_once_then_kills_one_that_hangs(
    tmp_path: Path, child: Path
) -> None:
    out = Sink()
    sup = Supervisor(
        [spec(child, tmp_path, "nice", "graceful"), spec(child, tmp_path, "stuck", "stubborn")],
        out=out,
        stop_timeout=1.0,
    )
    task = asyncio.create_task(sup.run())
    await eventually(lambda: out.getvalue().count("waiting for a signal") == 2, timeout=60)
    pids = [sup.states[n].pid for n in ("nice", "stuck")]
    sup.stop()
    assert await task == 0
    assert "[nice] graceful stop" in out.lines()
    assert "stuck (pid" in out.getvalue() and "did not stop in time; killing it" in out.getvalue()
    assert sup.states["nice"].exits == [0]
    assert sup.states["stuck"].exits == [-9]  # SIGKILL
    for pid in pids:
        assert pid is not None and not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
