"""The costing stage's settings, built from a scenario in one place: which preset, the
horizon and discount rate of the net present cost, what the budget counts, and what the
cost model needs of each site type."""

from __future__ import annotations

from dataclasses import dataclass

from rural_plan.costing.npv import annuity_factor, net_present_cost
from rural_plan.costing.plan_cost import SiteSpec, site_breakdowns
from rural_plan.costing.presets import CostPreset, load_preset
from rural_plan.costing.site import SiteCostBreakdown
from rural_plan.scenario.schema import Scenario


@dataclass(frozen=True)
class CostSettings:
    """How a scenario prices a plan (values from the scenario's ``cost`` section,
    ``budget_basis`` and ``site_types``)."""

    horizon_years: int
    discount_rate: float
    """Real discount rate per year, as a fraction."""
    budget_basis: str
    """What the budget counts: 'tco' (net present cost) or 'capex'."""
    peak_sun_hours: float
    battery_autonomy_days: float
    adoption_share: float
    sites: tuple[SiteSpec, ...]
    """Load, cost item and power source of each site type (``scenario.site_types`` order)."""

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> CostSettings:
        c = scenario.cost
        return cls(
            horizon_years=c.horizon_years,
            discount_rate=c.discount_rate,
            budget_basis=scenario.budget_basis,
            peak_sun_hours=c.peak_sun_hours,
            battery_autonomy_days=c.battery_autonomy_days,
            adoption_share=c.adoption_share,
            sites=tuple(
                SiteSpec(name, st.power_w, st.cost_item, st.power_source)
                for name, st in scenario.site_types.items()
            ),
        )

    def npv_usd(self, capex_usd, opex_usd_per_year):
        """Net present cost [USD]: CAPEX now plus OPEX discounted over the horizon."""
        return net_present_cost(
            capex_usd,
            opex_usd_per_year,
            horizon_years=self.horizon_years,
            discount_rate=self.discount_rate,
        )

    def basis_usd(self, capex_usd, opex_usd_per_year):
        """Cost on the budget basis [USD]: CAPEX, or net present cost."""
        if self.budget_basis == "capex":
            return capex_usd
        return self.npv_usd(capex_usd, opex_usd_per_year)

    @property
    def annuity(self) -> float:
        """Present value of 1 USD a year over the horizon (OPEX → its net present cost)."""
        return float(annuity_factor(self.horizon_years, self.discount_rate))

    def site_costs(self, preset: CostPreset) -> dict[str, SiteCostBreakdown]:
        """Itemised CAPEX / OPEX of one site of each type, its power system sized at the
        scenario's sun hours and battery autonomy."""
        return site_breakdowns(
            preset,
            self.sites,
            peak_sun_hours=self.peak_sun_hours,
            battery_autonomy_days=self.battery_autonomy_days,
        )


def scenario_preset(scenario: Scenario) -> CostPreset:
    """The scenario's cost preset with its ``cost.overrides`` applied."""
    return load_preset(scenario.cost.preset, overrides=scenario.cost.overrides)
