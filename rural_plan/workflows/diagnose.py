"""A diagnostic of access before any plan: who the existing network serves, and where the
people it does not serve live (the first step of the ITU's connectivity planning).

The existing towers' coverage is computed with the scenario's own propagation and link
budget. People it leaves out are grouped around settlements: the peaks of unserved
people summed within the scenario's ``candidates.village_radius_m`` (the village
centres of candidate finding) that hold at least ``candidates.village_min_people``;
every unserved cell within ``cluster_radius_m`` of a centre joins its nearest one.
People farther from every centre are reported as dispersed. (Population rasters
spread a few people over every cell, so grouping touching populated cells would make
a whole region one cluster.) Each cluster reports its people,
its population-weighted centre, and how far that is from the nearest existing tower and
the nearest fibre point of presence (the two things that decide how it can be served).
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio.warp
import scipy.ndimage as ndi
from scipy.spatial import cKDTree

from rural_plan._version import __version__
from rural_plan.coverage.demand import scenario_demand
from rural_plan.coverage.existing import served_today
from rural_plan.errors import RuralPlanError
from rural_plan.grid.region import Region, load_region
from rural_plan.io.results import write_folder
from rural_plan.io.vectors import feature_collection, write_json
from rural_plan.placement.candidates import disc_sum
from rural_plan.propagation.clutter_map import clutter_loss_grid
from rural_plan.propagation.settings import RadioSettings
from rural_plan.report.maps import draw_base, to_km
from rural_plan.scenario.schema import Scenario
from rural_plan.workflows.defaults import CLUSTER_RADIUS_M, MIN_CLUSTER_PEOPLE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cluster:
    """A group of people the existing network does not serve."""

    people: float
    cells: int
    x_m: float
    y_m: float
    """Population-weighted centre, grid CRS metres."""
    lon: float
    lat: float
    nearest_tower_km: float | None
    nearest_fibre_km: float | None


@dataclass(frozen=True)
class Diagnosis:
    scenario: Scenario
    region: Region
    unserved_people: np.ndarray
    """People per grid cell that no existing tower serves."""
    served_people: np.ndarray
    """People per grid cell that an existing tower serves."""
    clusters: tuple[Cluster, ...]
    """Largest first."""
    summary: dict[str, Any]


def diagnose(
    scenario: Scenario,
    *,
    cluster_radius_m: float = CLUSTER_RADIUS_M,
    min_cluster_people: float = MIN_CLUSTER_PEOPLE,
    use_cache: bool = True,
) -> Diagnosis:
    """Existing coverage and the clusters of people it leaves out."""
    if not (cluster_radius_m > 0 and min_cluster_people >= 0):
        raise RuralPlanError(
            f"cluster radius (--cluster-radius-m) must be > 0 m, got {cluster_radius_m:g}, and "
            f"the smallest cluster (--min-cluster-people) >= 0, got {min_cluster_people:g}"
        )
    region = load_region(scenario)
    grid = region.grid
    demand = scenario_demand(scenario, region)
    clutter = clutter_loss_grid(scenario, grid, region.land_cover)
    today = served_today(
        scenario,
        region,
        demand,
        RadioSettings.from_scenario(scenario),
        extra_db=None if clutter is None else clutter[demand.rows, demand.cols],
        use_cache=use_cache,
    )
    served = today.served
    ids = demand.cell_demand_id
    served_cell = np.zeros(grid.shape, dtype=bool)
    if served is not None:
        inside = ids >= 0
        served_cell[inside] = served[ids[inside]]
    people = np.where(grid.land, grid.population, 0.0)
    served_people = np.where(served_cell, people, 0.0)
    unserved = np.where(served_cell, 0.0, people)

    cand = scenario.candidates
    clusters = _clusters(
        grid,
        region,
        unserved,
        village_radius_m=cand.village_radius_m,
        village_min_people=cand.village_min_people,
        cluster_radius_m=cluster_radius_m,
        min_people=min_cluster_people,
    )
    total = float(people.sum())
    before = float(served_people.sum())
    summary = {
        "scenario": scenario.name,
        "rural_plan_version": __version__,
        "seed": scenario.seed,
        "inputs_sha256": dict(sorted(region.inputs_sha256.items())),
        "crs": grid.crs,
        "cell_size_m": grid.cell_size_m,
        "propagation_model": scenario.radio.model,
        "existing_towers": len(region.towers),
        "fibre_nodes": len(region.fibre),
        "people_total": round(total, 2),
        "people_covered_before": round(before, 2),
        "share_covered_before": round(before / total, 6) if total else 0.0,
        "people_unserved": round(total - before, 2),
        "cluster_radius_m": cluster_radius_m,
        "min_cluster_people": min_cluster_people,
        "clusters": len(clusters),
        "people_in_clusters": round(sum(c.people for c in clusters), 2),
        "people_dispersed": round(total - before - sum(c.people for c in clusters), 2),
        "largest_cluster_people": round(clusters[0].people, 2) if clusters else 0.0,
        **today.summary(),
    }
    log.info(
        "diagnosis: %.0f of %.0f people served today (%.1f %%); %d clusters of unserved people",
        before,
        total,
        100 * before / total if total else 0.0,
        len(clusters),
    )
    return Diagnosis(scenario, region, unserved, served_people, tuple(clusters), summary)


def _clusters(
    grid,
    region,
    unserved,
    *,
    village_radius_m: float,
    village_min_people: float,
    cluster_radius_m: float,
    min_people: float,
) -> list[Cluster]:

    r = max(1, round(village_radius_m / grid.cell_size_m))
    near = disc_sum(unserved, r)
    peaks = (near == ndi.maximum_filter(near, size=2 * r + 1, mode="constant")) & (near > 0)
    peaks &= near >= max(village_min_people, 1e-9)
    p_rows, p_cols = np.nonzero(peaks)
    if p_rows.size == 0:
        return []
    n = p_rows.size
    u_rows, u_cols = np.nonzero(unserved > 0)
    dist, nearest = cKDTree(np.column_stack([p_rows, p_cols])).query(
        np.column_stack([u_rows, u_cols]),
        distance_upper_bound=cluster_radius_m / grid.cell_size_m + 1e-9,
    )
    labels = np.zeros(grid.shape, dtype=np.int64)
    ok = np.isfinite(dist)
    labels[u_rows[ok], u_cols[ok]] = nearest[ok] + 1
    lab = labels.ravel()
    w = unserved.ravel()
    rows, cols = np.indices(grid.shape)
    x, y = grid.xy_of(rows.ravel(), cols.ravel())
    people = np.bincount(lab, weights=w, minlength=n + 1)
    cells = np.bincount(lab, minlength=n + 1)
    cx = np.bincount(lab, weights=w * x, minlength=n + 1)
    cy = np.bincount(lab, weights=w * y, minlength=n + 1)
    keep = [k for k in range(1, n + 1) if people[k] >= max(min_people, 1e-9)]
    if not keep:
        return []
    keep.sort(key=lambda k: (-people[k], k))
    xs = np.array([cx[k] / people[k] for k in keep])
    ys = np.array([cy[k] / people[k] for k in keep])
    lon, lat = rasterio.warp.transform(grid.crs, "EPSG:4326", xs.tolist(), ys.tolist())
    tower_km = _nearest_km(xs, ys, region.towers.x, region.towers.y)
    fibre_km = _nearest_km(xs, ys, region.fibre.x, region.fibre.y)
    return [
        Cluster(
            people=float(people[k]),
            cells=int(cells[k]),
            x_m=float(xs[i]),
            y_m=float(ys[i]),
            lon=round(float(lon[i]), 6),
            lat=round(float(lat[i]), 6),
            nearest_tower_km=tower_km[i],
            nearest_fibre_km=fibre_km[i],
        )
        for i, k in enumerate(keep)
    ]


def _nearest_km(xs, ys, px, py) -> list[float | None]:
    if len(px) == 0:
        return [None] * len(xs)
    d = np.hypot(xs[:, None] - np.asarray(px)[None, :], ys[:, None] - np.asarray(py)[None, :])
    return [round(float(v) / 1000.0, 3) for v in d.min(axis=1)]


CLUSTER_COLUMNS = (
    "cluster_id",
    "people",
    "cells",
    "lon",
    "lat",
    "nearest_tower_km",
    "nearest_fibre_km",
)


def clusters_csv(diagnosis: Diagnosis) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CLUSTER_COLUMNS)
    for i, c in enumerate(diagnosis.clusters, start=1):
        w.writerow(
            [
                i,
                round(c.people, 2),
                c.cells,
                c.lon,
                c.lat,
                "" if c.nearest_tower_km is None else c.nearest_tower_km,
                "" if c.nearest_fibre_km is None else c.nearest_fibre_km,
            ]
        )
    return out.getvalue()


def write_diagnosis(diagnosis: Diagnosis, out_dir: Path, *, overwrite: bool = False) -> Path:
    """diagnosis.json, clusters.csv, clusters.geojson and diagnosis.png, atomically."""

    def fill(folder: Path) -> None:
        (folder / "clusters.csv").write_text(clusters_csv(diagnosis), encoding="utf-8")
        feats = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
                "properties": {
                    "cluster_id": i,
                    "people": round(c.people, 2),
                    "cells": c.cells,
                    "nearest_tower_km": c.nearest_tower_km,
                    "nearest_fibre_km": c.nearest_fibre_km,
                },
            }
            for i, c in enumerate(diagnosis.clusters, start=1)
        ]
        write_json(folder / "clusters.geojson", feature_collection(feats))
        _map_png(diagnosis, folder / "diagnosis.png")
        write_json(folder / "diagnosis.json", diagnosis.summary)  # last: marks it complete

    return write_folder(out_dir, fill, overwrite=overwrite, protect=diagnosis.scenario.files())


def _map_png(diagnosis: Diagnosis, path: Path, top: int = 15) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid, region = diagnosis.region.grid, diagnosis.region
    fig, ax = plt.subplots(figsize=(8, 8 * grid.shape[0] / max(grid.shape[1], 1) + 0.8))
    image = draw_base(ax, grid, people=diagnosis.unserved_people)
    if image is not None:
        fig.colorbar(image, ax=ax, shrink=0.7, label="people not served today (per cell)")
    if len(region.towers):
        tx, ty = to_km(grid, region.towers.x, region.towers.y)
        ax.scatter(tx, ty, marker="^", s=60, c="#1a9850", edgecolors="k", label="existing tower")
    if len(region.fibre):
        fx, fy = to_km(grid, region.fibre.x, region.fibre.y)
        ax.scatter(fx, fy, marker="s", s=50, c="#2166ac", edgecolors="k", label="fibre PoP")
    for i, c in enumerate(diagnosis.clusters[:top], start=1):
        x, y = to_km(grid, c.x_m, c.y_m)
        ax.annotate(
            f"{i}: {c.people:,.0f}",
            (float(x), float(y)),
            fontsize=7,
            ha="center",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8, "lw": 0.3},
        )
    s = diagnosis.summary
    ax.set_title(
        f"{diagnosis.scenario.name}: {s['people_covered_before']:,.0f} of "
        f"{s['people_total']:,.0f} people served today; {s['clusters']} clusters unserved",
        fontsize=10,
    )
    if len(region.towers) or len(region.fibre):
        ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
