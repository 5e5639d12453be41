"""Line of sight from one site over the grid's terrain."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rural_plan.errors import PropagationError
from rural_plan.grid.grid import Grid
from rural_plan.propagation._viewshed import OUT_OF_RANGE, VISIBLE, viewshed


@dataclass(frozen=True)
class Viewshed:
    """Visibility in a window of the grid: ``codes`` 1 visible, 0 hidden, 2 out of range."""

    codes: np.ndarray
    row_offset: int
    col_offset: int

    @property
    def visible(self) -> np.ndarray:
        return self.codes == VISIBLE

    @property
    def in_range(self) -> np.ndarray:
        return self.codes != OUT_OF_RANGE


def line_of_sight(
    grid: Grid,
    row: int,
    col: int,
    *,
    h_obs_m: float,
    h_tgt_m: float = 1.5,
    radius_m: float = 15_000.0,
    k_factor: float = 4.0 / 3.0,
) -> Viewshed:
    """Which cells within ``radius_m`` a target ``h_tgt_m`` above ground can see the observer.

    The reference-plane method of Wang et al. (2000), the approximation GDAL's viewshed
    uses, with earth curvature at k·a.

    Examples
    --------
    >>> from rural_plan.grid import synthetic_region
    >>> g = synthetic_region(size_m=5000, cell_size_m=50).grid
    >>> vs = line_of_sight(g, 50, 50, h_obs_m=20, radius_m=2000)
    >>> bool(vs.visible[50 - vs.row_offset, 50 - vs.col_offset])
    True
    """
    rows, cols = grid.shape
    if not (0 <= row < rows and 0 <= col < cols):
        raise PropagationError(f"observer cell ({row}, {col}) is outside the grid {grid.shape}")
    if radius_m <= 0 or h_obs_m < 0 or h_tgt_m < 0:
        raise PropagationError("radius_m must be > 0 and heights >= 0")
    r_cells = int(radius_m / grid.cell_size_m)
    shape = (
        min(rows, row + r_cells + 1) - max(0, row - r_cells),
        min(cols, col + r_cells + 1) - max(0, col - r_cells),
    )
    codes = np.empty(shape, dtype=np.uint8)
    elev = np.ascontiguousarray(grid.elevation_m, dtype=np.float64)
    r_off, c_off = viewshed(
        elev,
        int(row),
        int(col),
        float(h_obs_m),
        float(h_tgt_m),
        float(radius_m),
        grid.cell_size_m,
        float(k_factor),
        codes,
    )
    return Viewshed(codes, int(r_off), int(c_off))
