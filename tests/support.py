"""Helpers several test folders share: the small synthetic scenario, coordinates for
input files, and tiny coverage instances. Reference implementations that kernels are
checked against live in ``tests/references.py``."""

from __future__ import annotations

import json

import numpy as np
import rasterio.warp
from affine import Affine

from rural_plan.grid.align import finish_grid
from rural_plan.grid.grid import Grid
from rural_plan.placement.instance import CoverageInstance
from rural_plan.scenario.loader import load_scenario

# ------------------------------------------------------------------- small synthetic scenario

SMALL = {
    "name": "small",
    "seed": 3,
    "inputs": {"synthetic": {"size_m": 12_000, "relief_m": 400, "villages": 10, "people": 12_000}},
    "grid": {"cell_size_m": 90},
    "radio": {"radius_m": 6_000},
    "candidates": {"grid_spacing_m": 2_000},
    "budget_usd": 400_000,
    # the alternatives re-plan the scenario several times: tests/pipeline/test_alternatives.py
    "outputs": {"alternatives": False},
}


def small_scenario(tmp_path, **changes):
    doc = json.loads(json.dumps(SMALL))
    for dotted, value in changes.items():
        node = doc
        *parents, leaf = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path = tmp_path / "small.yaml"
    path.write_text(json.dumps(doc))  # JSON is YAML
    return load_scenario(path)


def lonlat(crs, x, y):
    """WGS84 longitude and latitude of the point (x, y) in ``crs``."""
    lon, lat = rasterio.warp.transform(crs, "EPSG:4326", [x], [y])
    return lon[0], lat[0]


# ------------------------------------------------------------------- tiny coverage instances


def to_csr(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.array([k for r in rows for k in r], dtype=np.int64)
    return indptr, indices


def make_instance(rows, weight, cost, location) -> CoverageInstance:
    indptr, indices = to_csr(rows)
    return CoverageInstance.from_arrays(
        indptr=indptr, indices=indices, weight=weight, cost_usd=cost, location=location
    )


# ------------------------------------------------------------------- hand-built grids


def land_grid(
    elev, cell: float, *, x0: float = 0.0, y1: float | None = None, crs: str = "EPSG:32737"
) -> Grid:
    """A Grid holding ``elev`` [m] (every cell land, nobody living there), north-up, its
    top-left corner at (``x0``, ``y1``) [m] in ``crs`` (default: the origin below it)."""
    elev = np.asarray(elev, dtype=np.float64)
    top = cell * elev.shape[0] if y1 is None else y1
    return finish_grid(
        elevation_m=elev,
        population=np.zeros_like(elev),
        people_input_total=0.0,
        in_area=np.ones(elev.shape, bool),
        transform=Affine(cell, 0, x0, 0, -cell, top),
        crs=crs,
        cell_size_m=cell,
        dem_voids="fill",
        max_void_fill_m=0.0,
        sea_level_m=-1e9,
        population_max_move_m=0.0,
        reprojected_from="",
        dem_name="test",
    )
