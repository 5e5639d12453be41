"""Incremental (delta-)Bullington along a ray against the point-to-point kernels.

The radial kernel answers the maxima of P.1812-6 §4.3 from running maxima, convex
hulls and closed forms; the point-to-point kernels (validated against the ITU-R
P.1812 reference profiles in test_diffraction.py) read the whole profile to each
cell. Both must give the same loss at every sample, and the hull queries must equal
brute force over every point.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rural_plan.propagation._bullington_ray import (
    hull_max_linear,
    hull_max_slope_from,
    hull_push,
    ray_loss_bullington,
)
from rural_plan.propagation._diffraction import bullington_loss_db, delta_bullington_loss_db
from rural_plan.propagation._kernels import free_space_loss_db
from rural_plan.units import EARTH_RADIUS_M


def per_cell_reference(z, step, n, used, h_tx, h_rx, f_mhz, a_e, delta, pol):
    """Free space plus the point-to-point kernel on the profile from the site to each sample."""
    out = np.empty(n)
    scratch = np.empty(32)
    dist = np.arange(n) * step
    for i in range(1, n):
        if not used[i]:
            out[i] = np.inf
            continue
        loss = free_space_loss_db(math.hypot(dist[i], z[i] + h_rx - z[0] - h_tx), f_mhz)
        if i >= 2:
            d, h = dist[: i + 1], z[: i + 1]
            if delta:
                loss += delta_bullington_loss_db(d, h, h_tx, h_rx, f_mhz, a_e, 0.0, pol, scratch)
            else:
                loss += bullington_loss_db(d, h, h_tx, h_rx, f_mhz, a_e, scratch)
        out[i] = loss
    return out


def terrain(rng, kind, n, step):
    """Rough hills, near-flat integer ground (ties, grazing paths), or a falling slope (LoS)."""
    if kind == "hills":
        return 100.0 + np.cumsum(rng.normal(0.0, 15.0, n))
    if kind == "flat":
        return np.round(rng.uniform(0.0, 5.0, n))
    return 500.0 - np.arange(n) * step * rng.uniform(0.0, 0.05) + rng.normal(0.0, 2.0, n)


def assert_ray_matches(rng, kind, delta, n, step):
    z = terrain(rng, kind, n, step)
    used = rng.random(n) < 0.8
    args = (
        z,
        step,
        n,
        used,
        float(rng.uniform(2.0, 80.0)),
        float(rng.uniform(0.5, 20.0)),
        float(rng.uniform(100.0, 6000.0)),
        float(rng.uniform(0.5, 5.0)) * EARTH_RADIUS_M,
        delta,
        int(rng.integers(1, 3)),
    )
    got = np.empty(n)
    ray_loss_bullington(*args, np.inf, got)
    want = per_cell_reference(*args)
    np.testing.assert_array_equal(np.isinf(got[1:]), np.isinf(want[1:]))
    finite = np.isfinite(want[1:])
    np.testing.assert_allclose(got[1:][finite], want[1:][finite], rtol=0.0, atol=1e-9)
    return want[1:][finite]


@pytest.mark.parametrize("delta", [False, True], ids=["bullington", "delta-bullington"])
@pytest.mark.parametrize("kind", ["hills", "flat", "slope"])
def test_ray_equals_point_to_point_on_every_prefix(kind, delta):
    rng = np.random.default_rng(hash((kind, delta)) % 2**32)
    losses = []
    for _ in range(60):
        n = int(rng.integers(2, 170))
        losses.append(assert_ray_matches(rng, kind, delta, n, float(rng.uniform(20.0, 130.0))))
    losses = np.concatenate(losses)
    # The cases exercise the diffraction term, not only free space.
    assert losses.size > 1000


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["hills", "flat", "slope"]),
    delta=st.booleans(),
    n=st.integers(2, 120),
    step=st.floats(5.0, 200.0),
)
def test_ray_equals_point_to_point_hypothesis(seed, kind, delta, n, step):
    assert_ray_matches(np.random.default_rng(seed), kind, delta, n, step)


def test_grazing_line_of_sight_paths_take_the_exact_nu():
    """A ridge just under the Tx-Rx ray (ν between -0.78 and 0): J(ν) > 0 from the scan."""
    n, step = 60, 100.0
    z = np.zeros(n)
    z[30] = 14.0  # ray from 20 m to ~20 m: the ridge is 6 m below it, within 0.78 Fresnel
    used = np.ones(n, dtype=np.bool_)
    got = np.empty(n)
    ray_loss_bullington(z, step, n, used, 20.0, 20.0, 900.0, 1e12, False, 1, np.inf, got)
    want = per_cell_reference(z, step, n, used, 20.0, 20.0, 900.0, 1e12, False, 1)
    fs = free_space_loss_db(59 * step, 900.0)
    assert 0.0 < got[59] - fs < 10.0  # ν ≈ −0.38: J ≈ 2.9 dB, L_bull ≈ 6.7 dB
    assert got[59] == pytest.approx(want[59], abs=1e-9)


def _hull(points_x, points_y):
    hx = np.empty(points_x.size)
    hy = np.empty(points_x.size)
    m = 0
    for x, y in zip(points_x, points_y, strict=True):
        m = hull_push(hx, hy, m, float(x), float(y))
    return hx, hy, m


@settings(max_examples=200, deadline=None)
@given(
    ys=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=40),
    s=st.floats(-50.0, 50.0),
    x_gap=st.floats(0.01, 500.0),
    y_p=st.floats(-2e3, 2e3),
)
def test_hull_queries_equal_brute_force(ys, s, x_gap, y_p):
    x = np.arange(1, len(ys) + 1, dtype=float) * 3.0
    y = np.array(ys)
    hx, hy, m = _hull(x, y)
    assert 1 <= m <= x.size
    want_linear = np.max(y + s * x)
    assert hull_max_linear(hx, hy, m, s) == pytest.approx(want_linear, rel=1e-12, abs=1e-9)
    x_p = x[-1] + x_gap
    want_slope = np.max((y - y_p) / (x_p - x))
    got_slope = hull_max_slope_from(hx, hy, m, x_p, y_p)
    assert got_slope == pytest.approx(want_slope, rel=1e-9, abs=1e-9)


def test_hull_drops_points_under_the_chain():
    hx, hy, m = _hull(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([0.0, 5.0, 1.0, 6.0, 0.0]))
    # (3, 1) lies under the segment (2, 5)-(4, 6); (2, 5) stays, above (1, 0)-(4, 6).
    assert list(zip(hx[:m], hy[:m], strict=True)) == [
        (1.0, 0.0),
        (2.0, 5.0),
        (4.0, 6.0),
        (5.0, 0.0),
    ]


@pytest.mark.parametrize(
    ("model", "params", "delta", "pol"),
    [("bullington", [0.0], False, 1), ("delta-bullington", [2.0], True, 2)],
)
def test_radial_dispatch_reaches_the_incremental_kernel(model, params, delta, pol):
    """``ray_losses`` (the sweep's dispatch) passes the scenario's polarisation through."""
    from rural_plan.propagation._kernels import MODEL_BULLINGTON, MODEL_DELTA_BULLINGTON
    from rural_plan.propagation._radial import ray_losses

    code = MODEL_DELTA_BULLINGTON if delta else MODEL_BULLINGTON
    rng = np.random.default_rng(7)
    # Low, near-flat ground at 100 MHz over 22 km: the spherical-earth term (the one that
    # depends on polarisation) is not zero.
    n, step, k, f = 170, 130.0, 4.0 / 3.0, 100.0
    z = terrain(rng, "flat", n, step)
    used = rng.random(n) < 0.9
    got = np.empty(n)
    ray_losses(code, z, step, n, used, 10.0, 1.5, f, k, np.array(params), got)
    want = per_cell_reference(z, step, n, used, 10.0, 1.5, f, k * EARTH_RADIUS_M, delta, pol)
    finite = np.isfinite(want[1:])
    np.testing.assert_allclose(got[1:][finite], want[1:][finite], rtol=0.0, atol=1e-9)
    # Vertical and horizontal differ here, so a dropped polarisation would be seen.
    if delta:
        other = per_cell_reference(z, step, n, used, 10.0, 1.5, f, k * EARTH_RADIUS_M, True, 1)
        assert np.max(np.abs(other[1:][finite] - want[1:][finite])) > 1e-6


@settings(max_examples=300, deadline=None)
@given(
    i=st.integers(2, 300),
    step=st.floats(5.0, 200.0),
    k=st.floats(0.3, 5.0),
    f_mhz=st.floats(30.0, 6000.0),
    over=st.floats(0.0, 2000.0),
    other=st.floats(0.0, 2000.0),
    swap=st.booleans(),
)
def test_zero_profile_nu_by_bisection_is_the_scans(i, step, k, f_mhz, over, other, swap):
    """ν_max over the zero-height profile of L_bulls by binary search (ν unimodal when a
    terminal is at least d²/(2a) high) is the very float of the scan over every sample."""
    from rural_plan.propagation._bullington_ray import _nu_los_scan, _nu_los_zero

    inv_2a = 1.0 / (2.0 * k * EARTH_RADIUS_M)
    d = i * step
    h_high, h_low = d * d * inv_2a + over, other
    h_te, h_re = (h_low, h_high) if swap else (h_high, h_low)
    lam = 299792458.0 / (f_mhz * 1e6)
    want = _nu_los_scan(np.zeros(i + 1), step, i, True, h_te, h_re, lam, inv_2a)
    assert _nu_los_zero(step, i, h_te, h_re, lam, inv_2a) == want


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["hills", "flat", "slope"]),
    i=st.integers(2, 200),
    step=st.floats(5.0, 200.0),
    h_tx=st.floats(0.0, 100.0),
    h_rx=st.floats(0.0, 100.0),
    f_mhz=st.floats(30.0, 6000.0),
    start=st.floats(0.0, 1.0),
)
def test_pruned_nu_scan_is_the_full_scans(seed, kind, i, step, h_tx, h_rx, f_mhz, start):
    """ν_max of eq. (15) skipping samples whose clearance bound cannot win is the very
    float of the scan over every sample, whatever sample it starts from."""
    from rural_plan.propagation._bullington_ray import _nu_los_pruned, _nu_los_scan

    z = terrain(np.random.default_rng(seed), kind, i + 1, step)
    inv_2a = 1.0 / (2.0 * 4.0 / 3.0 * EARTH_RADIUS_M)
    lam = 299792458.0 / (f_mhz * 1e6)
    h_ts, h_rs = z[0] + h_tx, z[i] + h_rx
    j0 = 1 + int(start * (i - 2))
    want = _nu_los_scan(z, step, i, False, h_ts, h_rs, lam, inv_2a)
    assert _nu_los_pruned(z, step, i, j0, h_ts, h_rs, lam, inv_2a) == want
