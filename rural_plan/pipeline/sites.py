"""The chosen sites one by one: the people each newly covers and its whole cost, its share
of the designed backhaul included, so that every column adds up to the plan's figure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rural_plan.backhaul.design import BackhaulPlan
from rural_plan.costing.settings import CostSettings
from rural_plan.coverage.matrix import CoverageMatrix
from rural_plan.placement.capacity import served_by_option, served_people
from rural_plan.placement.greedy import Selection
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.options import SiteOptions


@dataclass(frozen=True)
class Served:
    """People the chosen sites cover, and serve within their capacities."""

    covered: float
    """Every person in the new footprint (each once)."""
    served: float
    """Of them, the most the sites can serve within their capacities (a maximum flow;
    equal to ``covered`` when no site type has a capacity)."""
    per_site: np.ndarray
    """What each site serves in that flow, in rollout order (adds up to ``served``)."""
    capped: bool
    """Some site type has a capacity."""


def people_served(coverage: CoverageMatrix, options: SiteOptions, chosen: np.ndarray) -> Served:
    """The people ``chosen`` (rollout order) cover and serve (no POI priority weight)."""
    covered = float(coverage.weight[coverage.covered_by(chosen)].sum())
    capped = bool(np.isfinite(options.capacity_people).any())
    if not capped:
        return Served(covered, covered, coverage.people_per_option(chosen), False)
    instance = CoverageInstance.from_arrays(
        indptr=coverage.indptr,
        indices=coverage.indices,
        weight=coverage.weight,
        cost_usd=options.cost_usd,
        location=options.location,
        capacity=options.capacity_people,
    )
    per_site = served_by_option(instance, chosen)
    return Served(covered, served_people(instance, chosen), per_site, True)


@dataclass(frozen=True)
class SiteTable:
    """Per chosen site, in rollout order (``site_id`` = position + 1)."""

    people_newly_covered: np.ndarray
    """People each site newly covers, a person counted for the first site in rollout order
    that covers them (no POI priority weight): sums to the footprint's people."""
    people_newly_served: np.ndarray
    """People each site serves within its capacity (:class:`Served`): sums to the plan's
    ``people_newly_served``."""
    priority_score: np.ndarray
    """What placement maximised for the site: its people plus the priority weight of the
    unserved points of interest it is first to cover (``placement.poi_weight_people``)."""
    capex_usd: np.ndarray
    """The site itself (mast, radio, power, civil works) [USD]."""
    opex_usd_per_year: np.ndarray
    backhaul_capex_usd: np.ndarray
    """The site's share of the designed backhaul (:meth:`BackhaulPlan.site_shares`) [USD]."""
    backhaul_opex_usd_per_year: np.ndarray
    tco_usd: np.ndarray
    """Net present cost of the site and its backhaul share: sums to the plan's TCO [USD]."""
    budget_cost_usd: np.ndarray
    """The same on the scenario's budget basis: sums to what the plan spends [USD]."""


def site_table(
    costs: CostSettings,
    options: SiteOptions,
    coverage: CoverageMatrix,
    selection: Selection,
    backhaul: BackhaulPlan,
    served: Served,
) -> SiteTable:
    chosen = selection.chosen
    capex = options.capex_usd[chosen].astype(np.float64)
    opex = options.opex_usd_per_year[chosen].astype(np.float64)
    bh_capex, bh_opex = backhaul.site_shares()
    if bh_capex.size != chosen.size:  # a design of other sites: no shares to give
        bh_capex, bh_opex = np.zeros(chosen.size), np.zeros(chosen.size)
    return SiteTable(
        people_newly_covered=coverage.people_per_option(chosen),
        people_newly_served=np.asarray(served.per_site, dtype=np.float64),
        priority_score=np.asarray(selection.marginal_people, dtype=np.float64),
        capex_usd=capex,
        opex_usd_per_year=opex,
        backhaul_capex_usd=bh_capex,
        backhaul_opex_usd_per_year=bh_opex,
        tco_usd=np.asarray(costs.npv_usd(capex + bh_capex, opex + bh_opex), dtype=np.float64),
        budget_cost_usd=np.asarray(
            costs.basis_usd(capex + bh_capex, opex + bh_opex), dtype=np.float64
        ),
    )
