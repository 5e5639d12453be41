"""Costing: cited presets, per-site CAPEX / OPEX with a sized power system, net present
cost, revenue and subsidy, affordability, and sensitivity (tornado, Monte-Carlo)."""

from rural_plan.costing.npv import annuity_factor, net_present_cost
from rural_plan.costing.plan_cost import (
    PlanCost,
    SiteSpec,
    people_per_1000_usd,
    plan_cost,
    plan_evaluator,
    site_breakdowns,
)
from rural_plan.costing.power import (
    POWER_FIGURES,
    POWER_SOURCES,
    PowerCost,
    battery_kwh,
    diesel_litres_per_year,
    generator_kw,
    power_cost,
    solar_pv_w,
)
from rural_plan.costing.presets import (
    COST_PRESETS,
    CostPreset,
    SiteCost,
    load_preset,
    patch_preset,
    scale_figure,
)
from rural_plan.costing.revenue import (
    BROADBAND_COMMISSION_AFFORDABILITY_SHARE,
    Affordability,
    affordability,
    payback_years,
    revenue_npv,
    revenue_per_year_usd,
    viability_gap_usd,
)
from rural_plan.costing.sensitivity import (
    MonteCarloResult,
    TornadoRow,
    monte_carlo,
    preset_ranges,
    tornado,
)
from rural_plan.costing.site import SiteCostBreakdown, cost_rows, site_cost

__all__ = [
    "BROADBAND_COMMISSION_AFFORDABILITY_SHARE",
    "COST_PRESETS",
    "POWER_FIGURES",
    "POWER_SOURCES",
    "Affordability",
    "CostPreset",
    "MonteCarloResult",
    "PlanCost",
    "PowerCost",
    "SiteCost",
    "SiteCostBreakdown",
    "SiteSpec",
    "TornadoRow",
    "affordability",
    "annuity_factor",
    "battery_kwh",
    "cost_rows",
    "diesel_litres_per_year",
    "generator_kw",
    "load_preset",
    "monte_carlo",
    "net_present_cost",
    "patch_preset",
    "payback_years",
    "people_per_1000_usd",
    "plan_cost",
    "plan_evaluator",
    "power_cost",
    "preset_ranges",
    "revenue_npv",
    "revenue_per_year_usd",
    "scale_figure",
    "site_breakdowns",
    "site_cost",
    "solar_pv_w",
    "tornado",
    "viability_gap_usd",
]
