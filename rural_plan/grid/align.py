"""Put a DEM and a population raster on one projected metric grid.

* The grid is north-up in the local UTM zone of the area of interest (or a CRS the
  scenario names), with square cells of ``cell_size_m``.
* The DEM is warped with bilinear interpolation (or averaging when the grid is
  coarser than the DEM).
* Population is a count per cell. It is moved with :func:`area_weighted_counts`:
  each target cell receives the people of the exact area it overlaps of each source
  cell (the source cell's corners reprojected), so a uniform density stays uniform
  and the total is conserved exactly (up to floating point).
* DEM holes surrounded by terrain are filled by GDAL's inverse-distance
  interpolation (``dem_voids: fill``) or refused (``error``); no-data regions
  that reach the edge of the data are *outside the data*: masked, counted, never
  taken as sea level.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import rasterio.features
import rasterio.fill
import rasterio.warp
import scipy.ndimage as ndi
import shapely
import shapely.geometry
import shapely.ops
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling

from rural_plan.errors import GridError, RasterError
from rural_plan.grid._kernels import area_weighted_counts
from rural_plan.grid.grid import Grid, GridReport
from rural_plan.io.rasters import RasterInfo, raster_info, read_window, warp_to_grid
from rural_plan.units import TERRAIN_ELEVATION_RANGE_M

log = logging.getLogger(__name__)

WGS84 = CRS.from_epsg(4326)


def utm_crs_for(lon: float, lat: float) -> str:
    """The UTM zone CRS ('EPSG:326NN' north, 'EPSG:327NN' south) holding (lon, lat)."""
    zone = min(60, max(1, int(math.floor((lon + 180.0) / 6.0)) + 1))
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _bounds_lonlat(info: RasterInfo) -> shapely.Polygon:
    w, s, e, n = rasterio.warp.transform_bounds(info.crs, WGS84, *info.bounds, densify_pts=21)
    return shapely.box(w, s, e, n)


def area_lonlat(
    *,
    bbox_lonlat: tuple[float, float, float, float] | None,
    polygon_lonlat: list[tuple[float, float]] | None,
    dem: list[RasterInfo],
    population: RasterInfo,
) -> shapely.Geometry:
    """The area of interest (lon/lat), clipped to where both DEM and population exist."""
    pop_box = _bounds_lonlat(population)
    dem_box = shapely.union_all([_bounds_lonlat(d) for d in dem])
    overlap = pop_box.intersection(dem_box)
    if overlap.is_empty or overlap.area == 0:
        raise GridError(
            f"{dem[0].path} and {population.path} do not overlap "
            f"(DEM {tuple(round(v, 4) for v in dem_box.bounds)}, "
            f"population {tuple(round(v, 4) for v in pop_box.bounds)}, lon/lat)"
        )
    if bbox_lonlat is not None:
        wanted = shapely.box(*bbox_lonlat)
    elif polygon_lonlat is not None:
        wanted = shapely.Polygon(polygon_lonlat)
        if not wanted.is_valid:
            raise GridError(
                f"area.polygon_lonlat: invalid polygon ({shapely.is_valid_reason(wanted)})"
            )
    else:
        return overlap
    area = wanted.intersection(overlap)
    if area.is_empty or area.area == 0:
        raise GridError(
            f"area of interest {tuple(round(v, 4) for v in wanted.bounds)} lies outside the "
            "rasters "
            f"(they overlap on {tuple(round(v, 4) for v in overlap.bounds)}, lon/lat)"
        )
    return area


def transform_geom(geom: shapely.Geometry, src: CRS | str, dst: CRS | str) -> shapely.Geometry:
    mapped = rasterio.warp.transform_geom(src, dst, shapely.geometry.mapping(geom))
    return shapely.geometry.shape(mapped)


def grid_frame(area_in_crs: shapely.Geometry, cell_m: float) -> tuple[Affine, tuple[int, int]]:
    """A transform and shape whose cells cover ``area_in_crs``, snapped to ``cell_m``."""
    minx, miny, maxx, maxy = area_in_crs.bounds
    x0 = math.floor(minx / cell_m) * cell_m
    y1 = math.ceil(maxy / cell_m) * cell_m
    cols = int(math.ceil((maxx - x0) / cell_m))
    rows = int(math.ceil((y1 - miny) / cell_m))
    return Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1), (rows, cols)


MIN_GRID_CELLS = 4
"""Fewest grid cells an area of interest must cover to be planned."""


def plan_frame(
    *,
    bbox_lonlat: tuple[float, float, float, float] | None,
    polygon_lonlat: list[tuple[float, float]] | None,
    dem: list[RasterInfo],
    population: RasterInfo,
    cell_size_m: float,
    crs: str | None,
) -> tuple[shapely.Geometry, str, shapely.Geometry, Affine, tuple[int, int]]:
    """Where the grid goes, from the rasters' headers only: the area (lon/lat), the grid
    CRS, the area in it, the grid's transform and shape. An area smaller than
    ``MIN_GRID_CELLS`` cells (a 1 x 1 population raster) is refused, saying so."""
    if not dem:
        raise GridError("inputs.dem: no DEM file given")
    area = area_lonlat(
        bbox_lonlat=bbox_lonlat, polygon_lonlat=polygon_lonlat, dem=dem, population=population
    )
    centre = area.centroid
    dst_crs = crs or utm_crs_for(centre.x, centre.y)
    area_dst = transform_geom(area, WGS84, dst_crs)
    if area_dst.is_empty or not math.isfinite(area_dst.area):
        raise GridError(
            f"the area {tuple(round(v, 4) for v in area.bounds)} (lon/lat) cannot be placed "
            f"in {dst_crs}; choose the grid.crs of the area (or none: its UTM zone)"
        )
    if area_dst.area < MIN_GRID_CELLS * cell_size_m**2:
        which = (
            "the area of interest inside the rasters"
            if (bbox_lonlat or polygon_lonlat)
            else (f"the overlap of {dem[0].path.name} and {population.path.name}")
        )
        raise GridError(
            f"{which} is {area_dst.area / 1e6:.4g} km2 "
            f"({', '.join(f'{v:.5f}' for v in area.bounds)} lon/lat), less than "
            f"{MIN_GRID_CELLS} grid cells of {cell_size_m:g} m: too small to plan (is the "
            f"population raster {population.shape[0]} x {population.shape[1]} cells the "
            "whole area?); give rasters that cover the area, or a smaller grid.cell_size_m"
        )
    transform, shape = grid_frame(area_dst, cell_size_m)
    return area, dst_crs, area_dst, transform, shape


def build_grid(
    *,
    dem_paths: tuple[Path, ...],
    population_path: Path,
    bbox_lonlat: tuple[float, float, float, float] | None = None,
    polygon_lonlat: list[tuple[float, float]] | None = None,
    cell_size_m: float = 90.0,
    crs: str | None = None,
    dem_voids: str = "fill",
    max_void_fill_m: float = 2_000.0,
    sea_level_m: float = 0.0,
    population_max_move_m: float = 1_000.0,
    max_people_per_km2: float = 5_000.0,
) -> Grid:
    """Read and align terrain and population onto one metric grid.

    Parameters
    ----------
    dem_paths
        One or more DEM tiles (mosaicked in order).
    population_path
        Population raster: people per cell (WorldPop ``ppp`` style).
    bbox_lonlat, polygon_lonlat
        Area of interest in lon/lat; neither: the whole overlap of the rasters.
    cell_size_m
        Grid cell edge [m].
    crs
        Target CRS ('EPSG:NNNNN'); default the local UTM zone.
    dem_voids, max_void_fill_m, sea_level_m, population_max_move_m
        See :class:`rural_plan.scenario.schema.GridSpec`.
    max_people_per_km2
        A population raster averaging more people per km² over the area is refused as
        implausible for counts (likely a density raster); see ``limits`` in the scenario.
    """
    dem_infos = [raster_info(p) for p in dem_paths]
    pop_info = raster_info(population_path)
    area, dst_crs, area_dst, transform, shape = plan_frame(
        bbox_lonlat=bbox_lonlat,
        polygon_lonlat=polygon_lonlat,
        dem=dem_infos,
        population=pop_info,
        cell_size_m=cell_size_m,
        crs=crs,
    )
    centre = area.centroid
    log.info("grid: %s, %d x %d cells of %.0f m", dst_crs, shape[0], shape[1], cell_size_m)

    dem_res_m = _resolution_m(dem_infos[0], centre)
    resampling = Resampling.bilinear if cell_size_m <= 1.5 * dem_res_m else Resampling.average
    elevation = warp_to_grid(
        tuple(dem_paths),
        dst_crs=CRS.from_user_input(dst_crs),
        dst_transform=transform,
        shape=shape,
        resampling=resampling,
        valid_range=TERRAIN_ELEVATION_RANGE_M,
        what="elevations [m]",
    )
    if np.isnan(elevation).all():
        raise RasterError(f"{dem_paths[0]}: no valid terrain (all nodata) in the area of interest")

    pop_grid, pop_input_total = _population_to_grid(pop_info, area, dst_crs, transform, shape)
    _check_counts(pop_info, pop_input_total, area_dst.area / 1e6, max_people_per_km2)
    in_area = rasterio.features.geometry_mask(
        [shapely.geometry.mapping(area_dst)], out_shape=shape, transform=transform, invert=True
    )
    in_area = ndi.binary_dilation(in_area, iterations=1)
    reprojected = "" if CRS.from_user_input(dst_crs) == pop_info.crs else pop_info.crs.to_string()
    return finish_grid(
        elevation_m=elevation,
        population=pop_grid,
        people_input_total=pop_input_total,
        in_area=in_area,
        transform=transform,
        crs=dst_crs,
        cell_size_m=cell_size_m,
        dem_voids=dem_voids,
        max_void_fill_m=max_void_fill_m,
        sea_level_m=sea_level_m,
        population_max_move_m=population_max_move_m,
        reprojected_from=reprojected,
        dem_name=str(dem_paths[0]),
    )


def _resolution_m(info: RasterInfo, centre: shapely.Point) -> float:
    if not info.crs.is_geographic:
        return abs(info.transform.a)
    return abs(info.transform.a) * 111_320.0 * math.cos(math.radians(centre.y))


def _check_counts(
    info: RasterInfo, people: float, area_km2: float, max_people_per_km2: float
) -> None:
    """Refuse a population raster that holds nobody, or implausibly many people for a
    count per cell (a density raster, people per km², given instead)."""
    if not people > 0:
        raise RasterError(
            f"{info.path}: no people in the area of interest (population total 0); a "
            "population raster holds people per cell (e.g. WorldPop 'ppp')"
        )
    density = people / max(area_km2, 1e-9)
    if density > max_people_per_km2:
        a, e = abs(info.transform.a), abs(info.transform.e)
        unit = "degrees" if info.crs.is_geographic else "CRS units"
        raise RasterError(
            f"{info.path}: {people:,.0f} people on {area_km2:,.1f} km2 is {density:,.0f} people "
            f"per km2 on average, above limits.max_people_per_km2={max_people_per_km2:g}: "
            "implausible for counts per cell; is this a density raster (people per km2)? "
            "rural_plan needs people per cell (e.g. WorldPop 'ppp', not 'pd'): count = "
            f"density x cell area (cells of {a:g} x {e:g} {unit}); if the counts are right, "
            "raise limits.max_people_per_km2"
        )


def _population_to_grid(
    info: RasterInfo,
    area: shapely.Geometry,
    dst_crs: str,
    transform: Affine,
    shape: tuple[int, int],
) -> tuple[np.ndarray, float]:
    """Move the population inside ``area`` onto the grid by exact area overlap of each
    source cell (its corners reprojected) with the target cells; return (grid, input
    total)."""
    area_src = transform_geom(area, WGS84, info.crs)
    counts, win_transform = read_window(info.path, area_src.bounds, refuse_nan=True)
    bad = np.isinf(counts) | (counts < 0)
    if bad.any():
        raise RasterError(
            f"{info.path}: population must be a finite count >= 0 per cell; found {int(bad.sum())} "
            f"cells with negative or infinite values (min {np.nanmin(counts):g}, max "
            f"{np.nanmax(counts):g}); set them to the raster's nodata value or to 0"
        )
    inside = rasterio.features.geometry_mask(
        [shapely.geometry.mapping(area_src)],
        out_shape=counts.shape,
        transform=win_transform,
        invert=True,
    )
    counts = np.where(inside & ~np.isnan(counts), counts, 0.0)
    input_total = float(counts.sum())

    h, w = counts.shape
    jj, ii = np.meshgrid(np.arange(w + 1, dtype=np.float64), np.arange(h + 1, dtype=np.float64))
    xs = win_transform.c + jj * win_transform.a
    ys = win_transform.f + ii * win_transform.e
    tx, ty = rasterio.warp.transform(info.crs, dst_crs, xs.ravel(), ys.ravel())
    corner_x = np.asarray(tx, dtype=np.float64).reshape(h + 1, w + 1)
    corner_y = np.asarray(ty, dtype=np.float64).reshape(h + 1, w + 1)
    out = np.zeros(shape, dtype=np.float64)
    outside = area_weighted_counts(
        counts, corner_x, corner_y, transform.c, transform.f, transform.a, shape[0], shape[1], out
    )
    if outside > 1e-6 * max(input_total, 1.0):
        log.warning("population: %.1f people fell outside the grid frame", outside)
    return out, input_total


def interior_voids(nodata: np.ndarray) -> np.ndarray:
    """The no-data cells surrounded by data (holes in the terrain): those of ``nodata``
    whose connected region does not reach the array's edge (the rest is outside the data)."""
    labels, _ = ndi.label(nodata)
    edge_labels = np.unique(
        np.concatenate([labels[0, :], labels[-1, :], labels[:, 0], labels[:, -1]])
    )
    return nodata & ~np.isin(labels, edge_labels)


def finish_grid(
    *,
    elevation_m: np.ndarray,
    population: np.ndarray,
    people_input_total: float,
    in_area: np.ndarray,
    transform: Affine,
    crs: str,
    cell_size_m: float,
    dem_voids: str,
    max_void_fill_m: float,
    sea_level_m: float,
    population_max_move_m: float,
    reprojected_from: str,
    dem_name: str,
) -> Grid:
    """Fill DEM voids, mask sea and no-data, move people off non-land cells."""
    elevation = np.array(elevation_m, dtype=np.float64)
    nodata = np.isnan(elevation)
    interior = interior_voids(nodata)
    n_interior = int(interior.sum())
    if n_interior and dem_voids == "error":
        raise GridError(
            f"{dem_name}: {n_interior} DEM void cells inside the terrain (grid.dem_voids is "
            "'error'); set grid.dem_voids: fill to interpolate them"
        )
    filled_count = 0
    if n_interior:
        search_px = max(1.0, max_void_fill_m / cell_size_m)
        filled = rasterio.fill.fillnodata(
            np.where(nodata, 0.0, elevation),
            mask=(~nodata).astype(np.uint8),
            max_search_distance=search_px,
            smoothing_iterations=0,
        )
        took = interior & np.isfinite(filled)
        elevation[took] = filled[took]
        filled_count = int(took.sum())
    outside = np.isnan(elevation)
    if outside.all():
        raise RasterError(f"{dem_name}: no valid terrain (all nodata) in the area of interest")
    if outside.any():
        # Heights for rays crossing no-data areas: the nearest known terrain, never sea level.
        idx = ndi.distance_transform_edt(outside, return_distances=False, return_indices=True)
        elevation = elevation[idx[0], idx[1]]

    land = in_area & ~outside & (elevation > sea_level_m)
    if not land.any():
        raise GridError(
            f"{dem_name}: no land above sea_level_m={sea_level_m} m in the area of interest"
        )
    gridded_total = float(population.sum())
    pop = np.where(land, population, 0.0)
    stray = (~land) & (population > 0)
    moved = dropped = 0.0
    if stray.any():
        dist, idx = ndi.distance_transform_edt(
            ~land, sampling=cell_size_m, return_distances=True, return_indices=True
        )
        ok = stray & (dist <= population_max_move_m)
        np.add.at(pop, (idx[0][ok], idx[1][ok]), population[ok])
        moved = float(population[ok].sum())
        dropped = float(population[stray & ~ok].sum())
    report = GridReport(
        people_input_total=people_input_total,
        people_gridded_total=gridded_total,
        people_moved_from_sea=moved,
        people_dropped=dropped,
        dem_void_cells_filled=filled_count,
        dem_cells_outside_data=int(outside.sum()),
        reprojected_from=reprojected_from,
    )
    log.log(
        logging.INFO if people_input_total > 0 else logging.DEBUG,  # a DEM alone: quiet
        "grid: people input %.0f, gridded %.0f (%.4f %% off), moved off sea %.0f, dropped %.0f; "
        "DEM voids filled %d, cells outside data %d",
        people_input_total,
        gridded_total,
        100 * report.population_conservation_error,
        moved,
        dropped,
        filled_count,
        report.dem_cells_outside_data,
    )
    return Grid(
        elevation_m=elevation,
        population=pop,
        land=land,
        transform=transform,
        crs=crs,
        cell_size_m=float(cell_size_m),
        report=report,
        no_data=outside | ~in_area,
    )
