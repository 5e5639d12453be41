"""Terrain + population on one metric grid (population conserved)."""

from rural_plan.grid.align import build_grid, utm_crs_for
from rural_plan.grid.grid import Grid, GridReport
from rural_plan.grid.synthetic import SyntheticRegion, synthetic_region

__all__ = ["Grid", "GridReport", "SyntheticRegion", "build_grid", "synthetic_region", "utm_crs_for"]
