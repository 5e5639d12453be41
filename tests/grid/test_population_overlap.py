"""Population on the grid, cell by cell, against an exact polygon overlap computed apart
from the package: each sampled grid cell, densified and taken to the population
raster's CRS, intersected with the raster's pixels; each pixel's people shared by the
area of it the cell covers. Real pairs (Comoros WorldPop 3", Dominican Republic WorldPop
1 km) and a raster in another UTM zone."""

from __future__ import annotations

import numpy as np
import pyproj
import rasterio
import shapely
from affine import Affine
from shapely.ops import transform as shapely_transform

from rural_plan.grid import build_grid
from tests.conftest import require_data


def exact_people(grid, pop_path, rows, cols):
    """People of grid cells (``rows``, ``cols``) by exact overlap with the raster."""
    with rasterio.open(pop_path) as ds:
        counts = ds.read(1, masked=True).astype(float).filled(0.0)
        t, crs = ds.transform, ds.crs
    to_src = pyproj.Transformer.from_crs(grid.crs, crs, always_xy=True).transform
    out = []
    cell = grid.cell_size_m
    for r, c in zip(rows, cols, strict=True):
        x0 = grid.transform.c + c * cell
        y1 = grid.transform.f - r * cell
        square = shapely.segmentize(shapely.box(x0, y1 - cell, x0 + cell, y1), cell / 16)
        poly = shapely_transform(to_src, square)
        inv = ~t
        minx, miny, maxx, maxy = poly.bounds
        cs = [inv * (x, y) for x in (minx, maxx) for y in (miny, maxy)]
        c0 = int(np.floor(min(p[0] for p in cs))) - 1
        c1 = int(np.ceil(max(p[0] for p in cs))) + 1
        r0 = int(np.floor(min(p[1] for p in cs))) - 1
        r1 = int(np.ceil(max(p[1] for p in cs))) + 1
        total = 0.0
        for i in range(max(r0, 0), min(r1, counts.shape[0])):
            for j in range(max(c0, 0), min(c1, counts.shape[1])):
                if counts[i, j] <= 0:
                    continue
                px = shapely.Polygon(
                    [t * (j, i), t * (j + 1, i), t * (j + 1, i + 1), t * (j, i + 1)]
                )
                total += counts[i, j] * poly.intersection(px).area / px.area
        out.append(total)
    return np.array(out)


def _check(grid, pop_path, n=80, seed=0):
    rng = np.random.default_rng(seed)
    inside = np.argwhere(grid.population > 0)
    # away from the edge of the area (where the area's mask, not the overlap, decides)
    r, c = inside[:, 0], inside[:, 1]
    keep = (r > 3) & (c > 3) & (r < grid.shape[0] - 4) & (c < grid.shape[1] - 4)
    pick = inside[keep][rng.choice(int(keep.sum()), n, replace=False)]
    got = grid.population[pick[:, 0], pick[:, 1]]
    ref = exact_people(grid, pop_path, pick[:, 0], pick[:, 1])
    ok = ref > 0.01  # cells with people in the raster (the grid moves people off the sea)
    return got[ok], ref[ok]


def test_comoros_worldpop_cells_match_an_exact_overlap():
    pop = require_data("comoros", "com_ppp_2020_UNadj.tif")
    dem = pop.parent / "com_dem_srtm1_1arcsec.tif"
    grid = build_grid(
        dem_paths=(dem,),
        population_path=pop,
        bbox_lonlat=(43.30, -11.80, 43.45, -11.60),
        cell_size_m=90.0,
        population_max_move_m=0.0,
    )
    got, ref = _check(grid, pop)
    assert got.size > 40
    np.testing.assert_allclose(got, ref, rtol=0.01)


def test_dominican_republic_1km_cells_match_an_exact_overlap():
    pop = require_data("tiny_dominican_republic", "neiba_worldpop_ppp_2020_1km.tif")
    dem = pop.parent / "neiba_nasadem_4arcsec.tif"
    grid = build_grid(
        dem_paths=(dem,), population_path=pop, cell_size_m=90.0, population_max_move_m=0.0
    )
    got, ref = _check(grid, pop, n=60)
    assert got.size > 30
    np.testing.assert_allclose(got, ref, rtol=0.01)
    # no lattice: cells wholly inside one 1 km pixel hold the same people
    with rasterio.open(pop) as ds:
        t = ds.transform
    to_src = pyproj.Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    rows, cols = np.nonzero(grid.population > 0)
    x, y = grid.xy_of(rows, cols)
    lon, lat = to_src.transform(x, y)
    inv = ~t
    pj, pi = inv * (np.asarray(lon), np.asarray(lat))
    frac_j, frac_i = pj - np.floor(pj), pi - np.floor(pi)
    deep = (frac_j > 0.2) & (frac_j < 0.8) & (frac_i > 0.2) & (frac_i < 0.8)
    key = np.floor(pi[deep]).astype(int) * 100_000 + np.floor(pj[deep]).astype(int)
    values = grid.population[rows[deep], cols[deep]]
    spread = [np.ptp(values[key == k]) / values[key == k].mean() for k in np.unique(key)[:50]]
    assert max(spread) < 1e-6


def test_a_raster_in_another_utm_zone_matches_an_exact_overlap(tmp_path):
    # People on a 100 m grid in UTM zone 37S, put on a 90 m grid in 38S (a rotation of
    # about 2.5° here): the same exact check.
    rng = np.random.default_rng(3)
    counts = rng.gamma(2.0, 10.0, (120, 120))
    t = Affine(100.0, 0, 850_000.0, 0, -100.0, 8_720_000.0)
    path = tmp_path / "pop_utm37.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=120,
        width=120,
        count=1,
        dtype="float64",
        crs="EPSG:32737",
        transform=t,
        nodata=-1,
    ) as ds:
        ds.write(counts, 1)
    dem = tmp_path / "dem.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        height=120,
        width=120,
        count=1,
        dtype="float32",
        crs="EPSG:32737",
        transform=t,
        nodata=-9999,
    ) as ds:
        ds.write(np.full((120, 120), 50.0, dtype="float32"), 1)
    to_ll = pyproj.Transformer.from_crs("EPSG:32737", "EPSG:4326", always_xy=True)
    lon0, lat1 = to_ll.transform(852_000.0, 8_718_000.0)
    lon1, lat0 = to_ll.transform(860_000.0, 8_710_000.0)
    grid = build_grid(
        dem_paths=(dem,),
        population_path=path,
        bbox_lonlat=(lon0, lat0, lon1, lat1),
        cell_size_m=90.0,
        crs="EPSG:32738",
        population_max_move_m=0.0,
    )
    got, ref = _check(grid, path, n=60)
    assert got.size > 40
    np.testing.assert_allclose(got, ref, rtol=0.01)
