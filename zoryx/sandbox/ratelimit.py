"""Rate-limit headers on every response and, in strict mode, real 429s."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class BucketState:
    limit: int
    per: float
    remaining: int
    reset_at: float


@dataclass
class RateLimitVerdict:
    headers: dict[str, str]
    retry_after: float | None = None
    is_global: bool = False


@dataclass
class RateLimiter:
    """Per-route buckets (keyed by route template + major parameter) and a global limit.

    In lenient mode (default) responses carry generous headers and nothing is refused.
    In strict mode the route limits and the global limit are enforced.
    """

    strict: bool = False
    global_limit: int = 50
    global_per: float = 1.0
    lenient_limit: int = 10_000
    buckets: OrderedDict[str, BucketState] = field(default_factory=OrderedDict)
    max_buckets: int = 10_000
    refused: int = 0
    _global_count: int = 0
    _global_reset: float = 0.0

    def check(
        self, app_key: str, route: str, major: str, limit: int, per: float
    ) -> RateLimitVerdict:
        now = time.monotonic()
        bucket_hash = hashlib.blake2s(route.encode(), digest_size=8).hexdigest()
        if not self.strict:
            return RateLimitVerdict(
                self._headers(bucket_hash, self.lenient_limit, self.lenient_limit - 1, per, now)
            )
        if now >= self._global_reset:
            self._global_reset = now + self.global_per
            self._global_count = 0
        if self._global_count >= self.global_limit:
            self.refused += 1
            retry = self._global_reset - now
            headers = self._headers(bucket_hash, limit, 0, retry, now)
            headers["X-RateLimit-Global"] = "true"
            headers["X-RateLimit-Scope"] = "global"
            return RateLimitVerdict(headers, retry, True)
        key = f"{app_key}:{bucket_hash}:{major}"
        state = self.buckets.get(key)
        if state is None or now >= state.reset_at:
            state = BucketState(limit, per, limit, now + per)
            self.buckets[key] = state
            while len(self.buckets) > self.max_buckets:
                self.buckets.popitem(last=False)
        self.buckets.move_to_end(key)
        if state.remaining <= 0:
            self.refused += 1
            retry = state.reset_at - now
            headers = self._headers(bucket_hash, limit, 0, retry, now)
            headers["X-RateLimit-Scope"] = "user"
            return RateLimitVerdict(headers, retry, False)
        self._global_count += 1
        state.remaining -= 1
        return RateLimitVerdict(
            self._headers(bucket_hash, limit, state.remaining, state.reset_at - now, now)
        )

    @staticmethod
    def _headers(
        bucket: str, limit: int, remaining: int, reset_after: float, now: float
    ) -> dict[str, str]:
        reset_after = max(reset_after, 0.001)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }
