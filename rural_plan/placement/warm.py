"""Compile (or load from numba's cache) the placement kernels a run uses, on tiny inputs."""

from __future__ import annotations

import numpy as np

from rural_plan.placement import _bound as _kb
from rural_plan.placement import _local_search as _ls
from rural_plan.placement import _served_search as _ss
from rural_plan.placement._kernels import capped_lazy_greedy, greedy_moves, lazy_greedy, merge_cells
from rural_plan.placement._kernels import rollout as rollout_kernel
from rural_plan.placement.bound import upper_bound
from rural_plan.placement.greedy import rollout, select_greedy
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.local_search import select_local_search
from rural_plan.placement.served_search import COVER_WEIGHT
from rural_plan.placement.sweep import budget_curve

COMPILE_S = {"greedy": 24.0, "local-search": 45.0}
"""About how long [s] compiling the stage's kernels for a method takes on 2 idle cores
(measured at load 8 on 2 cores, scaled by 0.43 as the propagation estimates); milp
compiles what local search does (its budget curve)."""


SERVED_COMPILE_S = 15.0
"""About how long [s] the capacity-aware local search's kernels take to compile (measured
11.6 s on 2 idle cores, rounded up as the others)."""


def compile_estimate_s(method: str, *, served: bool = False) -> float:
    """About how long compiling the stage takes for ``method`` on an empty cache [s];
    ``served``: with the capacity-aware local search."""
    return COMPILE_S.get(method, COMPILE_S["local-search"]) + (SERVED_COMPILE_S if served else 0.0)


def kernels(method: str, *, served: bool = False) -> tuple:
    """Kernels a run with placement ``method`` calls from Python (to ask the cache about);
    ``served``: local search by people served within capacity too."""
    greedy = (lazy_greedy, capped_lazy_greedy, greedy_moves, merge_cells, rollout_kernel)
    bound = (_kb.gain_bound, _kb.dual_ascent, _kb.mckp_lp)
    if method == "greedy":
        return (*greedy, *bound)
    extra = (_ss.served_search, _ss.served_rollout) if served else ()
    return (*greedy, *bound, _ls.local_search, *extra)


def warm_up(method: str, *, served: bool = False) -> None:
    """The greedy, the budget curve and (unless ``method`` is the greedy) local search,
    once each; ``served``: the capacity-aware local search's kernels too."""
    tiny = CoverageInstance.from_arrays(
        indptr=[0, 1, 2, 3],
        indices=[0, 1, 1],
        weight=[1.0, 2.0],
        cost_usd=[1.0, 1.0, 2.0],
        location=[0, 1, 1],
    )
    select_greedy(tiny, budget_usd=2.0)
    rollout(tiny, np.array([0, 1]))
    curve = "greedy" if method == "greedy" else "local-search"
    if curve == "local-search":
        select_local_search(tiny, budget_usd=2.0)
    budget_curve(tiny, n_points=2, method=curve)
    # the plan's certified gap: an empty plan, so that the dual bound runs too
    upper_bound(tiny, budget_usd=1.0, chosen=np.zeros(0, dtype=np.int64))
    # capped instances (site capacity; placed by the greedy): the kernel alone, without
    # the LP that evaluates its choice (scipy.optimize: an import uncapped runs skip)
    args = (tiny.indptr, tiny.indices, tiny.weight, tiny.cost_usd, tiny.location)
    cap = np.array([1.5, 1.5, 1.5])
    capped_lazy_greedy(*args, cap, 2.0)
    if served and curve == "local-search":
        start = np.zeros(1, dtype=np.int64)
        _ss.served_search(*args, cap, 2.0, start, np.inf, 100, True, COVER_WEIGHT)
        _ss.served_rollout(*args[:4], cap, start)
