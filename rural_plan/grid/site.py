"""Terrain around one site on a metric grid centred on it (``rural-plan coverage``).

A DEM in any CRS (geographic SRTM included) is warped, over the square of half-side
``radius_m`` around the site only, onto a north-up grid whose centre cell holds the site
at its centre: in the DEM's own CRS when that is projected in metres, else in the local
UTM zone. Resampling and void handling are the planning grid's (:mod:`.align`):
bilinear (averaging when the cells are 1.5 times the DEM's or coarser), interior holes
filled, cells beyond the DEM's data filled from the nearest terrain for the rays that
cross them and reported, so that no value is given for them.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio.warp
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling

from rural_plan.errors import GridError, RasterError
from rural_plan.grid.align import WGS84, finish_grid, interior_voids, utm_crs_for
from rural_plan.grid.grid import Grid
from rural_plan.io.rasters import RasterInfo, raster_info, warp_to_grid

log = logging.getLogger(__name__)

MAX_RADIUS_CELLS = 2_000
"""Largest radius in cells of a site's window ((2·2000 + 1)² = 16 M cells; the sweep then holds
about 1 GB)."""


@dataclass(frozen=True)
class SiteTerrain:
    """The terrain window of one site and where the site sits in it."""

    grid: Grid
    """(2R + 1)² cells of ``cell_size_m``, the site at the centre of cell (R, R)."""
    row: int
    col: int
    radius_cells: int
    outside: np.ndarray
    """Cells the DEM has no data for (beyond its extent or its no-data region)."""
    dem_resolution_m: float
    """The DEM's own cell size [m] (east-west, at the site for a geographic DEM)."""
    site_xy_m: tuple[float, float]
    """The site in the grid's CRS [m]."""


def dem_resolution_m(info: RasterInfo, lat: float) -> float:
    """A DEM's cell size in metres: east-west at latitude ``lat`` for a geographic one."""
    if info.crs.is_geographic:
        return abs(info.transform.a) * 111_320.0 * math.cos(math.radians(lat))
    return abs(info.transform.a) * _metres_per_unit(info.crs)


def _metres_per_unit(crs: CRS) -> float:
    try:
        return float(crs.linear_units_factor[1])
    except Exception:  # a CRS without linear units: taken as metres
        return 1.0


def site_terrain(
    dem_path: Path,
    *,
    lon: float,
    lat: float,
    radius_m: float,
    cell_size_m: float | None = None,
) -> SiteTerrain:
    """The DEM warped onto a grid of (2R + 1)² cells centred on the site (lon, lat).

    ``cell_size_m`` defaults to the DEM's own resolution; R = ⌈radius_m / cell_size_m⌉
    (the sweep's). Refuses a site outside the DEM's data and a window over
    :data:`MAX_RADIUS_CELLS` cells in radius, naming the flags of ``rural-plan coverage``.
    """
    info = raster_info(dem_path)
    native = dem_resolution_m(info, lat)
    cell = native if cell_size_m is None else float(cell_size_m)
    radius = max(1, math.ceil(radius_m / cell - 1e-9))
    if radius > MAX_RADIUS_CELLS:
        raise GridError(
            f"--radius-m {radius_m:g} at cells of {cell:g} m is {radius} cells out; at most "
            f"{MAX_RADIUS_CELLS} (give --cell-size-m {radius_m / MAX_RADIUS_CELLS:.3g} or more)"
        )
    metric = not info.crs.is_geographic and _metres_per_unit(info.crs) == 1.0
    dst_crs = info.crs if metric else CRS.from_user_input(utm_crs_for(lon, lat))
    xs, ys = rasterio.warp.transform(WGS84, dst_crs, [lon], [lat])
    x, y = float(xs[0]), float(ys[0])
    _check_inside(info, lon, lat)
    half = (radius + 0.5) * cell
    transform = Affine(cell, 0.0, x - half, 0.0, -cell, y + half)
    shape = (2 * radius + 1, 2 * radius + 1)
    resampling = Resampling.bilinear if cell <= 1.5 * native else Resampling.average
    elevation = warp_to_grid(
        (Path(dem_path),),
        dst_crs=dst_crs,
        dst_transform=transform,
        shape=shape,
        resampling=resampling,
    )
    nodata = np.isnan(elevation)
    if nodata[radius, radius]:
        raise RasterError(
            f"{dem_path}: no terrain at the site (--lon {lon:g} --lat {lat:g} falls on the "
            "DEM's no-data)"
        )
    outside = nodata & ~interior_voids(nodata)
    grid = finish_grid(
        elevation_m=elevation,
        population=np.zeros(shape),
        people_input_total=0.0,
        in_area=np.ones(shape, dtype=bool),
        transform=transform,
        crs=dst_crs.to_string(),
        cell_size_m=cell,
        dem_voids="fill",
        max_void_fill_m=2_000.0,
        sea_level_m=-math.inf,
        population_max_move_m=0.0,
        reprojected_from="" if metric else info.crs.to_string(),
        dem_name=str(dem_path),
    )
    log.info(
        "coverage terrain: %s, %d x %d cells of %.2f m around (%.6f, %.6f); %d outside the DEM",
        grid.crs,
        shape[0],
        shape[1],
        cell,
        lon,
        lat,
        int(outside.sum()),
    )
    return SiteTerrain(grid, radius, radius, radius, outside, native, (x, y))


def _check_inside(info: RasterInfo, lon: float, lat: float) -> None:
    """The site must lie within the DEM's extent."""
    x, y = rasterio.warp.transform(WGS84, info.crs, [lon], [lat])
    left, bottom, right, top = info.bounds
    if not (left <= x[0] <= right and bottom <= y[0] <= top):
        w, s, e, n = rasterio.warp.transform_bounds(info.crs, WGS84, *info.bounds)
        raise GridError(
            f"--lon {lon:g} --lat {lat:g} lies outside {info.path} "
            f"(lon {w:.4f}..{e:.4f}, lat {s:.4f}..{n:.4f})"
        )
