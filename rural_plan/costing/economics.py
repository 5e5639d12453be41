"""A finished plan's economics beyond its cost: revenue, subsidy, affordability, and how
much the answer moves when each cost figure moves (tornado, Monte-Carlo).

The sensitivity re-costs the *same* plan (the same sites and links, the coverage already
computed) under presets with one figure moved over its stated range; it does not
re-optimise, so it answers "how sure are we of this plan's people per dollar".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rural_plan.costing.plan_cost import plan_evaluator
from rural_plan.costing.presets import CostPreset
from rural_plan.costing.revenue import (
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
from rural_plan.costing.settings import CostSettings
from rural_plan.scenario.schema import Scenario


@dataclass(frozen=True)
class Economics:
    summary: dict[str, Any]
    """Keys added to ``summary.json``."""
    tornado: tuple[TornadoRow, ...] = ()
    monte_carlo: MonteCarloResult | None = None
    notes: dict[str, str] = field(default_factory=dict)


def plan_economics(
    scenario: Scenario,
    preset: CostPreset,
    *,
    site_counts: dict[str, int],
    people: float,
    capex_usd: float,
    opex_usd_per_year: float,
    tco_usd: float,
    backhaul_pricer: Callable[[CostPreset], tuple[float, float]],
) -> Economics:
    """Revenue / payback / viability gap / affordability (when the scenario gives an ARPU)
    and the sensitivity of people per 1,000 USD and TCO to every preset figure."""
    c = scenario.cost
    out: dict[str, Any] = {}
    if c.arpu_usd_per_month is not None:
        kw = {
            "people": people,
            "adoption_share": c.adoption_share,
            "arpu_usd_per_month": c.arpu_usd_per_month,
        }
        per_year = revenue_per_year_usd(**kw)
        npv = revenue_npv(**kw, horizon_years=c.horizon_years, discount_rate=c.discount_rate)
        gap = viability_gap_usd(npv_cost_usd=tco_usd, npv_revenue_usd=npv)
        payback = payback_years(
            capex_usd=capex_usd,
            opex_usd_per_year=opex_usd_per_year,
            revenue_usd_per_year=per_year,
            discount_rate=c.discount_rate,
        )
        out.update(
            revenue_usd_per_year=round(per_year, 2),
            revenue_npv_usd=round(npv, 2),
            viability_gap_usd=round(gap, 2),
            viability_gap_usd_per_person=round(gap / people, 2) if people > 0 else None,
            payback_years=None if not math.isfinite(payback) else round(payback, 2),
        )
        if c.gni_per_capita_usd is not None:
            a = affordability(
                price_usd_per_month=c.arpu_usd_per_month, gni_per_capita_usd=c.gni_per_capita_usd
            )
            out.update(
                affordability_threshold_usd_per_month=round(a.threshold_usd_per_month, 4),
                price_share_of_monthly_gni=round(a.share_of_monthly_gni, 6),
                affordable=a.affordable,
            )
    rows: tuple[TornadoRow, ...] = ()
    mc = None
    if c.sensitivity or c.monte_carlo_samples:
        evaluate = plan_evaluator(
            sites=CostSettings.from_scenario(scenario).sites,
            counts=site_counts,
            people=people,
            peak_sun_hours=c.peak_sun_hours,
            battery_autonomy_days=c.battery_autonomy_days,
            horizon_years=c.horizon_years,
            discount_rate=c.discount_rate,
            backhaul=backhaul_pricer,
        )
        ranges = preset_ranges(preset)
        if c.sensitivity:
            rows = tuple(tornado(evaluate, preset, ranges))
            out["sensitivity_top_parameters"] = [
                {
                    "parameter": r.parameter,
                    "people_per_1000_usd_at_low": round(r.at_low["people_per_1000_usd"], 4),
                    "people_per_1000_usd_at_high": round(r.at_high["people_per_1000_usd"], 4),
                }
                for r in rows[:3]
            ]
        if c.monte_carlo_samples:
            mc = monte_carlo(evaluate, preset, ranges, n=c.monte_carlo_samples, seed=scenario.seed)
            for metric in ("people_per_1000_usd", "tco_usd"):
                for p in ("p5", "p50", "p95"):
                    out[f"{metric}_{p}"] = round(mc.percentiles[metric][p], 4)
    return Economics(out, rows, mc)
