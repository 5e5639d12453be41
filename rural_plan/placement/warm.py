"""Compile (or load from numba's cache) the placement stage's kernels on tiny inputs."""

from __future__ import annotations

import numpy as np

from rural_plan._sparse import sort_row_segments
from rural_plan.placement._kernels import lazy_greedy
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.local_search import select_local_search
from rural_plan.placement.sweep import budget_curve


def warm_up() -> None:
    """Run every kernel of the stage once (greedy, local search, the budget curve)."""
    one_i = np.zeros(1, dtype=np.int64)
    one_f = np.ones(1)
    lazy_greedy(np.array([0, 1]), one_i, one_f, one_f, one_i, 2.0)
    sort_row_segments(np.array([0, 1]), np.zeros(1, dtype=np.int64))
    tiny = CoverageInstance.from_arrays(
        indptr=[0, 1, 2, 3],
        indices=[0, 1, 1],
        weight=[1.0, 2.0],
        cost_usd=[1.0, 1.0, 2.0],
        location=[0, 1, 1],
    )
    select_local_search(tiny, budget_usd=2.0)
    budget_curve(tiny, n_points=2)
