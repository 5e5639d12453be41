"""The backhaul of a plan's chosen sites: their demand from the people they serve, the
region's fibre points of presence, existing towers (donors) and roads."""

from __future__ import annotations

import numpy as np

from rural_plan.backhaul.design import BackhaulPlan, design_backhaul
from rural_plan.backhaul.graph import ClearanceMemo
from rural_plan.backhaul.settings import BackhaulSettings
from rural_plan.costing.presets import CostPreset
from rural_plan.coverage.matrix import CoverageMatrix
from rural_plan.grid.region import Region
from rural_plan.placement.candidates import Candidates
from rural_plan.placement.options import SiteOptions


def sites_xy(
    region: Region, candidates: Candidates, options: SiteOptions, chosen: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Grid coordinates [m] of the chosen options' locations."""
    loc = options.location[chosen]
    return region.grid.xy_of(candidates.rows[loc], candidates.cols[loc])


def design_for_sites(
    settings: BackhaulSettings,
    region: Region,
    preset: CostPreset,
    coverage: CoverageMatrix,
    candidates: Candidates,
    options: SiteOptions,
    chosen: np.ndarray,
    *,
    resilience: bool = True,
    clearance_memo: ClearanceMemo | None = None,
) -> BackhaulPlan:
    """The backhaul of the chosen sites: each site's demand from the people it newly
    covers (counted once, for the first site in rollout order that covers them, capped
    by its capacity), existing towers as donors, fibre along the roads layer if given.
    ``resilience=False`` skips the second-path and single-failure analysis (costs only);
    ``clearance_memo`` keeps hop clearances between designs (see ``design_backhaul``)."""
    people = np.minimum(coverage.people_per_option(chosen), options.capacity_people[chosen])
    site_x, site_y = sites_xy(region, candidates, options, chosen)
    towers = region.towers
    return design_backhaul(
        region.hop_terrain if region.hop_terrain is not None else region.grid,
        settings=settings,
        preset=preset,
        site_x=site_x,
        site_y=site_y,
        site_mast_m=options.mast_height_m[chosen],
        fibre_x=region.fibre.x,
        fibre_y=region.fibre.y,
        site_people=people,
        donor_x=towers.x,
        donor_y=towers.y,
        donor_mast_m=towers.height_m,
        road_lines=region.roads,
        resilience=resilience,
        clearance_memo=clearance_memo,
    )
