"""Clutter on the plan's grid and coverage at a location probability: types from a land
cover raster, from population density or one for all; the handset's P.2108 loss taken off
every site's budget cell by cell; the margin of ITU-R P.1812-6 §4.8."""

from __future__ import annotations

import numpy as np
import pytest

from rural_plan import plan
from rural_plan.errors import GridError, ScenarioError
from rural_plan.propagation.clutter import CLUTTER_TYPES, height_gain_correction_db
from rural_plan.propagation.clutter_map import (
    WORLDCOVER_CLUTTER,
    clutter_loss_grid,
    clutter_types,
    coverage_criterion,
    location_margin_db,
    location_sigma_db,
)
from tests.support import small_scenario


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """The small plan without clutter and with its default (P.2108 by density)."""
    tmp = tmp_path_factory.mktemp("clutter")
    none = plan(small_scenario(tmp, radio__clutter__model="none"))
    p2108 = plan(small_scenario(tmp))
    return none, p2108


def test_the_location_margin_is_p1812s(tmp_path):
    s = small_scenario(tmp_path)  # 900 MHz, 100 m demand cells, 90 %
    sigma = (0.52 + 0.024 * 0.9) * 100.0**0.28
    assert location_sigma_db(s) == pytest.approx(sigma)
    assert location_margin_db(s) == pytest.approx(1.2816 * sigma, rel=1e-3)
    s95 = small_scenario(tmp_path, radio__location_probability_pct=95)
    assert location_margin_db(s95) == pytest.approx(1.645 * sigma, rel=1e-3)
    given = small_scenario(tmp_path, radio__location_sigma_db=5.5)
    assert location_margin_db(given) == pytest.approx(1.2816 * 5.5, rel=1e-3)
    assert "at 90 % of locations" in coverage_criterion(s)


@pytest.mark.parametrize("p", [0.5, 1.0, 99.0, 120.0])
def test_a_location_probability_outside_1_to_99_is_refused(tmp_path, p):
    with pytest.raises(ScenarioError, match="location_probability_pct"):
        small_scenario(tmp_path, radio__location_probability_pct=p)


def test_clutter_outside_p2108s_band_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match=r"outside ITU-R P\.2108-1"):
        small_scenario(tmp_path, radio__frequency_mhz=3_500)
    small_scenario(tmp_path, radio__frequency_mhz=3_500, radio__clutter__model="none")


def test_types_follow_density_then_land_cover_then_the_override(plain):
    _, p = plain
    grid, s = p.region.grid, p.scenario
    types = clutter_types(s, grid, None)
    assert set(np.unique(types)) <= {1, 2, 3}  # open-rural, suburban, urban
    dense = grid.population >= 0.9 * grid.population.max()
    assert (types[dense] >= CLUTTER_TYPES.index("suburban")).all()
    cover = np.full(grid.shape, 30)  # grassland
    cover[:, : grid.shape[1] // 2] = 10  # tree cover
    t2 = clutter_types(s, grid, cover)
    assert (t2[:, 0] == CLUTTER_TYPES.index("trees-forest")).all()
    assert (t2[:, -1] == CLUTTER_TYPES.index("open-rural")).all()
    cover[0, 0] = 255  # a class the mapping does not know
    grid.land[0, 0] = True
    with pytest.raises(GridError, match="class 255"):
        clutter_types(s, grid, cover)
    forest = s.model_copy(
        update={
            "radio": s.radio.model_copy(
                update={"clutter": s.radio.clutter.model_copy(update={"type": "trees-forest"})}
            )
        }
    )
    assert (clutter_types(forest, grid, None) == CLUTTER_TYPES.index("trees-forest")).all()
    loss = clutter_loss_grid(forest, grid, None)
    want = height_gain_correction_db(900.0, 1.5, 27.0, 15.0, "trees-forest")
    assert np.allclose(loss, want)
    assert set(WORLDCOVER_CLUTTER) == {10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100}


def test_clutter_shrinks_coverage_and_the_report_says_the_criterion(plain):
    none, p = plain
    assert p.summary["people_newly_covered"] < none.summary["people_newly_covered"]
    assert "P.2108-1" in p.summary["coverage_criterion"]
    assert "without clutter" in none.summary["coverage_criterion"]
    # the best-server field loses each cell's clutter loss: the same sites' field without
    # it, less the clutter, is the plan's
    from rural_plan.propagation import best_server
    from rural_plan.propagation.settings import RadioSettings, site_patterns

    rx, server = p.best_server_field
    clutter = clutter_loss_grid(p.scenario, p.region.grid, None)
    opt, chosen, grid = p.options, p.selection.chosen, p.region.grid
    loc = opt.location[chosen]
    radio = RadioSettings.from_scenario(p.scenario)
    bare, bare_server = best_server(
        grid,
        p.candidates.rows[loc],
        p.candidates.cols[loc],
        opt.mast_height_m[chosen],
        opt.eirp_dbm[chosen],
        radio,
        pattern_index=opt.type_index[chosen],
        patterns=site_patterns(p.scenario, radio, grid.cell_size_m),
    )
    ok = np.isfinite(rx)
    assert (server == bare_server).all()
    np.testing.assert_allclose(rx[ok], bare[ok] - clutter[ok], atol=1e-9)
    assert clutter[ok].min() > 15.0  # a 1.5 m handset in 10 m clutter: ~18 dB at 900 MHz


def test_a_land_cover_raster_in_any_crs_gives_the_types(tmp_path, plain):
    import rasterio.warp

    _, p = plain
    grid = p.region.grid
    west, north = grid.transform.c, grid.transform.f
    east = west + grid.shape[1] * grid.cell_size_m
    south = north - grid.shape[0] * grid.cell_size_m
    lon, lat = rasterio.warp.transform(grid.crs, "EPSG:4326", [west, east], [south, north])
    n = 300
    transform = rasterio.transform.from_bounds(lon[0], lat[0], lon[1], lat[1], n, n)
    data = np.full((n, n), 10, dtype="uint8")  # tree cover everywhere
    profile = dict(driver="GTiff", width=n, height=n, count=1, dtype="uint8", transform=transform)
    with rasterio.open(tmp_path / "lc.tif", "w", crs="EPSG:4326", **profile) as ds:
        ds.write(data, 1)
    forest = plan(small_scenario(tmp_path, inputs__land_cover="lc.tif"))
    inside = forest.region.land_cover >= 0
    assert inside.mean() > 0.95 and (forest.region.land_cover[inside] == 10).all()
    assert forest.summary["people_newly_covered"] < p.summary["people_newly_covered"]
    with rasterio.open(tmp_path / "nocrs.tif", "w", **profile) as ds:
        ds.write(data, 1)
    from rural_plan.errors import RasterError

    with pytest.raises(RasterError, match="no CRS"):
        plan(small_scenario(tmp_path, inputs__land_cover="nocrs.tif"))
