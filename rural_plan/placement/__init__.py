"""Candidate sites and budgeted site selection."""

from rural_plan.placement.candidates import KIND_NAMES, Candidates, find_candidates
from rural_plan.placement.greedy import Selection, select_greedy
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.local_search import select_local_search
from rural_plan.placement.milp import select_milp, select_min_cost
from rural_plan.placement.sweep import BudgetCurve, budget_curve

PLACEMENT_METHODS = {
    "greedy": select_greedy,
    "local-search": select_local_search,
    "milp": select_milp,
}
"""Budgeted maximum-coverage methods by name: f(instance, *, budget_usd, time_limit_s)."""

__all__ = [
    "KIND_NAMES",
    "PLACEMENT_METHODS",
    "BudgetCurve",
    "Candidates",
    "CoverageInstance",
    "Selection",
    "budget_curve",
    "find_candidates",
    "select_greedy",
    "select_local_search",
    "select_milp",
    "select_min_cost",
]
