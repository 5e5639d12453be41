"""Compile (or load from numba's cache) the backhaul stage's kernels on tiny inputs."""

from __future__ import annotations

import numpy as np

from rural_plan.backhaul._kernels import hop_clearances, hop_clearances_serial

COMPILE_S = 2.0
"""About how long [s] compiling the stage's kernels takes on 2 idle cores."""


def kernels() -> tuple:
    """The kernels the stage calls from Python (to ask the cache about)."""
    return (hop_clearances, hop_clearances_serial)


def warm_up() -> None:
    """Run every kernel of the stage once."""
    one = np.ones(1)
    out = np.empty(1)
    for kernel in (hop_clearances, hop_clearances_serial):
        kernel(np.zeros((8, 8)), one, one, one * 6, one, one * 150.0, one, one, 8.5e6, out)
