"""Compile (or load from numba's cache) the grid stage's kernels on tiny inputs."""

from __future__ import annotations

import numpy as np

from rural_plan.grid._kernels import area_weighted_counts

COMPILE_S = 2.0
"""About how long [s] compiling the stage's kernels takes on 2 idle cores."""


def kernels() -> tuple:
    """The kernels the stage calls from Python (to ask the cache about)."""
    return (area_weighted_counts,)


def warm_up() -> None:
    """Run every kernel of the stage once."""
    area_weighted_counts(
        np.ones((1, 1)),
        np.array([[0.0, 1.0], [0.0, 1.0]]),
        np.array([[1.0, 1.0], [0.0, 0.0]]),
        0.0,
        8.0,
        1.0,
        8,
        8,
        np.zeros((8, 8)),
    )
