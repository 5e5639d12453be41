"""Compile (or load from numba's cache) the backhaul stage's kernels on tiny inputs."""

from __future__ import annotations

import numpy as np

from rural_plan.backhaul._kernels import fresnel_clearances, fresnel_clearances_serial


def warm_up() -> None:
    """Run every kernel of the stage once."""
    one_f = np.ones(1)
    out = np.empty(1)
    for kernel in (fresnel_clearances, fresnel_clearances_serial):
        kernel(
            np.zeros((8, 8)),
            0.0,
            240.0,
            30.0,
            one_f * 15,
            one_f * 15,
            one_f,
            one_f * 200,
            one_f * 15,
            one_f,
            15000.0,
            4 / 3,
            out,
        )
