"""Grid: population-conserving resampling, DEM voids, real Comoros rasters."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from rural_plan.errors import GridError, RasterError
from rural_plan.grid import build_grid, synthetic_region, utm_crs_for
from rural_plan.grid._kernels import area_weighted_counts
from rural_plan.grid.align import finish_grid
from tests.conftest import require_data


def overlap_reference(counts, corner_x, corner_y, x0, y0, cell, n_rows, n_cols):
    """Shapely: each source quadrilateral intersected with each target square; the count
    shared by the overlap areas."""
    out = np.zeros((n_rows, n_cols))
    outside = 0.0
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            c = counts[i, j]
            if not c > 0:
                continue
            quad = shapely.Polygon(
                [
                    (corner_x[i, j], corner_y[i, j]),
                    (corner_x[i, j + 1], corner_y[i, j + 1]),
                    (corner_x[i + 1, j + 1], corner_y[i + 1, j + 1]),
                    (corner_x[i + 1, j], corner_y[i + 1, j]),
                ]
            )
            placed = 0.0
            for r in range(n_rows):
                for k in range(n_cols):
                    sq = shapely.box(
                        x0 + k * cell, y0 - (r + 1) * cell, x0 + (k + 1) * cell, y0 - r * cell
                    )
                    a = quad.intersection(sq).area
                    if a > 0:
                        out[r, k] += c * a / quad.area
                        placed += c * a / quad.area
            outside += c - placed
    return out, outside


def _random_quads(rng, h, w, cell_src):
    jj, ii = np.meshgrid(np.arange(w + 1), np.arange(h + 1))
    angle = rng.uniform(-0.3, 0.3)
    x = 1000 + cell_src * (jj * np.cos(angle) - ii * np.sin(angle))
    y = 5000 - cell_src * (jj * np.sin(angle) + ii * np.cos(angle))
    return x + rng.normal(0, 0.05 * cell_src, x.shape), y + rng.normal(0, 0.05 * cell_src, y.shape)


@pytest.mark.parametrize("seed", range(5))
def test_area_weighting_matches_shapely_overlaps(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(2, 7, size=2)
    counts = rng.gamma(1.0, 5.0, size=(h, w))
    counts[rng.random((h, w)) < 0.2] = 0.0
    counts[0, 0] = np.nan
    cx, cy = _random_quads(rng, h, w, cell_src=100.0)
    cell = float(rng.uniform(20.0, 150.0))
    n = int(800 // cell) + 2
    out = np.zeros((n, n))
    outside = area_weighted_counts(counts, cx, cy, 900.0, 5100.0, cell, n, n, out)
    ref, ref_outside = overlap_reference(counts, cx, cy, 900.0, 5100.0, cell, n, n)
    np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-9)
    assert outside == pytest.approx(ref_outside, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), cell=st.floats(5.0, 300.0))
def test_area_weighting_conserves_total(seed, cell):
    rng = np.random.default_rng(seed)
    counts = rng.gamma(1.0, 3.0, size=(6, 7))
    cx, cy = _random_quads(rng, 6, 7, cell_src=100.0)
    n = 200
    out = np.zeros((n, n))
    outside = area_weighted_counts(counts, cx, cy, 0.0, 6000.0, cell, n, n, out)
    assert out.sum() + outside == pytest.approx(counts.sum(), rel=1e-12)
    assert (out >= -1e-12).all()


@settings(max_examples=30, deadline=None)
@given(angle=st.floats(-0.5, 0.5), src=st.floats(60.0, 140.0), cell=st.floats(40.0, 130.0))
def test_a_uniform_density_stays_uniform(angle, src, cell):
    # The moiré of sub-cell splatting: target cells wholly inside a uniformly populated
    # source raster, rotated and of another cell size, must all hold density × area.
    jj, ii = np.meshgrid(np.arange(41), np.arange(41))
    x = 5000 + src * (jj * np.cos(angle) - ii * np.sin(angle))
    y = 5000 - src * (jj * np.sin(angle) + ii * np.cos(angle))
    density = 1e-3  # people per m²
    counts = np.full((40, 40), density * src * src)
    n = int(9000 // cell)
    out = np.zeros((n, n))
    area_weighted_counts(counts, x, y, 0.0, 9000.0, cell, n, n, out)
    quad = shapely.Polygon(
        [(x[0, 0], y[0, 0]), (x[0, -1], y[0, -1]), (x[-1, -1], y[-1, -1]), (x[-1, 0], y[-1, 0])]
    )
    inner = [
        (r, k)
        for r in range(n)
        for k in range(n)
        if quad.contains(
            shapely.box(k * cell, 9000 - (r + 1) * cell, (k + 1) * cell, 9000 - r * cell)
        )
    ]
    assert len(inner) > 10
    values = np.array([out[r, k] for r, k in inner])
    np.testing.assert_allclose(values, density * cell * cell, rtol=1e-9)


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (43.3, -11.7, "EPSG:32738"),
        (-105.5, 40.0, "EPSG:32613"),
        (0.0, 0.0, "EPSG:32631"),
        (-180.0, 10.0, "EPSG:32601"),
        (179.99, -5.0, "EPSG:32760"),
    ],
)
def test_utm_zone(lon, lat, epsg):
    assert utm_crs_for(lon, lat) == epsg


def _grid_from(elev, pop, **kw):
    args = dict(
        people_input_total=float(np.nansum(pop)),
        in_area=np.ones(elev.shape, bool),
        transform=Affine(100, 0, 0, 0, -100, 100 * elev.shape[0]),
        crs="EPSG:32737",
        cell_size_m=100.0,
        dem_voids="fill",
        max_void_fill_m=2000.0,
        sea_level_m=0.0,
        population_max_move_m=1000.0,
        reprojected_from="",
        dem_name="test.tif",
    )
    args.update(kw)
    return finish_grid(elevation_m=elev, population=pop, **args)


def test_interior_void_is_filled_and_counted_edge_nodata_is_masked():
    elev = np.full((30, 30), 200.0) + np.arange(30)[None, :]
    elev[10:13, 10:14] = np.nan  # an interior void: 12 cells
    elev[:, :3] = np.nan  # no data along the west edge: outside the data
    pop = np.zeros((30, 30))
    pop[11, 11] = 50.0
    g = _grid_from(elev, pop)
    assert g.report.dem_void_cells_filled == 12
    assert g.report.dem_cells_outside_data == 90
    filled = g.elevation_m[10:13, 10:14]
    assert np.all((filled > 205) & (filled < 218))  # interpolated between neighbours
    assert not g.land[:, :3].any()
    assert g.population.sum() == pytest.approx(50.0)


def test_void_policy_error_refuses():
    elev = np.full((20, 20), 100.0)
    elev[8, 8] = np.nan
    with pytest.raises(GridError, match="dem_voids"):
        _grid_from(elev, np.zeros((20, 20)), dem_voids="error")


def test_all_nodata_terrain_is_refused():
    with pytest.raises(RasterError, match="all nodata"):
        _grid_from(np.full((10, 10), np.nan), np.zeros((10, 10)))


def test_people_on_sea_move_to_nearest_land_or_are_dropped():
    elev = np.full((20, 20), 50.0)
    elev[:, 10:] = -1.0  # sea to the east
    pop = np.zeros((20, 20))
    pop[5, 11] = 7.0  # 200 m off the coast: moved to land at (5, 9)
    pop[5, 19] = 3.0  # 1000 m off: beyond population_max_move_m=500: dropped
    g = _grid_from(elev, pop, population_max_move_m=500.0)
    assert g.population[5, 9] == pytest.approx(7.0)
    assert g.report.people_moved_from_sea == pytest.approx(7.0)
    assert g.report.people_dropped == pytest.approx(3.0)
    assert g.population[:, 10:].sum() == 0


def test_synthetic_region_is_seeded():
    a, b = synthetic_region(seed=3, size_m=9000), synthetic_region(seed=3, size_m=9000)
    c = synthetic_region(seed=4, size_m=9000)
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert a.grid.population.sum() == pytest.approx(80_000.0)
    assert a.grid.land.all()


@pytest.mark.slow
@pytest.mark.parametrize("cell_m", [30.0, 100.0])
def test_comoros_population_conserved_after_utm_reprojection(cell_m):
    dem = require_data("comoros", "com_dem_srtm1_1arcsec.tif")
    pop = require_data("comoros", "com_ppp_2020_UNadj.tif")
    with rasterio.open(pop) as ds:
        data = ds.read(1, masked=True)
        input_total = float(data.astype(np.float64).sum())
    g = build_grid(dem_paths=(dem,), population_path=pop, cell_size_m=cell_m)
    assert g.crs == "EPSG:32738"
    assert g.report.reprojected_from == "EPSG:4326"
    assert g.report.people_input_total == pytest.approx(input_total, rel=1e-9)
    assert abs(g.report.people_gridded_total - input_total) / input_total < 1e-3
    assert abs(g.population.sum() - input_total) / input_total < 1e-3
    # The NE block of the mosaic has no SRTM tile: outside the data, never sea level.
    assert g.report.dem_cells_outside_data > 0
    assert g.report.dem_void_cells_filled == 0  # SRTMGL1 v3 is void-filled


@pytest.mark.slow
def test_comoros_dem_voids_counted(tmp_path):
    src = require_data("comoros", "com_dem_srtm1_1arcsec.tif")
    pop = require_data("comoros", "com_ppp_2020_UNadj.tif")
    bbox = (43.30, -11.75, 43.45, -11.60)  # inland Ngazidja, Karthala slopes
    with rasterio.open(src) as ds:
        win = rasterio.windows.from_bounds(*bbox, transform=ds.transform).round_offsets()
        win = win.round_lengths()
        data = ds.read(1, window=win)
        profile = ds.profile | {
            "height": data.shape[0],
            "width": data.shape[1],
            "transform": ds.window_transform(win),
        }
    holed = data.copy()
    r0, c0 = data.shape[0] // 2, data.shape[1] // 2
    holed[r0 - 20 : r0 + 20, c0 - 20 : c0 + 20] = profile["nodata"]  # a 1.2 km void
    path = tmp_path / "void.tif"
    with rasterio.open(path, "w", **profile) as out:
        out.write(holed, 1)
    g = build_grid(dem_paths=(path,), population_path=pop, bbox_lonlat=bbox, cell_size_m=90.0)
    expected_cells = (40 * 30.5) ** 2 / 90.0**2  # the void's area in 90 m cells (≈ 184)
    assert 0.7 * expected_cells < g.report.dem_void_cells_filled < 1.3 * expected_cells
    with pytest.raises(GridError, match="void"):
        build_grid(
            dem_paths=(path,),
            population_path=pop,
            bbox_lonlat=bbox,
            cell_size_m=90.0,
            dem_voids="error",
        )


@pytest.mark.slow
def test_zipped_srtm_tiles_mosaic():
    tiles = tuple(sorted(require_data("comoros", "srtm1").glob("*.zip")))
    pop = require_data("comoros", "com_ppp_2020_UNadj.tif")
    g = build_grid(
        dem_paths=tiles,
        population_path=pop,
        bbox_lonlat=(43.2, -11.95, 43.55, -11.35),
        cell_size_m=90.0,
    )
    assert g.elevation_m.max() > 2200  # Karthala, 2361 m
    assert g.report.people_input_total == pytest.approx(449_425, rel=1e-3)
    assert g.report.population_conservation_error < 1e-3
