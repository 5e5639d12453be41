"""Compile (or load from numba's cache) the propagation stage's kernels on tiny inputs.

The radial sweep holds every point-to-area model in one dispatch: it is the largest
kernel, so it is warmed apart (:func:`warm_sweep`) and may be compiled in another
process while the rest compiles (``rural_plan.pipeline.jit``).
"""

from __future__ import annotations

import os

import numpy as np

from rural_plan.propagation._radial import (
    covered_cells,
    locations_windows,
    site_windows_parallel,
)
from rural_plan.propagation._viewshed import viewshed


def warm_up() -> None:
    """Every kernel of the stage but the radial sweep, once."""
    one_i = np.zeros(1, dtype=np.int64)
    one_f = np.ones(1)
    windows = np.zeros((1, 3, 3), dtype=np.float32)
    counts = np.zeros(1, dtype=np.int64)
    demand = np.zeros((8, 8), dtype=np.int64)
    patterns = np.zeros((1, 3, 3), dtype=np.float32)
    extra = np.zeros(1)
    args = (windows, one_i + 4, one_i + 4, one_f * 200, one_i, patterns, demand, extra)
    covered_cells(*args, True, counts, one_i)
    viewshed(np.zeros((8, 8)), 4, 4, 10.0, 1.5, 90.0, 30.0, 4 / 3, np.empty((7, 7), dtype=np.uint8))


def warm_sweep() -> None:
    """The radial propagation sweep (every model is one dispatch): for many sites, and
    for one site with its rays in parallel."""
    one_i = np.zeros(1, dtype=np.int64)
    windows = np.empty((1, 3, 3), dtype=np.float32)
    itm = np.array([301.0, 1.0, 15.0, 0.005, 5.0, 12.0, 50.0, 50.0, 50.0])
    for model in (0, 9):
        locations_windows(
            np.zeros((8, 8)),
            one_i + 4,
            one_i + 4,
            np.array([0, 1]),
            1,
            30.0,
            30.0,
            np.ones(1),
            1.5,
            900.0,
            4 / 3,
            model,
            itm,
            windows,
        )
        site_windows_parallel(
            np.zeros((8, 8)),
            4,
            4,
            1,
            30.0,
            30.0,
            np.ones(1),
            1.5,
            900.0,
            4 / 3,
            model,
            itm,
            windows,
        )


def warm_site_window() -> None:
    """The one-site sweep alone (``rural-plan coverage``: its compile time apart)."""
    itm = np.array([301.0, 1.0, 15.0, 0.005, 5.0, 12.0, 50.0, 50.0, 50.0])
    windows = np.empty((1, 3, 3), dtype=np.float32)
    site_windows_parallel(
        np.zeros((8, 8)), 4, 4, 1, 30.0, 30.0, np.ones(1), 1.5, 900.0, 4 / 3, 9, itm, windows
    )


def sweep_is_cold() -> bool:
    """Whether the radial sweep has no on-disk cache entry yet (numba internals: any doubt
    counts as warm, so the caller simply compiles in-process)."""
    try:
        return not os.path.exists(locations_windows._cache._cache_file._index_path)
    except Exception:
        return False
