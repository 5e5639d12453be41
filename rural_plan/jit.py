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

import numpy as np

from rural_plan.backhaul._kernels import fresnel_clearances, fresnel_clearances_serial
from rural_plan.grid._kernels import splat_counts
from rural_plan.placement._kernels import lazy_greedy, sort_row_segments
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.local_search import select_local_search
from rural_plan.placement.sweep import budget_curve
from rural_plan.propagation._radial import covered_cells, locations_windows
from rural_plan.propagation._viewshed import viewshed


def _warm_others() -> None:
    """Every kernel but the radial propagation sweep, once on tiny inputs."""
    elev = np.zeros((8, 8))
    one_i = np.zeros(1, dtype=np.int64)
    one_f = np.ones(1)
    splat_counts(
        np.ones((1, 1)),
        np.array([[0.0, 1.0], [0.0, 1.0]]),
        np.array([[1.0, 1.0], [0.0, 0.0]]),
        0.0,
        8.0,
        1.0,
        8,
        8,
        1,
        np.zeros((8, 8)),
    )
    windows = np.zeros((1, 3, 3), dtype=np.float32)
    counts = np.zeros(1, dtype=np.int64)
    demand = np.zeros((8, 8), dtype=np.int64)
    patterns = np.zeros((1, 3, 3), dtype=np.float32)
    covered_cells(
        windows, one_i + 4, one_i + 4, one_f * 200, one_i, patterns, demand, True, counts, one_i
    )
    viewshed(elev, 4, 4, 10.0, 1.5, 90.0, 30.0, 4 / 3, np.empty((7, 7), dtype=np.uint8))
    lazy_greedy(np.array([0, 1]), one_i, one_f, one_f, one_i, 2.0)
    sort_row_segments(np.array([0, 1]), np.zeros(1, dtype=np.int64))
    out = np.empty(1)
    for kernel in (fresnel_clearances, fresnel_clearances_serial):
        kernel(
            elev,
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
    tiny = CoverageInstance.from_arrays(
        indptr=[0, 1, 2, 3],
        indices=[0, 1, 1],
        weight=[1.0, 2.0],
        cost_usd=[1.0, 1.0, 2.0],
        location=[0, 1, 1],
    )
    select_local_search(tiny, budget_usd=2.0)
    budget_curve(tiny, n_points=2)


def _warm_propagation() -> None:
    """The radial propagation sweep (every model is one dispatch: the largest kernel)."""
    elev = np.zeros((8, 8))
    one_i = np.zeros(1, dtype=np.int64)
    one_f = np.ones(1)
    windows = np.empty((1, 3, 3), dtype=np.float32)
    starts = np.array([0, 1])
    itm = np.array([301.0, 1.0, 15.0, 0.005, 5.0, 12.0, 50.0, 50.0, 50.0])
    for model in (0, 9):
        locations_windows(
            elev,
            one_i + 4,
            one_i + 4,
            starts,
            1,
            30.0,
            30.0,
            one_f,
            1.5,
            900.0,
            4 / 3,
            model,
            itm,
            windows,
        )


def _cold(dispatcher) -> bool:
    """Whether ``dispatcher`` has no on-disk cache entry yet (numba internals: any doubt
    counts as warm, so the caller simply compiles in-process)."""
    try:
        return not os.path.exists(dispatcher._cache._cache_file._index_path)
    except Exception:
        return False


def warm_up() -> float:
    """Run every kernel once on tiny inputs; returns the seconds it took."""
    t0 = time.perf_counter()
    helper = None
    if _cold(locations_windows) and (os.cpu_count() or 1) > 1:
        helper = subprocess.Popen(
            [sys.executable, "-c", "from rural_plan.jit import _warm_propagation as w; w()"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    _warm_others()
    if helper is not None:
        helper.wait()  # then load what it compiled (or compile here if it failed)
    _warm_propagation()
    return time.perf_counter() - t0
