"""The registry of budgeted maximum-coverage methods (names in
:data:`rural_plan.scenario.names.PLACEMENT_METHOD_NAMES`)."""

from __future__ import annotations

from rural_plan.placement.greedy import select_greedy
from rural_plan.placement.local_search import select_local_search
from rural_plan.placement.milp import select_milp

PLACEMENT_METHODS = {
    "greedy": select_greedy,
    "local-search": select_local_search,
    "milp": select_milp,
}
"""Budgeted maximum-coverage methods by name: f(instance, *, budget_usd, time_limit_s)."""
