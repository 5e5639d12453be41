"""A certified upper bound on the people any choice within the budget can cover, so that
a plan from a heuristic says how far from the optimum it can at most be.

Three valid bounds, the least kept (all on the merged cells, which is exact):

* everyone some option covers;
* the plan's own people plus what the other options add to it, as an LP knapsack
  (:func:`~rural_plan.placement._bound.gain_bound`; coverage is submodular);
* the Lagrangian / LP dual: for a price λ per dollar and cell prices u_k (0 ≤ u_k ≤ w_k)
  that no option can pay for, Σ_{k in row i} u_k ≤ λ c_i, the optimum is at most
  λ B + Σ_k (w_k − u_k) (:func:`~rural_plan.placement._bound.dual_ascent`: cells priced
  in order of how few options cover them, each as high as its options' slack allows),
  minimised over λ by a golden-section search on log λ.

The LP relaxation of the MILP (HiGHS) would be at least as tight as the third, but on the
demo's 84,000 merged cells it takes one to three minutes; these take well under a second.
"""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np

from rural_plan.placement import _bound as _kb
from rural_plan.placement import _local_search as _ls
from rural_plan.placement.greedy import Selection
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.merge import merged_instance

_LAMBDA_STEPS = 7
"""Golden-section steps of the search over the price per dollar."""
_LAMBDA_SPAN = (1e-2, 2.0)
"""Search interval of λ, as multiples of the plan's people per dollar."""


def upper_bound(
    instance: CoverageInstance,
    *,
    budget_usd: float,
    chosen: np.ndarray,
    prepared=None,
) -> float:
    """An upper bound on the most people (the instance's objective) any choice costing at
    most ``budget_usd`` covers, with at most one option per location; ``chosen`` (option
    ids, a feasible choice) is the plan whose gap it certifies. ``prepared``: the
    instance's rows as :func:`rural_plan.placement.local_search.prepare` gives them
    (saves merging the cells again).

    >>> bound = upper_bound(inst, budget_usd=b, chosen=sel.chosen)  # doctest: +SKIP
    >>> gap = (bound - sel.people) / bound  # doctest: +SKIP
    """
    p = _prepared(instance) if prepared is None else prepared
    cost = instance.cost_usd
    flags = np.zeros(instance.n_options, dtype=np.bool_)
    flags[np.asarray(chosen, dtype=np.int64)] = True
    budget = float(budget_usd)
    best, people = _kb.gain_bound(p.rptr, p.ridx, p.weight, cost, p.lptr, p.lopt, budget, flags)
    coverable = float(p.weight[np.diff(p.cptr) > 0].sum())
    best = min(best, coverable)
    if best <= people:
        return max(best, people)
    order = np.lexsort((np.arange(p.weight.size), np.diff(p.cptr)))
    u = np.empty(p.weight.size)
    slack = np.empty(instance.n_options)

    def dual(log_lam: float) -> float:
        return _kb.dual_ascent(
            p.rptr,
            p.ridx,
            p.cptr,
            p.cidx,
            p.weight,
            cost,
            budget,
            math.exp(log_lam),
            order,
            u,
            slack,
        )

    scale = max(people, 1.0) / budget
    a, b = (math.log(scale * f) for f in _LAMBDA_SPAN)
    r = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - r * (b - a), a + r * (b - a)
    fc, fd = dual(c), dual(d)
    best = min(best, fc, fd)
    for _ in range(_LAMBDA_STEPS):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - r * (b - a)
            fc = dual(c)
            best = min(best, fc)
        else:
            a, c, fc = c, d, fd
            d = a + r * (b - a)
            fd = dual(d)
            best = min(best, fd)
    return max(best, people)


def _prepared(instance: CoverageInstance) -> SimpleNamespace:
    """Merged rows, their transpose and options per location (as ``Prepared``)."""
    m = merged_instance(instance)
    rptr, ridx, cptr, cidx, lptr, lopt = _ls.prepare(m.indptr, m.indices, m.location, m.n_cells)
    return SimpleNamespace(
        rptr=rptr, ridx=ridx, cptr=cptr, cidx=cidx, lptr=lptr, lopt=lopt, weight=m.weight
    )


CERTIFIED_METHODS = ("greedy", "local-search")
"""Methods whose selections :func:`certified` bounds (the MILP brings HiGHS's own)."""


def certified(
    selection: Selection, instance: CoverageInstance, *, budget_usd: float, prepared=None
) -> Selection:
    """``selection`` (solved on ``instance`` under ``budget_usd``) with ``bound``, a
    certified upper bound on that instance's optimum (:func:`upper_bound`), and ``gap``
    = (bound − people) / bound: how far below the optimum it can at most be. Returned as
    it is when it has a bound already (MILP) or is not a budgeted greedy / local-search
    choice. On a capped instance ``people`` are the people served and the bound is
    :func:`served_upper_bound`."""
    if (
        selection.bound is not None
        or selection.method not in CERTIFIED_METHODS
        or selection.cost_usd > budget_usd * (1 + 1e-9)
    ):
        return selection
    if instance.capped:
        bound = served_upper_bound(instance, budget_usd=budget_usd, chosen=selection.chosen)
    else:
        bound = upper_bound(
            instance, budget_usd=budget_usd, chosen=selection.chosen, prepared=prepared
        )
    bound = max(bound, selection.people)
    gap = (bound - selection.people) / bound if bound > 0 else 0.0
    return dataclasses.replace(selection, bound=bound, gap=gap)


def served_upper_bound(instance: CoverageInstance, *, budget_usd: float, chosen) -> float:
    """An upper bound on the most people any choice costing at most ``budget_usd``
    *serves* within its sites' capacities (a capped instance), the least of two valid
    bounds:

    * :func:`upper_bound` of the same instance without caps (a site serves only people
      it covers, so people served ≤ people covered);
    * the LP relaxation of the multiple-choice knapsack whose profit per option is
      min(capacity, people in its row) (a set serves at most the sum of those).
    """
    uncapped = dataclasses.replace(instance, capacity=None)
    covered = upper_bound(uncapped, budget_usd=budget_usd, chosen=chosen)
    n = instance.n_options
    row_people = np.bincount(
        np.repeat(np.arange(n), np.diff(instance.indptr)),
        weights=instance.weight[instance.indices],
        minlength=n,
    )
    profit = np.minimum(instance.capacity, row_people)
    by_location = np.lexsort((np.arange(n), instance.location)).astype(np.int64)
    lptr = np.searchsorted(
        instance.location[by_location], np.arange(int(instance.location.max()) + 2)
    ).astype(np.int64)
    knapsack = _kb.mckp_lp(
        profit,
        instance.cost_usd,
        lptr,
        by_location,
        float(budget_usd),
        np.empty(n),
        np.empty(n, dtype=np.int64),
        np.empty(n),
        np.empty(n),
        np.empty(n),
    )
    return min(covered, float(knapsack))
