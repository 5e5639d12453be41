"""Propagation: ITU-R formulas, a pure-Python reference of the window kernel, analytic
terrains (flat ground, a single wall), Hypothesis properties, and the sparse coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rural_plan.propagation.point_to_area as pta
from rural_plan.grid.align import finish_grid
from rural_plan.propagation import max_path_loss_db
from rural_plan.propagation._kernels import free_space_loss_db, knife_edge_loss_db
from rural_plan.propagation._radial import (
    fspl_ray_to_window,
    model_sweep,
    owned_cells,
    owned_samples,
    radial_profiles,
    ray_loss_fspl,
    ray_targets,
)
from rural_plan.propagation.point_to_area import RadioSettings, covered_demand, site_loss_window
from rural_plan.units import EARTH_RADIUS_M
from tests.references import (
    C_M_S,
    fspl_array,
    fspl_ref,
    fspl_textbook,
    j_fresnel,
    j_ref,
    nu_ref,
)

KNIFE, LOS = 0, 1
MODEL_NAMES = {KNIFE: "fspl-knife-edge", LOS: "fspl-los"}
FLAT_EARTH_K = 1e6  # effective earth radius 6.4e12 m: the bulge over a few km is < 1e-6 m


# --------------------------------------------------------------------------- references


def ray_order(radius: int) -> list[tuple[int, int]]:
    """Perimeter cells of the (2R+1)² square, each once, in the kernel's ray order:
    top edge left to right, right edge top to bottom, bottom edge right to left, left
    edge bottom to top (the order decides ties between equally close samples)."""
    r = radius
    return (
        [(-r, t) for t in range(-r, r)]
        + [(t, r) for t in range(-r, r)]
        + [(r, t) for t in range(r, -r, -1)]
        + [(t, -r) for t in range(r, -r, -1)]
    )


def bilinear_ref(elev, fr, fc):
    """Terrain between cell centres (clamped to the outermost cells like the kernel)."""
    n_rows, n_cols = elev.shape
    r = min(max(math.floor(fr), 0), n_rows - 2)
    c = min(max(math.floor(fc), 0), n_cols - 2)
    v = min(max(fr - r, 0.0), 1.0)
    u = min(max(fc - c, 0.0), 1.0)
    top = elev[r, c] * (1 - u) + elev[r, c + 1] * u
    bottom = elev[r + 1, c] * (1 - u) + elev[r + 1, c + 1] * u
    return top * (1 - v) + bottom * v


def ref_window(elev, r0, c0, h_tx, radius, cell, f_mhz, h_rx, k_factor, model, radius_m=None):
    """Pure-Python path loss window (float64) from radial terrain profiles.

    Rays go from the site to every perimeter cell of the (2R+1)² square. Sample i = 1..R
    of a ray lies at (r0 + i·dr/R, c0 + i·dc/R), terrain interpolated bilinearly; the ray
    stops at the grid edge. Along the ray the dominant edge for a receiver is the earlier
    sample seen at the highest elevation angle (earth bulge d²/2a_e); the loss is free
    space over the 3-D distance plus J(ν) of that edge (model 0), or +inf when the edge
    pokes above the direct line (model 1). A window cell takes the value of the sample
    closest to its centre, if that centre is within ``radius_m`` (ties: the earlier ray).
    """
    radius_m = radius * cell if radius_m is None else radius_m
    n_rows, n_cols = elev.shape
    a_eff = k_factor * EARTH_RADIUS_M
    lam = C_M_S / (f_mhz * 1e6)
    z_tx = float(elev[r0, c0]) + h_tx
    out = np.full((2 * radius + 1, 2 * radius + 1), np.inf)
    best = np.full(out.shape, np.inf)
    out[radius, radius] = fspl_ref(math.hypot(0.5 * cell, h_rx - h_tx), f_mhz)
    best[radius, radius] = 0.0
    for dr_t, dc_t in ray_order(radius):
        step = cell * math.hypot(dr_t, dc_t) / radius
        edge = None  # (slope, distance, height) of the dominant edge so far
        for i in range(1, radius + 1):
            fr, fc = r0 + i * dr_t / radius, c0 + i * dc_t / radius
            if fr < -0.5 or fr > n_rows - 0.5 or fc < -0.5 or fc > n_cols - 0.5:
                break
            d = i * step
            z = bilinear_ref(elev, fr, fc) - d * d / (2.0 * a_eff)
            z_rx = z + h_rx
            loss = fspl_ref(math.hypot(d, z_rx - z_tx), f_mhz)
            if edge is not None:
                _, d1, z1 = edge
                clearance = z1 - (z_tx + (z_rx - z_tx) * d1 / d)  # edge above the direct ray
                if model == LOS:
                    if clearance > 0.0:
                        loss = math.inf
                elif d > d1:
                    loss += j_ref(nu_ref(clearance, d1, d - d1, lam))
            a, b = round(i * dr_t / radius), round(i * dc_t / radius)
            if (a * a + b * b) * (cell * cell) <= radius_m * radius_m * (1.0 + 1e-12):
                off = (i * dr_t / radius - a) ** 2 + (i * dc_t / radius - b) ** 2
                if off < best[radius + a, radius + b]:
                    best[radius + a, radius + b] = off
                    out[radius + a, radius + b] = loss
            slope = (z - z_tx) / d
            if edge is None or slope > edge[0]:
                edge = (slope, d, z)
    return out


def kernel_window(elev, r0, c0, h_tx, radius, cell, f_mhz, h_rx, k_factor, model):
    """The numba kernel ``locations_windows`` (compiled for ``model`` alone, as the
    pipeline calls it) for one site, radius exactly R cells."""
    out = np.empty((1, 2 * radius + 1, 2 * radius + 1), dtype=np.float32)
    model_sweep(int(model))(
        np.ascontiguousarray(elev, dtype=np.float64),
        np.array([r0]),
        np.array([c0]),
        np.array([0, 1]),
        int(radius),
        float(radius * cell),
        float(cell),
        np.array([float(h_tx)]),
        float(h_rx),
        float(f_mhz),
        float(k_factor),
        np.zeros(0),
        np.full(1, np.inf),
        out,
    )
    return out[0].astype(np.float64)


def grid_of(elev, cell, population=None):
    """A Grid holding ``elev`` (all land), north-up, origin at the top-left corner."""
    elev = np.asarray(elev, dtype=np.float64)
    pop = np.zeros_like(elev) if population is None else population
    return finish_grid(
        elevation_m=elev,
        population=pop,
        people_input_total=float(pop.sum()),
        in_area=np.ones(elev.shape, bool),
        transform=Affine(cell, 0, 0, 0, -cell, cell * elev.shape[0]),
        crs="EPSG:32737",
        cell_size_m=cell,
        dem_voids="fill",
        max_void_fill_m=0.0,
        sea_level_m=-1e9,
        population_max_move_m=0.0,
        reprojected_from="",
        dem_name="test",
    )


def production_window(elev, r0, c0, h_tx, radius, cell, f_mhz, h_rx, k_factor, model):
    """The same window through the pipeline's entry point, ``site_loss_window``."""
    radio = RadioSettings(MODEL_NAMES[model], f_mhz, h_rx, k_factor, radius * cell)
    out = site_loss_window(grid_of(elev, cell), int(r0), int(c0), float(h_tx), radio)
    assert out.shape == (2 * radius + 1, 2 * radius + 1)
    return out.astype(np.float64)


# Properties that do not depend on how a window is filled are checked on both the
# kernel ``path_loss_window`` and the production path ``site_loss_window``.
WINDOWS = pytest.mark.parametrize(
    "window", [kernel_window, production_window], ids=["kernel", "site_loss_window"]
)


def random_terrain(rng, shape, relief=40.0):
    """Smooth hills plus roughness (continuous values: no exact ties in the angles)."""
    rows, cols = shape
    yy, xx = np.mgrid[0:rows, 0:cols].astype(float)
    z = 200.0 + rng.normal(0.0, relief / 8.0, shape)
    for _ in range(3):
        y0, x0 = rng.uniform(0, rows), rng.uniform(0, cols)
        s = rng.uniform(2.0, 8.0)
        z += rng.uniform(-relief, relief) * np.exp(-((yy - y0) ** 2 + (xx - x0) ** 2) / (2 * s * s))
    return z


def on_grid(window, shape, r0, c0):
    """The window with cells off the grid set to +inf (they are never used downstream;
    a sample exactly on the grid's outer edge may round onto them)."""
    radius = window.shape[0] // 2
    rr, cc = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    inside = (0 <= r0 + rr) & (r0 + rr < shape[0]) & (0 <= c0 + cc) & (c0 + cc < shape[1])
    return np.where(inside, window, np.inf)


def assert_windows_match(got, want, atol=1e-3):
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=0, atol=atol)


# --------------------------------------------------------------------------- ITU-R formulas


def test_knife_edge_matches_p526_eq31():
    for nu in np.linspace(-3.0, 10.0, 261):
        assert knife_edge_loss_db(float(nu)) == pytest.approx(j_ref(float(nu)), abs=1e-9)


def test_knife_edge_landmarks():
    # Grazing incidence: 6.9 + 20 log10(sqrt(1.01) - 0.1) = 6.03 dB (the textbook 6 dB).
    assert knife_edge_loss_db(0.0) == pytest.approx(6.02, abs=0.02)
    assert knife_edge_loss_db(-0.78) == 0.0
    assert knife_edge_loss_db(-0.78 - 1e-9) == 0.0
    assert knife_edge_loss_db(-5.0) == 0.0
    # Just above the cut-off eq. 31 is (almost) zero: no jump at the boundary.
    assert 0.0 < knife_edge_loss_db(-0.78 + 1e-9) < 0.01
    # Large ν: J ≈ 6.9 + 20 log10(2ν − 0.2).
    assert knife_edge_loss_db(20.0) == pytest.approx(6.9 + 20 * math.log10(39.8), abs=0.01)


def test_knife_edge_close_to_exact_fresnel_loss():
    """Eq. 31 approximates the Fresnel-integral loss (eq. 27) to about 0.12 dB."""
    nus = np.linspace(-0.7, 5.0, 400)
    got = np.array([knife_edge_loss_db(float(v)) for v in nus])
    np.testing.assert_allclose(got, j_fresnel(nus), atol=0.2)


@settings(max_examples=50, deadline=None)
@given(
    a=st.floats(-0.78, 50.0, allow_nan=False),
    b=st.floats(-0.78, 50.0, allow_nan=False),
)
def test_knife_edge_monotone_in_nu(a, b):
    lo, hi = min(a, b), max(a, b)
    assert knife_edge_loss_db(lo) <= knife_edge_loss_db(hi)
    if hi - lo > 1e-3:
        assert knife_edge_loss_db(lo) < knife_edge_loss_db(hi)


@pytest.mark.parametrize("f_mhz", [450.0, 700.0, 900.0, 1800.0, 2600.0, 3500.0])
@pytest.mark.parametrize("d_m", [1.0, 37.5, 1_000.0, 12_345.0, 80_000.0])
def test_free_space_loss_textbook(f_mhz, d_m):
    assert free_space_loss_db(d_m, f_mhz) == pytest.approx(fspl_textbook(d_m, f_mhz), abs=0.01)
    # Doubling the distance or the frequency adds 20 log10(2) = 6.02 dB.
    assert free_space_loss_db(2 * d_m, f_mhz) - free_space_loss_db(d_m, f_mhz) == pytest.approx(
        6.0206, abs=1e-4
    )
    assert free_space_loss_db(d_m, 2 * f_mhz) - free_space_loss_db(d_m, f_mhz) == pytest.approx(
        6.0206, abs=1e-4
    )


# --------------------------------------------------------------------------- reference window


@pytest.mark.parametrize("model", [KNIFE, LOS])
@pytest.mark.parametrize("seed", range(6))
def test_window_matches_python_reference(seed, model):
    rng = np.random.default_rng(1000 * seed + model)
    elev = random_terrain(rng, (25, 25))
    radius = 8
    sites = [(12, 12), (0, 0), (24, 3), (int(rng.integers(25)), int(rng.integers(25)))]
    for r0, c0 in sites:
        args = dict(
            h_tx=float(rng.uniform(2.0, 40.0)),
            radius=radius,
            cell=float(rng.uniform(20.0, 120.0)),
            f_mhz=float(rng.uniform(400.0, 3500.0)),
            h_rx=float(rng.uniform(0.5, 10.0)),
            k_factor=float(rng.choice([0.5, 4.0 / 3.0, 4.0])),
            model=model,
        )
        got = on_grid(kernel_window(elev, r0, c0, **args), elev.shape, r0, c0)
        want = on_grid(ref_window(elev, r0, c0, **args), elev.shape, r0, c0)
        assert_windows_match(got, want)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 20),
    cols=st.integers(1, 20),
    radius=st.integers(1, 10),
    model=st.sampled_from([KNIFE, LOS]),
    relief=st.floats(0.0, 200.0),
)
def test_window_matches_python_reference_hypothesis(seed, rows, cols, radius, model, relief):
    rng = np.random.default_rng(seed)
    elev = random_terrain(rng, (rows, cols), relief)
    r0, c0 = int(rng.integers(rows)), int(rng.integers(cols))
    args = dict(
        h_tx=float(rng.uniform(1.0, 60.0)),
        radius=radius,
        cell=float(rng.uniform(10.0, 200.0)),
        f_mhz=float(rng.uniform(100.0, 6000.0)),
        h_rx=float(rng.uniform(0.5, 20.0)),
        k_factor=float(rng.uniform(0.5, 5.0)),
        model=model,
    )
    assert_windows_match(
        on_grid(kernel_window(elev, r0, c0, **args), elev.shape, r0, c0),
        on_grid(ref_window(elev, r0, c0, **args), elev.shape, r0, c0),
        atol=2e-3,
    )


@pytest.mark.parametrize("seed", range(4))
def test_radial_profiles_are_exactly_the_bilinear_samples(seed):
    """The sweep samples one axis between two cells (the other is exact on a cell
    centre): the same float64 values as the 2-D bilinear formula, to the bit."""
    rng = np.random.default_rng(seed)
    elev = random_terrain(rng, (31, 23), relief=300.0)
    for radius in (1, 6, 13, 40):
        dr, dc = ray_targets(radius)
        for r0, c0 in ((15, 11), (0, 0), (30, 22), (2, 21), (int(rng.integers(31)), 5)):
            heights = np.full((dr.size, radius + 1), np.nan)
            n_valid = np.empty(dr.size, dtype=np.int64)
            radial_profiles(elev, r0, c0, radius, dr, dc, heights, n_valid)
            for j in range(dr.size):
                want = [float(elev[r0, c0])]
                for i in range(1, radius + 1):
                    fr, fc = r0 + i * dr[j] / radius, c0 + i * dc[j] / radius
                    if fr < -0.5 or fr > 30.5 or fc < -0.5 or fc > 22.5:
                        break
                    want.append(bilinear_ref(elev, fr, fc))
                assert n_valid[j] == len(want)
                assert heights[j, : n_valid[j]].tolist() == want


@pytest.mark.parametrize("knife_edge", [True, False])
def test_fspl_rays_written_to_the_window_match_the_per_ray_kernel(knife_edge):
    """The fused sweep (horizon pass, then owned samples only, one logarithm) gives the
    per-ray kernel's losses within float rounding, with the same blocked cells."""
    rng = np.random.default_rng(7 if knife_edge else 8)
    radius, cell = 40, 90.0
    dr, dc = ray_targets(radius)
    used = owned_samples(radius, radius * cell, cell, dr, dc)
    start, samples, cells = owned_cells(used, dr, dc, radius)
    lam = C_M_S / (900e6)
    a_e = 4 / 3 * EARTH_RADIUS_M
    per_ray = np.empty(radius + 1)
    horizon = np.empty((3, radius + 1))
    for _ in range(200):
        j = int(rng.integers(dr.size))
        z = 100.0 + np.cumsum(rng.normal(0.0, 15.0, radius + 1))
        n = int(rng.integers(2, radius + 2))
        step = cell * math.hypot(dr[j], dc[j]) / radius
        h_tx = float(rng.uniform(5.0, 60.0))
        ray_loss_fspl(z, step, n, used[j], h_tx, 1.5, 900.0, a_e, knife_edge, per_ray)
        window = np.full((2 * radius + 1) ** 2, np.nan)
        own = slice(start[j], start[j + 1])
        fspl_ray_to_window(
            z,
            step,
            n,
            samples[own],
            cells[own],
            h_tx,
            1.5,
            lam,
            20.0 * math.log10(4.0 * math.pi / lam),
            1.0 / (2.0 * a_e),
            knife_edge,
            horizon,
            window,
        )
        for i, k in zip(samples[own], cells[own], strict=True):
            if i >= n:
                assert math.isnan(window[k])  # past the grid's edge: left as it was
            elif math.isinf(per_ray[i]):
                assert math.isinf(window[k])
            else:
                assert abs(window[k] - per_ray[i]) < 1e-9


# --------------------------------------------------------------------------- analytic cases


def _disc_offsets(radius):
    dr, dc = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return dr, dc, dr**2 + dc**2 <= radius**2


# Flat ground where the knife-edge term vanishes: ν of the ground cell just before a
# receiver is at most −h_rx·sqrt(2/(λ·√2·cell)) = −10·sqrt(2/(0.15·42.4)) ≈ −5.6 < −0.78,
# so both models reduce to free space.
FLAT = dict(radius=12, cell=30.0, f_mhz=2000.0, h_tx=35.0, h_rx=10.0)


@pytest.mark.parametrize("model", [LOS, KNIFE])
def test_flat_terrain_is_free_space_of_3d_distance(model):
    radius, cell, f_mhz, h_tx, h_rx = (FLAT[k] for k in ("radius", "cell", "f_mhz", "h_tx", "h_rx"))
    elev = np.full((2 * radius + 1, 2 * radius + 1), 55.0)
    got = kernel_window(elev, radius, radius, h_tx, radius, cell, f_mhz, h_rx, FLAT_EARTH_K, model)
    dr, dc, disc = _disc_offsets(radius)
    dist = cell * np.hypot(dr, dc)
    dist[radius, radius] = 0.5 * cell  # the site's own cell: half a cell away
    assert np.isfinite(got[disc]).all()  # every cell of the disc is reached by some ray
    assert np.isinf(got[~disc]).all()
    # A cell holds the loss at the ray sample closest to its centre: at most half a cell
    # off along the ray's minor axis; exactly on the axes and diagonals.
    inner = disc.copy()
    inner[radius, radius] = False
    lo = fspl_array(np.maximum(dist - 0.5 * cell, 0.0), h_rx - h_tx, f_mhz)
    hi = fspl_array(dist + 0.5 * cell, h_rx - h_tx, f_mhz)
    assert (got[inner] >= lo[inner] - 1e-3).all() and (got[inner] <= hi[inner] + 1e-3).all()
    on_line = disc & ((dr == 0) | (dc == 0) | (np.abs(dr) == np.abs(dc)))
    exact = fspl_array(dist, h_rx - h_tx, f_mhz)
    np.testing.assert_allclose(got[on_line], exact[on_line], atol=1e-3)


@pytest.mark.parametrize("model", [LOS, KNIFE])
def test_flat_terrain_site_loss_window_is_free_space_within_a_sample(model):
    """site_loss_window gives each cell the loss at a ray sample inside that cell, so
    within √2/2 cell of its centre: between the free-space losses at d ∓ 0.71 cell,
    exact on the axes and diagonals (rays through cell centres)."""
    radius, cell, f_mhz, h_tx, h_rx = (FLAT[k] for k in ("radius", "cell", "f_mhz", "h_tx", "h_rx"))
    elev = np.full((2 * radius + 1, 2 * radius + 1), 55.0)
    got = production_window(
        elev, radius, radius, h_tx, radius, cell, f_mhz, h_rx, FLAT_EARTH_K, model
    )
    dr, dc, _ = _disc_offsets(radius)
    dist = cell * np.hypot(dr, dc)
    slack = 0.71 * cell
    assert np.isfinite(got[dist <= (radius - 0.71) * cell]).all()
    assert np.isinf(got[dist > (radius + 0.71) * cell]).all()
    assert got[radius, radius] == pytest.approx(
        fspl_ref(math.hypot(0.5 * cell, h_rx - h_tx), f_mhz), abs=1e-3
    )
    fin = np.isfinite(got)
    fin[radius, radius] = False
    lo = fspl_array(np.maximum(dist - slack, 0.0), h_rx - h_tx, f_mhz)
    hi = fspl_array(dist + slack, h_rx - h_tx, f_mhz)
    assert (got[fin] >= lo[fin] - 1e-3).all()
    assert (got[fin] <= hi[fin] + 1e-3).all()
    on_line = fin & ((dr == 0) | (dc == 0) | (np.abs(dr) == np.abs(dc)))
    exact = fspl_array(dist, h_rx - h_tx, f_mhz)
    np.testing.assert_allclose(got[on_line], exact[on_line], atol=1e-3)


@WINDOWS
def test_flat_terrain_knife_edge_of_the_ground_in_front_of_the_receiver(window):
    """Model 0 on flat ground with a 1.5 m receiver: the ground cell just before the
    receiver is the dominant edge (it has the highest elevation angle seen from the
    mast), h = −1.5 − 28.5·cell/d below the ray, and its J(ν) is not zero (ν > −0.78
    beyond ~20 cells): flat open ground costs up to ~2.8 dB over free space."""
    radius, cell, f_mhz, h_tx, h_rx = 150, 90.0, 900.0, 30.0, 1.5
    lam = C_M_S / (f_mhz * 1e6)
    elev = np.zeros((3, radius + 1))
    got = window(elev, 1, 0, h_tx, radius, cell, f_mhz, h_rx, FLAT_EARTH_K, KNIFE)
    got = got[radius, radius:]
    extra = []
    for n in range(1, radius + 1):
        d = n * cell
        free = fspl_ref(math.hypot(d, h_rx - h_tx), f_mhz)
        if n == 1:
            want = free
        else:
            d1 = d - cell
            ray_at_d1 = h_tx + (h_rx - h_tx) * d1 / d
            want = free + j_ref(nu_ref(0.0 - ray_at_d1, d1, cell, lam))
        assert got[n] == pytest.approx(want, abs=1e-3)
        extra.append(want - free)
    assert max(extra) > 2.0  # the ground term is not negligible at 900 MHz / 90 m cells


@WINDOWS
@pytest.mark.parametrize(
    "wall_m, rx_col",
    [(40.0, 25), (40.0, 40), (25.0, 18), (12.0, 30), (12.5, 30), (15.0, 45), (60.0, 17)],
)
def test_single_wall_is_one_knife_edge(window, wall_m, rx_col):
    """A column-wide wall across flat ground: loss = FSPL(3-D distance) + J(ν) of the wall."""
    cell, f_mhz, h_tx, h_rx, ground = 50.0, 900.0, 20.0, 2.0, 100.0
    lam = C_M_S / (f_mhz * 1e6)
    site_row, site_col, wall_col = 10, 5, 15
    elev = np.full((21, 50), ground)
    elev[:, wall_col] = ground + wall_m
    radius = 44
    d = (rx_col - site_col) * cell
    d1 = (wall_col - site_col) * cell
    # Precondition: the wall is seen higher than any ground cell between it and the receiver.
    assert (wall_m - h_tx) / d1 > -h_tx / (d - cell)
    h = wall_m - (h_tx + (h_rx - h_tx) * d1 / d)  # wall top above the direct ray
    nu = h * math.sqrt(2 * (d1 + (d - d1)) / (lam * d1 * (d - d1)))
    want = fspl_textbook(math.hypot(d, h_rx - h_tx), f_mhz) + j_ref(nu)
    args = (elev, site_row, site_col, h_tx, radius, cell, f_mhz, h_rx, FLAT_EARTH_K)
    got = window(*args, KNIFE)
    assert got[radius, radius + rx_col - site_col] == pytest.approx(want, abs=0.05)
    # LOS model: blocked exactly when the wall top is above the direct ray.
    got_los = window(*args, LOS)
    assert np.isinf(got_los[radius, radius + rx_col - site_col]) == (h > 0)


@WINDOWS
def test_bump_near_the_mast_takes_over_as_dominant_edge_and_lowers_loss(window):
    """The edge is picked by elevation angle, not by ν: a hand-built 1-D profile.

    Site at x=0 (mast 10 m), receiver 1.5 m at 1000 m, flat ground at 0, 100 m cells.
    Before: a 5 m bump at 900 m, h = 5 − 2.35 = 2.65 m above the ray, ν ≈ 0.69.
    After adding a 9.6 m bump at 100 m: it is seen higher from the mast (slope −0.004 >
    −0.0056) so it becomes the edge, h = 9.6 − 9.15 = 0.45 m, ν ≈ 0.12; the 900 m bump
    is ignored and the loss *drops* by ~4.7 dB although an obstacle was added. This is
    why "raising terrain never lowers the loss" does not hold for model 0 (see
    test_raising_the_dominant_edge_never_lowers_loss for the variant that does).
    """
    cell, f_mhz, h_tx, h_rx = 100.0, 900.0, 10.0, 1.5
    lam = C_M_S / (f_mhz * 1e6)
    elev = np.zeros((3, 11))
    elev[1, 9] = 5.0

    def at_rx(e):
        return window(e, 1, 0, h_tx, 10, cell, f_mhz, h_rx, FLAT_EARTH_K, KNIFE)[10, 20]

    free = fspl_ref(math.hypot(1000.0, h_rx - h_tx), f_mhz)
    before = at_rx(elev)
    assert before == pytest.approx(free + j_ref(nu_ref(5.0 - 2.35, 900.0, 100.0, lam)), abs=0.01)
    elev[1, 1] = 9.6
    after = at_rx(elev)
    assert after == pytest.approx(free + j_ref(nu_ref(9.6 - 9.15, 100.0, 900.0, lam)), abs=0.01)
    assert after < before - 4.0


# --------------------------------------------------------------------------- properties


@WINDOWS
@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    radius=st.integers(2, 12),
    h_tx=st.floats(1.0, 60.0),
    raise_by=st.floats(0.5, 80.0),
    k_factor=st.floats(0.5, 4.0),
)
def test_taller_mast_never_shrinks_line_of_sight(window, seed, radius, h_tx, raise_by, k_factor):
    # LOS at a cell: (z_rx − z_tx)/d ≥ (z_j − z_tx)/d_j for every earlier point j (d_j < d).
    # Raising z_tx by δ lowers the left side by δ/d and the right side by δ/d_j > δ/d.
    rng = np.random.default_rng(seed)
    n = 2 * radius + 5
    elev = random_terrain(rng, (n, n), relief=100.0)
    r0, c0 = int(rng.integers(n)), int(rng.integers(n))
    args = dict(radius=radius, cell=50.0, f_mhz=900.0, h_rx=1.5, k_factor=k_factor, model=LOS)
    low = window(elev, r0, c0, h_tx, **args)
    high = window(elev, r0, c0, h_tx + raise_by, **args)
    assert np.isfinite(low).any()
    lost = np.isfinite(low) & ~np.isfinite(high)
    assert not lost.any()


@WINDOWS
@settings(max_examples=30, deadline=None)
@given(
    ground=st.floats(-50.0, 3000.0),
    radius=st.integers(1, 20),
    cell=st.floats(10.0, 100.0),
    f_mhz=st.floats(100.0, 6000.0),
    h_rx=st.floats(0.5, 10.0),
    extra_tx=st.floats(0.0, 60.0),
    k_factor=st.one_of(st.floats(1.0, 10.0), st.just(FLAT_EARTH_K)),
    model=st.sampled_from([KNIFE, LOS]),
)
def test_flat_ground_loss_never_decreases_with_distance(
    window, ground, radius, cell, f_mhz, h_rx, extra_tx, k_factor, model
):
    # Holds for h_tx ≥ h_rx inside the radio horizon (here ≥ 3.5 km > R·cell ≤ 2 km): the
    # dominant edge is the previous ground cell, its clearance below the ray
    # h_rx + (h_tx − h_rx)·cell/d and the factor sqrt(d/(d − cell)) both shrink with d,
    # so ν and J(ν) grow, and so does the 3-D distance.
    h_tx = max(1.0, h_rx + extra_tx)
    n = 2 * radius + 1
    elev = np.full((n, n), ground)
    got = window(elev, radius, radius, h_tx, radius, cell, f_mhz, h_rx, k_factor, model)
    centre = radius
    for line in (
        got[centre, centre:],
        got[centre, centre::-1],
        got[centre:, centre],
        got[centre::-1, centre],
    ):
        assert np.isfinite(line).all()
        assert (line[1:] >= line[:-1] - 1e-4).all(), line


@pytest.mark.parametrize(
    "window, spread",
    [(kernel_window, 1), (production_window, 1)],
    ids=["kernel", "site_loss_window"],
)
@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    radius=st.integers(2, 10),
    raise_by=st.floats(0.1, 100.0),
    h_tx=st.floats(2.0, 40.0),
)
def test_obstacle_never_lowers_loss_los_model(window, spread, seed, radius, raise_by, h_tx):
    """Model 1: raising one cell (not the site's) never lowers the loss at another cell.

    Per ray, a raised cell only raises the running maximum slope seen by the points
    behind it, so LOS can only be lost; where it stays the value is the same free-space
    loss (it depends on the receiver's own ground height only). The radial profiles
    interpolate the terrain bilinearly, so the receivers whose ground height moves
    are the raised cell and its 8 neighbours (``spread`` = 1): those are left out.
    """
    rng = np.random.default_rng(seed)
    n = 2 * radius + 3
    elev = random_terrain(rng, (n, n), relief=60.0)
    r0, c0 = int(rng.integers(n)), int(rng.integers(n))
    rr, cc = int(rng.integers(n)), int(rng.integers(n))
    assume(max(abs(rr - r0), abs(cc - c0)) > spread)
    args = dict(radius=radius, cell=40.0, f_mhz=900.0, h_rx=1.5, k_factor=4 / 3, model=LOS)
    before = window(elev, r0, c0, h_tx, **args)
    raised = elev.copy()
    raised[rr, cc] += raise_by
    after = window(raised, r0, c0, h_tx, **args)
    others = np.ones(before.shape, bool)
    wr, wc = rr - r0 + radius, cc - c0 + radius
    others[
        max(0, wr - spread) : max(0, wr + spread + 1), max(0, wc - spread) : max(0, wc + spread + 1)
    ] = False
    assert (after[others] >= before[others] - 1e-4).all()


def _edge_index(profile, j, z_tx, cell, a_eff):
    """Index of the dominant edge (highest angle from the mast, first on ties) before j."""
    d = cell * np.arange(j)
    slopes = (profile[1:j] - d[1:] ** 2 / (2 * a_eff) - z_tx) / d[1:]
    return 1 + int(np.argmax(slopes)), float(slopes.max())


@WINDOWS
@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(4, 40),
    raise_by=st.floats(0.01, 50.0),
    raise_dominant=st.booleans(),
    k_factor=st.floats(0.5, 4.0),
)
def test_raising_the_dominant_edge_never_lowers_loss(
    window, seed, n, raise_by, raise_dominant, k_factor
):
    """Model 0, the monotone variant of "an obstacle never lowers the loss".

    The full property is false for model 0 (see the hand-built counterexample above):
    raising a cell can make it the new dominant edge (highest elevation angle) while its
    ν is smaller than that of the old edge, e.g. a bump near the mast replacing a ridge
    right in front of the receiver. What does hold, receiver by receiver along a 1-D
    profile: (i) cells nearer the site than the raised one do not change; (ii) where the
    raised cell was already the dominant edge, h and ν grow, so the loss cannot drop;
    (iii) where it stays below the dominant edge's angle, nothing changes.
    """
    rng = np.random.default_rng(seed)
    cell, f_mhz, h_tx, h_rx = 60.0, 900.0, 15.0, 1.5
    a_eff = k_factor * EARTH_RADIUS_M
    profile = 100.0 + np.cumsum(rng.normal(0.0, 4.0, n))
    z_tx = profile[0] + h_tx
    radius = n - 1
    if raise_dominant:
        k = _edge_index(profile, n - 1, z_tx, cell, a_eff)[0]
    else:
        k = int(rng.integers(1, n - 1))
    raised = profile.copy()
    raised[k] += raise_by

    def row_loss(p):
        # The profile on the middle row of a 3-row grid: the row's cells are reached by
        # the ray along the row only, through cell centres (a pure 1-D path).
        elev = np.tile(profile, (3, 1))
        elev[1] = p
        w = window(elev, 1, 0, h_tx, radius, cell, f_mhz, h_rx, k_factor, KNIFE)
        return w[radius, radius:]

    before, after = row_loss(profile), row_loss(raised)
    assert (after[:k] == before[:k]).all()
    d_k = k * cell
    new_slope_k = (raised[k] - d_k**2 / (2 * a_eff) - z_tx) / d_k
    for j in range(k + 1, n):
        old_edge, old_slope = _edge_index(profile, j, z_tx, cell, a_eff)
        if old_edge == k:
            assert after[j] >= before[j] - 1e-4
        elif new_slope_k < old_slope - 1e-12:
            assert after[j] == pytest.approx(before[j], abs=1e-4)


# --------------------------------------------------------------------------- sparse coverage


def small_grid(seed, shape=(26, 31), cell=60.0):
    rng = np.random.default_rng(seed)
    pop = rng.gamma(0.7, 4.0, shape)
    pop[rng.random(shape) < 0.35] = 0.0
    return grid_of(random_terrain(rng, shape, relief=80.0), cell, pop)


def _demand_ids(grid):
    demand_id = np.full(grid.shape, -1, dtype=np.int64)
    has = grid.population > 0
    demand_id[has] = np.arange(int(has.sum()))
    return demand_id


def _options(grid, rng, n_loc):
    """Options as the pipeline lists them: 1-3 antenna heights per location, adjacent;
    locations on corners and edges; plus one location listed again further down."""
    n_rows, n_cols = grid.shape
    locs = [(0, 0), (n_rows - 1, n_cols - 1), (3, n_cols - 2)]
    locs += [(int(rng.integers(n_rows)), int(rng.integers(n_cols))) for _ in range(n_loc - 3)]
    locs.append(locs[1])
    rows, cols, h_tx = [], [], []
    for r, c in locs:
        for h in sorted(rng.uniform(5.0, 40.0, int(rng.integers(1, 4)))):
            rows.append(r)
            cols.append(c)
            h_tx.append(h)
    return np.array(rows, np.int64), np.array(cols, np.int64), np.array(h_tx)


def _covered_from_window(window, row, col, budget, demand_id):
    half = window.shape[0] // 2
    out = set()
    for a in range(window.shape[0]):
        for b in range(window.shape[1]):
            r, c = row + a - half, col + b - half
            if 0 <= r < demand_id.shape[0] and 0 <= c < demand_id.shape[1]:
                if demand_id[r, c] >= 0 and window[a, b] <= budget:
                    out.add(int(demand_id[r, c]))
    return out


@pytest.mark.parametrize("model", [KNIFE, LOS])
def test_covered_demand_rows_match_windows_and_chunking(model, monkeypatch):
    grid = small_grid(7 + model)
    rng = np.random.default_rng(11 + model)
    demand_id = _demand_ids(grid)
    rows, cols, h_tx = _options(grid, rng, 7)
    n = rows.size
    radio = RadioSettings(MODEL_NAMES[model], 900.0, 1.5, 4 / 3, radius_m=7.3 * grid.cell_size_m)
    radius = 8  # ceil(7.3)
    windows = [site_loss_window(grid, rows[i], cols[i], h_tx[i], radio) for i in range(n)]
    assert all(w.shape == (2 * radius + 1, 2 * radius + 1) for w in windows)
    # Budgets: every other one sits exactly on a loss of the window (that cell counts: ≤).
    max_loss = np.empty(n)
    for i, w in enumerate(windows):
        vals = np.unique(w[np.isfinite(w)])
        max_loss[i] = float(vals[len(vals) // 2]) if i % 2 else float(rng.uniform(80, 110))

    cov = covered_demand(grid, rows, cols, h_tx, max_loss, demand_id, radio)
    assert cov.indptr.shape == (n + 1,) and cov.indptr[0] == 0
    assert cov.indptr[-1] == cov.indices.size
    sizes = np.diff(cov.indptr)
    assert (sizes > 0).any() and (sizes < (demand_id >= 0).sum()).all()
    for i in range(n):
        row = cov.indices[cov.indptr[i] : cov.indptr[i + 1]].tolist()
        assert len(row) == len(set(row))
        assert set(row) == _covered_from_window(
            windows[i], rows[i], cols[i], max_loss[i], demand_id
        )

    w = 2 * radius + 1
    for chunk_bytes in (1, w * w * 4 * 2, w * w * 4 * 5):
        monkeypatch.setattr(pta, "_WINDOW_BYTES_PER_CHUNK", chunk_bytes)
        again = covered_demand(grid, rows, cols, h_tx, max_loss, demand_id, radio)
        np.testing.assert_array_equal(again.indptr, cov.indptr)
        np.testing.assert_array_equal(again.indices, cov.indices)


@pytest.mark.parametrize("model", [KNIFE, LOS])
def test_covered_demand_on_flat_ground_is_a_disc(model):
    """Kernel-independent check: on flat ground (no bulge, ν < −0.78) the loss is free
    space, so a budget equal to FSPL at distance D covers the demand cells within D,
    give or take the √2/2 cell between a cell centre and the sample it takes."""
    radius, cell, f_mhz, h_tx, h_rx = (FLAT[k] for k in ("radius", "cell", "f_mhz", "h_tx", "h_rx"))
    shape = (30, 34)
    pop = np.ones(shape)
    pop[::3, ::2] = 0.0
    grid = grid_of(np.full(shape, 10.0), cell, pop)
    demand_id = _demand_ids(grid)
    rows, cols = np.array([0, 15, 29, 15]), np.array([0, 17, 30, 17])
    reach_m = np.array([150.0, 200.0, 250.0, 40.0])
    budgets = np.array([fspl_ref(math.hypot(r, h_rx - h_tx), f_mhz) for r in reach_m])
    radio = RadioSettings(MODEL_NAMES[model], f_mhz, h_rx, FLAT_EARTH_K, radius * cell)
    cov = covered_demand(grid, rows, cols, np.full(4, h_tx), budgets, demand_id, radio)
    rr, cc = np.mgrid[0 : shape[0], 0 : shape[1]]
    for i in range(4):
        got = set(cov.indices[cov.indptr[i] : cov.indptr[i + 1]].tolist())
        dist = cell * np.hypot(rr - rows[i], cc - cols[i])
        dist[rows[i], cols[i]] = 0.5 * cell
        inside = set(demand_id[(dist + 0.71 * cell <= reach_m[i]) & (demand_id >= 0)].tolist())
        maybe = set(demand_id[(dist - 0.71 * cell <= reach_m[i]) & (demand_id >= 0)].tolist())
        assert inside <= got <= maybe
        assert inside


def test_covered_demand_no_sites():
    grid = small_grid(3)
    radio = RadioSettings("fspl-los", 900.0, 1.5, 4 / 3, radius_m=300.0)
    empty_i = np.empty(0, dtype=np.int64)
    cov = covered_demand(grid, empty_i, empty_i, np.empty(0), np.empty(0), _demand_ids(grid), radio)
    np.testing.assert_array_equal(cov.indptr, [0])
    assert cov.indices.size == 0


# --------------------------------------------------------------------------- link budget


def test_max_path_loss_uplink_limited():
    common = dict(
        eirp_dbm=56.0,  # downlink: 56 + 0 − (−100) = 156 dB
        rx_antenna_gain_dbi=0.0,
        rx_threshold_dbm=-100.0,
        ue_tx_power_dbm=23.0,  # uplink: 23 + 15 − 2 − (−110) = 146 dB
        bs_antenna_gain_dbi=15.0,
        bs_cable_loss_db=2.0,
        bs_sensitivity_dbm=-110.0,
    )
    assert max_path_loss_db(**common, check_uplink=True) == pytest.approx(146.0)
    assert max_path_loss_db(**common, check_uplink=False) == pytest.approx(156.0)
    assert max_path_loss_db(
        **common, check_uplink=True, fade_margin_db=8.0, clutter_loss_db=10.0
    ) == pytest.approx(146.0 - 18.0)
    assert max_path_loss_db(
        **common, check_uplink=False, fade_margin_db=8.0, clutter_loss_db=10.0
    ) == pytest.approx(156.0 - 18.0)


def test_max_path_loss_downlink_limited():
    # downlink: 40 + 2 − (−95) = 137 dB; uplink: 30 + 18 − 0.5 − (−120) = 167.5 dB
    got = max_path_loss_db(
        eirp_dbm=40.0,
        rx_antenna_gain_dbi=2.0,
        rx_threshold_dbm=-95.0,
        ue_tx_power_dbm=30.0,
        bs_antenna_gain_dbi=18.0,
        bs_cable_loss_db=0.5,
        bs_sensitivity_dbm=-120.0,
        check_uplink=True,
        fade_margin_db=3.0,
        clutter_loss_db=1.5,
    )
    assert got == pytest.approx(137.0 - 4.5)
