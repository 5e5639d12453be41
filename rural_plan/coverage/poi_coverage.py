"""Which schools and clinics a plan covers, per POI (the columns Giga's tools emit)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from rural_plan.coverage.matrix import CoverageMatrix

POI_COLUMNS = (
    "poi_id",
    "name",
    "poi_type",
    "lon",
    "lat",
    "is_connected",
    "covered_before",
    "covered_by_plan",
    "technology",
    "serving_site_id",
    "nearest_site_km",
    "pop_within_1km",
)
"""Columns of ``pois.csv``. ``technology`` is the site type that covers the POI
(``existing`` when the existing network already does, empty when nothing does)."""


def poi_rows(
    pois,
    grid,
    coverage: CoverageMatrix,
    chosen: np.ndarray,
    site_type_of: list[str],
    site_xy: tuple[np.ndarray, np.ndarray],
) -> list[dict[str, Any]]:
    """One row per POI. ``chosen`` in rollout order; ``site_type_of[k]`` and
    ``site_xy`` (metres, grid CRS) describe the k-th chosen site."""
    point_id = coverage.demand.point_id
    serving = np.zeros(len(pois), dtype=np.int64)  # 0: none; else rollout order + 1
    technology = [""] * len(pois)
    for order, i in enumerate(np.asarray(chosen, dtype=np.int64)):
        row = coverage.indices[coverage.indptr[i] : coverage.indptr[i + 1]]
        hit = np.isin(point_id, row) & (serving == 0)
        for k in np.flatnonzero(hit):
            serving[k] = order + 1
            technology[k] = site_type_of[order]
    before = coverage.served_before[point_id] if point_id.size else np.zeros(0, dtype=bool)
    x, y = grid.xy_of(pois.rows, pois.cols)
    sx, sy = site_xy
    near = _people_within(grid, pois.rows, pois.cols, 1_000.0)
    rows = []
    for k in range(len(pois)):
        d_km = round(float(np.hypot(sx - x[k], sy - y[k]).min()) / 1000.0, 3) if len(sx) else None
        rows.append(
            {
                "poi_id": pois.ids[k],
                "name": pois.names[k],
                "poi_type": pois.types[k],
                "lon": round(float(pois.lon[k]), 7),
                "lat": round(float(pois.lat[k]), 7),
                "is_connected": bool(pois.is_connected[k]),
                "covered_before": bool(before[k]),
                "covered_by_plan": bool(serving[k] > 0 and not before[k]),
                "technology": "existing" if before[k] else technology[k],
                "serving_site_id": int(serving[k]) if serving[k] else None,
                "nearest_site_km": d_km,
                "pop_within_1km": round(float(near[k]), 1),
            }
        )
    return rows


def poi_summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per POI type: how many there are, how many the existing network serves, how
    many the plan newly covers."""
    out: dict[str, dict[str, int]] = {}
    total = Counter(r["poi_type"] for r in rows)
    before = Counter(r["poi_type"] for r in rows if r["covered_before"])
    newly = Counter(r["poi_type"] for r in rows if r["covered_by_plan"])
    for t in sorted(total):
        out[t] = {"total": total[t], "served_before": before[t], "newly_covered": newly[t]}
    return out


def _people_within(grid, rows, cols, radius_m: float) -> np.ndarray:
    r = max(0, round(radius_m / grid.cell_size_m))
    out = np.zeros(len(rows))
    for k, (r0, c0) in enumerate(zip(rows, cols, strict=True)):
        lo_r, hi_r = max(0, r0 - r), min(grid.shape[0], r0 + r + 1)
        lo_c, hi_c = max(0, c0 - r), min(grid.shape[1], c0 + r + 1)
        yy, xx = np.mgrid[lo_r:hi_r, lo_c:hi_c]
        disc = (yy - r0) ** 2 + (xx - c0) ** 2 <= r * r
        out[k] = float(grid.population[lo_r:hi_r, lo_c:hi_c][disc].sum())
    return out
