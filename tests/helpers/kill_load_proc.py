"""Mixed-workload process for tests/runtime/test_kill_under_load.py: write until killed.

Usage: ``python kill_load_proc.py BOT_DIR RUN [--final]``

Start-up follows the runtime's storage path (:meth:`zoryx.runtime.Runtime.build`): load
config.json, remove the leftovers of interrupted writes and backups, open the databases.
It prints ``start`` first, ``clean`` once the leftovers are removed, then ``state <json>``
(every value the workload writes, read back through the public API) and ``ready``.

Then, concurrently and forever: guild settings (prefix, role rule, extension setting) in
three guilds through a pool of two connections, a global stat, audit records and command
usage flushes in main.db, status rotation changes saved to config.json the way the
``status`` command saves them, AtomicStore JSON files, and database backups.

Every write prints ``w <key> <value>`` before the call and ``a <key> <value>`` once it
returned (acknowledged); a backup prints ``w backup -`` and ``a backup <json paths>``.
Values are ``RUN * 1_000_000 + n``, so they grow across runs. With ``--final`` the process
stops after ``ready``, closes the databases and prints ``closed``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from zoryx.config import Config, load_config, parse_config, save_config
from zoryx.storage.atomic import AtomicStore
from zoryx.storage.audit import AuditLog
from zoryx.storage.databases import Databases
from zoryx.storage.leftovers import remove_leftovers

GUILDS = (1, 2, 3)
JSON_FILES = ("plugin_registry", "event_hooks")
COMMAND = "ping"
AUDIT_ACTION = "kill-load"
AUDIT_ROWS_READ = 10_000
PAD = "x" * 300


def say(*words: object) -> None:
    print(*words, flush=True)


async def acknowledged(key: str, value: int, call: Awaitable[object]) -> None:
    """Announce the write, run it, acknowledge it once it returned."""
    say("w", key, value)
    await call
    say("a", key, value)


def value_of_prefix(prefix: str | None) -> int | None:
    return None if prefix is None else int(prefix[1:-1])


async def read_state(db: Databases, audit: AuditLog) -> dict[str, Any]:
    """Everything the workload writes to the databases, as a user of the API sees it."""
    state: dict[str, Any] = {"stat": await db.get_global_stat("seq")}
    for gid in GUILDS:
        state[f"prefix:{gid}"] = value_of_prefix(await db.get_prefix(gid))
        roles = await db.get_command_roles(gid, "ban")
        state[f"roles:{gid}"] = roles[0] if roles else None
        state[f"setting:{gid}"] = await db.get_guild_setting(gid, "seq")
    state["usage"] = (await db.command_usage(COMMAND)).count
    records = await audit.recent(AUDIT_ROWS_READ)
    state["audit"] = sorted(
        json.loads(r.detail)["seq"] for r in records if r.action == AUDIT_ACTION
    )
    return state


class Workload:
    """The concurrent writers of one run."""

    def __init__(self, bot_dir: Path, run: int, config: Config, db: Databases) -> None:
        self.bot_dir, self.config, self.db = bot_dir, config, db
        self.data_dir = db.data_dir
        self.audit = AuditLog(db)
        self.store = AtomicStore(private_dirs=[self.data_dir])  # as the runtime's
        self._values = itertools.count(run * 1_000_000 + 1)

    def next_value(self) -> int:
        return next(self._values)

    async def guild(self, gid: int) -> None:
        db = self.db
        while True:
            v = self.next_value()
            await acknowledged(f"prefix:{gid}", v, db.set_prefix(gid, f"p{v}!"))
            await acknowledged(f"roles:{gid}", v, db.set_command_roles(gid, "ban", [v, v + 1]))
            await acknowledged(f"setting:{gid}", v, db.set_guild_setting(gid, "seq", v))

    async def main_db(self, usage_base: int) -> None:
        total = usage_base
        while True:
            v = self.next_value()
            await acknowledged("stat", v, self.db.set_global_stat("seq", v))
            say("w audit", v)
            await self.audit.record(
                actor="load",
                role="owner",
                source="test",
                action=AUDIT_ACTION,
                target="db",
                ok=True,
                detail={"seq": v, "pad": PAD},
            )
            say("a audit", v)
            total += 3
            say("w usage", total)
            for gid in GUILDS:
                self.db.increment_usage(COMMAND, gid)
            await self.db.flush_usage()
            say("a usage", total)

    async def status(self) -> None:
        """Change the status rotation and save config.json like the ``status`` command."""
        while True:
            v = self.next_value()
            data = self.config.to_dict()
            data["status"]["rotation"] = [{"type": "playing", "text": f"load {v}"}]
            updated = parse_config(data)
            say("w status", v)
            await asyncio.to_thread(save_config, self.bot_dir, updated)
            self.config.status = updated.status
            say("a status", v)

    async def json_file(self, name: str, size: int) -> None:
        path = self.data_dir / f"{name}.json"
        while True:
            v = self.next_value()
            record = {"seq": v, "plugins": {f"p{i}": {"pad": PAD} for i in range(size)}}
            await acknowledged(f"json:{name}", v, self.store.write_json(path, record))

    async def backups(self) -> None:
        rounds = 0
        while True:
            rounds += 1
            say("w backup -")
            made = await self.db.backup(time_limit=30.0 if rounds % 2 else None)
            say("a backup", json.dumps([str(p) for p in made]))
            await asyncio.sleep(0.01)

    async def run(self, usage_base: int) -> None:
        jobs: list[Callable[[], Awaitable[None]]] = [
            *(lambda g=g: self.guild(g) for g in GUILDS),
            lambda: self.main_db(usage_base),
            self.status,
            lambda: self.json_file(JSON_FILES[0], 60),
            lambda: self.json_file(JSON_FILES[1], 2),
            self.backups,
        ]
        await asyncio.gather(*(job() for job in jobs))


async def main(bot_dir: Path, run: int, final: bool) -> None:
    say("start")
    config = await asyncio.to_thread(load_config, bot_dir)
    data_dir = config.database.resolve(bot_dir)
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(remove_leftovers, {bot_dir, data_dir})
    say("clean")
    db = Databases(data_dir, pool_size=2, flush_interval=0.05)
    await db.open()
    state = await read_state(db, AuditLog(db))
    say("state", json.dumps(state))
    say("ready")
    if final:
        await db.close()
        say("closed")
        return
    await Workload(bot_dir, run, config, db).run(state["usage"])


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(Path(args[0]), int(args[1]), "--final" in args[2:]))
