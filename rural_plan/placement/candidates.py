"""Where a site could go.

Six sources, in priority order: sites the planner proposes, village centres (peaks of
the population summed within ``village_radius_m``), settlement points from the
scenario, terrain highs near villages (a pole on a hill covers more), existing masts
(co-location), and a regular grid over populated land. Candidates inside exclusion
areas or off land are dropped; candidates closer than ``min_spacing_m`` to a
higher-priority one are merged into it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.ndimage as ndi
from scipy.signal import fftconvolve
from scipy.spatial import cKDTree

from rural_plan.errors import PlacementError
from rural_plan.grid.grid import Grid
from rural_plan.grid.region import Region
from rural_plan.scenario.schema import Scenario

log = logging.getLogger(__name__)

KIND_VILLAGE, KIND_SETTLEMENT, KIND_GRID, KIND_HILLTOP, KIND_MAST, KIND_PROPOSED = range(6)
KIND_NAMES = ("village", "settlement", "grid", "hilltop", "existing_mast", "proposed")
"""Candidate kinds by code (codes are stable; priority is ``KIND_PRIORITY``)."""
KIND_PRIORITY = np.array([1, 2, 5, 3, 4, 0])
"""Rank of each kind when candidates are thinned and capped (0 first)."""


@dataclass(frozen=True)
class Candidates:
    """Candidate site locations (cells of the grid)."""

    rows: np.ndarray
    cols: np.ndarray
    kind: np.ndarray
    """Kind code of each candidate (names in ``KIND_NAMES``)."""
    people_nearby: np.ndarray
    """People within ``village_radius_m`` of the candidate (ranking only)."""

    def __len__(self) -> int:
        return len(self.rows)


def disc_sum(values: np.ndarray, radius_cells: int) -> np.ndarray:
    """Sum of ``values`` over a disc of ``radius_cells`` around every cell (zero outside
    the array). FFT convolution, so the cost does not grow with the disc: 18 M cells and
    a 1 km disc at 30 m take seconds."""
    r = max(1, int(radius_cells))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    disc = (xx**2 + yy**2 <= r * r).astype(np.float64)
    out = fftconvolve(values, disc, mode="same")
    # FFT round-off leaves ~1e-12 where there is nothing: keep zero exact, sums >= 0
    out[out < max(float(np.abs(values).max(initial=0.0)), 1.0) * disc.sum() * 1e-12] = 0.0
    return out


def _people_within(grid: Grid, radius_m: float) -> np.ndarray:
    return disc_sum(grid.population, max(1, round(radius_m / grid.cell_size_m)))


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
    hilltop_radius_m: float = 0.0,
    hilltop_min_gain_m: float = 20.0,
    mast_rows: np.ndarray | None = None,
    mast_cols: np.ndarray | None = None,
    proposed_rows: np.ndarray | None = None,
    proposed_cols: np.ndarray | None = None,
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

    h_rows, h_cols = _hilltops(grid, allowed, v_rows, v_cols, hilltop_radius_m, hilltop_min_gain_m)
    sources = [
        (KIND_VILLAGE, v_rows, v_cols),
        (KIND_SETTLEMENT, *_points_allowed(grid, allowed, settlement_rows, settlement_cols)),
        (KIND_GRID, g_rows, g_cols),
        (KIND_HILLTOP, h_rows, h_cols),
        (KIND_MAST, *_points_allowed(grid, allowed, mast_rows, mast_cols)),
        (KIND_PROPOSED, *_points_allowed(grid, allowed, proposed_rows, proposed_cols)),
    ]
    rows = np.concatenate([r for _, r, _ in sources]).astype(np.int64)
    cols = np.concatenate([c for _, _, c in sources]).astype(np.int64)
    kind = np.concatenate([np.full(r.size, k) for k, r, _ in sources]).astype(np.int8)
    if rows.size == 0:
        land = int(grid.land.sum())
        if excluded is not None and land and not allowed.any():
            raise PlacementError(
                f"no candidate sites: the exclusions (inputs.exclusions) cover every land "
                f"cell ({land:,} of {land:,}); no site can be placed anywhere: check the "
                "polygons (an area to keep out, not the area to plan)"
            )
        raise PlacementError(
            "no candidate sites: no populated land cell passes the candidate rules "
            f"(village_min_people={village_min_people}, grid_min_people={grid_min_people})"
        )
    people = near[rows, cols]
    # Priority: kind first (KIND_PRIORITY), then people nearby, then position.
    order = np.lexsort((cols, rows, -people, KIND_PRIORITY[kind]))
    rows, cols, kind, people = rows[order], cols[order], kind[order], people[order]
    keep_idx = _thin(rows, cols, min_spacing_m / grid.cell_size_m)
    keep_idx = keep_idx[:max_candidates]
    counts = np.bincount(kind[keep_idx], minlength=len(KIND_NAMES))
    log.info(
        "candidates: %d (%s) after %.0f m spacing",
        keep_idx.size,
        ", ".join(f"{name} {n}" for name, n in zip(KIND_NAMES, counts, strict=True) if n),
        min_spacing_m,
    )
    return Candidates(rows[keep_idx], cols[keep_idx], kind[keep_idx], people[keep_idx])


def _points_allowed(grid: Grid, allowed: np.ndarray, rows, cols) -> tuple[np.ndarray, np.ndarray]:
    """The given cells that lie on the grid, on land and outside exclusions."""
    rows = np.asarray(rows if rows is not None else [], dtype=np.int64)
    cols = np.asarray(cols if cols is not None else [], dtype=np.int64)
    if rows.size:
        inside = grid.contains(rows, cols)
        rows, cols = rows[inside], cols[inside]
        ok = allowed[rows, cols]
        rows, cols = rows[ok], cols[ok]
    return rows, cols


def _hilltops(
    grid: Grid,
    allowed: np.ndarray,
    v_rows: np.ndarray,
    v_cols: np.ndarray,
    radius_m: float,
    min_gain_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """For each village centre, its highest allowed cell within ``radius_m`` when that
    stands at least ``min_gain_m`` above the centre."""
    r = round(radius_m / grid.cell_size_m)
    if r < 1 or v_rows.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    elev = grid.elevation_m
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    disc = xx**2 + yy**2 <= r * r
    out_r, out_c = [], []
    n_rows, n_cols = grid.shape
    for r0, c0 in zip(v_rows, v_cols, strict=True):
        lo_r, hi_r = max(0, r0 - r), min(n_rows, r0 + r + 1)
        lo_c, hi_c = max(0, c0 - r), min(n_cols, c0 + r + 1)
        ok = (
            allowed[lo_r:hi_r, lo_c:hi_c]
            & disc[lo_r - r0 + r : hi_r - r0 + r, lo_c - c0 + r : hi_c - c0 + r]
        )
        z = np.where(ok, elev[lo_r:hi_r, lo_c:hi_c], -np.inf)
        k = int(np.argmax(z))
        if z.flat[k] >= elev[r0, c0] + min_gain_m:
            out_r.append(lo_r + k // z.shape[1])
            out_c.append(lo_c + k % z.shape[1])
    return np.asarray(out_r, dtype=np.int64), np.asarray(out_c, dtype=np.int64)


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


def scenario_candidates(scenario: Scenario, region: Region) -> Candidates:
    """The scenario's candidate locations (its ``candidates`` section) on the region: the
    planner's proposed sites, village centres, settlements, hilltops near villages,
    existing masts (when ``colocate_existing``) and a grid over populated land."""
    cand = scenario.candidates
    return find_candidates(
        region.grid,
        village_radius_m=cand.village_radius_m,
        village_min_people=cand.village_min_people,
        grid_spacing_m=cand.grid_spacing_m,
        grid_min_people=cand.grid_min_people,
        min_spacing_m=cand.min_spacing_m,
        max_candidates=cand.max_candidates,
        settlement_rows=region.settlements.rows,
        settlement_cols=region.settlements.cols,
        excluded=region.excluded,
        hilltop_radius_m=cand.hilltop_radius_m,
        hilltop_min_gain_m=cand.hilltop_min_gain_m,
        mast_rows=region.towers.rows if cand.colocate_existing else None,
        mast_cols=region.towers.cols if cand.colocate_existing else None,
        proposed_rows=region.proposed.rows,
        proposed_cols=region.proposed.cols,
    )
