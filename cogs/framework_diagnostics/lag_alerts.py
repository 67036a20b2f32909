"""When loop lag is worth an alert, and the alert's text.

Three rules, any of which raises the ``lag`` alert:

* the **average** of the display window (10 samples, once it is full) is over the
  threshold: the loop is slow all the time;
* the **p95** of the statistics window (60 samples) is over the threshold: the loop stalls
  often, even if each stall is short and the average looks fine (e.g. blocked 45 % of the
  time in half-second blocks);
* the **max** of the statistics window is over the block threshold (twice the lag
  threshold unless configured): one block of several seconds, which ten samples of
  average dilute below the threshold.

The text names the slowest callback seen over the same stretch of time when one was
caught (see :mod:`.slow_callbacks`).
"""

from __future__ import annotations

from .lag import LagStats
from .slow_callbacks import SlowCallback

MIN_P95_SAMPLES = 20  # fewer samples make the p95 just the max


def lag_reasons(stats: LagStats, threshold_ms: float, block_ms: float) -> list[str]:
    """Why the lag is alarming (empty: it is not)."""
    reasons: list[str] = []
    if stats.window >= stats.window_size and stats.average_ms > threshold_ms:
        reasons.append(f"averages {stats.average_ms:.0f} ms over the last {stats.window} samples")
    if stats.samples >= MIN_P95_SAMPLES and stats.p95_ms > threshold_ms:
        reasons.append(
            f"has a p95 of {stats.p95_ms:.0f} ms over the last {stats.samples} samples "
            "(the loop stalls often)"
        )
    if stats.max_ms > block_ms:
        reasons.append(f"reached a max of {stats.max_ms:.0f} ms (one long block)")
    return reasons


def culprits(seen: list[SlowCallback]) -> list[SlowCallback]:
    """The slowest entry of each source (asyncio debug first), from ``seen`` slowest first."""
    picked: dict[str, SlowCallback] = {}
    for item in seen:
        picked.setdefault(item.source, item)
    return sorted(picked.values(), key=lambda i: i.source != "asyncio debug")


def lag_message(
    stats: LagStats,
    threshold_ms: float,
    block_ms: float,
    reasons: list[str],
    seen: list[SlowCallback],
) -> str:
    """The alert text: the reasons, the three figures, and what blocked when known."""
    lines = [
        f"Event loop lag {'; '.join(reasons)} "
        f"(threshold {threshold_ms:.0f} ms, block threshold {block_ms:.0f} ms; "
        f"avg {stats.average_ms:.0f} ms · p95 {stats.p95_ms:.0f} ms · "
        f"max {stats.max_ms:.0f} ms). Something is blocking the event loop."
    ]
    found = culprits(seen)
    for item in found:
        text = item.describe()
        lines.append(text[:1].upper() + text[1:] + ".")
    if not found:
        lines.append(
            "No slow callback was caught: run with PYTHONASYNCIODEBUG=1 to have asyncio "
            "name the callbacks slower than 100 ms."
        )
    return "\n".join(lines)
