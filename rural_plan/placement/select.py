"""The scenario's placement: the method it names, under its budget or towards its coverage
target, and the budget curve computed the way the plan is."""

from __future__ import annotations

from rural_plan.coverage.matrix import CoverageMatrix
from rural_plan.io.hashing import key_of
from rural_plan.placement.greedy import Selection
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.methods import PLACEMENT_METHODS
from rural_plan.placement.sweep import BudgetCurve, budget_curve
from rural_plan.placement.target import select_to_target
from rural_plan.scenario.schema import Scenario


def select_sites(
    scenario: Scenario,
    instance: CoverageInstance,
    coverage: CoverageMatrix,
    *,
    budget_usd: float | None = None,
) -> Selection:
    """The scenario's placement: most people under ``budget_usd`` (default: the
    scenario's), or (with ``placement.coverage_target_share``) the least cost to reach the
    target within it."""
    p = scenario.placement
    budget = scenario.budget_usd if budget_usd is None else budget_usd
    if p.coverage_target_share is None:
        return PLACEMENT_METHODS[p.method](instance, budget_usd=budget, time_limit_s=p.time_limit_s)
    not_served = float(coverage.demand.people.sum()) - coverage.people_covered_before
    return select_to_target(
        instance,
        target_people=p.coverage_target_share * not_served,
        method=p.method,
        budget_cap_usd=budget,
        time_limit_s=p.time_limit_s,
    )


LOCAL_SEARCH_CURVE_MAX_OPTIONS = 1_500
"""Above this many options the budget curve is the greedy's (one pass) rather than a
local search per budget, which takes minutes on national instances."""


def curve_method(scenario: Scenario, instance: CoverageInstance) -> str:
    """How the budget curve is computed: as the plan's method, within reason."""
    if scenario.placement.method == "greedy":
        return "greedy"
    if instance.n_options > LOCAL_SEARCH_CURVE_MAX_OPTIONS:
        return "greedy"
    return "local-search"


_CURVES: dict[str, BudgetCurve] = {}


def scenario_budget_curve(scenario: Scenario, instance: CoverageInstance) -> BudgetCurve:
    """The budget curve of ``placement.budget_curve_points`` points by
    :func:`curve_method`, remembered per instance in this process: it does not depend on
    the budget, so variants that change only the budget share it."""
    n_points = scenario.placement.budget_curve_points
    method = curve_method(scenario, instance)
    key = key_of(
        instance.indptr,
        instance.indices,
        instance.weight,
        instance.cost_usd,
        instance.location,
        instance.capacity if instance.capacity is not None else "uncapped",
        n_points,
        method,
    )
    if key not in _CURVES:
        if len(_CURVES) >= 8:
            _CURVES.pop(next(iter(_CURVES)))
        _CURVES[key] = budget_curve(instance, n_points=n_points, method=method)
    return _CURVES[key]
