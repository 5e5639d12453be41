"""Turn a scenario's inputs into in-memory data on the plan's grid.

The one step that reads input files (through :mod:`rural_plan.io`): the rasters via
the grid loader, and the optional vector layers, all projected onto the grid's CRS.
Everything after this works on arrays.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio.features
import rasterio.warp
import shapely.geometry
from rasterio.enums import Resampling

from rural_plan.errors import VectorError
from rural_plan.grid.align import build_grid
from rural_plan.grid.grid import Grid
from rural_plan.grid.native_dem import NativeDem
from rural_plan.grid.synthetic import synthetic_region
from rural_plan.io.hashing import sha256_file
from rural_plan.io.pois import Pois, read_pois
from rural_plan.io.rasters import raster_info, warp_to_grid
from rural_plan.io.towers import TowerFile, read_towers
from rural_plan.io.vectors import read_lines, read_points, read_polygon_features, read_polygons
from rural_plan.scenario.schema import ExistingNetwork, Scenario, field_range

log = logging.getLogger(__name__)

UNNAMED_SETTLEMENT = "settlement {}"
"""Name given to a settlement whose ``name`` property is missing or empty (its index in
the file): tables show it; maps leave such settlements unlabelled."""


@dataclass(frozen=True)
class Points:
    """Points on the grid: names, coordinates [m] in the grid CRS, and their cells."""

    names: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    height_m: np.ndarray
    eirp_dbm: np.ndarray
    technologies: tuple[frozenset[str] | None, ...] = ()
    """Existing sites: the generations each carries (None: its file does not say)."""

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class ExistingLayer:
    """Today's network as read: the towers' file and what was skipped, which sites count
    as serving, and an operator's coverage map on the grid."""

    towers_format: str = ""
    """'opencellid', 'giga', 'osm' or 'points' ('' without towers)."""
    towers_rows: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    """Rows or sites not used, by reason (outside the area included)."""
    serving: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Per site of ``Region.towers``: it counts as serving people today."""
    coverage: np.ndarray | None = None
    """Grid cells an operator's coverage map covers (``inputs.existing_coverage``)."""


def _empty_points() -> Points:
    z = np.empty(0)
    zi = np.empty(0, dtype=np.int64)
    return Points((), z, z, zi, zi, z, z)


@dataclass(frozen=True)
class Region:
    """The grid and every other input layer, ready for the stages."""

    grid: Grid
    fibre: Points
    towers: Points
    settlements: Points
    excluded: np.ndarray
    inputs_sha256: dict[str, str]
    proposed: Points = field(default_factory=lambda: _empty_points())
    """Candidate sites the planner proposes (inputs.candidate_sites)."""
    pois: Pois | None = None
    """Schools, clinics and other points of interest (inputs.pois)."""
    roads: tuple[np.ndarray, ...] = ()
    """Road centre lines (inputs.roads), each an ``(n, 2)`` array of (x, y) [m] in the
    grid CRS: fibre extensions follow them."""
    existing: ExistingLayer = field(default_factory=ExistingLayer)
    """Today's network: file, skips, serving sites, coverage map."""
    land_cover: np.ndarray | None = None
    """Land-cover class of each grid cell (inputs.land_cover; -1: no data), int64."""
    hop_terrain: NativeDem | None = None
    """The input DEM at its own resolution over the backhaul's reach (the grid, fibre
    points of presence, existing towers): microwave and relay hops are traced on it.
    A generated region's is its grid's terrain."""


def _points_on_grid(
    grid: Grid,
    lon,
    lat,
    names,
    height_m,
    eirp_dbm,
    *,
    source: str,
    require_inside: bool,
    technologies=(),
) -> Points:
    if len(lon) == 0:
        return _empty_points()
    xs, ys = rasterio.warp.transform("EPSG:4326", grid.crs, list(lon), list(lat))
    x, y = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    rows, cols = grid.rowcol_of(x, y)
    inside = grid.contains(rows, cols)
    if require_inside and not inside.all():
        bad = int(np.flatnonzero(~inside)[0])
        n_out = int((~inside).sum())
        others = f" (and {n_out - 1} more)" if n_out > 1 else ""
        raise VectorError(
            f"{source}: point {names[bad]!r} at lon {lon[bad]:.5f}, lat {lat[bad]:.5f} lies "
            f"outside the planning grid{others}; valid: inside lon/lat "
            f"{_extent_lonlat(grid)} (the area of interest); check the coordinates "
            "(longitude first, WGS84 degrees) or remove the point"
        )
    keep = inside
    return Points(
        names=tuple(n for n, k in zip(names, keep, strict=True) if k),
        x=x[keep],
        y=y[keep],
        rows=rows[keep],
        cols=cols[keep],
        height_m=np.asarray(height_m, dtype=np.float64)[keep],
        eirp_dbm=np.asarray(eirp_dbm, dtype=np.float64)[keep],
        technologies=tuple(t for t, k in zip(technologies, keep, strict=False) if k),
    )


def _extent_lonlat(grid: Grid) -> str:
    """The grid's extent as '[west, south, east, north]' in degrees."""
    h, w = grid.shape
    left, top = grid.transform.c, grid.transform.f
    right, bottom = left + w * grid.cell_size_m, top - h * grid.cell_size_m
    west, south, east, north = rasterio.warp.transform_bounds(
        grid.crs, "EPSG:4326", left, bottom, right, top
    )
    return f"[{west:.5f}, {south:.5f}, {east:.5f}, {north:.5f}]"


def _relpath(path: Path, scenario: Scenario) -> str:
    base = scenario.source_path.parent if scenario.source_path else Path.cwd()
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).as_posix()


def load_region(scenario: Scenario) -> Region:
    """Read (or generate) every input of ``scenario`` onto one grid."""
    inp = scenario.inputs
    hashes: dict[str, str] = {}
    fibre_lon: list[float] = [n.lon for n in scenario.backhaul.fibre_nodes]
    fibre_lat: list[float] = [n.lat for n in scenario.backhaul.fibre_nodes]
    fibre_names: list[str] = [n.name for n in scenario.backhaul.fibre_nodes]
    if inp.synthetic is not None:
        s = inp.synthetic
        region = synthetic_region(
            size_m=s.size_m,
            cell_size_m=scenario.grid.cell_size_m,
            relief_m=s.relief_m,
            villages=s.villages,
            people=s.people,
            epsg=s.epsg,
            origin_xy_m=s.origin_xy_m,
            seed=scenario.seed,
        )
        grid = region.grid
        hashes["synthetic"] = region.fingerprint
        synth_fibre = [region.fibre_xy_m]
    else:
        grid = build_grid(
            dem_paths=inp.dem_paths,
            population_path=inp.population,
            bbox_lonlat=scenario.area.bbox_lonlat,
            polygon_lonlat=scenario.area.polygon_lonlat,
            cell_size_m=scenario.grid.cell_size_m,
            crs=scenario.grid.crs,
            dem_voids=scenario.grid.dem_voids,
            max_void_fill_m=scenario.grid.max_void_fill_m,
            sea_level_m=scenario.grid.sea_level_m,
            population_max_move_m=scenario.grid.population_max_move_m,
            max_people_per_km2=scenario.limits.max_people_per_km2,
        )
        for p in (*inp.dem_paths, inp.population):
            hashes[_relpath(p, scenario)] = sha256_file(p)
        synth_fibre = []

    if inp.fibre_nodes is not None:
        hashes[_relpath(inp.fibre_nodes, scenario)] = sha256_file(inp.fibre_nodes)
        for i, pt in enumerate(read_points(inp.fibre_nodes)):
            fibre_lon.append(pt.lon)
            fibre_lat.append(pt.lat)
            fibre_names.append(
                str(pt.properties.get("name") or pt.properties.get("ict_id") or f"fibre node {i}")
            )
    fibre = _points_on_grid(
        grid,
        fibre_lon,
        fibre_lat,
        fibre_names,
        np.zeros(len(fibre_lon)),
        np.zeros(len(fibre_lon)),
        source="fibre nodes",
        require_inside=False,
    )
    if synth_fibre:
        ((fx, fy),) = synth_fibre
        r, c = grid.rowcol_of(np.array([fx]), np.array([fy]))
        fibre = Points(
            ("fibre PoP (west edge)", *fibre.names),
            np.r_[fx, fibre.x],
            np.r_[fy, fibre.y],
            np.r_[r, fibre.rows],
            np.r_[c, fibre.cols],
            np.r_[0.0, fibre.height_m],
            np.r_[0.0, fibre.eirp_dbm],
        )

    towers, existing = _existing_network(scenario, grid, hashes)

    settlements = _empty_points()
    if inp.settlements is not None:
        hashes[_relpath(inp.settlements, scenario)] = sha256_file(inp.settlements)
        pts = read_points(inp.settlements)
        settlements = _points_on_grid(
            grid,
            [p.lon for p in pts],
            [p.lat for p in pts],
            [
                str(p.properties.get("name") or UNNAMED_SETTLEMENT.format(i))
                for i, p in enumerate(pts)
            ],
            np.zeros(len(pts)),
            np.zeros(len(pts)),
            source=str(inp.settlements),
            require_inside=False,
        )

    proposed = _empty_points()
    if inp.candidate_sites is not None:
        hashes[_relpath(inp.candidate_sites, scenario)] = sha256_file(inp.candidate_sites)
        pts = read_points(inp.candidate_sites)
        proposed = _points_on_grid(
            grid,
            [p.lon for p in pts],
            [p.lat for p in pts],
            [str(p.properties.get("name") or f"proposed site {i}") for i, p in enumerate(pts)],
            np.zeros(len(pts)),
            np.zeros(len(pts)),
            source=str(inp.candidate_sites),
            require_inside=True,  # a site the planner proposes off the area is a mistake
        )

    excluded = np.zeros(grid.shape, dtype=bool)
    if inp.exclusions is not None:
        hashes[_relpath(inp.exclusions, scenario)] = sha256_file(inp.exclusions)
        shapes = [
            rasterio.warp.transform_geom("EPSG:4326", grid.crs, shapely.geometry.mapping(poly))
            for poly in read_polygons(inp.exclusions)
        ]
        if shapes:
            excluded = rasterio.features.geometry_mask(
                shapes, out_shape=grid.shape, transform=grid.transform, invert=True
            )
    pois = None
    if inp.pois is not None:
        hashes[_relpath(inp.pois, scenario)] = sha256_file(inp.pois)
        pois = read_pois(inp.pois, grid)
    roads: tuple[np.ndarray, ...] = ()
    if inp.roads is not None:
        hashes[_relpath(inp.roads, scenario)] = sha256_file(inp.roads)
        roads = _lines_on_grid(grid, read_lines(inp.roads))
    land_cover = None
    if inp.land_cover is not None:
        hashes[_relpath(inp.land_cover, scenario)] = sha256_file(inp.land_cover)
        land_cover = land_cover_on_grid(inp.land_cover, grid)
    if inp.synthetic is not None:
        hop_terrain = NativeDem.from_grid(grid)
    else:
        hop_terrain = NativeDem.from_dem(
            inp.dem_paths,
            grid,
            extra_x=np.r_[fibre.x, towers.x],
            extra_y=np.r_[fibre.y, towers.y],
            sea_level_m=scenario.grid.sea_level_m,
        )
    return Region(
        grid,
        fibre,
        towers,
        settlements,
        excluded,
        hashes,
        proposed,
        pois,
        roads,
        existing,
        land_cover,
        hop_terrain,
    )


def land_cover_on_grid(path: Path, grid: Grid) -> np.ndarray:
    """The class of each grid cell in a categorical raster (any CRS: nearest neighbour,
    classes never averaged); -1 where the raster has no data."""
    raster_info(path)  # a CRS and a geotransform, or one clear error
    values = warp_to_grid(
        (path,),
        dst_crs=grid.crs,
        dst_transform=grid.transform,
        shape=grid.shape,
        resampling=Resampling.nearest,
    )
    out = np.full(grid.shape, -1, dtype=np.int64)
    ok = np.isfinite(values)
    if ok.any() and not np.allclose(values[ok], np.round(values[ok])):
        raise VectorError(f"{path}: land cover must hold whole class numbers, not measurements")
    out[ok] = np.round(values[ok]).astype(np.int64)
    return out


def _existing_network(
    scenario: Scenario, grid: Grid, hashes: dict[str, str]
) -> tuple[Points, ExistingLayer]:
    """The existing sites on the grid (those outside it counted), which of them serve today
    (``existing_network.serving_technologies``), and the coverage map on the grid."""
    inp, net = scenario.inputs, scenario.existing_network
    towers, info = _empty_points(), ExistingLayer()
    if inp.existing_towers is not None:
        path = inp.existing_towers
        hashes[_relpath(path, scenario)] = sha256_file(path)
        read = read_towers(path, merge_m=net.site_merge_m)
        skipped = dict(read.skipped)
        heights, eirps = tower_values(read, net, path)
        towers = _points_on_grid(
            grid,
            [s.lon for s in read.sites],
            [s.lat for s in read.sites],
            [s.name for s in read.sites],
            heights,
            eirps,
            source=str(path),
            require_inside=False,
            technologies=[s.technologies for s in read.sites],
        )
        outside = len(read.sites) - len(towers)
        if outside:
            skipped["outside the area"] = outside
        if read.sites and not len(towers):
            raise VectorError(
                f"{path}: none of its {len(read.sites)} sites lies inside the area (lon/lat "
                f"{_extent_lonlat(grid)}); check that the file covers this area"
            )
        for reason, n in skipped.items():
            log.warning("%s: %d %s skipped: %s", path.name, n, "rows or sites", reason)
        wanted = set(net.serving_technologies)
        serving = np.array(
            [
                net.unknown_technology_serves if t is None else bool(t & wanted)
                for t in towers.technologies
            ],
            dtype=bool,
        )
        info = ExistingLayer(read.format, read.rows, skipped, serving, None)
    if inp.existing_coverage is not None:
        hashes[_relpath(inp.existing_coverage, scenario)] = sha256_file(inp.existing_coverage)
        info = dataclasses.replace(
            info, coverage=coverage_on_grid(inp.existing_coverage, grid, scenario)
        )
    return towers, info


def coverage_on_grid(path: Path, grid: Grid, scenario: Scenario) -> np.ndarray:
    """Grid cells (bool) an operator's coverage map covers: GeoJSON polygons (those whose
    ``technology`` property, if any, is one of ``existing_network.serving_technologies``)
    or a raster in any CRS (non-zero, non-nodata cells; nearest neighbour onto the grid)."""
    net = scenario.existing_network
    if path.suffix.lower() in (".geojson", ".json"):
        shapes = []
        for poly, props in read_polygon_features(path):
            tech = props.get("technology")
            if tech is not None and str(tech).strip():
                if str(tech).strip().upper() not in net.serving_technologies:
                    continue
            elif not net.unknown_technology_serves:
                continue
            shapes.append(
                rasterio.warp.transform_geom("EPSG:4326", grid.crs, shapely.geometry.mapping(poly))
            )
        if not shapes:
            return np.zeros(grid.shape, dtype=bool)
        return rasterio.features.geometry_mask(
            shapes, out_shape=grid.shape, transform=grid.transform, invert=True
        )
    raster_info(path)  # a CRS and a geotransform, or one clear error
    values = warp_to_grid(
        (path,),
        dst_crs=grid.crs,
        dst_transform=grid.transform,
        shape=grid.shape,
        resampling=Resampling.nearest,
    )
    return np.nan_to_num(values, nan=0.0) != 0.0


def tower_values(
    read: TowerFile, net: ExistingNetwork, path: Path
) -> tuple[list[float], list[float]]:
    """Each existing site's antenna height and EIRP: its file's value, else the scenario's
    default (``existing_network.default_height_m`` / ``default_eirp_dbm``); a value outside
    the schema's range for that default is an error naming the site (``validate`` runs this
    too)."""
    heights = [_in_range(s.height_m, net.default_height_m, "height_m", s, path) for s in read.sites]
    eirps = [_in_range(s.eirp_dbm, net.default_eirp_dbm, "eirp_dbm", s, path) for s in read.sites]
    return heights, eirps


def _in_range(value: float | None, default: float, key: str, site, path: Path) -> float:
    """A tower's height or EIRP from its file, else the scenario's default; a value
    outside the schema's range for the default is an error naming the site."""
    if value is None:
        return default
    lo, hi = field_range(ExistingNetwork, f"default_{key}")
    if not lo <= value <= hi:
        raise VectorError(f"{path}: site {site.name!r}: {key}={value:g} is outside {lo:g}..{hi:g}")
    return float(value)


def _lines_on_grid(grid: Grid, lines: list[list[tuple[float, float]]]) -> tuple[np.ndarray, ...]:
    """Lines (lon/lat) projected to the grid CRS [m], one transform call for them all."""
    if not lines:
        return ()
    lon = [p[0] for line in lines for p in line]
    lat = [p[1] for line in lines for p in line]
    xs, ys = rasterio.warp.transform("EPSG:4326", grid.crs, lon, lat)
    xy = np.column_stack([np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)])
    ends = np.cumsum([len(line) for line in lines])[:-1]
    return tuple(np.split(xy, ends))
