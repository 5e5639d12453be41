"""The planning sweep's early exit: past an option's loss cap the diffraction terms that
can only add loss are skipped, and the covered cells stay exactly those of the full sweep.

Bullington, delta-Bullington and Deygout are sums of terms ≥ 0 (free space, L_bulla,
max(L_dsph − L_bulls, 0); J(ν) and Deygout's corrections), so a cell whose partial sum
is above the cap keeps that partial sum, a lower bound of its loss above the cap. Checked
here: at or below the cap every loss is the very float of the uncapped kernel; above it
the value lies between the cap and the loss; and :func:`covered_demand` (which derives
the caps from the budgets, patterns and clutter) covers the same cells as the coverage
test applied to the full windows, with budgets placed exactly on a cell's total loss.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rural_plan.propagation._bullington_ray import ray_loss_bullington
from rural_plan.propagation._kernels import MODEL_DEYGOUT
from rural_plan.propagation._radial import covered_cells, ray_losses, ray_losses_capped
from rural_plan.propagation.point_to_area import (
    RadioSettings,
    _location_runs,
    _windows,
    covered_demand,
    loss_caps,
    point_to_area_inputs,
)
from rural_plan.units import EARTH_RADIUS_M
from tests.conftest import require_data
from tests.propagation.test_bullington_ray import terrain
from tests.propagation.test_propagation import _demand_ids, grid_of, random_terrain


def assert_capped(full, capped, cap):
    """Exact at or below the cap; above it, a value in (cap, loss]."""
    below = full <= cap
    np.testing.assert_array_equal(capped[below], full[below])
    assert (capped[~below] > cap).all()
    assert (capped[~below] <= full[~below]).all()


def _ray_case(seed, kind, n, step):
    rng = np.random.default_rng(seed)
    z = terrain(rng, kind, n, step)
    used = rng.random(n) < 0.9
    args = (
        z,
        step,
        n,
        used,
        float(rng.uniform(2.0, 80.0)),
        float(rng.uniform(0.5, 20.0)),
        float(rng.uniform(100.0, 6000.0)),
        float(rng.uniform(0.5, 5.0)) * EARTH_RADIUS_M,
    )
    return args, int(rng.integers(1, 3))


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["hills", "flat", "slope"]),
    delta=st.booleans(),
    n=st.integers(3, 150),
    step=st.floats(5.0, 200.0),
    where=st.floats(0.0, 1.0),
)
def test_capped_ray_is_exact_at_or_below_the_cap(seed, kind, delta, n, step, where):
    """Caps on a loss of the ray itself (that sample sits right at the cap), between two
    losses, below every loss and above every one."""
    args, pol = _ray_case(seed, kind, n, step)
    full = np.empty(n)
    ray_loss_bullington(*args, delta, pol, np.inf, full)
    losses = np.sort(full[1:][np.isfinite(full[1:])])
    if losses.size == 0:
        return
    on = float(losses[int(where * (losses.size - 1))])
    for cap in (on, np.nextafter(on, -np.inf), on - 3.0, losses[0] - 1.0, losses[-1] + 1.0):
        capped = np.empty(n)
        ray_loss_bullington(*args, delta, pol, float(cap), capped)
        assert_capped(full[1:], capped[1:], cap)


@pytest.mark.parametrize("kind", ["hills", "flat", "slope"])
def test_capped_deygout_ray_is_exact_at_or_below_the_cap(kind):
    args, _ = _ray_case(5, kind, 120, 90.0)
    z, step, n, used, h_tx, h_rx, f, a_e = args
    k = a_e / EARTH_RADIUS_M
    full = np.empty(n)
    ray_losses(MODEL_DEYGOUT, z, step, n, used, h_tx, h_rx, f, k, np.zeros(0), full)
    finite = np.sort(full[1:][np.isfinite(full[1:])])
    for cap in (finite[finite.size // 3], finite[0] - 1.0, finite[-1]):
        capped = np.empty(n)
        ray_losses_capped(
            MODEL_DEYGOUT, z, step, n, used, h_tx, h_rx, f, k, np.zeros(0), float(cap), capped
        )
        assert_capped(full[1:], capped[1:], cap)


def _full_rows(grid, rows, cols, h_tx, budgets, demand_id, radio, pattern_index, patterns, extra):
    """Covered cells of each option by the coverage test on the uncapped windows."""
    terrain_, options = point_to_area_inputs(
        grid, rows, cols, h_tx, budgets, demand_id, radio, pattern_index, patterns, extra
    )
    w = 2 * radio.radius_cells(grid) + 1
    win = np.empty((rows.size, w, w), dtype=np.float32)
    starts = _location_runs(options.rows, options.cols)
    _windows(terrain_, options.rows, options.cols, options.h_tx_m, radio, starts, win)
    args = (
        win,
        options.rows,
        options.cols,
        options.max_loss_db,
        options.pattern_index,
        terrain_.patterns,
        terrain_.demand_id,
        terrain_.extra_db,
    )
    counts = np.zeros(rows.size, dtype=np.int64)
    covered_cells(*args, True, counts, np.empty(0, dtype=np.int64))
    idx = np.empty(int(counts.sum()), dtype=np.int64)
    covered_cells(*args, False, counts, idx)
    ends = np.cumsum(counts)
    return [set(idx[e - c : e].tolist()) for c, e in zip(counts, ends, strict=True)], win


def _budgets_on_cells(rng, win, rows, cols, pattern_index, patterns, demand_id, extra):
    """Budgets equal to one demand cell's total loss (window + pattern + extra, in the
    coverage test's float order), so that cell is covered with equality."""
    half = win.shape[1] // 2
    budgets = np.empty(rows.size)
    for i in range(rows.size):
        cand = []
        for a in range(win.shape[1]):
            for b in range(win.shape[2]):
                r, c = rows[i] + a - half, cols[i] + b - half
                inside = 0 <= r < demand_id.shape[0] and 0 <= c < demand_id.shape[1]
                if inside and demand_id[r, c] >= 0 and np.isfinite(win[i, a, b]):
                    total = win[i, a, b] + patterns[pattern_index[i], a, b]  # float32
                    cand.append(float(total + extra[demand_id[r, c]]))
        cand.sort()
        budgets[i] = cand[int(rng.uniform(0.2, 0.8) * (len(cand) - 1))]
    return budgets


def _assert_same_coverage(grid, rows, cols, h_tx, radio, pattern_index, patterns, extra, seed):
    rng = np.random.default_rng(seed)
    demand_id = _demand_ids(grid)
    n = rows.size
    _, win = _full_rows(
        grid, rows, cols, h_tx, np.zeros(n), demand_id, radio, pattern_index, patterns, extra
    )
    budgets = _budgets_on_cells(rng, win, rows, cols, pattern_index, patterns, demand_id, extra)
    want, _ = _full_rows(
        grid, rows, cols, h_tx, budgets, demand_id, radio, pattern_index, patterns, extra
    )
    cov = covered_demand(
        grid,
        rows,
        cols,
        h_tx,
        budgets,
        demand_id,
        radio,
        pattern_index=pattern_index,
        patterns=patterns,
        extra_db=extra,
    )
    for i in range(n):
        got = cov.indices[cov.indptr[i] : cov.indptr[i + 1]].tolist()
        assert set(got) == want[i], i
    terrain_, options = point_to_area_inputs(
        grid, rows, cols, h_tx, budgets, demand_id, radio, pattern_index, patterns, extra
    )
    capped = np.empty_like(win)
    starts = _location_runs(options.rows, options.cols)
    caps = loss_caps(terrain_, options)
    _windows(terrain_, options.rows, options.cols, options.h_tx_m, radio, starts, capped, caps)
    if radio.model == "delta-bullington":  # the caps skipped work: some cells hold a bound
        assert (capped != win).any()
    for i in range(n):
        assert_capped(win[i].astype(np.float64), capped[i].astype(np.float64), caps[i])


@pytest.mark.parametrize("model", ["delta-bullington", "bullington", "deygout"])
def test_covered_demand_with_caps_is_the_full_sweeps_on_synthetic_terrain(model):
    """Hilly synthetic terrain; two site types per location (two patterns, one a sector
    whose least attenuation is 2 dB); clutter from −3 to 20 dB per demand cell."""
    rng = np.random.default_rng(3)
    shape = (45, 50)
    pop = rng.gamma(0.7, 4.0, shape)
    pop[rng.random(shape) < 0.3] = 0.0
    grid = grid_of(random_terrain(rng, shape, relief=150.0), 90.0, pop)
    radio = RadioSettings(
        model, 900.0, 1.5, 4 / 3, radius_m=18 * 90.0, params=(2.0,) if "delta" in model else ()
    )
    r = radio.radius_cells(grid)
    w = 2 * r + 1
    patterns = np.zeros((2, w, w), dtype=np.float32)
    patterns[1] = 2.0 + rng.uniform(0.0, 15.0, (w, w)).astype(np.float32)
    locs = [(0, 0), (22, 25), (44, 49), (10, 40), (30, 8)]
    rows = np.array([a for a, _ in locs for _ in range(2)], dtype=np.int64)
    cols = np.array([b for _, b in locs for _ in range(2)], dtype=np.int64)
    h_tx = np.tile([15.0, 35.0], len(locs))
    pattern_index = np.tile([0, 1], len(locs)).astype(np.int64)
    extra = rng.uniform(-3.0, 20.0, int((pop > 0).sum()))
    _assert_same_coverage(grid, rows, cols, h_tx, radio, pattern_index, patterns, extra, 5)


def test_covered_demand_with_caps_is_the_full_sweeps_on_ngazidja():
    """Ngazidja's 1" SRTM at 90 m, 15 km, the demo's two site types (15 m and 35 m) at
    three inland locations, P.2108-like clutter (17.7-18.8 dB)."""
    from rural_plan.grid import build_grid

    lon, lat = 43.3656, -11.6222
    grid = build_grid(
        dem_paths=(require_data("comoros", "com_dem_srtm1_1arcsec.tif"),),
        population_path=require_data("comoros", "com_ppp_2020_UNadj.tif"),
        bbox_lonlat=(lon - 0.17, lat - 0.17, lon + 0.17, lat + 0.17),
        cell_size_m=90.0,
    )
    radio = RadioSettings("delta-bullington", 900.0, 1.5, 4 / 3, 15_000.0, (2.0,))
    rng = np.random.default_rng(1)
    land = np.argwhere(grid.land & (grid.population > 0))
    pick = land[rng.choice(len(land), 3, replace=False)]
    rows = np.repeat(pick[:, 0], 2).astype(np.int64)
    cols = np.repeat(pick[:, 1], 2).astype(np.int64)
    h_tx = np.tile([15.0, 35.0], 3)
    n_demand = int((grid.population > 0).sum())
    extra = rng.uniform(17.7, 18.8, n_demand)
    pattern_index = np.zeros(6, dtype=np.int64)
    w = 2 * radio.radius_cells(grid) + 1
    patterns = np.zeros((1, w, w), dtype=np.float32)
    _assert_same_coverage(grid, rows, cols, h_tx, radio, pattern_index, patterns, extra, 9)


def test_caps_from_budget_pattern_and_clutter():
    """Cap = budget − least pattern attenuation − least clutter (+ slack); not finite
    (a NaN pattern, an infinite budget): no cap."""
    grid = grid_of(np.zeros((5, 5)), 90.0, np.ones((5, 5)))
    radio = RadioSettings("delta-bullington", 900.0, 1.5, 4 / 3, 180.0, (2.0,))
    patterns = np.zeros((3, 5, 5), dtype=np.float32)
    patterns[1] += 4.0
    patterns[2, 0, 0] = np.nan
    terrain_, options = point_to_area_inputs(
        grid,
        np.array([2, 2, 2, 2]),
        np.array([2, 2, 2, 2]),
        np.full(4, 15.0),
        np.array([140.0, 140.0, 140.0, np.inf]),
        _demand_ids(grid),
        radio,
        np.array([0, 1, 2, 0]),
        patterns,
        np.linspace(-2.0, 5.0, 25),
    )
    caps = loss_caps(terrain_, options)
    assert caps[0] == pytest.approx(142.0, abs=2e-3) and caps[0] > 142.0
    assert caps[1] == pytest.approx(138.0, abs=2e-3) and caps[1] > 138.0
    assert caps[2] == np.inf and caps[3] == np.inf
