"""Garbage-collector tuning: what it changes, the off switch, and that the CLI face uses it.

Freezing is process-wide, so each check runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from zoryx.gctune import tuning_enabled


def _python(code: str, env: dict[str, str] | None = None) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_tuning_freezes_the_heap_and_raises_the_young_threshold() -> None:
    result = _python("""
        import gc, json
        from zoryx.gctune import GEN0_THRESHOLD, tune_for_long_run
        before = gc.get_threshold()
        class Cycle: pass
        a, b = Cycle(), Cycle(); a.b, b.a = b, a; del a, b   # garbage before tuning
        tuned = tune_for_long_run()
        print(json.dumps({"before": before, "after": gc.get_threshold(),
                          "frozen": gc.get_freeze_count(), "collected": tuned.collected,
                          "expected": GEN0_THRESHOLD}))
    """)
    assert result["before"] == [700, 10, 10]
    assert result["after"] == [result["expected"], 10, 10]
    assert isinstance(result["frozen"], int) and result["frozen"] > 1000  # the start-up heap
    assert isinstance(result["collected"], int) and result["collected"] >= 2  # not frozen


def test_cyclic_garbage_made_after_tuning_is_still_collected() -> None:
    result = _python("""
        import gc, json, weakref
        from zoryx.gctune import tune_for_long_run
        tune_for_long_run()
        class Cycle: pass
        a, b = Cycle(), Cycle(); a.b, b.a = b, a
        probe = weakref.ref(a); del a, b
        gc.collect()
        print(json.dumps({"alive": probe() is not None}))
    """)
    assert result == {"alive": False}


def test_off_switch() -> None:
    assert tuning_enabled({})
    assert tuning_enabled({"ZORYX_GC_TUNING": "1"})
    for off in ("0", "false", "No", " off "):
        assert not tuning_enabled({"ZORYX_GC_TUNING": off})
