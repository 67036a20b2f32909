"""Per-shard connection history (connects, resumes, disconnects), bounded."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class ShardEvents:
    """When each shard last connected or dropped, and a short log of transitions."""

    connects: dict[int, float] = field(default_factory=dict)
    disconnects: dict[int, float] = field(default_factory=dict)
    log: deque[tuple[float, int, str]] = field(default_factory=lambda: deque(maxlen=200))

    def record(self, shard_id: int, kind: str) -> None:
        now = time.time()
        if kind in ("connect", "resume"):
            self.connects[shard_id] = now
        else:
            self.disconnects[shard_id] = now
        self.log.append((now, shard_id, kind))

    def last_connect(self, shard_id: int) -> float | None:
        return self.connects.get(shard_id)

    def last_disconnect(self, shard_id: int) -> float | None:
        return self.disconnects.get(shard_id)
