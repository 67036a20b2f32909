"""The requests a restore makes, per rate-limit bucket of the embedded sandbox, and the
least time the sandbox's limits allow for them.

:class:`RequestLog` wraps the sandbox's ``RateLimiter.check`` (an instance attribute that
shadows the method, so nothing in ``zoryx`` changes): every REST request the sandbox
answers goes through it once, with its route template, major parameter and the route's
limit, and the verdict says whether it was refused with a 429. The wrapper runs on the
sandbox's thread; it only appends to a bounded deque.

:func:`minimum_seconds` is the lower bound. The sandbox counts in fixed windows: a bucket
(or the global counter) opens a window of ``per`` seconds at the first request after the
previous one ended and admits ``limit`` requests in it; refused requests are not counted.
So ``n`` admitted requests need at least ``ceil(n / limit)`` windows, and the last one
starts at least ``(ceil(n / limit) - 1) * per`` seconds after the first request. This
holds for every bucket and for the global limit; the bound is the largest of them.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

#: Requests kept per log; a restore of the default scale guild makes about 1,000.
MAX_RECORDS = 200_000


@dataclass(frozen=True)
class Seen:
    """One request as the sandbox's limiter saw it."""

    at: float  # time.monotonic() on the sandbox's thread
    route: str  # "POST /guilds/{guild_id}/roles"
    major: str  # the guild, channel or webhook ID the bucket is per
    limit: int
    per: float
    refused: bool  # answered with a 429
    is_global: bool  # refused by the global limit


class RequestLog:
    """Records every request the sandbox's limiter checks while installed."""

    def __init__(self, limiter: Any) -> None:
        self.limiter = limiter
        self.records: deque[Seen] = deque(maxlen=MAX_RECORDS)
        self.total = 0  # requests seen, also those the deque dropped

    def _check(self, app_key: str, route: str, major: str, limit: int, per: float) -> Any:
        verdict = type(self.limiter).check(self.limiter, app_key, route, major, limit, per)
        self.total += 1
        self.records.append(
            Seen(
                time.monotonic(),
                route,
                major,
                limit,
                per,
                verdict.retry_after is not None,
                verdict.is_global,
            )
        )
        return verdict

    def install(self) -> None:
        """Start recording (call on the sandbox's loop)."""
        self.limiter.check = self._check

    def uninstall(self) -> None:
        vars(self.limiter).pop("check", None)

    def take(self) -> list[Seen]:
        """The records so far, and start again from none."""
        if self.total > len(self.records):
            raise RuntimeError(f"{self.total} requests seen, only {len(self.records)} kept")
        out = list(self.records)
        self.records.clear()
        self.total = 0
        return out


def _windows_bound(count: int, limit: int, per: float) -> float:
    return (math.ceil(count / limit) - 1) * per if count > 0 else 0.0


def minimum_seconds(records: list[Seen], global_limit: int, global_per: float) -> dict[str, Any]:
    """The least time the limits allow for the admitted requests of ``records`` (see the
    module docstring), with the per-bucket and global terms it is the maximum of."""
    admitted = [r for r in records if not r.refused]
    counts = Counter((r.route, r.major, r.limit, r.per) for r in admitted)
    buckets: list[dict[str, Any]] = sorted(
        (
            {
                "route": route,
                "major": major,
                "limit": limit,
                "per": per,
                "requests": n,
                "min_seconds": round(_windows_bound(n, limit, per), 3),
            }
            for (route, major, limit, per), n in counts.items()
        ),
        key=lambda b: (-b["min_seconds"], -b["requests"], b["route"]),
    )
    global_bound = _windows_bound(len(admitted), global_limit, global_per)
    bucket_bound: float = max((float(b["min_seconds"]) for b in buckets), default=0.0)
    by_route = Counter(r.route for r in admitted)
    return {
        "requests": len(admitted),
        "refused_429": sum(1 for r in records if r.refused),
        "refused_global": sum(1 for r in records if r.refused and r.is_global),
        "global_limit": global_limit,
        "global_per": global_per,
        "global_min_seconds": round(global_bound, 3),
        "bucket_min_seconds": bucket_bound,
        "min_seconds": round(max(global_bound, bucket_bound), 3),
        "bound_by": "global" if global_bound >= bucket_bound else "bucket",
        "requests_by_route": dict(by_route.most_common()),
        "top_buckets": buckets[:5],
        "buckets": len(buckets),
    }


def timeline(records: list[Seen]) -> dict[str, Any]:
    """Where the time between the first and the last admitted request went: gaps between
    consecutive admitted requests, split into those with a 429 in between (a retry wait)
    and those without (the client's own pace: request, response, its processing, and any
    wait discord.py took before sending)."""
    admitted_at: list[float] = []
    after_refusal: list[bool] = []
    refused_since = False
    for r in records:
        if r.refused:
            refused_since = True
            continue
        admitted_at.append(r.at)
        after_refusal.append(refused_since)
        refused_since = False
    gaps = [b - a for a, b in itertools.pairwise(admitted_at)]
    retry = [g for g, hit in zip(gaps, after_refusal[1:], strict=False) if hit]
    plain = sorted(g for g, hit in zip(gaps, after_refusal[1:], strict=False) if not hit)
    long_plain = [g for g in plain if g >= 0.1]
    return {
        "span_seconds": round(admitted_at[-1] - admitted_at[0], 3) if admitted_at else 0.0,
        "retry_gaps": len(retry),
        "retry_gap_seconds": round(sum(retry), 3),
        "plain_gaps": len(plain),
        "plain_gap_seconds": round(sum(plain), 3),
        "plain_gap_p50_ms": round(1000 * plain[len(plain) // 2], 2) if plain else 0.0,
        "plain_gaps_over_100ms": len(long_plain),
        "plain_gaps_over_100ms_seconds": round(sum(long_plain), 3),
    }
