"""Backhaul: Fresnel clearance over hand-built terrain, and the least-cost tree."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine

from rural_plan.backhaul import design_backhaul
from rural_plan.backhaul._kernels import fresnel_clearance
from rural_plan.costing import load_preset
from rural_plan.grid.align import finish_grid

CELL = 50.0
K = 4.0 / 3.0
A_EFF = K * 6_371_000.0
F_MHZ = 15_000.0
LAM = 299_792_458.0 / (F_MHZ * 1e6)


def _terrain(n=20, m=400, height=100.0):
    return np.full((n, m), height)


def _clearance(elev, xa, xb, h):
    y = 10 * CELL  # the middle row
    return fresnel_clearance(elev, 0.0, elev.shape[0] * CELL, CELL, xa, y, h, xb, y, h, F_MHZ, K)


def test_flat_ground_matches_fresnel_formula():
    elev = _terrain()
    d = 15_000.0
    got = _clearance(elev, 1_000.0, 1_000.0 + d, 20.0)
    # The worst point of flat ground is mid-path: (h − bulge) / F1.
    bulge = (d / 2) ** 2 / (2 * A_EFF)
    f1 = math.sqrt(LAM * (d / 2) ** 2 / d)
    assert got == pytest.approx((20.0 - bulge) / f1, rel=2e-3)


def test_ridge_refuses_hop_and_taller_masts_clear_it():
    elev = _terrain()
    d = 10_000.0
    xa, xb = 2_000.0, 12_000.0
    ridge_x = xa + 4_000.0
    col = int(ridge_x // CELL)
    elev[:, col - 1 : col + 2] = 100.0 + 25.0  # a 25 m ridge, 150 m wide, 4 km from A
    d1, d2 = 4_000.0, 6_000.0
    f1 = math.sqrt(LAM * d1 * d2 / d)
    bulge = d1 * d2 / (2 * A_EFF)
    for h, expect_clear in [(20.0, False), (40.0, True)]:
        expected = (h - 25.0 - bulge) / f1  # the ray is level at h; the ridge top pokes up
        got = _clearance(elev, xa, xb, h)
        assert got == pytest.approx(expected, abs=0.05)
        assert (got >= 0.6) == expect_clear


def _flat_grid(n=40, m=400):
    elev = _terrain(n, m)
    return finish_grid(
        elevation_m=elev,
        population=np.zeros_like(elev),
        people_input_total=0.0,
        in_area=np.ones(elev.shape, bool),
        transform=Affine(CELL, 0, 0, 0, -CELL, n * CELL),
        crs="EPSG:32737",
        cell_size_m=CELL,
        dem_voids="fill",
        max_void_fill_m=0.0,
        sea_level_m=0.0,
        population_max_move_m=0.0,
        reprojected_from="",
        dem_name="t",
    )


def _design(grid, site_x, fibre_x, **kw):
    args = dict(
        site_y=np.full(len(site_x), 1_000.0),
        site_mast_m=np.full(len(site_x), 20.0),
        fibre_y=np.full(len(fibre_x), 1_000.0),
        fibre_mast_m=30.0,
        preset=load_preset("default"),
        max_hop_m=40_000.0,
        microwave_f_mhz=F_MHZ,
        fresnel_fraction=0.6,
        k_factor=K,
        satellite_mbps=100.0,
        horizon_years=10,
        discount_rate=0.08,
    )
    args.update(kw)
    return design_backhaul(
        grid, site_x=np.asarray(site_x, float), fibre_x=np.asarray(fibre_x, float), **args
    )


def test_every_site_connected_and_microwave_used_when_cheaper():
    grid = _flat_grid()
    plan = _design(grid, [6_000.0, 11_000.0, 16_000.0], [1_000.0])
    assert len(plan.site_kind) == 3
    # 100 Mbps of satellite costs ~31 k USD a year: microwave hops are far cheaper.
    assert plan.site_kind == ("microwave", "microwave", "microwave")
    assert plan.tco_usd < plan.all_satellite_tco_usd
    ends = {link.b for link in plan.links} | {link.a for link in plan.links}
    assert {"site:0", "site:1", "site:2"} <= ends


def test_no_fibre_in_reach_falls_back_to_satellite():
    grid = _flat_grid()
    plan = _design(grid, [6_000.0], [], satellite_mbps=100.0)
    assert plan.site_kind == ("satellite",)
    assert plan.tco_usd == pytest.approx(plan.all_satellite_tco_usd)
