"""Compile (or load from numba's on-disk cache) every kernel before timing anything.

The first call of a ``cache=True`` kernel on a machine compiles it (about half a
minute for all of them); later processes load it from the cache (a fraction of a
second). Calling :func:`warm_up` first lets the pipeline report that cost apart from
run time. On a cold cache the two largest groups compile in two processes at once
(the radial sweep, which holds every propagation model, in a helper process), which
halves the first run's wait on a machine with two cores or more.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from rural_plan.backhaul import warm as backhaul_warm
from rural_plan.grid import warm as grid_warm
from rural_plan.placement import warm as placement_warm
from rural_plan.propagation import warm as propagation_warm

_SWEEP_IN_HELPER = "from rural_plan.propagation.warm import warm_sweep; warm_sweep()"


def warm_up() -> float:
    """Run every kernel once on tiny inputs; returns the seconds it took."""
    t0 = time.perf_counter()
    helper = None
    if propagation_warm.sweep_is_cold() and (os.cpu_count() or 1) > 1:
        helper = subprocess.Popen(
            [sys.executable, "-c", _SWEEP_IN_HELPER],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    grid_warm.warm_up()
    propagation_warm.warm_up()
    placement_warm.warm_up()
    backhaul_warm.warm_up()
    if helper is not None:
        helper.wait()  # then load what it compiled (or compile here if it failed)
    propagation_warm.warm_sweep()
    return time.perf_counter() - t0
