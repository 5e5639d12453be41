"""People covered against investment: the budget curve planners read.

:func:`budget_curve` solves the budgeted placement at a series of budgets without
starting over at each one: the greedy curve comes out of one greedy run, and the
local-search curve is searched budget by budget, each warm-started from the choice at
the budget before.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from rural_plan.errors import PlacementError
from rural_plan.placement import _local_search as _ls
from rural_plan.placement._kernels import built_after, greedy_moves
from rural_plan.placement.greedy import select_greedy
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.local_search import improve, prepare
from rural_plan.placement.merge import merged_instance
from rural_plan.progress import progress

log = logging.getLogger(__name__)

CURVE_METHODS = ("greedy", "local-search")
"""The methods :func:`budget_curve` can sweep."""

CURVE_KICKS = False
"""Whether the curve's local search tries the kicks (DROP-REFILL, FORCE-ADD) at each
local optimum, as the plan's does: off, as the curve solves 25 budgets and is read for
its shape (on the demo they move no point; see benchmarks/RESULTS.md)."""

CURVE_GREEDY_PREFIX = True
"""Past the first point, the greedy each budget's search is checked against (and re-run
from) is the prefix of one greedy pass rather than a greedy run per budget."""

_BUDGET_RTOL = 1e-12
"""Relative budget slack, as in the kernels (a budget of exactly a cost affords it)."""


@dataclass(frozen=True)
class BudgetCurve:
    """People covered at each budget, ascending in budget and never decreasing in people.

    ``budget_usd[p]`` is the budget of point p; ``people[p]``, ``cost_usd[p]`` (≤ the
    budget) and ``sites[p]`` describe the choice made for it, ``chosen[p]`` (option
    indices) is that choice.
    """

    budget_usd: np.ndarray
    people: np.ndarray
    cost_usd: np.ndarray
    sites: np.ndarray
    method: str = "local-search"
    chosen: tuple[np.ndarray, ...] = ()
    """Per point, the options chosen (empty tuple: not kept)."""


def everything_budget(instance: CoverageInstance) -> float:
    """A budget that affords any feasible choice: the dearest option at every location."""
    top = np.zeros(int(instance.location.max()) + 1)
    np.maximum.at(top, instance.location, instance.cost_usd)
    return float(top.sum())


def default_budgets(instance: CoverageInstance, n_points: int, *, top_usd: float) -> np.ndarray:
    """``n_points`` budgets spaced geometrically from the cheapest option to ``top_usd``."""
    cheapest = float(instance.cost_usd.min())
    top = max(cheapest, float(top_usd))
    # geomspace rounds the inner points; keep them ascending and inside [cheapest, top]
    return np.clip(np.maximum.accumulate(np.geomspace(cheapest, top, n_points)), cheapest, top)


def _greedy_plan(instance: CoverageInstance) -> tuple[np.ndarray, np.ndarray]:
    """The greedy's moves at the everything budget (options built, upgrades included)
    and the cumulative cost after each number of moves (``cum_cost[0] = 0``)."""
    option, _, extra, _, _ = greedy_moves(
        instance.indptr,
        instance.indices,
        instance.weight,
        instance.cost_usd,
        instance.location,
        everything_budget(instance),
    )
    return option, np.concatenate(([0.0], np.cumsum(extra)))


def _check_budgets(budgets_usd) -> np.ndarray:
    b = np.asarray(budgets_usd, dtype=np.float64).ravel()
    if b.size == 0:
        raise PlacementError("budgets_usd is empty")
    if not np.isfinite(b).all() or (b <= 0).any():
        raise PlacementError("budgets_usd must be finite numbers > 0")
    return np.sort(b)


def budget_curve(
    instance: CoverageInstance,
    *,
    budgets_usd=None,
    n_points: int = 25,
    method: str = "local-search",
) -> BudgetCurve:
    """People covered against budget for ``method`` (``"greedy"`` or ``"local-search"``).

    Budgets
        ``budgets_usd`` (sorted ascending; budgets below the cheapest option get an
        empty choice), or by default ``n_points`` budgets spaced geometrically from the
        cheapest option to the cost of the greedy's choice at the *everything* budget
        (the dearest option at every location, which affords any feasible choice) —
        beyond it the greedy buys nothing more (for the greedy curve, the cost of the
        whole build order below if that is more). For local search the top is raised to
        the cost of the local search's choice at that budget when it spends more
        (upgrading site types the greedy could not), and that choice is a candidate
        at every budget that affords it, so the top of the curve is at least the local
        search at the everything budget.

    Greedy: one pass
        The cost-effective greedy makes its moves in one order whatever the budget is:
        at each step the move (build an option, or upgrade a location's site type)
        with most new people per extra dollar among those that fit. Run once with the
        everything budget, that sequence with its cumulative cost C_k gives the whole
        curve: at budget b the point is the options standing after the longest prefix
        with C_k ≤ b — what the greedy at b does up to the first move b cannot afford.
        (Past that move the greedy at b may still fit cheaper moves, each adding
        people, so the prefix is a lower bound on ``select_greedy`` at b, equal to it
        on most budgets.) As in the greedy's own Khuller–Moss–Naor rule, the best
        single option that b affords replaces the prefix when it covers more.

    Local search: warm starts
        Budgets are searched in ascending order; each starts from the choice at the
        budget before (still affordable, as budgets only grow), the first from the
        greedy. When the greedy at b covers more than the warm-started search found,
        the search is run again from the greedy and the better result kept, so every
        point is at least ``select_greedy`` at its budget.

    Monotone by construction
        At every budget the point is the best of its own result and the previous
        point's choice (affordable at the higher budget), so people never decrease.

    Returns
    -------
    BudgetCurve with one point per budget, ascending.
    """
    if method not in CURVE_METHODS:
        raise PlacementError(f"method must be one of {', '.join(CURVE_METHODS)}, got {method!r}")
    if instance.capped:
        method = "greedy"  # the only method that models site capacity
    if instance.n_options == 0:
        raise PlacementError("no site options to choose from")
    t0 = time.perf_counter()
    # The local search runs on the merged cells (exact; option ids unchanged), merged
    # once for every budget; people are recounted on the instance itself. The greedy
    # curve's one pass costs about what merging does, so it runs on the cells as they are.
    merged = merged_instance(instance) if method == "local-search" else instance
    prepared = prepare(merged, merge=False) if method == "local-search" else None
    everything = everything_budget(instance)
    plan = None
    top_set = None
    if budgets_usd is None:
        if n_points < 1:
            raise PlacementError(f"n_points must be >= 1, got {n_points!r}")
        greedy_all = select_greedy(merged, budget_usd=everything)
        top = greedy_all.cost_usd
        if method == "greedy":
            plan = _greedy_plan(instance)
            top = max(top, float(plan[1][-1]))
        else:
            top_set = improve(
                instance,
                greedy_all.chosen,
                budget_usd=everything,
                prepared=prepared,
                kicks=CURVE_KICKS,
            ).chosen
            top = max(top, float(instance.cost_usd[top_set].sum()))
        budgets = default_budgets(instance, n_points, top_usd=top)
    else:
        budgets = _check_budgets(budgets_usd)

    if instance.capped:
        points = _capped_points(instance, budgets)
    elif method == "greedy":
        if plan is None:
            plan = _greedy_plan(instance)
        points = _greedy_points(instance, plan, budgets)
    else:
        points = _local_search_points(instance, merged, prepared, budgets, top_set)
    people, cost, sites = (np.array([pt[k] for pt in points]) for k in range(3))
    curve = BudgetCurve(
        budget_usd=budgets,
        people=people,
        cost_usd=cost,
        sites=sites.astype(np.int64),
        method=method,
        chosen=tuple(np.asarray(pt[3], dtype=np.int64) for pt in points),
    )
    log.info(
        "budget curve (%s): %d budgets %.0f–%.0f USD, %.0f–%.0f people, %.3f s",
        method,
        budgets.size,
        budgets[0],
        budgets[-1],
        people[0],
        people[-1],
        time.perf_counter() - t0,
    )
    return curve


Point = tuple[float, float, int, np.ndarray]
"""(people, cost [USD], sites, chosen options) of one budget."""

_EMPTY = np.zeros(0, dtype=np.int64)


def _point(instance: CoverageInstance, chosen) -> Point:
    chosen = np.asarray(chosen, dtype=np.int64)
    return (
        instance.coverage_of(chosen),
        float(instance.cost_usd[chosen].sum()),
        int(chosen.size),
        chosen,
    )


def _greedy_points(instance, plan, budgets) -> list[Point]:
    option, cum_cost = plan
    # Each option alone, by ascending cost (then id): the best single option within b is
    # the running best over the options b affords.
    n = instance.n_options
    alone = _ls.row_weights(instance.indptr, instance.indices, instance.weight)
    by_cost = np.lexsort((np.arange(n), instance.cost_usd))
    sorted_cost = instance.cost_usd[by_cost]
    best_alone = np.maximum.accumulate(alone[by_cost])
    points = []
    prev: Point = (0.0, 0.0, 0, _EMPTY)
    for b in budgets:
        limit = b * (1.0 + _BUDGET_RTOL)
        k = int(np.searchsorted(cum_cost, limit, side="right")) - 1
        pt = _point(instance, built_after(option, instance.location, k))
        n_afford = int(np.searchsorted(sorted_cost, limit, side="right"))
        # strictly better beyond rounding, as in lazy_greedy
        if n_afford and best_alone[n_afford - 1] > pt[0] * (1.0 + 1e-12):
            i = int(by_cost[np.argmax(alone[by_cost[:n_afford]])])
            pt = _point(instance, [i])
        if pt[0] < prev[0]:
            pt = prev
        points.append(pt)
        prev = pt
    return points


def _local_search_points(instance, merged, prepared, budgets, top_set) -> list[Point]:
    cheapest = float(instance.cost_usd.min())
    if top_set is not None:
        top_people = instance.coverage_of(top_set)
        top_cost = float(instance.cost_usd[top_set].sum())
    prev_set = np.zeros(0, dtype=np.int64)
    prev_people = 0.0
    points = []
    plan = _greedy_plan(merged) if CURVE_GREEDY_PREFIX else None
    with progress(len(budgets), "budget curve (local-search)", unit="budget") as bar:
        for b in budgets:
            if b < cheapest:
                points.append((0.0, 0.0, 0, _EMPTY))
                bar.update(1)
                continue
            if plan is None or not prev_set.size:
                greedy = select_greedy(merged, budget_usd=float(b)).chosen
            else:  # the greedy's moves up to b from its one pass (see budget_curve)
                k = int(np.searchsorted(plan[1], b * (1.0 + _BUDGET_RTOL), side="right")) - 1
                greedy = built_after(plan[0], merged.location, k)
            start = prev_set if prev_set.size else greedy
            got = improve(
                instance, start, budget_usd=float(b), prepared=prepared, kicks=CURVE_KICKS
            ).chosen
            got_people = instance.coverage_of(got)
            if prev_set.size and instance.coverage_of(greedy) > got_people:
                again = improve(
                    instance, greedy, budget_usd=float(b), prepared=prepared, kicks=CURVE_KICKS
                )
                again_people = instance.coverage_of(again.chosen)
                if again_people > got_people:
                    got, got_people = again.chosen, again_people
            if (
                top_set is not None
                and top_cost <= b * (1.0 + _BUDGET_RTOL)
                and top_people > got_people
            ):
                got, got_people = top_set, top_people
            if got_people < prev_people:
                got, got_people = prev_set, prev_people
            prev_set, prev_people = got, got_people
            points.append(_point(instance, got))
            bar.update(1)
    return points


def _capped_points(instance: CoverageInstance, budgets) -> list[Point]:
    """The capacity-aware greedy at every budget, kept monotone (a cheaper budget's
    choice is affordable at a dearer one)."""
    points: list[Point] = []
    cheapest = float(instance.cost_usd.min())
    for b in budgets:
        if b < cheapest * (1 - _BUDGET_RTOL):
            point = (0.0, 0.0, 0, _EMPTY)
        else:
            sel = select_greedy(instance, budget_usd=float(b))
            point = (sel.people, sel.cost_usd, int(sel.chosen.size), sel.chosen)
        if points and points[-1][0] > point[0]:
            point = points[-1]
        points.append(point)
    return points
