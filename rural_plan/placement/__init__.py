"""Candidate sites and budgeted site selection."""

from rural_plan.placement.candidates import KIND_NAMES, Candidates, find_candidates
from rural_plan.placement.greedy import Selection, select_greedy
from rural_plan.placement.instance import CoverageInstance

PLACEMENT_METHODS = {"greedy": select_greedy}
"""Budgeted maximum-coverage methods by name: f(instance, *, budget_usd, time_limit_s)."""

__all__ = [
    "KIND_NAMES",
    "PLACEMENT_METHODS",
    "Candidates",
    "CoverageInstance",
    "Selection",
    "find_candidates",
    "select_greedy",
]
