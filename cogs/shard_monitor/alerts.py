"""Alert throttling: one alert per shard per condition until that condition clears.

A condition that is still there at the next health check raises nothing new; one that
gets worse (warning to critical) raises again, once; one that is gone from a check is
forgotten, so it alerts again the next time it appears.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .health import TIER_ORDER, Issue, ShardHealth


@dataclass(frozen=True, slots=True)
class ShardAlert:
    """New issues found by one health check, per shard."""

    at: float
    issues: tuple[tuple[int, Issue], ...]

    @property
    def level(self) -> str:
        return "critical" if any(i.level == "critical" for _, i in self.issues) else "warning"

    def as_dict(self) -> dict[str, object]:
        return {
            "at": self.at,
            "level": self.level,
            "issues": [{"shard_id": s, **i.as_dict()} for s, i in self.issues],
        }


class AlertThrottle:
    """Which (shard, condition) pairs were alerted, and at which level."""

    def __init__(self) -> None:
        self._raised: dict[tuple[int, str], str] = {}
        self.suppressed = 0

    def new_issues(self, results: Iterable[ShardHealth]) -> list[tuple[int, Issue]]:
        """The issues worth an alert in this check; forgets the conditions that cleared."""
        fresh: list[tuple[int, Issue]] = []
        present: set[tuple[int, str]] = set()
        for health in results:
            for issue in health.issues:
                key = (health.shard_id, issue.condition)
                present.add(key)
                previous = self._raised.get(key)
                if previous is None or TIER_ORDER[issue.level] > TIER_ORDER[previous]:
                    self._raised[key] = issue.level
                    fresh.append((health.shard_id, issue))
                else:
                    self.suppressed += 1
        for key in [k for k in self._raised if k not in present]:
            del self._raised[key]
        return fresh

    def raised(self) -> dict[tuple[int, str], str]:
        """The conditions alerted and not yet cleared, with their level."""
        return dict(self._raised)

    def forget(self, shard_id: int | None = None) -> None:
        """Forget what was alerted (for one shard, or all): it may alert again."""
        for key in [k for k in self._raised if shard_id is None or k[0] == shard_id]:
            del self._raised[key]
