"""Microwave hops against rain: the link budget by hand, the availability a hop reaches
against itur's own inverse (scipy's bisection), and designs that refuse a hop the rain
takes down."""

from __future__ import annotations

import math

import numpy as np
import pytest
from itur.models import itu530

from rural_plan.backhaul import BackhaulSettings, design_backhaul
from rural_plan.backhaul.rain import (
    RainClimate,
    dish_gain_dbi,
    microwave_budget,
    rain_climate,
    rain_rate_001,
)
from rural_plan.costing import load_preset
from tests.support import land_grid

MORONI = (43.26, -11.70)  # lon, lat


def test_dish_gain_is_f699_by_hand():
    lam = 299_792_458.0 / 15e9
    assert dish_gain_dbi(0.6, 15_000.0) == pytest.approx(20 * math.log10(0.6 / lam) + 7.7)
    assert dish_gain_dbi(0.6, 15_000.0) == pytest.approx(37.25, abs=0.01)


def test_comoros_rain_rate_is_tropical():
    # P.837-7's R0.01 over Grande Comore: about 100 mm/h (the "tropical" class).
    r = rain_rate_001(np.array([MORONI[0]]), np.array([MORONI[1]]))
    assert 90.0 < r[0] < 110.0


def test_budget_by_hand_and_availability_against_itur_inverse():
    climate = RainClimate(gas_db_per_km=0.06, water_vapour_g_m3=19.0, temperature_k=299.0)
    d = np.array([8_000.0, 12_000.0, 14_000.0, 30_000.0])
    b = microwave_budget(
        d,
        np.full(4, MORONI[0]),
        np.full(4, MORONI[1]),
        f_mhz=15_000.0,
        tx_power_dbm=20.0,
        dish_diameter_m=0.6,
        rx_threshold_dbm=-85.0,
        availability_pct=99.99,
        polarization_tilt_deg=90.0,
        climate=climate,
        rain_rate_mm_h=100.0,
    )
    lam = 299_792_458.0 / 15e9
    g = 20 * math.log10(0.6 / lam) + 7.7
    fspl = 20 * np.log10(4 * math.pi * d / lam)
    assert b.rx_dbm == pytest.approx(20 + 2 * g - fspl - 0.06 * d / 1000, abs=1e-6)
    assert b.fade_margin_db == pytest.approx(b.rx_dbm + 85.0)
    for k in range(d.size):
        a = itu530.rain_attenuation(0, 0, d[k] / 1000, 15, 0, 0.01, 90, 100.0).value
        assert b.rain_fade_db[k] == pytest.approx(float(a), rel=1e-9)
        p = itu530.inverse_rain_attenuation(
            0, 0, d[k] / 1000, 15, 0, b.fade_margin_db[k], 90, 100.0
        ).value
        assert b.availability_pct[k] == pytest.approx(100 - float(p), abs=2e-5)
    # 12 km: 41.2 dB of margin against 38.5 dB of rain; 14 km: 39.8 dB against 42.7 dB
    assert b.feasible.tolist() == [True, True, False, False]
    # the availability reached and the feasibility at the target agree
    assert ((b.availability_pct >= 99.99) == b.feasible).all()


def test_gaseous_attenuation_at_15_ghz_in_the_tropics():
    c = rain_climate(MORONI[0], MORONI[1], 15_000.0)
    assert 15.0 < c.water_vapour_g_m3 < 25.0  # humid
    assert 0.03 < c.gas_db_per_km < 0.1  # P.676 at 15 GHz, ~20 g/m³: a few hundredths


def _grid():
    # flat, near Moroni (where the rain rate is the maps')
    elev = np.full((40, 400), 10.0)
    return land_grid(elev, 100.0, x0=330_000.0, y1=8_710_000.0, crs="EPSG:32738")


@pytest.mark.parametrize(
    ("changes", "microwave"),
    [
        ({}, False),  # 25 km at 15 GHz in 100 mm/h rain: 99.95 %, short of 99.99 %
        ({"microwave_availability_pct": 99.9}, True),
        ({"rain_rate_001_mm_per_h": 20.0}, True),  # a temperate climate
        ({"microwave_frequency_mhz": 7_500.0}, True),  # a lower band
    ],
)
def test_a_long_tropical_hop_is_refused_unless_the_rain_allows(changes, microwave):
    settings = BackhaulSettings.from_schema(
        allowed=("microwave", "satellite"), microwave_max_hop_m=40_000.0, **changes
    )
    plan = design_backhaul(
        _grid(),
        settings=settings,
        preset=load_preset("default"),
        site_x=np.array([357_000.0]),
        site_y=np.array([8_708_000.0]),
        site_mast_m=np.array([30.0]),
        fibre_x=np.array([332_000.0]),
        fibre_y=np.array([8_708_000.0]),
        site_people=np.array([5_000.0]),
    )
    kinds = [k.kind for k in plan.links]
    assert ("microwave" in kinds) == microwave, kinds
    for link in plan.links:
        if link.kind == "microwave":
            assert link.availability_pct >= settings.microwave_availability_pct
            assert link.rain_fade_db <= link.fade_margin_db
