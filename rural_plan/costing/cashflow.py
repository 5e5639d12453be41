"""Money over time: the plan's sites rolled out in yearly phases within a yearly budget,
and the cash flow of each year of the horizon.

Rollout: the sites with the most people served per dollar first (people newly served
over the site's TCO, its backhaul share included), a site never before the site its
backhaul comes from; each year builds what its CAPEX budget (``budget.per_year_usd``:
sites and their backhaul share) allows, in that order, and a year that could build
nothing builds the next site alone (its CAPEX above the yearly budget, said in the
row). Without a yearly budget everything is built in year 1.

Cash flow, with the plan's conventions (:mod:`rural_plan.costing.npv`): a site built in
year y pays its CAPEX at the start of year y (t = y − 1) and its OPEX at the end of
every year from y to the horizon; its subscribers (people served × adoption) pay the
ARPU from the end of year y. The subsidy gap of a year is what its costs exceed its
revenue by; the break-even price is the monthly price per subscriber whose revenue, over
the horizon and discounted, pays the phased net present cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rural_plan.errors import CostingError


@dataclass(frozen=True)
class Rollout:
    """The year each site is built in (1 = the first year)."""

    year: np.ndarray
    """Per site (site order), int ≥ 1."""
    over_budget_years: tuple[int, ...] = ()
    """Years whose one site costs more than the yearly budget."""

    @property
    def years(self) -> int:
        return int(self.year.max()) if self.year.size else 0


def rollout(
    capex_usd: np.ndarray,
    people_served: np.ndarray,
    tco_usd: np.ndarray,
    parent: np.ndarray,
    per_year_usd: float | None,
) -> Rollout:
    """Years of construction of each site (see the module docstring).

    ``capex_usd`` per site (with its backhaul share) [USD]; ``people_served`` and
    ``tco_usd`` per site rank them; ``parent[i]`` is the site (index) site i's backhaul
    comes from, or -1 (the core, a PoP, a tower: no site to wait for)."""
    n = capex_usd.size
    if per_year_usd is not None and per_year_usd <= 0:
        raise CostingError(f"rollout: per_year_usd must be > 0, got {per_year_usd}")
    year = np.zeros(n, dtype=np.int64)
    if n == 0:
        return Rollout(year)
    if per_year_usd is None:
        return Rollout(np.ones(n, dtype=np.int64))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(tco_usd > 0, people_served / tco_usd, np.inf)
    order = sorted(range(n), key=lambda i: (-value[i], i))
    over: list[int] = []
    y = 0
    while (year == 0).any():
        y += 1
        left = per_year_usd
        built_any = True
        while built_any:  # a parent built this year frees its children this year
            built_any = False
            for i in order:
                if year[i] or (parent[i] >= 0 and year[parent[i]] == 0):
                    continue
                if capex_usd[i] <= left * (1 + 1e-9):
                    year[i] = y
                    left -= capex_usd[i]
                    built_any = True
        if not (year == y).any():  # nothing fits: the next site that may be built, alone
            i = next(i for i in order if not year[i] and (parent[i] < 0 or year[parent[i]]))
            year[i] = y
            over.append(y)
    return Rollout(year, tuple(over))


@dataclass(frozen=True)
class CashFlow:
    """One row per year of the horizon (``cashflow.csv``), and what they add up to."""

    rows: tuple[dict[str, Any], ...]
    phased_npv_cost_usd: float
    """Net present cost of the phased plan [USD] (the plan's TCO builds all in year 1)."""
    payback_year: int | None
    """First year whose cumulative net cash is ≥ 0 (None: not within the horizon or no
    revenue side)."""
    discounted_payback_year: int | None
    break_even_price_usd_per_month: float | None
    """Monthly price per subscriber whose discounted revenue pays the phased net present
    cost [USD] (None: nobody served)."""
    subsidy_gap_npv_usd: float | None
    """Present value of the yearly subsidy gaps [USD] (None: no revenue side)."""


def cash_flow(
    rollout_year: np.ndarray,
    capex_usd: np.ndarray,
    opex_usd_per_year: np.ndarray,
    people_served: np.ndarray,
    *,
    horizon_years: int,
    discount_rate: float,
    adoption_share: float,
    arpu_usd_per_month: float | None,
) -> CashFlow:
    """The yearly cash flow of sites built in ``rollout_year`` (see the module
    docstring); costs per site [USD], people served per site."""
    rows = []
    cumulative = discounted_cum = 0.0
    npv_cost = npv_subscriber_months = npv_gap = 0.0
    payback = discounted_payback = None
    for y in range(1, horizon_years + 1):
        built = rollout_year == y
        live = (rollout_year >= 1) & (rollout_year <= y)
        capex = float(capex_usd[built].sum())
        opex = float(opex_usd_per_year[live].sum())
        subscribers = float(people_served[live].sum()) * adoption_share
        revenue = subscribers * 12.0 * arpu_usd_per_month if arpu_usd_per_month else 0.0
        start, end = (1 + discount_rate) ** -(y - 1), (1 + discount_rate) ** -y
        net = revenue - opex - capex
        gap = max(0.0, capex + opex - revenue)
        cumulative += net
        discounted = revenue * end - opex * end - capex * start
        discounted_cum += discounted
        npv_cost += capex * start + opex * end
        npv_subscriber_months += subscribers * 12.0 * end
        npv_gap += max(0.0, capex * start + (opex - revenue) * end)
        if arpu_usd_per_month and payback is None and cumulative >= 0:
            payback = y
        if arpu_usd_per_month and discounted_payback is None and discounted_cum >= 0:
            discounted_payback = y
        rows.append(
            {
                "year": y,
                "sites_built": int(built.sum()),
                "sites_live": int(live.sum()),
                "people_served": round(float(people_served[live].sum()), 1),
                "subscribers": round(subscribers, 1),
                "capex_usd": round(capex, 2),
                "opex_usd": round(opex, 2),
                "revenue_usd": round(revenue, 2) if arpu_usd_per_month is not None else None,
                "net_cash_usd": round(net, 2),
                "cumulative_net_cash_usd": round(cumulative, 2),
                "discounted_net_cash_usd": round(discounted, 2),
                "subsidy_gap_usd": round(gap, 2),
            }
        )
    price = npv_cost / npv_subscriber_months if npv_subscriber_months > 0 else None
    return CashFlow(
        tuple(rows),
        phased_npv_cost_usd=npv_cost,
        payback_year=payback,
        discounted_payback_year=discounted_payback,
        break_even_price_usd_per_month=price,
        subsidy_gap_npv_usd=npv_gap if arpu_usd_per_month is not None else None,
    )


def money_summary(
    phases: Rollout, flow: CashFlow, *, per_year_usd: float | None, gni_per_capita_usd
) -> dict[str, Any]:
    """The keys ``summary.json`` takes from the rollout and its cash flow."""
    price = flow.break_even_price_usd_per_month
    out: dict[str, Any] = {
        "rollout_budget_per_year_usd": per_year_usd,
        "rollout_years": phases.years,
        "rollout_over_budget_years": list(phases.over_budget_years),
        "phased_npv_cost_usd": round(flow.phased_npv_cost_usd, 2),
        "payback_year": flow.payback_year,
        "discounted_payback_year": flow.discounted_payback_year,
        "subsidy_gap_npv_usd": None
        if flow.subsidy_gap_npv_usd is None
        else round(flow.subsidy_gap_npv_usd, 2),
        "break_even_price_usd_per_month": None if price is None else round(price, 4),
    }
    if gni_per_capita_usd is not None and price is not None:
        out["break_even_price_share_of_monthly_gni"] = round(
            price_share_of_monthly_gni(price, gni_per_capita_usd), 6
        )
    return out


def price_share_of_monthly_gni(price_usd_per_month: float, gni_per_capita_usd: float) -> float:
    """A monthly price as a share of monthly GNI per capita (the Broadband Commission's
    affordability target is 2 %)."""
    if not gni_per_capita_usd > 0 or not math.isfinite(gni_per_capita_usd):
        raise CostingError(f"gni_per_capita_usd must be > 0, got {gni_per_capita_usd}")
    return price_usd_per_month / (gni_per_capita_usd / 12.0)
