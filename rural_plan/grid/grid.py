"""The Grid: terrain and population on one projected metric grid."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from affine import Affine


@dataclass(frozen=True)
class GridReport:
    """What gridding did to the inputs, for the log and the summary."""

    people_input_total: float
    """People in the population raster inside the area of interest."""
    people_gridded_total: float
    """People on the metric grid right after resampling (before moving off the sea)."""
    people_moved_from_sea: float
    """People the resampling put on sea / no-data cells, moved to the nearest land cell."""
    people_dropped: float
    """People farther than the allowed distance from any land cell (not planned for)."""
    dem_void_cells_filled: int
    """Interior DEM holes filled by interpolation."""
    dem_cells_outside_data: int
    """Cells with no terrain data reachable (masked: no people, no sites)."""
    reprojected_from: str
    """The input CRS, when the inputs were reprojected; empty when they were not."""

    @property
    def population_conservation_error(self) -> float:
        """|gridded − input| / input (0 when the input holds nobody)."""
        if self.people_input_total <= 0:
            return 0.0
        return abs(self.people_gridded_total - self.people_input_total) / self.people_input_total


@dataclass(frozen=True)
class Grid:
    """Terrain and population on one north-up metric grid.

    Attributes
    ----------
    elevation_m : (rows, cols) float64, terrain height [m]; defined everywhere (filled)
    population : (rows, cols) float64, people per cell (0 on sea and outside the area)
    land : (rows, cols) bool, cells that may hold people and sites
    no_data : (rows, cols) bool, cells outside the terrain data or the area of interest
        (neither land nor sea: maps draw them as no data); None when not known
    transform : affine transform of the grid (top-left origin, metres)
    crs : CRS as 'EPSG:NNNNN' or WKT
    cell_size_m : cell edge [m]
    """

    elevation_m: np.ndarray
    population: np.ndarray
    land: np.ndarray
    transform: Affine
    crs: str
    cell_size_m: float
    report: GridReport = field(repr=False)
    no_data: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.elevation_m.shape  # type: ignore[return-value]

    def xy_of(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates [m] of (row, col) indices."""
        x = self.transform.c + (np.asarray(cols) + 0.5) * self.cell_size_m
        y = self.transform.f - (np.asarray(rows) + 0.5) * self.cell_size_m
        return x, y

    def rowcol_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) indices of the cells holding points (x, y) [m] (may fall outside)."""
        cols = np.floor((np.asarray(x) - self.transform.c) / self.cell_size_m).astype(np.int64)
        rows = np.floor((self.transform.f - np.asarray(y)) / self.cell_size_m).astype(np.int64)
        return rows, cols

    def contains(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        rows, cols = np.asarray(rows), np.asarray(cols)
        return (rows >= 0) & (rows < self.shape[0]) & (cols >= 0) & (cols < self.shape[1])
