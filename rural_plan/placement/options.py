"""Site options: every candidate location with every site type of the scenario, priced,
with its radio loss budget; and the placement instance built from them and the coverage."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rural_plan.costing.presets import CostPreset
from rural_plan.costing.settings import CostSettings
from rural_plan.coverage.matrix import CoverageMatrix
from rural_plan.grid.region import Region
from rural_plan.placement.candidates import Candidates
from rural_plan.placement.instance import CoverageInstance
from rural_plan.propagation.settings import loss_budget_db
from rural_plan.scenario.schema import Scenario


@dataclass(frozen=True)
class SiteOptions:
    """Every (candidate location × site type) the optimiser may choose from."""

    location: np.ndarray
    type_name: tuple[str, ...]
    type_index: np.ndarray
    mast_height_m: np.ndarray
    eirp_dbm: np.ndarray
    max_loss_db: np.ndarray
    capex_usd: np.ndarray
    opex_usd_per_year: np.ndarray
    cost_usd: np.ndarray
    """What each option counts against the budget (site + estimated backhaul) [USD]."""
    capacity_people: np.ndarray
    """Most people each option can serve (inf: no cap)."""

    def basis_cost_usd(self, costs: CostSettings) -> np.ndarray:
        """Each option's site alone (no backhaul) on the budget basis [USD]."""
        return costs.basis_usd(self.capex_usd, self.opex_usd_per_year)


def build_options(scenario: Scenario, candidates: Candidates, preset: CostPreset) -> SiteOptions:
    """Site options: every candidate location with every site type of the scenario, each
    priced with a satellite terminal at ``backhaul.satellite_mbps_per_site`` as its
    backhaul estimate (the placement-backhaul fit corrects it)."""
    names = tuple(scenario.site_types)
    n_loc, n_types = len(candidates), len(names)
    location = np.repeat(np.arange(n_loc), n_types)
    type_index = np.tile(np.arange(n_types), n_loc)
    costs = CostSettings.from_scenario(scenario)
    by_type = costs.site_costs(preset)
    per_type = []
    for name in names:
        st = scenario.site_types[name]
        per_type.append(
            (
                st.mast_height_m,
                st.eirp_dbm,
                loss_budget_db(
                    scenario,
                    eirp_dbm=st.eirp_dbm,
                    gain_dbi=st.antenna_gain_dbi,
                    cable_loss_db=st.cable_loss_db,
                ),
                by_type[name].capex_total_usd,
                by_type[name].opex_total_usd_per_year,
            )
        )
    table = np.array(per_type, dtype=np.float64)[type_index]
    cost_usd = _budget_cost_usd(scenario, preset, costs, table[:, 3], table[:, 4])
    return SiteOptions(
        location=location,
        type_name=names,
        type_index=type_index,
        mast_height_m=table[:, 0],
        eirp_dbm=table[:, 1],
        max_loss_db=table[:, 2],
        capex_usd=table[:, 3],
        opex_usd_per_year=table[:, 4],
        cost_usd=cost_usd,
        capacity_people=np.array([site_capacity_people(scenario, preset, name) for name in names])[
            type_index
        ],
    )


def _budget_cost_usd(
    scenario: Scenario,
    preset: CostPreset,
    costs: CostSettings,
    capex_usd: np.ndarray,
    opex_usd_per_year: np.ndarray,
) -> np.ndarray:
    """What a site of that CAPEX and OPEX counts against the budget, with a satellite
    terminal as its backhaul estimate [USD]."""
    sat_capex, sat_opex = preset.satellite_terminal_usd(scenario.backhaul.satellite_mbps_per_site)
    if costs.budget_basis == "tco":
        return costs.npv_usd(capex_usd, opex_usd_per_year) + costs.npv_usd(sat_capex, sat_opex)
    return capex_usd + sat_capex


def cheapest_option_usd(scenario: Scenario, preset: CostPreset) -> float:
    """What the cheapest site option counts against the budget [USD]: the least a plan
    can spend (the same figure as the options', known before any candidate is found)."""
    costs = CostSettings.from_scenario(scenario)
    by_type = costs.site_costs(preset)
    capex = np.array([by_type[n].capex_total_usd for n in scenario.site_types], dtype=np.float64)
    opex = np.array(
        [by_type[n].opex_total_usd_per_year for n in scenario.site_types], dtype=np.float64
    )
    return float(_budget_cost_usd(scenario, preset, costs, capex, opex).min())


def site_capacity_people(scenario: Scenario, preset: CostPreset, name: str) -> float:
    """Most people one site of type ``name`` serves: its ``capacity_people``, else its
    users (``capacity_users``, else the preset's cited figure for its cost item) over the
    share of people who subscribe (``cost.adoption_share``); inf when none is known."""
    st = scenario.site_types[name]
    if st.capacity_people is not None:
        return float(st.capacity_people)
    users = st.capacity_users
    if users is None:
        users = preset.site(st.cost_item or name).capacity_users
    share = scenario.cost.adoption_share
    if users is None or share <= 0:
        return float("inf")
    return float(users) / share


def poi_bonus(scenario: Scenario, region: Region, coverage: CoverageMatrix) -> np.ndarray | None:
    """Extra objective weight per demand cell from ``placement.poi_weight_people``: each
    POI of a weighted type that the existing network does not serve adds its weight to
    its demand cell. None when nothing is weighted."""
    weights = scenario.placement.poi_weight_people
    pois = region.pois
    if not weights or pois is None or not len(pois):
        return None
    bonus = np.zeros(coverage.weight.size)
    for k, t in enumerate(pois.types):
        d = coverage.demand.point_id[k]
        if t in weights and not coverage.served_before[d]:
            bonus[d] += weights[t]
    return bonus if bonus.any() else None


def coverage_instance(
    coverage: CoverageMatrix,
    options: SiteOptions,
    bonus: np.ndarray | None = None,
    *,
    capped: bool = True,
) -> CoverageInstance:
    """The placement instance: coverage rows, newly coverable people (plus any POI
    bonus weight), option costs, and (``capped``: for the methods that model it) each
    option's capacity in people."""
    limited = capped and bool(np.isfinite(options.capacity_people).any())
    return CoverageInstance.from_arrays(
        indptr=coverage.indptr,
        indices=coverage.indices,
        weight=coverage.weight if bonus is None else coverage.weight + bonus,
        cost_usd=options.cost_usd,
        location=options.location,
        capacity=options.capacity_people if limited else None,
        source="plan",
    )


def placement_objective(scenario: Scenario) -> str:
    """What placement maximises (``placement.objective``, ``auto`` resolved): ``served``
    (people within the sites' capacities) or ``covered``."""
    objective = scenario.placement.objective
    if objective == "auto":
        return "served" if scenario.placement.method == "greedy" else "covered"
    return objective


def models_capacity(scenario: Scenario) -> bool:
    """Whether placement chooses sites by the people they serve within their capacities
    (:func:`placement_objective`); otherwise by people covered, and the plan reports the
    people its sites serve."""
    return placement_objective(scenario) == "served"
