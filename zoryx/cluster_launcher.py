"""``zoryx cluster``: run one bot as N cluster processes on this machine.

Each cluster is a ``zoryx run --headless`` process with ``SHARD_COUNT``, its share of
``SHARD_IDS`` (contiguous blocks) and ``SHARD_CLUSTER_NAME=cluster-<i>`` in its
environment; :class:`~zoryx.cluster_supervisor.Supervisor` restarts one that dies and
stops them all on SIGTERM/SIGINT.

**Per-cluster directories.** One bot directory is run by one process (``data/zoryx.lock``),
and its databases, logs and control socket belong to that process. So every cluster gets
its own directory, ``<data dir>/clusters/<name>/``, holding its ``data/`` (databases,
control socket, lock) and ``botlogs/``, with ``config.json``, ``.env`` and
``extensions/`` linked (symlinks) to the bot directory's: one configuration and one set of
extensions, separate state. The launcher itself holds the bot directory's lock, so a
plain ``zoryx run`` cannot start on it next to the fleet. Operate one cluster with
``zoryx status --dir <data dir>/clusters/cluster-0`` or ``zoryx tui --attach`` on that
directory. A guild lives on one shard, so its per-guild database is in the directory of
the cluster that runs that shard: keep ``--clusters`` and ``--shards`` stable between
runs, or its data stays with the old cluster's directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .cluster_supervisor import ChildSpec, Supervisor
from .config import (
    CONFIG_FILENAME,
    ENV_FILENAME,
    ConfigError,
    check_settings,
    effective_toggles,
    load_config,
    load_env,
)

CLUSTERS_DIR = "clusters"
MAX_RESTART_DELAY = 60.0
"""Longest wait before restarting a cluster that keeps dying."""
STABLE_AFTER = 60.0
"""A cluster up this long counts as healthy again: its next restart waits the first delay."""
SHARED_ENTRIES = (CONFIG_FILENAME, ENV_FILENAME, "extensions")
"""What every cluster directory links to in the bot directory (when it exists there)."""


class LaunchRefused(Exception):
    """The fleet cannot start as asked (one-line reason for the terminal)."""


@dataclass(frozen=True)
class ClusterPlan:
    """One cluster of the fleet: its name, shards and directory."""

    name: str
    shard_ids: tuple[int, ...]
    shard_count: int
    directory: Path

    def environment(self, base: Mapping[str, str], columns: int = 200) -> dict[str, str]:
        """``base`` plus what makes a ``zoryx run`` process this cluster. ``columns`` is the
        width its console log lines are laid out for (they are shown with a prefix)."""
        env = dict(base)
        env.update(
            SHARD_COUNT=str(self.shard_count),
            SHARD_IDS=",".join(str(i) for i in self.shard_ids),
            SHARD_CLUSTER_NAME=self.name,
            PYTHONUNBUFFERED="1",
            COLUMNS=str(columns),
        )
        return env

    def line(self) -> str:
        first, last = self.shard_ids[0], self.shard_ids[-1]
        span = f"shard {first}" if first == last else f"shards {first}-{last}"
        return f"  {self.name:<12} {span} of {self.shard_count}  ({self.directory})"


def split_shards(clusters: int, shards: int) -> list[tuple[int, ...]]:
    """``shards`` shard IDs in ``clusters`` contiguous blocks, sizes differing by one at most.

    Raises:
        LaunchRefused: fewer shards than clusters (a cluster would have nothing to run).
    """
    if clusters < 1:
        raise LaunchRefused("--clusters must be 1 or more")
    if shards < clusters:
        raise LaunchRefused(
            f"{clusters} clusters need at least {clusters} shards (got {shards}); "
            "raise --shards or lower --clusters"
        )
    base, extra = divmod(shards, clusters)
    blocks: list[tuple[int, ...]] = []
    start = 0
    for index in range(clusters):
        size = base + (1 if index < extra else 0)
        blocks.append(tuple(range(start, start + size)))
        start += size
    return blocks


def plan_fleet(bot_dir: Path, clusters: int, shards: int | None) -> tuple[list[ClusterPlan], bool]:
    """Check the bot directory's settings and plan the clusters.

    Returns the plans and whether the shard manager (the cluster bus) is on.

    Raises:
        ConfigError: bad config.json or .env (as ``zoryx run`` would report it).
        LaunchRefused: the fleet cannot work with these settings.
    """
    config = load_config(bot_dir)
    env = load_env(bot_dir)
    check_settings(config, env)
    if Path(config.database.base_path).expanduser().is_absolute():
        raise LaunchRefused(
            f"config.json database.base_path is absolute ({config.database.base_path}): every "
            "cluster would share one data directory; use a path relative to the bot directory"
        )
    if env.discord_token is None and env.sandbox_url is None:
        raise LaunchRefused(
            "the clusters need one Discord to share: set DISCORD_TOKEN, or run a sandbox "
            "(zoryx sandbox --shards N) and set ZORYX_SANDBOX_URL and ZORYX_SANDBOX_TOKEN; "
            "without them each cluster would start its own private sandbox"
        )
    count = shards if shards is not None else (env.shard_count or clusters)
    root = config.database.resolve(bot_dir) / CLUSTERS_DIR
    plans = [
        ClusterPlan(f"cluster-{index}", ids, count, root / f"cluster-{index}")
        for index, ids in enumerate(split_shards(clusters, count))
    ]
    return plans, effective_toggles(config, env)["enable_shard_manager"]


def prepare_directory(bot_dir: Path, directory: Path) -> None:
    """Create a cluster's directory: own ``data/`` and ``botlogs/``, shared files linked.

    A link that points elsewhere (the bot directory moved) is replaced; a real file put
    there on purpose is left alone and wins for that cluster.
    """
    for sub in ("data", "botlogs"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    for name in SHARED_ENTRIES:
        target = (bot_dir / name).resolve()
        link = directory / name
        if not target.exists():
            continue
        if link.is_symlink():
            if Path(os.readlink(link)) == target:
                continue
            link.unlink()
        elif link.exists():
            continue
        link.symlink_to(target, target_is_directory=target.is_dir())


def child_command(directory: Path) -> list[str]:
    """How one cluster runs: ``zoryx run --headless`` on its directory, same interpreter."""
    return [sys.executable, "-m", "zoryx", "run", "--headless", "--dir", str(directory)]


def console_columns(stream: TextIO, prefix: int) -> int:
    """Width for the clusters' console lines: the terminal's less the ``[name] `` prefix,
    or 200 when the output is not a terminal (a file, a pipe, a journal)."""
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return max(shutil.get_terminal_size().columns - prefix, 60)
    return 200


def banner(bot_dir: Path, plans: Sequence[ClusterPlan], manager_on: bool) -> str:
    lines = [
        f"zoryx cluster: {len(plans)} cluster(s), {plans[0].shard_count} shard(s), "
        f"bot directory {bot_dir}",
        *(plan.line() for plan in plans),
    ]
    if not manager_on:
        lines.append(
            "  ENABLE_SHARD_MANAGER is off: each cluster runs its shards without the cluster "
            "bus (no clusters/broadcastmsg, no shared IDENTIFY budget)"
        )
    lines.append("Stop with Ctrl+C or SIGTERM (graceful; a second one kills).")
    return "\n".join(lines)


def run_launcher(
    bot_dir: Path,
    *,
    clusters: int,
    shards: int | None = None,
    stop_timeout: float = 30.0,
    restart_delay: float = 1.0,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Plan, prepare and supervise the fleet until SIGTERM/SIGINT; returns the exit code.

    A dead cluster is restarted after ``restart_delay`` seconds, doubled after each quick
    death up to :data:`MAX_RESTART_DELAY`. Exit codes: 0 stopped on request, 1 the fleet
    cannot start, 2 a configuration error.
    """
    stream = out if out is not None else sys.stdout
    errors = err if err is not None else sys.stderr
    bot_dir = bot_dir.resolve()
    try:
        plans, manager_on = plan_fleet(bot_dir, clusters, shards)
        for plan in plans:
            prepare_directory(bot_dir, plan.directory)
    except ConfigError as exc:
        errors.write(f"Configuration error: {exc}\n")
        return 2
    except LaunchRefused as exc:
        errors.write(f"Error: {exc}\n")
        return 1
    except OSError as exc:
        errors.write(f"Error: cannot prepare the cluster directories: {exc}\n")
        return 1
    stream.write(banner(bot_dir, plans, manager_on) + "\n")
    stream.flush()
    columns = console_columns(stream, max(len(plan.name) for plan in plans) + 3)
    specs = [
        ChildSpec(
            plan.name,
            child_command(plan.directory),
            plan.environment(os.environ, columns),
            cwd=str(plan.directory),
        )
        for plan in plans
    ]
    supervisor = Supervisor(
        specs,
        out=stream,
        stop_timeout=stop_timeout,
        min_backoff=restart_delay,
        max_backoff=max(restart_delay, MAX_RESTART_DELAY),
        stable_after=STABLE_AFTER,
    )
    return asyncio.run(_serve(supervisor))


async def _serve(supervisor: Supervisor) -> int:
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, supervisor.stop)
            installed.append(sig)
    try:
        return await supervisor.run()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
