"""Antenna patterns (3GPP TR 36.814 horizontal pattern) against hand values."""

from __future__ import annotations

import numpy as np
import pytest

from rural_plan.propagation.antenna import pattern_window, sector_attenuation_db


@pytest.mark.parametrize(
    ("phi", "expected"),
    [
        (0.0, 0.0),
        (32.5, 3.0),
        (-32.5, 3.0),
        (65.0, 12.0),
        (90.0, 20.0),
        (180.0, 20.0),
        (360.0, 0.0),
    ],
)
def test_sector_attenuation(phi, expected):
    got = sector_attenuation_db(phi, beamwidth_deg=65.0, front_to_back_db=20.0)
    assert got == pytest.approx(expected, abs=1e-9)


def test_omni_window_is_zero():
    assert not pattern_window(
        5, sectors=1, beamwidth_deg=360, front_to_back_db=20, azimuth_deg=0
    ).any()


def test_three_sectors_best_of_three():
    w = pattern_window(50, sectors=3, beamwidth_deg=65.0, front_to_back_db=20.0, azimuth_deg=0.0)
    c = 50
    assert w[c - 40, c] == pytest.approx(0.0)  # due north: boresight of sector 1
    # 60° east of north lies halfway between sectors at 0° and 120°: 12·(60/65)² dB.
    r, col = c - round(40 * np.cos(np.radians(60))), c + round(40 * np.sin(np.radians(60)))
    bearing = np.degrees(np.arctan2(col - c, -(r - c)))
    nearest = min(bearing, 120.0 - bearing)  # whichever sector is closer
    assert w[r, col] == pytest.approx(12 * (nearest / 65.0) ** 2, abs=1e-4)
    assert w.max() <= 20.0 and w[c, c] == 0.0
    # Rotating the whole pattern by 120° maps it onto itself.
    w120 = pattern_window(
        50, sectors=3, beamwidth_deg=65.0, front_to_back_db=20.0, azimuth_deg=120.0
    )
    np.testing.assert_allclose(w, w120, atol=1e-4)


def test_single_sector_points_where_told():
    w = pattern_window(30, sectors=1, beamwidth_deg=65.0, front_to_back_db=25.0, azimuth_deg=90.0)
    assert w[30, 55] == pytest.approx(0.0)  # east
    assert w[30, 5] == pytest.approx(25.0)  # west: front-to-back
