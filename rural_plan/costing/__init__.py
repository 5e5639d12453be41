"""CAPEX, OPEX and net present cost from cited presets."""

from rural_plan.costing.npv import annuity_factor, net_present_cost
from rural_plan.costing.presets import COST_PRESETS, CostPreset, SiteCost, load_preset

__all__ = [
    "COST_PRESETS",
    "CostPreset",
    "SiteCost",
    "annuity_factor",
    "load_preset",
    "net_present_cost",
]
