"""The plan's headline numbers (``summary.json``), typed and built in one place.

:class:`Summary` is read by the report, the CLI and notebooks: as attributes
(``summary.people_per_1000_usd``) or as the mapping ``summary.json`` holds
(``summary["people_per_1000_usd"]``). Each stage's own keys (backhaul, economics,
the MILP's certificate) come from that stage's result and are flattened into the mapping.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rural_plan._version import __version__
from rural_plan.backhaul.design import BackhaulPlan
from rural_plan.costing.settings import CostSettings
from rural_plan.coverage.existing import ServedToday
from rural_plan.coverage.matrix import CoverageMatrix
from rural_plan.grid.region import Region
from rural_plan.pipeline.sites import Served
from rural_plan.placement.greedy import Selection
from rural_plan.placement.options import SiteOptions, placement_objective
from rural_plan.propagation.clutter_map import coverage_criterion
from rural_plan.scenario.schema import Scenario

_FLATTENED = ("today", "backhaul", "certificate", "economics", "money_over_time")
"""Fields whose keys are written into the mapping one by one."""
_OMITTED_WHEN_NONE = ("pois",)
"""Fields left out of the mapping when they are None."""


@dataclass(frozen=True)
class Summary(Mapping[str, Any]):
    """The headline numbers of a plan (people, money, provenance), as ``summary.json``."""

    scenario: str
    scenario_file: str | None
    rural_plan_version: str
    seed: int
    inputs_sha256: dict[str, str]
    crs: str
    cell_size_m: float
    grid_shape: list[int]
    people_input_total: float
    people_gridded_total: float
    population_conservation_error: float
    people_moved_from_sea: float
    people_dropped: float
    dem_void_cells_filled: int
    dem_cells_outside_data: int
    people_total: float
    people_covered_before: float
    people_newly_covered: float
    """People in the plan's new footprint, each once (no POI priority weight)."""
    people_newly_served: float
    """Of them, the most the sites serve within their capacities (site types'
    ``capacity_users`` / ``capacity_people``): what the headline counts."""
    people_in_new_footprint: float
    site_capacity_capped: bool
    share_newly_covered: float
    demand_cell_m: float
    demand_cells: int
    candidate_locations: int
    site_options: int
    sites_selected: int
    sites_by_type: dict[str, int]
    propagation_model: str
    coverage_criterion: str
    """When a cell counts as covered, in words (threshold, uplink, location probability,
    clutter)."""
    placement_method: str
    placement_objective: str
    """What placement maximised (``placement.objective`` resolved): ``covered`` (people
    newly covered) or ``served`` (people newly served within the sites' capacities)."""
    placement_status: str
    placement_gap_bound_pct: float | None
    """How far below the optimum of the instance placement solved (people covered or
    served, plus any POI weight) the plan can at most be, in percent: from a certified
    upper bound (greedy and local search:
    :func:`~rural_plan.placement.bound.upper_bound`, with capacity
    :func:`~rural_plan.placement.bound.served_upper_bound`; MILP: HiGHS's dual bound).
    None when there is none: a coverage target asks for the least cost instead."""
    coverage_target_share: float | None
    cost_preset: str
    budget_usd: float
    budget_basis: str
    budget_used_usd: float
    """Sites plus their designed backhaul, on the budget basis [USD]."""
    horizon_years: int
    discount_rate: float
    capex_usd: float
    opex_usd_per_year: float
    tco_usd: float
    backhaul_tco_usd: float
    backhaul_all_satellite_tco_usd: float
    people_per_1000_usd: float
    """People newly served per 1,000 USD of the plan's TCO: the headline."""
    cost_per_person_usd: float | None
    """TCO per person newly served [USD]."""
    budget_curve_method: str
    budget_curve_backhaul: str
    budget_curve_designed_points: int
    placement_budget_estimate_usd: float
    placement_budget_usd: float
    backhaul_placement_rounds: int
    backhaul_placement_stable: bool
    backhaul_placement_stop: str
    """Why placement and backhaul design stopped iterating, in words."""
    budget_unused_usd: float
    """Budget the plan leaves unspent, sites and designed backhaul counted [USD]."""
    budget_unused_reason: str
    """Why that budget is left, in words ('' when the plan spends within 0.5 % of it)."""
    power_source_by_type: dict[str, str]
    today: Mapping[str, Any] = field(default_factory=dict)
    """Today's network: existing sites, people it serves modelled and assumed, the
    reported figure and any warning (``ServedToday.summary``)."""
    backhaul: Mapping[str, Any] = field(default_factory=dict)
    """The backhaul design's keys (``BackhaulPlan.summary``)."""
    certificate: Mapping[str, Any] = field(default_factory=dict)
    """The placement method's proof of quality, when it gives one (MILP)."""
    economics: Mapping[str, Any] = field(default_factory=dict)
    """Revenue, affordability and sensitivity keys (``costing.economics``)."""
    money_over_time: Mapping[str, Any] = field(default_factory=dict)
    """The yearly rollout and its cash flow (``costing.cashflow``)."""
    pois: dict[str, Any] | None = None
    """Points of interest by type: total, served before, newly covered."""

    def as_dict(self) -> dict[str, Any]:
        """The mapping ``summary.json`` holds."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in _FLATTENED:
                out.update(value)
            elif not (f.name in _OMITTED_WHEN_NONE and value is None):
                out[f.name] = value
        return out

    def __getitem__(self, key: str) -> Any:
        return self.as_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())


def certificate(selection: Selection) -> dict[str, Any]:
    """The method's proof of quality, when it gives one (MILP)."""
    if selection.bound is None:
        return {}
    key = (
        "placement_lower_bound_cost_usd"
        if selection.method.endswith("min_cost")
        else "placement_upper_bound_people"
    )
    return {key: _r(selection.bound), "placement_gap": round(float(selection.gap or 0.0), 6)}


def gap_bound_pct(selection: Selection) -> float | None:
    """100 × the selection's certified gap to its bound (None: no bound)."""
    if selection.gap is None or selection.method.endswith("min_cost"):
        return None
    return round(100.0 * float(selection.gap), 4)


def summarise(
    scenario: Scenario,
    region: Region,
    options: SiteOptions,
    coverage: CoverageMatrix,
    selection: Selection,
    backhaul: BackhaulPlan,
    *,
    served: Served,
    today: ServedToday | None = None,
    spent_usd: float,
    **stages: Any,
) -> Summary:
    """The headline numbers of a plan; ``spent_usd`` is what it spends on the budget basis
    (sites and designed backhaul) and ``stages`` the fields other stages report
    (``budget_curve_*``, ``placement_budget_*``, ``backhaul_placement_*``,
    ``power_source_by_type``, ``economics``, ``pois``)."""
    costs = CostSettings.from_scenario(scenario)
    chosen = selection.chosen
    site_capex = float(options.capex_usd[chosen].sum())
    site_opex = float(options.opex_usd_per_year[chosen].sum())
    capex = site_capex + backhaul.capex_usd
    opex = site_opex + backhaul.opex_usd_per_year
    tco = float(costs.npv_usd(capex, opex))
    newly, footprint, capped = served.served, served.covered, served.capped
    rep = region.grid.report
    people_total = float(region.grid.population.sum())
    return Summary(
        scenario=scenario.name,
        scenario_file=scenario.source_path.name if scenario.source_path else None,
        rural_plan_version=__version__,
        seed=scenario.seed,
        inputs_sha256=dict(sorted(region.inputs_sha256.items())),
        crs=region.grid.crs,
        cell_size_m=region.grid.cell_size_m,
        grid_shape=list(region.grid.shape),
        people_input_total=_r(rep.people_input_total),
        people_gridded_total=_r(rep.people_gridded_total),
        population_conservation_error=round(rep.population_conservation_error, 9),
        people_moved_from_sea=_r(rep.people_moved_from_sea),
        people_dropped=_r(rep.people_dropped),
        dem_void_cells_filled=rep.dem_void_cells_filled,
        dem_cells_outside_data=rep.dem_cells_outside_data,
        people_total=_r(people_total),
        people_covered_before=_r(coverage.people_covered_before),
        people_newly_covered=_r(footprint),
        people_newly_served=_r(newly),
        people_in_new_footprint=_r(footprint),
        site_capacity_capped=capped,
        share_newly_covered=round(footprint / people_total, 6) if people_total else 0.0,
        demand_cell_m=coverage.demand.block * region.grid.cell_size_m,
        demand_cells=coverage.demand.size,
        candidate_locations=int(options.location.max() + 1) if options.location.size else 0,
        site_options=int(options.location.size),
        sites_selected=int(chosen.size),
        sites_by_type={
            name: int((options.type_index[chosen] == i).sum())
            for i, name in enumerate(options.type_name)
        },
        propagation_model=scenario.radio.model,
        coverage_criterion=coverage_criterion(scenario),
        placement_method=selection.method,
        placement_objective=placement_objective(scenario),
        placement_status=selection.status,
        placement_gap_bound_pct=gap_bound_pct(selection),
        coverage_target_share=scenario.placement.coverage_target_share,
        cost_preset=scenario.cost.preset,
        budget_usd=scenario.budget_usd,
        budget_basis=scenario.budget_basis,
        budget_used_usd=_r(spent_usd),
        horizon_years=costs.horizon_years,
        discount_rate=costs.discount_rate,
        capex_usd=_r(capex),
        opex_usd_per_year=_r(opex),
        tco_usd=_r(tco),
        backhaul_tco_usd=_r(backhaul.tco_usd),
        backhaul_all_satellite_tco_usd=_r(backhaul.all_satellite_tco_usd),
        people_per_1000_usd=round(newly / (tco / 1000.0), 4) if tco > 0 else 0.0,
        cost_per_person_usd=round(tco / newly, 2) if newly > 0 else None,
        today={} if today is None else today.summary(),
        backhaul=backhaul.summary(),
        certificate=certificate(selection),
        **stages,
    )


def _r(x: float) -> float:
    return round(float(x), 2)
