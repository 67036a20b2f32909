"""Writer process for tests/test_db_crash.py: write to every database until killed.

Usage: ``python db_writer_proc.py DATA_DIR``. Prints ``start`` before opening the
databases (a first open creates their schema), ``ready <seq>`` once open (``seq`` is the
main.db sequence number found on disk), then, after each round whose writes are all
committed, the round's sequence number. A round writes main.db first, then the guilds. Each round
sets a global stat and, in five guild databases (pool capped at three, so connections are
constantly evicted and reopened), a JSON setting, roles, the prefix and a multi-statement
transaction on an extension table. Usage counts are flushed every 20 ms.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from zoryx.storage.databases import Databases

GUILDS = (1, 2, 3, 4, 5)


async def main(data_dir: Path) -> None:
    print("start", flush=True)
    db = Databases(data_dir, pool_size=3, flush_interval=0.02)
    await db.open()
    seq: int = await db.get_global_stat("seq", 0)
    print("ready", seq, flush=True)
    while True:
        seq += 1
        await db.set_global_stat("seq", seq)
        for gid in GUILDS:
            db.increment_usage("ping", gid, error=seq % 7 == 0)
            await db.set_guild_setting(gid, "seq", seq)
            if seq % 3 == 0:
                await db.set_command_roles(gid, "ban", [seq, seq + 1])
                await db.set_prefix(gid, f"p{seq % 10}!")
            if seq % 4 == 0:
                async with db.guild_connection(gid) as conn:
                    await conn.execute("CREATE TABLE IF NOT EXISTS log (seq INTEGER, data BLOB)")
                    await conn.execute("BEGIN")
                    await conn.executemany(
                        "INSERT INTO log VALUES (?, randomblob(800))", [(seq,)] * 5
                    )
                    await conn.execute("DELETE FROM log WHERE seq < ?", (seq - 40,))
        print(seq, flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
