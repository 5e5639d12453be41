"""The demand cells of a scenario: where people are counted as covered or not."""

from __future__ import annotations

from rural_plan.coverage.matrix import DemandCells, demand_cells
from rural_plan.grid.region import Region
from rural_plan.scenario.schema import Scenario


def scenario_demand(scenario: Scenario, region: Region) -> DemandCells:
    """The scenario's demand cells: blocks of ``grid.demand_cell_m`` (whole grid cells),
    plus the cells of the points of interest (so their coverage is exact)."""
    grid = region.grid
    block = max(1, round(scenario.grid.demand_cell_m / grid.cell_size_m))
    pois = region.pois
    return demand_cells(
        grid.population,
        grid.land,
        block,
        point_rows=None if pois is None else pois.rows,
        point_cols=None if pois is None else pois.cols,
    )
