"""The plan's accounts, after placement and backhaul: the people it covers and serves,
what it costs site by site and in all, its economics, and the headline numbers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from rural_plan.backhaul.graph import node_index
from rural_plan.costing.cashflow import CashFlow, Rollout, cash_flow, money_summary, rollout
from rural_plan.costing.economics import Economics, plan_economics
from rural_plan.costing.plan_cost import cost_split
from rural_plan.costing.settings import CostSettings
from rural_plan.costing.site import SiteCostBreakdown
from rural_plan.coverage.poi_coverage import poi_rows, poi_summary
from rural_plan.pipeline.fit import BackhaulFit, CurveBackhaul, backhaul_pricer, unused_budget
from rural_plan.pipeline.sites import SiteTable, people_served, site_table
from rural_plan.pipeline.summary import Summary, summarise
from rural_plan.placement.sweep import BudgetCurve


@dataclass(frozen=True)
class Accounts:
    summary: Summary
    sites: SiteTable
    site_costs: dict[str, SiteCostBreakdown]
    economics: Economics
    cost_split: dict[str, dict[str, float]]
    pois: list[dict[str, Any]] | None
    money: MoneyOverTime | None = None


def accounts(
    prep, fit: BackhaulFit, curve: BudgetCurve | None, designed: CurveBackhaul | None
) -> Accounts:
    """Everything the plan reports of prepared coverage (a
    :class:`~rural_plan.pipeline.plan.Prepared`) placed and backhauled as ``fit``; its
    budget curve and the curve's designed points (None: a plan without a curve)."""
    scenario, region, options, preset = prep.scenario, prep.region, prep.options, prep.preset
    selection, backhaul, chosen = fit.selection, fit.backhaul, fit.selection.chosen
    pois = None
    if region.pois is not None:
        loc = options.location[chosen]
        pois = poi_rows(
            region.pois,
            region.grid,
            prep.coverage,
            chosen,
            [options.type_name[options.type_index[i]] for i in chosen],
            region.grid.xy_of(prep.candidates.rows[loc], prep.candidates.cols[loc]),
        )
    costs = CostSettings.from_scenario(scenario)
    site_costs = costs.site_costs(preset)
    unused_usd, unused_why = unused_budget(prep, fit)
    served = people_served(prep.coverage, options, chosen)
    summary = summarise(
        scenario,
        region,
        options,
        prep.coverage,
        selection,
        backhaul,
        served=served,
        today=prep.today,
        spent_usd=fit.spent_usd,
        budget_curve_method=curve.method if curve is not None else "none",
        **(designed.summary() if designed is not None else CurveBackhaul.none()),
        **fit.summary(),
        budget_unused_usd=round(unused_usd, 2),
        budget_unused_reason=unused_why,
        pois=None if pois is None else poi_summary(pois),
        power_source_by_type={name: b.power_source for name, b in site_costs.items()},
    )
    econ = plan_economics(
        scenario,
        preset,
        site_counts=summary.sites_by_type,
        people=summary.people_newly_served,
        capex_usd=summary.capex_usd,
        opex_usd_per_year=summary.opex_usd_per_year,
        tco_usd=summary.tco_usd,
        backhaul_pricer=backhaul_pricer(backhaul),
    )
    summary = dataclasses.replace(summary, economics=econ.summary)
    split = cost_split(
        costs,
        sites=(options.capex_usd[chosen].sum(), options.opex_usd_per_year[chosen].sum()),
        backhaul=(backhaul.capex_usd, backhaul.opex_usd_per_year),
    )
    sites = site_table(costs, options, prep.coverage, selection, backhaul, served)
    money = money_over_time(scenario, backhaul, sites)
    summary = dataclasses.replace(summary, money_over_time=money.summary)
    return Accounts(summary, sites, site_costs, econ, split, pois, money)


@dataclass(frozen=True)
class MoneyOverTime:
    rollout: Rollout
    cash_flow: CashFlow
    summary: dict[str, Any]


def money_over_time(scenario, backhaul, sites: SiteTable) -> MoneyOverTime:
    """The sites built in yearly phases within ``budget.per_year_usd`` (never before the
    site their backhaul comes from) and the plan's cash flow year by year."""
    capex = sites.capex_usd + sites.backhaul_capex_usd
    opex = sites.opex_usd_per_year + sites.backhaul_opex_usd_per_year
    parent = np.full(capex.size, -1, dtype=np.int64)
    for i, name in enumerate(backhaul.site_parent[: capex.size]):
        role, index = node_index(name) if ":" in name else ("core", -1)
        if role == "site" and 0 <= index < capex.size:
            parent[i] = index
    per_year = scenario.budget.per_year_usd
    phases = rollout(capex, sites.people_newly_served, sites.tco_usd, parent, per_year)
    c = scenario.cost
    flow = cash_flow(
        phases.year,
        capex,
        opex,
        sites.people_newly_served,
        horizon_years=c.horizon_years,
        discount_rate=c.discount_rate,
        adoption_share=c.adoption_share,
        arpu_usd_per_month=c.arpu_usd_per_month,
    )
    summary = money_summary(
        phases, flow, per_year_usd=per_year, gni_per_capita_usd=c.gni_per_capita_usd
    )
    return MoneyOverTime(phases, flow, summary)
