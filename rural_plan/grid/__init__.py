"""Terrain + population on one metric grid (population conserved), and every other input
layer of a scenario placed on it (:class:`Region`)."""

from rural_plan.grid.align import build_grid, utm_crs_for
from rural_plan.grid.grid import Grid, GridReport
from rural_plan.grid.region import Points, Region, load_region
from rural_plan.grid.synthetic import SyntheticRegion, synthetic_region

__all__ = [
    "Grid",
    "GridReport",
    "Points",
    "Region",
    "SyntheticRegion",
    "build_grid",
    "load_region",
    "synthetic_region",
    "utm_crs_for",
]
