"""The registry of budgeted maximum-coverage methods (names in
:data:`rural_plan.scenario.names.PLACEMENT_METHOD_NAMES`)."""

from __future__ import annotations

from rural_plan.placement.greedy import Selection, select_greedy
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.local_search import select_local_search


def select_milp(instance: CoverageInstance, **kwargs) -> Selection:
    """:func:`rural_plan.placement.milp.select_milp`, imported when first called (HiGHS
    comes with ``scipy.optimize``, a second of import that greedy and local search do not
    need)."""
    from rural_plan.placement.milp import select_milp as solve

    return solve(instance, **kwargs)


PLACEMENT_METHODS = {
    "greedy": select_greedy,
    "local-search": select_local_search,
    "milp": select_milp,
}
"""Budgeted maximum-coverage methods by name: f(instance, *, budget_usd, time_limit_s)."""
