"""The lag monitor and process sampler the console shows (they measure the bot's process).

They live in :mod:`zoryx.readmodel.probes` beside the runtime, so that a console attached
over the control socket shows the bot's figures too; the names stay importable from here.
"""

from __future__ import annotations

from zoryx.readmodel.probes import LoopLagMonitor, ProcessSample, ProcessSampler

__all__ = ["LoopLagMonitor", "ProcessSample", "ProcessSampler"]
