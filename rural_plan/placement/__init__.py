"""Candidate sites, site options and budgeted site selection."""

from rural_plan.placement.candidates import KIND_NAMES, Candidates, find_candidates
from rural_plan.placement.greedy import Selection, select_greedy
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.local_search import select_local_search
from rural_plan.placement.methods import PLACEMENT_METHODS
from rural_plan.placement.milp import select_milp, select_min_cost
from rural_plan.placement.options import SiteOptions, build_options, coverage_instance
from rural_plan.placement.select import select_sites
from rural_plan.placement.sweep import BudgetCurve, budget_curve

__all__ = [
    "KIND_NAMES",
    "PLACEMENT_METHODS",
    "BudgetCurve",
    "Candidates",
    "CoverageInstance",
    "Selection",
    "SiteOptions",
    "budget_curve",
    "build_options",
    "coverage_instance",
    "find_candidates",
    "select_greedy",
    "select_local_search",
    "select_milp",
    "select_min_cost",
    "select_sites",
]
