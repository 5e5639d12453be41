"""Exact site selection by mixed-integer linear programming (HiGHS through SciPy).

Two modes on a :class:`~rural_plan.placement.instance.CoverageInstance`:

* :func:`select_milp` — budgeted maximum coverage: the most people for at most
  ``budget_usd``;
* :func:`select_min_cost` — the cheapest set of options covering at least
  ``target_people``.

Both use the same coverage model. With ``x_i`` ∈ {0, 1} "build option i" and
``y_k`` ∈ [0, 1] "demand cell k is covered"::

    y_k ≤ Σ_{i covers k} x_i          for every demand cell k
    Σ_{i at location l} x_i ≤ 1       for every location l with several options

``y`` may be continuous: for binary ``x`` the right-hand side is an integer, so an
optimum puts ``y_k`` = 1 exactly on the covered cells (maximising) or can always do
so (the min-cost target is reachable by some ``y`` iff it is reachable with 0/1).

Before the model is built, demand cells covered by exactly the same set of options
are merged into one cell carrying their summed weight (:func:`merge_identical_cells`,
in :mod:`rural_plan.placement.merge`).
This is exact — such cells are covered or not together in every solution — and cuts
the rows 6–15x on the synthetic benchmark instances (overlapping discs) but only by
about a quarter on Ngazidja's real coverage (127,373 cells -> 98,474 merged rows),
where terrain gives nearly every cell its own set of options.

People are always recomputed from the instance for the rounded choice (x > 0.5),
never read from the solver objective. If the rounded choice breaks a constraint by
more than the solver's tolerance allows for (budget, target, one per location), that
exact set is cut off with a no-good constraint and the model re-solved; the cut only
removes infeasible choices, so the optimum and the bound stay those of the original
problem.
"""

from __future__ import annotations

import logging
import time
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint
from scipy.optimize import milp as scipy_milp

from rural_plan.errors import PlacementError
from rural_plan.placement.greedy import Selection, check_budget, check_uncapped, rollout
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.merge import MergedCells, merge_identical_cells  # noqa: F401 (re-export)

log = logging.getLogger(__name__)

_REL_TOL = 1e-9
"""Relative slack when checking the rounded choice against budget and target."""

_MAX_CUTS = 8
"""Re-solves allowed after cutting off a rounded choice that breaks a constraint."""

_MIN_SOLVER_SECONDS = 1e-3
"""HiGHS's time limit when preparing the model used up all of ``time_limit_s``."""


# --------------------------------------------------------------------------- model


class _Model(NamedTuple):
    """Variables [x (n_options), y (n_cells kept)], coverage and location rows."""

    rows: sp.csr_array  # option -> kept merged cells
    weight: np.ndarray  # people of kept merged cells
    coverable_people: float  # people in cells some option covers
    location_rows: sp.csr_array  # one row per location with >= 2 options


def _build_model(instance: CoverageInstance) -> _Model:
    merged = merge_identical_cells(instance)
    coverable = float(merged.weight.sum())
    keep = np.flatnonzero(merged.weight > 0)  # weightless cells add nothing
    rows = merged.rows[:, keep] if keep.size < merged.weight.size else merged.rows
    _, loc, loc_count = np.unique(instance.location, return_inverse=True, return_counts=True)
    shared = loc_count[loc] >= 2  # one option alone at its location needs no row
    loc_ids = np.unique(loc[shared], return_inverse=True)[1]
    location_rows = sp.csr_array(
        (np.ones(loc_ids.size), (loc_ids, np.flatnonzero(shared))),
        shape=(int(loc_ids.max()) + 1 if loc_ids.size else 0, instance.n_options),
    )
    return _Model(sp.csr_array(rows), merged.weight[keep], coverable, location_rows)


def _coverage_block(model: _Model) -> sp.csr_array:
    """Rows y_k − Σ_{i covers k} x_i (≤ 0)."""
    n_y = model.weight.size
    return sp.csr_array(sp.hstack([-model.rows.T, sp.eye_array(n_y)], format="csr"))


def _loc_violated(instance: CoverageInstance, chosen: np.ndarray) -> bool:
    return np.unique(instance.location[chosen]).size < chosen.size


def _status_name(res) -> str:
    if res.status == 0:
        return "optimal"
    if res.status == 1:
        return "time_limit" if "time limit" in str(res.message).lower() else "iteration_limit"
    if res.status == 2:
        return "infeasible"
    return "solver_error"


def _solver_options(time_limit_s, t0, mip_rel_gap) -> dict:
    opts = {"disp": False, "mip_rel_gap": float(mip_rel_gap)}
    if time_limit_s is not None:
        left = time_limit_s - (time.perf_counter() - t0)
        opts["time_limit"] = max(left, _MIN_SOLVER_SECONDS)
    return opts


def _check_time_limit(time_limit_s) -> None:
    if time_limit_s is not None and not (np.isfinite(time_limit_s) and time_limit_s > 0):
        raise PlacementError(f"time_limit_s must be a finite number > 0, got {time_limit_s!r}")


def _finish(
    instance, chosen, *, t0, method, status, bound, people_bound: bool, extra_log=""
) -> Selection:
    """Order the choice by rollout, recompute people and cost, attach bound and gap."""
    order, gains = rollout(instance, np.sort(chosen))
    people = instance.coverage_of(order)
    cost = float(instance.cost_usd[order].sum())
    gap = None
    if bound is not None and np.isfinite(bound):
        if people_bound:  # upper bound on people; never below what is achieved
            bound = max(float(bound), people)
            gap = (bound - people) / bound if bound > 0 else 0.0
        else:  # lower bound on cost; never above what is paid
            bound = min(float(bound), cost)
            gap = (cost - bound) / cost if cost > 0 else 0.0
    else:
        bound = None
    sel = Selection(
        chosen=order,
        marginal_people=gains,
        cost_usd=cost,
        people=people,
        seconds=time.perf_counter() - t0,
        method=method,
        bound=bound,
        gap=gap,
        status=status,
    )
    log.info(
        "placement: %d of %d options, %.0f people for %.0f USD (%s, %s, gap %s, %.3f s)%s",
        order.size,
        instance.n_options,
        people,
        cost,
        method,
        status,
        "n/a" if gap is None else f"{gap:.2e}",
        sel.seconds,
        extra_log,
    )
    return sel


def _warm_choice(instance: CoverageInstance, warm_start, budget_usd: float) -> np.ndarray:
    chosen = warm_start.chosen if isinstance(warm_start, Selection) else warm_start
    chosen = np.asarray(chosen, dtype=np.int64).ravel()
    n = instance.n_options
    problems = []
    if chosen.size and (chosen.min() < 0 or chosen.max() >= n):
        problems.append(f"option ids must lie in [0, {n})")
    elif np.unique(chosen).size < chosen.size:
        problems.append("option ids repeat")
    elif _loc_violated(instance, chosen):
        problems.append("two options share a location")
    elif instance.cost_usd[chosen].sum() > budget_usd * (1 + _REL_TOL):
        problems.append(f"costs {instance.cost_usd[chosen].sum():,.0f} USD > budget_usd")
    if problems:
        raise PlacementError("warm_start is not a feasible choice: " + "; ".join(problems))
    return chosen


# --------------------------------------------------------------------------- max coverage


def select_milp(
    instance: CoverageInstance,
    *,
    budget_usd: float,
    time_limit_s: float | None = None,
    mip_rel_gap: float = 1e-6,
    warm_start: Selection | np.ndarray | None = None,
) -> Selection:
    """Budgeted maximum coverage solved exactly as a MILP (HiGHS via ``scipy.optimize.milp``).

    Formulation, over merged demand cells k (:func:`merge_identical_cells`) with
    people ``w_k``, options i with cost ``c_i`` and budget ``B``::

        maximise    Σ_k w_k y_k
        subject to  y_k ≤ Σ_{i covers k} x_i       (every merged cell k)
                    Σ_i c_i x_i ≤ B
                    Σ_{i at location l} x_i ≤ 1     (every shared location l)
                    x_i ∈ {0, 1},  0 ≤ y_k ≤ 1

    Parameters
    ----------
    budget_usd : the budget B in USD; must afford the cheapest option.
    time_limit_s : wall-clock limit for the whole call (merging and model building
        count against it; HiGHS gets what is left). None: no limit.
    mip_rel_gap : HiGHS stops once (bound − incumbent) / incumbent ≤ this; 0 asks for
        proven optimality (up to HiGHS's absolute gap, 1e-6 people).
    warm_start : a feasible choice (a :class:`Selection`, e.g. from ``select_greedy``,
        or an array of option ids). SciPy cannot hand it to HiGHS, so it is a
        fallback: returned when HiGHS stops at the time limit with no solution of its
        own or with a worse one.

    Returns
    -------
    Selection with ``method="milp"``, ``chosen`` in rollout order (most marginal
    people per dollar first), ``people`` recomputed from the instance, ``bound`` an
    upper bound on the optimal people (HiGHS's dual bound, capped by the people in
    coverable cells, never below ``people``), ``gap`` = (bound − people) / bound and
    ``status``: ``"optimal"`` (within ``mip_rel_gap``), ``"time_limit"``,
    ``"time_limit_warm_start"`` (the warm start beat HiGHS's incumbent) or
    ``"time_limit_no_incumbent"`` (HiGHS found nothing; the warm start is returned).

    Raises
    ------
    PlacementError : the budget is below the cheapest option, the warm start is not
        feasible, or HiGHS stops without a solution and no warm start was given.
    """
    check_budget(instance, budget_usd)
    check_uncapped(instance, "milp")
    _check_time_limit(time_limit_s)
    if not (np.isfinite(mip_rel_gap) and mip_rel_gap >= 0):
        raise PlacementError(f"mip_rel_gap must be a finite number >= 0, got {mip_rel_gap!r}")
    t0 = time.perf_counter()
    warm = None if warm_start is None else _warm_choice(instance, warm_start, budget_usd)
    model = _build_model(instance)
    n, n_y = instance.n_options, model.weight.size
    t_model = time.perf_counter() - t0

    c = np.concatenate((np.zeros(n), -model.weight))  # minimise −people
    integrality = np.concatenate((np.ones(n), np.zeros(n_y)))
    x_ub = (instance.cost_usd <= budget_usd * (1 + _REL_TOL)).astype(np.float64)
    bounds = Bounds(np.zeros(n + n_y), np.concatenate((x_ub, np.ones(n_y))))
    blocks = [
        _coverage_block(model),
        sp.hstack([sp.csr_array(instance.cost_usd[None, :]), sp.csr_array((1, n_y))]),
        sp.hstack([model.location_rows, sp.csr_array((model.location_rows.shape[0], n_y))]),
    ]
    ub = [np.zeros(n_y), [budget_usd], np.ones(model.location_rows.shape[0])]
    lb = [np.full(n_y, -np.inf), [-np.inf], np.full(model.location_rows.shape[0], -np.inf)]

    for _ in range(_MAX_CUTS + 1):
        A = sp.vstack(blocks, format="csr")
        res = scipy_milp(
            c,
            integrality=integrality,
            bounds=bounds,
            constraints=LinearConstraint(A, np.concatenate(lb), np.concatenate(ub)),
            options=_solver_options(time_limit_s, t0, mip_rel_gap),
        )
        status = _status_name(res)
        if status == "infeasible" or status == "solver_error":
            raise PlacementError(f"MILP solver failed on the budgeted coverage: {res.message}")
        if res.mip_dual_bound is not None and np.isfinite(res.mip_dual_bound):
            bound = min(-float(res.mip_dual_bound), model.coverable_people)
        else:
            bound = model.coverable_people
        if res.x is None:
            chosen = None
            break
        chosen = np.flatnonzero(res.x[:n] > 0.5)
        over = instance.cost_usd[chosen].sum() > budget_usd * (1 + _REL_TOL)
        if not over and not _loc_violated(instance, chosen):
            break
        # Rounding broke budget or location: forbid this set (and its supersets, all
        # infeasible too): Σ_{i in S} x_i ≤ |S| − 1.
        log.info("select_milp: rounded choice infeasible, cutting it off and re-solving")
        cut = np.zeros((1, n + n_y))
        cut[0, chosen] = 1.0
        blocks.append(sp.csr_array(cut))
        lb.append([-np.inf])
        ub.append([chosen.size - 1.0])
    else:
        raise PlacementError(
            f"MILP solutions kept breaking the budget or location rule after {_MAX_CUTS} "
            "cuts (numerical trouble); try select_greedy"
        )

    extra = f"; {n_y} merged cells of {instance.n_cells}, model {t_model:.3f} s"
    if chosen is None:
        if warm is None:
            raise PlacementError(
                f"MILP found no solution within time_limit_s={time_limit_s} ({res.message}); "
                "raise time_limit_s or pass warm_start (e.g. the greedy selection)"
            )
        return _finish(
            instance,
            warm,
            t0=t0,
            method="milp",
            status=f"{status}_no_incumbent",
            bound=bound,
            people_bound=True,
            extra_log=extra,
        )
    if status != "optimal" and warm is not None:
        if instance.coverage_of(warm) > instance.coverage_of(chosen):
            chosen, status = warm, f"{status}_warm_start"
    return _finish(
        instance,
        chosen,
        t0=t0,
        method="milp",
        status=status,
        bound=bound,
        people_bound=True,
        extra_log=extra,
    )


# --------------------------------------------------------------------------- min cost


def select_min_cost(
    instance: CoverageInstance,
    *,
    target_people: float,
    time_limit_s: float | None = None,
    mip_rel_gap: float = 1e-6,
) -> Selection:
    """The cheapest set of options covering at least ``target_people`` (exact MILP).

    Formulation, over merged demand cells k with people ``w_k``, options i with cost
    ``c_i`` and target ``T``::

        minimise    Σ_i c_i x_i
        subject to  Σ_k w_k y_k ≥ T
                    y_k ≤ Σ_{i covers k} x_i       (every merged cell k)
                    Σ_{i at location l} x_i ≤ 1     (every shared location l)
                    x_i ∈ {0, 1},  0 ≤ y_k ≤ 1

    Parameters
    ----------
    target_people : people to cover, finite and > 0.
    time_limit_s : wall-clock limit for the whole call, as in :func:`select_milp`.
    mip_rel_gap : HiGHS's relative gap on cost; 0 asks for proven optimality.

    Returns
    -------
    Selection with ``method="milp_min_cost"``, ``chosen`` in rollout order,
    ``people`` recomputed from the instance (≥ target), ``bound`` a LOWER bound on
    the minimum cost in USD (HiGHS's dual bound, never above ``cost_usd``),
    ``gap`` = (cost_usd − bound) / cost_usd and ``status`` ``"optimal"`` or
    ``"time_limit"``.

    Raises
    ------
    PlacementError : the target is not a number > 0, exceeds the people the options
        can cover (the message gives the maximum), or HiGHS finds no solution in time.
    """
    if not (np.isfinite(target_people) and target_people > 0):
        raise PlacementError(f"target_people must be a finite number > 0, got {target_people!r}")
    if instance.n_options == 0:
        raise PlacementError("no site options to choose from")
    _check_time_limit(time_limit_s)
    check_uncapped(instance, "milp")
    if not (np.isfinite(mip_rel_gap) and mip_rel_gap >= 0):
        raise PlacementError(f"mip_rel_gap must be a finite number >= 0, got {mip_rel_gap!r}")
    t0 = time.perf_counter()
    model = _build_model(instance)
    n, n_y = instance.n_options, model.weight.size
    t_model = time.perf_counter() - t0
    target = float(target_people)
    if target > model.coverable_people * (1 + _REL_TOL):
        raise PlacementError(
            f"target_people={target:,.0f} is more than all site options together can "
            f"cover ({model.coverable_people:,.0f} people); lower target_people"
        )

    c = np.concatenate((instance.cost_usd, np.zeros(n_y)))
    integrality = np.concatenate((np.ones(n), np.zeros(n_y)))
    bounds = Bounds(np.zeros(n + n_y), np.ones(n + n_y))
    n_loc = model.location_rows.shape[0]
    blocks = [
        _coverage_block(model),
        sp.hstack([sp.csr_array((1, n)), sp.csr_array(model.weight[None, :])]),
        sp.hstack([model.location_rows, sp.csr_array((n_loc, n_y))]),
    ]
    lb = [np.full(n_y, -np.inf), [target], np.full(n_loc, -np.inf)]
    ub = [np.zeros(n_y), [np.inf], np.ones(n_loc)]

    for _ in range(_MAX_CUTS + 1):
        A = sp.vstack(blocks, format="csr")
        res = scipy_milp(
            c,
            integrality=integrality,
            bounds=bounds,
            constraints=LinearConstraint(A, np.concatenate(lb), np.concatenate(ub)),
            options=_solver_options(time_limit_s, t0, mip_rel_gap),
        )
        status = _status_name(res)
        if status == "infeasible" or (
            status == "solver_error" and "infeasible" in str(res.message).lower()
        ):
            raise PlacementError(_unreachable_message(instance, target, time_limit_s, t0))
        if status == "solver_error":
            raise PlacementError(f"MILP solver failed on the min-cost coverage: {res.message}")
        if res.x is None:
            raise PlacementError(
                f"MILP found no selection reaching target_people={target:,.0f} within "
                f"time_limit_s={time_limit_s} ({res.message}); raise time_limit_s"
            )
        chosen = np.flatnonzero(res.x[:n] > 0.5)
        cut = np.zeros((1, n + n_y))
        if _loc_violated(instance, chosen):  # S and its supersets break the rule
            cut[0, chosen] = 1.0
            lb.append([-np.inf])
            ub.append([chosen.size - 1.0])
        elif instance.coverage_of(chosen) < target * (1 - _REL_TOL):
            cut[0, :n] = 1.0  # S and its subsets fall short: take something outside S
            cut[0, chosen] = 0.0
            lb.append([1.0])
            ub.append([np.inf])
        else:
            break
        log.info("select_min_cost: rounded choice infeasible, cutting it off and re-solving")
        blocks.append(sp.csr_array(cut))
    else:
        raise PlacementError(
            f"MILP solutions kept missing the target or location rule after {_MAX_CUTS} "
            "cuts (numerical trouble)"
        )

    bound = res.mip_dual_bound
    return _finish(
        instance,
        chosen,
        t0=t0,
        method="milp_min_cost",
        status=status,
        bound=None if bound is None else float(bound),
        people_bound=False,
        extra_log=f"; {n_y} merged cells of {instance.n_cells}, model {t_model:.3f} s",
    )


def _unreachable_message(instance, target, time_limit_s, t0) -> str:
    """The target cannot be met with at most one option per location: say how far off."""
    all_cost = float(instance.cost_usd.sum())
    try:
        left = None if time_limit_s is None else max(time_limit_s - (time.perf_counter() - t0), 1)
        best = select_milp(instance, budget_usd=all_cost, time_limit_s=left)
        most = (
            f"{best.people:,.0f} people"
            if best.status == "optimal"
            else f"at most {best.bound:,.0f} people"
        )
    except PlacementError:
        most = "fewer people (the maximum was not found in time)"
    return (
        f"target_people={target:,.0f} cannot be reached with at most one option per "
        f"location: the most the site options can cover is {most}; lower target_people"
    )
