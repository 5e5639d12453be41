"""Price a fixed plan (chosen sites by type, backhaul, people covered) with a preset.

``plan_evaluator`` turns a finished plan into the ``evaluate(preset)`` function that the
tornado and the Monte-Carlo call: the coverage is not recomputed, only the money.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rural_plan.costing.npv import net_present_cost
from rural_plan.costing.presets import CostPreset
from rural_plan.costing.site import SiteCostBreakdown, site_cost
from rural_plan.errors import CostingError

BackhaulPricer = Callable[[CostPreset], tuple[float, float]]
"""preset → (backhaul CAPEX [USD], backhaul OPEX [USD/yr]) of the plan's fixed links."""


@dataclass(frozen=True)
class SiteSpec:
    """What the cost model needs to know about one site type of the scenario."""

    name: str
    """The scenario's site type name."""
    power_w: float
    cost_item: str | None = None
    """Entry under ``site_types`` in the preset (default: ``name``)."""
    power_source: str | None = None
    """None: the preset's default for the cost item."""


@dataclass(frozen=True)
class PlanCost:
    """A plan's money: totals [USD, USD/yr] and the per-type breakdowns used."""

    site_capex_usd: float
    site_opex_usd_per_year: float
    backhaul_capex_usd: float
    backhaul_opex_usd_per_year: float
    capex_usd: float
    opex_usd_per_year: float
    tco_usd: float
    by_type: dict[str, SiteCostBreakdown]


def site_breakdowns(
    preset: CostPreset,
    sites: Sequence[SiteSpec],
    *,
    peak_sun_hours: float,
    battery_autonomy_days: float,
) -> dict[str, SiteCostBreakdown]:
    """The cost of one site of each type (scenario type name → breakdown)."""
    return {
        s.name: site_cost(
            preset,
            s.cost_item or s.name,
            power_w=s.power_w,
            power_source=s.power_source,
            peak_sun_hours=peak_sun_hours,
            battery_autonomy_days=battery_autonomy_days,
        )
        for s in sites
    }


def plan_cost(
    preset: CostPreset,
    *,
    sites: Sequence[SiteSpec],
    counts: Mapping[str, int],
    peak_sun_hours: float,
    battery_autonomy_days: float,
    horizon_years: int,
    discount_rate: float,
    backhaul: BackhaulPricer | tuple[float, float] = (0.0, 0.0),
) -> PlanCost:
    """CAPEX, OPEX and net present cost of ``counts[type]`` sites of each type plus the
    backhaul (a fixed (CAPEX, OPEX) pair, or a function re-pricing the fixed links)."""
    unknown = set(counts) - {s.name for s in sites}
    if unknown:
        raise CostingError(
            f"plan cost: no SiteSpec for site type {sorted(unknown)[0]!r}; "
            f"valid: {', '.join(s.name for s in sites)}"
        )
    by_type = site_breakdowns(
        preset, sites, peak_sun_hours=peak_sun_hours, battery_autonomy_days=battery_autonomy_days
    )
    site_capex = sum(by_type[k].capex_total_usd * n for k, n in counts.items())
    site_opex = sum(by_type[k].opex_total_usd_per_year * n for k, n in counts.items())
    bh_capex, bh_opex = backhaul(preset) if callable(backhaul) else backhaul
    capex = site_capex + bh_capex
    opex = site_opex + bh_opex
    tco = float(
        net_present_cost(capex, opex, horizon_years=horizon_years, discount_rate=discount_rate)
    )
    return PlanCost(
        site_capex_usd=float(site_capex),
        site_opex_usd_per_year=float(site_opex),
        backhaul_capex_usd=float(bh_capex),
        backhaul_opex_usd_per_year=float(bh_opex),
        capex_usd=float(capex),
        opex_usd_per_year=float(opex),
        tco_usd=tco,
        by_type=by_type,
    )


def cost_split(costs, **parts: tuple[float, float]) -> dict[str, dict[str, float]]:
    """CAPEX, OPEX per year, OPEX net present cost and TCO [USD] of each named part of a
    plan (e.g. ``sites=(capex, opex), backhaul=(capex, opex)``), over the horizon of
    ``costs`` (a :class:`~rural_plan.costing.settings.CostSettings`)."""
    af = costs.annuity
    out = {}
    for name, (capex, opex) in parts.items():
        part = {"capex_usd": float(capex), "opex_usd_per_year": float(opex)}
        part["opex_npv_usd"] = part["opex_usd_per_year"] * af
        part["tco_usd"] = part["capex_usd"] + part["opex_npv_usd"]
        out[name] = part
    return out


def people_per_1000_usd(people: float, tco_usd: float) -> float:
    """The headline metric: people newly covered per 1,000 USD of net present cost."""
    return people / (tco_usd / 1000.0) if tco_usd > 0 else 0.0


def plan_evaluator(
    *,
    sites: Sequence[SiteSpec],
    counts: Mapping[str, int],
    people: float,
    peak_sun_hours: float,
    battery_autonomy_days: float,
    horizon_years: int,
    discount_rate: float,
    backhaul: BackhaulPricer | tuple[float, float] = (0.0, 0.0),
) -> Callable[[CostPreset], dict[str, float]]:
    """``evaluate(preset)`` for a fixed plan, as ``tornado`` and ``monte_carlo`` expect.

    Returns ``people_per_1000_usd``, ``tco_usd``, ``capex_usd`` and ``opex_usd_per_year``.
    Pass ``backhaul`` as a function of the preset for the backhaul figures to move too; a
    fixed pair leaves them without effect (their tornado bars are then zero).

    Examples
    --------
    >>> from rural_plan.costing import load_preset
    >>> f = plan_evaluator(sites=[SiteSpec("light_pole", 150.0)], counts={"light_pole": 10},
    ...                    people=20_000, peak_sun_hours=5.0, battery_autonomy_days=2.0,
    ...                    horizon_years=10, discount_rate=0.08)
    >>> round(f(load_preset("default"))["tco_usd"], -3)
    268000.0
    """
    counts = dict(counts)

    def evaluate(preset: CostPreset) -> dict[str, float]:
        pc = plan_cost(
            preset,
            sites=sites,
            counts=counts,
            peak_sun_hours=peak_sun_hours,
            battery_autonomy_days=battery_autonomy_days,
            horizon_years=horizon_years,
            discount_rate=discount_rate,
            backhaul=backhaul,
        )
        return {
            "people_per_1000_usd": people_per_1000_usd(people, pc.tco_usd),
            "tco_usd": pc.tco_usd,
            "capex_usd": pc.capex_usd,
            "opex_usd_per_year": pc.opex_usd_per_year,
        }

    return evaluate
