"""Garbage-collector tuning for the long-running bot process.

A bot allocates short-lived containers for every gateway event (payload dicts, messages,
contexts, coroutines, tasks). Nearly all of them are freed by reference counting, yet with
CPython's default thresholds (700, 10, 10) the cyclic collector still runs a young
collection every few commands, and every full collection walks every object the process
created at start-up (modules, classes, the guild/member cache) although they live for the
whole run. Measured on a ``!ping`` load this was about 15 % of the bot's CPU time
(``benchmarks/README.md``).

After start-up, :func:`tune_for_long_run` therefore

* collects once, then freezes the survivors (:func:`gc.freeze`), so later full
  collections skip them; and
* raises the young-generation threshold so young collections run less often
  (each then finds mostly freed objects; cyclic garbage is still collected).

The trade-off: objects alive at start-up that later become *cyclic* garbage (e.g. an
extension module replaced by a reload) are never collected; that is bounded by the
start-up heap and happens at most once per object. ``ZORYX_GC_TUNING=0`` turns it off.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from dataclasses import dataclass

__all__ = ["GEN0_THRESHOLD", "GcTuning", "tune_for_long_run", "tuning_enabled"]

log = logging.getLogger(__name__)

#: Young-generation threshold used after start-up (CPython's default is 700).
GEN0_THRESHOLD = 10_000


@dataclass(frozen=True, slots=True)
class GcTuning:
    """What :func:`tune_for_long_run` did."""

    collected: int
    frozen: int
    thresholds: tuple[int, int, int]
    seconds: float


def tuning_enabled(environ: dict[str, str] | None = None) -> bool:
    """False when ``ZORYX_GC_TUNING`` is set to 0/false/no/off."""
    value = (environ if environ is not None else os.environ).get("ZORYX_GC_TUNING", "1")
    return value.strip().lower() not in {"0", "false", "no", "off"}


def tune_for_long_run(gen0: int = GEN0_THRESHOLD) -> GcTuning:
    """Collect, freeze the start-up heap and raise the young threshold (idempotent).

    Runs once when the bot is ready; the single full collection takes tens of ms.
    """
    if gen0 < 1:
        raise ValueError("gen0 threshold must be at least 1")
    started = time.perf_counter()
    collected = gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0, gen1, gen2)
    result = GcTuning(
        collected, gc.get_freeze_count(), gc.get_threshold(), time.perf_counter() - started
    )
    log.info(
        "garbage collector tuned: %d collected, %d frozen, thresholds %s, %.1f ms",
        result.collected,
        result.frozen,
        result.thresholds,
        result.seconds * 1000,
    )
    return result
