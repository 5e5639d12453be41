"""Candidate sites and budgeted site selection."""

from rural_plan.placement.candidates import KIND_NAMES, Candidates, find_candidates
from rural_plan.placement.greedy import Selection, select_greedy

PLACEMENT_METHODS = {"greedy": select_greedy}
"""Budgeted maximum-coverage methods by name (the scenario and CLI use these names)."""

__all__ = [
    "KIND_NAMES",
    "PLACEMENT_METHODS",
    "Candidates",
    "Selection",
    "find_candidates",
    "select_greedy",
]
