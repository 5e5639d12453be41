"""ITM along a radial (``_itm_ray``) against the per-cell point-to-point kernel.

The reference is the sweep's per-cell path (``_radial.ray_losses`` with the ITM model:
``itm_p2p_tls_kernel`` on the profile from the site to each owned cell, the kernel
checked against NTIA's C++ in ``test_itm.py``). The incremental kernel must give the
same loss within float rounding: real Ngazidja rays, random terrains and parameters,
flat ground, and the helpers it is built on (the exact repeated subtraction, the exact
deciles).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rural_plan.propagation import _itm, _itm_ray
from rural_plan.propagation._kernels import MODEL_ITM
from rural_plan.propagation._radial import (
    locations_windows,
    owned_cells,
    owned_samples,
    radial_profiles,
    ray_losses,
    ray_targets,
    site_windows_parallel,
)
from rural_plan.propagation.settings import itm_params
from rural_plan.scenario.schema import ItmParams
from tests.conftest import require_data

DEFAULT = np.array(itm_params(ItmParams(), vertical=True))
ABS_DB = 1e-9


def ray_windows(elev, r0, c0, radius, cell, h_tx, h_rx, f_mhz, params):
    """Both kernels over every ray of one site, in float64: (fast, reference) flat windows
    and the mask of the cells some ray owns."""
    dr, dc = ray_targets(radius)
    used = owned_samples(radius, radius * cell, cell, dr, dc)
    start, samples, cells = owned_cells(used, dr, dc, radius)
    heights = np.empty((dr.size, radius + 1))
    n_valid = np.empty(dr.size, dtype=np.int64)
    radial_profiles(elev, r0, c0, radius, dr, dc, heights, n_valid)
    w = 2 * radius + 1
    fast = np.full(w * w, np.inf)
    ref = np.full(w * w, np.inf)
    n_work, n_iwork = _itm_ray.work_sizes(radius)
    work = np.empty(n_work)
    iwork = np.empty(n_iwork, dtype=np.int64)
    loss = np.empty(radius + 1)
    owned = np.zeros(w * w, dtype=bool)
    for j in range(dr.size):
        step = cell * math.hypot(dr[j], dc[j]) / radius
        s, c = samples[start[j] : start[j + 1]], cells[start[j] : start[j + 1]]
        _itm_ray.itm_ray_to_window(
            heights[j], step, n_valid[j], s, c, h_tx, h_rx, f_mhz, params, work, iwork, fast
        )
        ray_losses(
            MODEL_ITM, heights[j], step, n_valid[j], used[j], h_tx, h_rx, f_mhz, 4 / 3, params, loss
        )
        inside = s < n_valid[j]
        ref[c[inside]] = loss[s[inside]]
        owned[c[inside]] = True
    return fast, ref, owned


def assert_same_losses(fast, ref, owned, atol=ABS_DB):
    np.testing.assert_array_equal(np.isnan(fast[owned]), np.isnan(ref[owned]))
    ok = owned & ~np.isnan(ref)
    assert np.isfinite(ref[ok]).all()
    diff = np.abs(fast[ok] - ref[ok])
    assert diff.max() <= atol, (diff.max(), int(np.argmax(diff)))


def ngazidja_90m():
    """Ngazidja's 1" SRTM at 90 m around an inland village (Koimbani, 400 m up on the
    plateau between La Grille and Karthala) and that site's cell."""
    import rasterio.warp

    from rural_plan.grid import build_grid

    lon, lat = 43.3656, -11.6222
    grid = build_grid(
        dem_paths=(require_data("comoros", "com_dem_srtm1_1arcsec.tif"),),
        population_path=require_data("comoros", "com_ppp_2020_UNadj.tif"),
        bbox_lonlat=(lon - 0.15, lat - 0.15, lon + 0.15, lat + 0.15),
        cell_size_m=90.0,
    )
    xs, ys = rasterio.warp.transform("EPSG:4326", grid.crs, [lon], [lat])
    r, c = grid.rowcol_of(np.array(xs), np.array(ys))
    return grid, (int(r[0]), int(c[0]))


@pytest.mark.parametrize(
    "h_tx, f_mhz, params",
    [
        (15.0, 900.0, DEFAULT),
        (30.0, 1800.0, np.array([301.0, 0.0, 15.0, 0.005, 5.0, 12.0, 50.0, 50.0, 50.0])),
        (10.0, 700.0, np.array([350.0, 1.0, 25.0, 0.02, 1.0, 2.0, 90.0, 50.0, 80.0])),
    ],
)
def test_real_ngazidja_site_equals_the_per_cell_kernel(h_tx, f_mhz, params):
    """Every ray of a 15 km site on Ngazidja's SRTM (90 m): the same loss as ITM on the
    profile to each cell, within 1e-9 dB (measured ~1e-12)."""
    grid, (r0, c0) = ngazidja_90m()
    elev = np.ascontiguousarray(grid.elevation_m)
    fast, ref, owned = ray_windows(elev, r0, c0, 167, 90.0, h_tx, 1.5, f_mhz, params)
    assert owned.sum() > 80_000
    assert_same_losses(fast, ref, owned)


def random_terrain(rng, n, relief):
    yy, xx = np.mgrid[0:n, 0:n].astype(float)
    z = rng.uniform(-5.0, 800.0) + rng.normal(0.0, relief / 20.0, (n, n))
    for _ in range(int(rng.integers(1, 6))):
        y0, x0 = rng.uniform(0, n, 2)
        s = rng.uniform(1.5, n / 2)
        z += rng.uniform(-relief, relief) * np.exp(-((yy - y0) ** 2 + (xx - x0) ** 2) / (2 * s * s))
    return z


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    radius=st.integers(2, 40),
    cell=st.sampled_from([10.0, 30.0, 90.0, 30.87, 250.0]),
    relief=st.floats(0.0, 600.0),
    h_tx=st.floats(0.5, 200.0),
    h_rx=st.floats(0.5, 30.0),
    f_mhz=st.floats(20.0, 20000.0),
    pol=st.sampled_from([0.0, 1.0]),
    climate=st.integers(1, 7),
    mdvar=st.sampled_from([0, 1, 2, 3, 12, 22, 33]),
    pct=st.tuples(st.floats(1.0, 99.0), st.floats(1.0, 99.0), st.floats(1.0, 99.0)),
)
def test_random_terrain_and_parameters_equal_the_per_cell_kernel(
    seed, radius, cell, relief, h_tx, h_rx, f_mhz, pol, climate, mdvar, pct
):
    rng = np.random.default_rng(seed)
    n = 2 * radius + 1 + int(rng.integers(0, 6))
    elev = random_terrain(rng, n, relief)
    r0, c0 = (int(v) for v in rng.integers(0, n, 2))
    params = np.array([301.0, pol, 15.0, 0.005, climate, mdvar, *pct])
    fast, ref, owned = ray_windows(elev, r0, c0, radius, cell, h_tx, h_rx, f_mhz, params)
    assert_same_losses(fast, ref, owned)


@pytest.mark.parametrize("height", [0.0, 120.0])
def test_flat_ground_equals_the_per_cell_kernel(height):
    """Flat ground (at sea level, N_s = N_0 exactly) and every cell's horizon a tie-free
    smooth-earth one."""
    elev = np.full((61, 61), height)
    fast, ref, owned = ray_windows(elev, 30, 30, 30, 100.0, 20.0, 1.5, 900.0, DEFAULT)
    assert_same_losses(fast, ref, owned)


def test_invalid_inputs_give_nan_like_the_per_cell_kernel():
    """Parameters ITM refuses (climate 9; N_0 giving N_s < 150) are NaN beyond the first
    sample, where both give free space."""
    elev = random_terrain(np.random.default_rng(3), 21, 100.0)
    for params in (
        np.array([301.0, 1.0, 15.0, 0.005, 9.0, 12.0, 50.0, 50.0, 50.0]),
        np.array([120.0, 1.0, 15.0, 0.005, 5.0, 12.0, 50.0, 50.0, 50.0]),
    ):
        fast, ref, owned = ray_windows(elev, 10, 10, 10, 30.0, 15.0, 1.5, 900.0, params)
        assert np.isnan(ref[owned]).sum() > 0.9 * owned.sum()
        assert_same_losses(fast, ref, owned)


@settings(max_examples=300, deadline=None)
@given(
    step=st.floats(0.01, 500.0) | st.sampled_from([30.0, 90.0, 10.0, 30.0 * math.sqrt(2.0)]),
    m=st.integers(2, 3000),
    frac=st.floats(0.0, 1.0),
)
def test_repeated_subtraction_is_the_loop_to_the_bit(step, m, frac):
    """NTIA's horizon loop decrements x_2 once per sample; the binade shortcut must reach
    the very same double."""
    d = m * step
    k = 1 + int(frac * (m - 2))
    v = d
    for _ in range(k):
        v = v - step
    assert _itm_ray.subtract_repeatedly(d, step, k) == v


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.floats(-1e4, 1e4) | st.sampled_from([0.0, 1.5, -2.0]), min_size=1, max_size=300
    ),
    k_frac=st.floats(0.0, 1.0),
)
def test_decile_pair_matches_a_sort(values, k_frac):
    a = np.asarray(values, dtype=float)
    n = a.size
    k = 1 + int(k_frac * (n - 1))
    kept = a.copy()
    largest, smallest = _itm.decile_pair(a, n, k, np.empty(3 * n + 48))
    ordered = np.sort(a)
    assert largest == ordered[n - k]
    assert smallest == ordered[k - 1]
    assert np.array_equal(a, kept)


def test_decile_pair_on_correlated_residuals_matches_a_sort():
    """Residuals of real profiles are smooth (long runs): thresholds from a strided sample
    still give the exact order statistics, falling back when they are set too far in."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        a = np.cumsum(rng.normal(size=245))
        a -= np.linspace(a[0], a[-1], a.size)
        largest, smallest = _itm.decile_pair(a, a.size, 25, np.empty(3 * a.size + 48))
        ordered = np.sort(a)
        assert (largest, smallest) == (ordered[-25], ordered[24])


@pytest.mark.parametrize("model", [MODEL_ITM, 0, 7])
def test_one_site_with_its_rays_in_parallel_is_the_many_site_sweep(model):
    """``site_windows_parallel`` (one site, rays over threads) gives the very windows of
    ``locations_windows`` (sites over threads), for ITM, knife edge and delta-Bullington."""
    elev = random_terrain(np.random.default_rng(11), 71, 150.0)
    radius = 30
    params = {MODEL_ITM: DEFAULT, 0: np.zeros(0), 7: np.array([2.0])}[model]
    h_tx = np.array([15.0, 30.0])
    args = (radius, radius * 40.0, 40.0, h_tx, 1.5, 900.0, 4 / 3, model, params)
    serial = np.empty((2, 2 * radius + 1, 2 * radius + 1), dtype=np.float32)
    no_cap = np.full(2, np.inf)
    locations_windows(elev, np.array([35]), np.array([33]), np.array([0, 2]), *args, no_cap, serial)
    parallel = np.empty_like(serial)
    site_windows_parallel(elev, 35, 33, *args, parallel)
    np.testing.assert_array_equal(parallel, serial)
