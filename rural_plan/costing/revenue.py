"""Revenue, payback, the subsidy a plan needs, and whether its users can afford it.

Revenue is ARPU × adoption × people covered, received at the end of each year like OPEX
(``npv.annuity_factor``). The viability gap is the part of the net present cost the
revenue does not pay for: what a universal-service fund would have to cover.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rural_plan.costing.npv import annuity_factor
from rural_plan.errors import CostingError

BROADBAND_COMMISSION_AFFORDABILITY_SHARE = 0.02
"""UN Broadband Commission 2025 Target 2: entry-level broadband below 2 % of monthly GNI
per capita (broadbandcommission.org/advocacy-targets/2-affordability; set in 2018,
lowered from 5 %)."""


def revenue_per_year_usd(
    *, people: float, adoption_share: float, arpu_usd_per_month: float
) -> float:
    """Yearly revenue [USD]: people covered × share who subscribe × ARPU × 12."""
    if people < 0 or arpu_usd_per_month < 0 or not 0 <= adoption_share <= 1:
        raise CostingError(
            "revenue: needs people >= 0, arpu_usd_per_month >= 0 and adoption_share in "
            f"[0, 1], got {people}, {arpu_usd_per_month}, {adoption_share}"
        )
    return people * adoption_share * arpu_usd_per_month * 12.0


def revenue_npv(
    *,
    people: float,
    adoption_share: float,
    arpu_usd_per_month: float,
    horizon_years: int,
    discount_rate: float,
) -> float:
    """Present value [USD] of the revenue over the horizon, paid at the end of each year.

    Examples
    --------
    >>> round(revenue_npv(people=1000, adoption_share=0.5, arpu_usd_per_month=2.0,
    ...                   horizon_years=3, discount_rate=0.10), 2)
    29842.22
    """
    yearly = revenue_per_year_usd(
        people=people, adoption_share=adoption_share, arpu_usd_per_month=arpu_usd_per_month
    )
    return yearly * annuity_factor(horizon_years, discount_rate)


def payback_years(
    *,
    capex_usd: float,
    opex_usd_per_year: float,
    revenue_usd_per_year: float,
    discount_rate: float = 0.0,
) -> float:
    """Years until the (discounted) net revenue repays the CAPEX; ``inf`` if it never does.

    With a net cash flow N = revenue − OPEX at the end of each year, the payback T solves
    N · a(T, r) = CAPEX, with the annuity factor a(T, r) = (1 − (1 + r)^−T) / r read at
    fractional T: T = CAPEX / N at r = 0, else T = −ln(1 − r · CAPEX / N) / ln(1 + r)
    (infinite when r · CAPEX ≥ N: the interest alone outruns the net revenue).

    Examples
    --------
    >>> payback_years(capex_usd=10_000, opex_usd_per_year=1_000, revenue_usd_per_year=3_000)
    5.0
    """
    if capex_usd < 0:
        raise CostingError(f"payback: capex_usd must be >= 0, got {capex_usd}")
    net = revenue_usd_per_year - opex_usd_per_year
    if capex_usd == 0:
        return 0.0
    if net <= 0:
        return math.inf
    if discount_rate == 0:
        return capex_usd / net
    x = discount_rate * capex_usd / net
    if x >= 1:
        return math.inf
    return -math.log(1.0 - x) / math.log(1.0 + discount_rate)


def viability_gap_usd(*, npv_cost_usd: float, npv_revenue_usd: float) -> float:
    """The subsidy a plan needs [USD]: max(0, NPV of cost − NPV of revenue).

    Examples
    --------
    >>> viability_gap_usd(npv_cost_usd=100.0, npv_revenue_usd=70.0)
    30.0
    >>> viability_gap_usd(npv_cost_usd=100.0, npv_revenue_usd=170.0)
    0.0
    """
    return max(0.0, float(npv_cost_usd) - float(npv_revenue_usd))


@dataclass(frozen=True)
class Affordability:
    """A monthly price set against the Broadband Commission threshold."""

    price_usd_per_month: float
    gni_per_capita_usd: float
    threshold_share: float
    threshold_usd_per_month: float
    """threshold_share × GNI per capita / 12."""
    share_of_monthly_gni: float
    """price ÷ (GNI per capita / 12)."""
    affordable: bool
    """price ≤ threshold."""


def affordability(
    *,
    price_usd_per_month: float,
    gni_per_capita_usd: float,
    threshold_share: float = BROADBAND_COMMISSION_AFFORDABILITY_SHARE,
) -> Affordability:
    """Is a monthly price affordable: at most 2 % of monthly GNI per capita?

    Examples
    --------
    >>> a = affordability(price_usd_per_month=3.0, gni_per_capita_usd=1_200.0)
    >>> a.threshold_usd_per_month, a.share_of_monthly_gni, a.affordable
    (2.0, 0.03, False)
    """
    if gni_per_capita_usd <= 0:
        raise CostingError(f"cost.gni_per_capita_usd: must be > 0, got {gni_per_capita_usd}")
    if price_usd_per_month < 0:
        raise CostingError(f"affordability: price must be >= 0, got {price_usd_per_month}")
    monthly_gni = gni_per_capita_usd / 12.0
    threshold = threshold_share * monthly_gni
    return Affordability(
        price_usd_per_month=float(price_usd_per_month),
        gni_per_capita_usd=float(gni_per_capita_usd),
        threshold_share=float(threshold_share),
        threshold_usd_per_month=threshold,
        share_of_monthly_gni=price_usd_per_month / monthly_gni,
        affordable=bool(price_usd_per_month <= threshold * (1 + 1e-12)),
    )
