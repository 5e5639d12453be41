"""The sparse coverage matrix: site options × demand cells."""

from rural_plan.coverage.matrix import CoverageMatrix, DemandCells, build_matrix, demand_cells

__all__ = ["CoverageMatrix", "DemandCells", "build_matrix", "demand_cells"]
