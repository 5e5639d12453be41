"""Candidate sites, site options and budgeted site selection.

The names below are imported on first use: ``rural-plan place`` loads the placement
kernels without the candidate search's raster stack."""

from typing import TYPE_CHECKING

from rural_plan._lazy import lazy_names

if TYPE_CHECKING:
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

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "BudgetCurve": "rural_plan.placement.sweep",
        "Candidates": "rural_plan.placement.candidates",
        "CoverageInstance": "rural_plan.placement.instance",
        "KIND_NAMES": "rural_plan.placement.candidates",
        "PLACEMENT_METHODS": "rural_plan.placement.methods",
        "Selection": "rural_plan.placement.greedy",
        "SiteOptions": "rural_plan.placement.options",
        "budget_curve": "rural_plan.placement.sweep",
        "build_options": "rural_plan.placement.options",
        "coverage_instance": "rural_plan.placement.options",
        "find_candidates": "rural_plan.placement.candidates",
        "select_greedy": "rural_plan.placement.greedy",
        "select_local_search": "rural_plan.placement.local_search",
        "select_milp": "rural_plan.placement.milp",
        "select_min_cost": "rural_plan.placement.milp",
        "select_sites": "rural_plan.placement.select",
    },
)
