"""Write JSON records through AtomicStore as fast as possible until killed.

Usage: ``python tests/helpers/atomic_writer_proc.py DIR``

Used by ``tests/test_atomic_crash.py``, which SIGKILLs this process at random moments and
then checks that every ``*.json`` file in DIR still parses and holds a complete record.
Prints ``ready <run-id>`` on stdout once it is about to start writing.

Each record looks like::

    {"file": "f3", "run": "<run-id>", "seq": 17, "size": 123456,
     "payload": {...}, "sha256": "<hex digest of the canonical payload JSON>"}
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from zoryx.storage.atomic import AtomicStore

FILE_COUNT = 5
MAX_SIZE = 200_000


def payload_digest(payload: Any) -> str:
    """Hex SHA-256 of the canonical JSON form of ``payload``."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def make_payload(seq: int, size: int, rng: random.Random) -> dict[str, Any]:
    """Build a payload whose JSON form is roughly ``size`` bytes."""
    return {
        "blob": os.urandom(max(size // 2, 1)).hex(),
        "text": f"héllo ✓ 你好 #{seq}",
        "numbers": [rng.random() for _ in range(rng.randint(0, 50))],
        "nested": {"seq": seq, "flags": [True, False, None]},
    }


async def write_forever(directory: Path) -> None:
    """Rewrite every file in ``directory`` in concurrent rounds, forever.

    Payloads are generated up front so the loop spends its time writing, not hashing,
    which makes kills land inside a write more often.
    """
    store = AtomicStore(retry_base_delay=0.001)
    rng = random.Random()
    run = os.urandom(4).hex()
    names = [f"f{i}" for i in range(FILE_COUNT)]
    sizes = [MAX_SIZE, *(rng.randint(10, MAX_SIZE) for _ in range(15))]
    payloads = [make_payload(i, size, rng) for i, size in enumerate(sizes)]
    pool = [(payload, payload_digest(payload)) for payload in payloads]
    print(f"ready {run}", flush=True)
    seq = 0
    while True:
        seq += 1
        writes = []
        for name in names:
            payload, digest = rng.choice(pool)
            record = {
                "file": name,
                "run": run,
                "seq": seq,
                "size": len(payload["blob"]),
                "payload": payload,
                "sha256": digest,
            }
            writes.append(store.write_json(directory / f"{name}.json", record, indent=None))
        await asyncio.gather(*writes)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: atomic_writer_proc.py DIR", file=sys.stderr)
        return 2
    directory = Path(argv[1])
    directory.mkdir(parents=True, exist_ok=True)
    asyncio.run(write_forever(directory))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
