"""Where a site could go.

Three sources, in priority order: village centres (peaks of the population
summed within ``village_radius_m``), settlement points from the scenario, and a
regular grid over populated land. Candidates inside exclusion areas or off land
are dropped; candidates closer than ``min_spacing_m`` to a higher-priority one
are merged into it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.ndimage as ndi
from scipy.spatial import cKDTree

from rural_plan.errors import PlacementError
from rural_plan.grid.grid import Grid

log = logging.getLogger(__name__)

KIND_VILLAGE, KIND_SETTLEMENT, KIND_GRID = 0, 1, 2
KIND_NAMES = ("village", "settlement", "grid")


@dataclass(frozen=True)
class Candidates:
    """Candidate site locations (cells of the grid)."""

    rows: np.ndarray
    cols: np.ndarray
    kind: np.ndarray
    """0 village centre, 1 settlement point, 2 grid point (see ``KIND_NAMES``)."""
    people_nearby: np.ndarray
    """People within ``village_radius_m`` of the candidate (ranking only)."""

    def __len__(self) -> int:
        return len(self.rows)


def _people_within(grid: Grid, radius_m: float) -> np.ndarray:
    r = max(1, round(radius_m / grid.cell_size_m))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    disc = (xx**2 + yy**2 <= r * r).astype(np.float64)
    return ndi.convolve(grid.population, disc, mode="constant", cval=0.0)


def find_candidates(
    grid: Grid,
    *,
    village_radius_m: float,
    village_min_people: float,
    grid_spacing_m: float,
    grid_min_people: float,
    min_spacing_m: float,
    max_candidates: int,
    settlement_rows: np.ndarray | None = None,
    settlement_cols: np.ndarray | None = None,
    excluded: np.ndarray | None = None,
) -> Candidates:
    """Candidate locations on land, outside exclusions, at least ``min_spacing_m`` apart."""
    allowed = grid.land & (~excluded if excluded is not None else True)
    near = _people_within(grid, village_radius_m)

    size = 2 * max(1, round(village_radius_m / grid.cell_size_m)) + 1
    peaks = (near == ndi.maximum_filter(near, size=size, mode="constant")) & (near > 0)
    peaks &= (near >= village_min_people) & allowed
    v_rows, v_cols = np.nonzero(peaks)

    step = max(1, round(grid_spacing_m / grid.cell_size_m))
    g_rows, g_cols = np.mgrid[step // 2 : grid.shape[0] : step, step // 2 : grid.shape[1] : step]
    g_rows, g_cols = g_rows.ravel(), g_cols.ravel()
    near_grid = _people_within(grid, grid_spacing_m / 2.0)
    keep = allowed[g_rows, g_cols] & (near_grid[g_rows, g_cols] >= max(grid_min_people, 1e-9))
    g_rows, g_cols = g_rows[keep], g_cols[keep]

    s_rows = np.asarray(settlement_rows if settlement_rows is not None else [], dtype=np.int64)
    s_cols = np.asarray(settlement_cols if settlement_cols is not None else [], dtype=np.int64)
    if s_rows.size:
        inside = grid.contains(s_rows, s_cols)
        s_rows, s_cols = s_rows[inside], s_cols[inside]
        ok = allowed[s_rows, s_cols]
        s_rows, s_cols = s_rows[ok], s_cols[ok]

    rows = np.concatenate([v_rows, s_rows, g_rows]).astype(np.int64)
    cols = np.concatenate([v_cols, s_cols, g_cols]).astype(np.int64)
    kind = np.concatenate(
        [
            np.full(v_rows.size, KIND_VILLAGE),
            np.full(s_rows.size, KIND_SETTLEMENT),
            np.full(g_rows.size, KIND_GRID),
        ]
    ).astype(np.int8)
    if rows.size == 0:
        raise PlacementError(
            "no candidate sites: no populated land cell passes the candidate rules "
            f"(village_min_people={village_min_people}, grid_min_people={grid_min_people})"
        )
    people = near[rows, cols]
    # Priority: kind first (villages, settlements, grid), then people nearby, then position.
    order = np.lexsort((cols, rows, -people, kind))
    rows, cols, kind, people = rows[order], cols[order], kind[order], people[order]
    keep_idx = _thin(rows, cols, min_spacing_m / grid.cell_size_m)
    keep_idx = keep_idx[:max_candidates]
    log.info(
        "candidates: %d (villages %d, settlements %d, grid %d) after %.0f m spacing",
        keep_idx.size,
        (kind[keep_idx] == 0).sum(),
        (kind[keep_idx] == 1).sum(),
        (kind[keep_idx] == 2).sum(),
        min_spacing_m,
    )
    return Candidates(rows[keep_idx], cols[keep_idx], kind[keep_idx], people[keep_idx])


def _thin(rows: np.ndarray, cols: np.ndarray, min_cells: float) -> np.ndarray:
    """Indices kept when walking in priority order and dropping points too close to a kept one.

    Two candidates on the same cell are always merged (one location, one site).
    """
    if min_cells <= 0:
        _, first = np.unique(rows * (cols.max() + 1) + cols, return_index=True)
        return np.sort(first)
    pts = np.column_stack([rows, cols]).astype(np.float64)
    tree = cKDTree(pts)
    dropped = np.zeros(rows.size, dtype=bool)
    kept = []
    for i in range(rows.size):
        if dropped[i]:
            continue
        kept.append(i)
        for j in tree.query_ball_point(pts[i], r=min_cells - 1e-9):
            if j != i:
                dropped[j] = True
    return np.asarray(kept, dtype=np.int64)
