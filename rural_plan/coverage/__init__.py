"""Sparse site × demand-cell coverage, with people already served removed."""

from rural_plan.coverage.matrix import CoverageMatrix, build_matrix, demand_cells

__all__ = ["CoverageMatrix", "build_matrix", "demand_cells"]
