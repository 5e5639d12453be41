"""Empirical path-loss kernels against the ns-3 reference vectors, ranges and properties.

Oracle: ../shared/oracles/empirical_ns3 (values hard-coded in ns-3's test suites, plus an
independent recomputation of the textbook / 3GPP formulae); skipped when absent.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rural_plan.errors import PropagationError
from rural_plan.propagation import _empirical as ek
from rural_plan.propagation import empirical
from rural_plan.units import free_space_loss_db
from tests.conftest import REPO

ORACLE = REPO.parent / "shared" / "oracles" / "empirical_ns3"


def _rows(name: str) -> list[dict]:
    path = ORACLE / name
    if not path.exists():
        pytest.skip(f"oracle not available: {path} (the shared/oracles folder beside the repo)")
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _hata_rows() -> dict[str, dict]:
    return {r["case"]: r for r in _rows("hata_cost231_ns3.csv")}


# Our call for each ns-3 case (869 MHz Okumura-Hata, 2114 MHz COST-231; h_b 30 m, h_m 1 m, 2 km).
# 2114 MHz is above COST-231's 2000 MHz, so those two need allow_extrapolation=True.
HATA_CASES = {
    "original OH Urban Large city": lambda: empirical.hata_urban_loss_db(
        869, 2, 30, 1, city="large"
    ),
    "original OH Urban small city": lambda: empirical.hata_urban_loss_db(869, 2, 30, 1),
    "original OH SubUrban": lambda: empirical.hata_suburban_loss_db(869, 2, 30, 1),
    "original OH OpenAreas": lambda: empirical.hata_open_loss_db(869, 2, 30, 1),
    "COST231 OH Urban Large city": lambda: empirical.cost231_hata_loss_db(
        2114, 2, 30, 1, metropolitan=True, allow_extrapolation=True
    ),
    "COST231 OH Urban small city and suburban": lambda: empirical.cost231_hata_loss_db(
        2114, 2, 30, 1, allow_extrapolation=True
    ),
}


@pytest.mark.parametrize("case", list(HATA_CASES))
def test_hata_cost231_match_the_textbook_formula(case):
    row = _hata_rows()[case]
    ours = HATA_CASES[case]()
    assert abs(ours - float(row["L_db_recomputed_textbook_formula"])) <= 0.001
    if row["ns3_reference_deviates_from_textbook"].startswith("no"):
        # ns-3 keeps two decimals and checks at 0.1 dB; where it follows the textbook we are
        # within its rounding.
        assert abs(ours - float(row["L_db_expected_ns3"])) <= 0.005 + 1e-9


def test_ns3_open_area_deviation_is_the_readmes():
    """ns-3 expects 109.66 dB for open areas; the textbook (Hata 1980) gives 109.52 dB.

    The README's +0.14 dB deviation is checked. Its explanation (the Octave script's 4.70
    instead of 4.78) does not reproduce 109.66: with 4.70 the script gives 110.21 dB (the value
    older ns-3 suites expected). ns-3's current C++ model (4.78, the *large-city* a(h_m) for
    ``LargeCity``, 3-D distance) gives 109.576 dB, within ns-3's 0.1 dB test tolerance of
    109.66; 109.66 itself matches none of these variants.
    """
    row = _hata_rows()["original OH OpenAreas"]
    ns3 = float(row["L_db_expected_ns3"])
    textbook = empirical.hata_open_loss_db(869, 2, 30, 1)
    assert textbook == pytest.approx(109.52, abs=0.005)
    assert ns3 - textbook == pytest.approx(0.14, abs=0.01)
    lf = math.log10(869)
    octave_470 = textbook + (4.78 - 4.70) * lf * lf
    assert octave_470 == pytest.approx(110.21, abs=0.005)
    ns3_cpp = empirical.hata_open_loss_db(869, math.hypot(2000, 29) / 1e3, 30, 1, city="large")
    assert abs(ns3_cpp - ns3) < float(row["ns3_tolerance_db"])


def test_ns3_cost231_large_city_deviation_is_the_readmes():
    """ns-3 omits the −4.97 dB of the large-city a(h_m): 148.55 dB vs the standard 153.52 dB."""
    row = _hata_rows()["COST231 OH Urban Large city"]
    ns3 = float(row["L_db_expected_ns3"])
    standard = empirical.cost231_hata_loss_db(
        2114, 2, 30, 1, metropolitan=True, allow_extrapolation=True
    )
    assert standard == pytest.approx(153.517, abs=0.001)
    assert ns3 - standard == pytest.approx(-4.97, abs=0.01)
    # Reproduce ns-3: a(h_m) without its −4.97 dB term, C_m = 3 dB.
    no_497 = ek.cost231_hata_loss_db(2114.0, 2.0, 30.0, 1.0, True, 3.0) - 4.97
    assert no_497 == pytest.approx(ns3, abs=0.005)


def test_cost231_refuses_2114_mhz_without_extrapolation():
    with pytest.raises(
        PropagationError,
        match=r"COST-231 Hata: f_mhz = 2114 MHz is outside the valid range 1500–2000 MHz",
    ):
        empirical.cost231_hata_loss_db(2114, 2, 30, 1)


def test_rma_matches_38901_and_ns3():
    worst_formula = 0.0
    worst_ns3 = 0.0
    for r in _rows("threegpp_38901_rma_uma_ns3.csv"):
        if r["scenario"] != "RMa":
            continue
        fn = empirical.rma_los_loss_db if r["los"] == "True" else empirical.rma_nlos_loss_db
        ours = fn(
            float(r["f_hz"]) / 1e6,
            float(r["d2d_m"]),
            float(r["h_bs_m"]),
            float(r["h_ut_m"]),
            h_m=float(r["avg_building_height_m"]),
            w_m=float(r["street_width_m"]),
        )
        worst_formula = max(worst_formula, abs(ours - float(r["PL_db_recomputed_38901_formula"])))
        worst_ns3 = max(worst_ns3, abs(ours - float(r["PL_db_expected_ns3"])))
    assert worst_formula <= 0.001  # measured 5.4e-4 dB (10 km LOS), others < 5e-5 dB
    assert worst_ns3 <= 0.05  # measured 4.6e-5 dB


def test_rma_nlos_is_los_at_10_m():
    assert empirical.rma_nlos_loss_db(5000, 10) == empirical.rma_los_loss_db(5000, 10)


def test_friis_vectors():
    rows = [r for r in _rows("friis_tworay_logdistance_ns3.csv") if r["model"] == "Friis"]
    assert len(rows) == 4
    for r in rows:
        d = float(r["distance_m"])
        lam = float(r["wavelength_m"])
        loss = free_space_loss_db(d, float(r["f_hz"]) / 1e6)
        assert loss == pytest.approx(20 * math.log10(4 * math.pi * d / lam), abs=1e-9)
        pr_dbm = 10 * math.log10(float(r["pr_w_expected_ns3"]) * 1e3)
        assert abs(loss - (float(r["pt_dbm"]) - pr_dbm)) <= 1e-4  # ns-3 keeps 6 digits of Pr


def test_vectorised_wrappers_match_scalar_kernels():
    d_km = np.array([1.0, 2.5, 7.0, 20.0])
    got = empirical.hata_suburban_loss_db(900, d_km, 40, 1.5)
    want = [ek.hata_suburban_loss_db(900.0, x, 40.0, 1.5, False) for x in d_km]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    d_m = np.array([10.0, 500.0, 4000.0])
    got = empirical.rma_nlos_loss_db(3500, d_m, 35, 1.5)
    want = [ek.rma_nlos_loss_db(3500.0, x, 35.0, 1.5, 5.0, 20.0) for x in d_m]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert isinstance(empirical.hata_urban_loss_db(900, 3, 40, 1.5), float)


def test_range_errors_name_parameter_value_and_range():
    with pytest.raises(
        PropagationError,
        match=r"Okumura-Hata: d_km = 25 km is outside the valid range 1–20 km "
        r"\(allow extrapolation to evaluate anyway: --allow-extrapolation",
    ):
        empirical.hata_urban_loss_db(900, np.array([2.0, 25.0]), 40, 1.5)
    with pytest.raises(PropagationError, match=r"h_b_m = 20 m is outside the valid range 30–200"):
        empirical.hata_open_loss_db(900, 3, 20, 1.5)
    with pytest.raises(PropagationError, match=r"d_2d_m = 6000 m is outside .* 10–5000 m"):
        empirical.rma_nlos_loss_db(3500, 6000)
    assert empirical.rma_los_loss_db(3500, 6000) > 0  # LOS goes to 10 km
    with pytest.raises(PropagationError, match=r"f_mhz = 40000 MHz"):
        empirical.rma_los_loss_db(40_000, 100)
    with pytest.raises(PropagationError, match="city"):
        empirical.hata_urban_loss_db(900, 3, 40, 1.5, city="huge")
    # Non-positive values are refused even when extrapolating (the formulae take logarithms).
    with pytest.raises(PropagationError, match="d_km = 0 must be finite and > 0"):
        empirical.hata_urban_loss_db(900, 0.0, 40, 1.5, allow_extrapolation=True)
    assert empirical.hata_urban_loss_db(900, 25.0, 40, 1.5, allow_extrapolation=True) > 0


def test_kernel_dispatch_matches_named_kernels():
    out = np.empty(2)
    d = np.array([1500.0, 3000.0])
    ek.empirical_loss_many_db(ek.EMP_COST231_HATA, 1800.0, d, 40.0, 1.5, True, 0.0, 0.0, out)
    assert out[1] == ek.cost231_hata_loss_db(1800.0, 3.0, 40.0, 1.5, True, 3.0)
    assert ek.empirical_loss_db(ek.EMP_FREE_SPACE, 900.0, 300.0, 400.0, 0.0, False, 0, 0) == (
        pytest.approx(free_space_loss_db(500.0, 900))  # 3-4-5 triangle
    )


# --------------------------------------------------------------------------------------------
# Properties inside the validity ranges
# --------------------------------------------------------------------------------------------

PROPS = settings(max_examples=80, deadline=None)

HATA_KERNELS = [
    ("urban", lambda f, d, hb, hm, lc: ek.hata_urban_loss_db(f, d, hb, hm, lc)),
    ("suburban", lambda f, d, hb, hm, lc: ek.hata_suburban_loss_db(f, d, hb, hm, lc)),
    ("open", lambda f, d, hb, hm, lc: ek.hata_open_loss_db(f, d, hb, hm, lc)),
]


@PROPS
@given(
    f=st.floats(150.0, 1500.0),
    d=st.floats(1.0, 19.0),
    dd=st.floats(1e-3, 1.0),
    hb=st.floats(30.0, 190.0),
    dhb=st.floats(1e-3, 10.0),
    hm=st.floats(1.0, 10.0),
    large=st.booleans(),
)
def test_hata_increases_with_distance_and_decreases_with_bs_height(f, d, dd, hb, dhb, hm, large):
    for _, kernel in HATA_KERNELS:
        base = kernel(f, d, hb, hm, large)
        assert kernel(f, d + dd, hb, hm, large) > base
        assert kernel(f, d, hb + dhb, hm, large) < base


@PROPS
@given(
    f=st.floats(1500.0, 2000.0),
    d=st.floats(1.0, 19.0),
    dd=st.floats(1e-3, 1.0),
    hb=st.floats(30.0, 190.0),
    dhb=st.floats(1e-3, 10.0),
    hm=st.floats(1.0, 10.0),
    metro=st.booleans(),
)
def test_cost231_increases_with_distance_and_decreases_with_bs_height(f, d, dd, hb, dhb, hm, metro):
    c_m = 3.0 if metro else 0.0
    base = ek.cost231_hata_loss_db(f, d, hb, hm, metro, c_m)
    assert ek.cost231_hata_loss_db(f, d + dd, hb, hm, metro, c_m) > base
    assert ek.cost231_hata_loss_db(f, d, hb + dhb, hm, metro, c_m) < base


@PROPS
@given(
    f=st.floats(500.0, 30_000.0),
    d=st.floats(10.0, 4990.0),
    dd=st.floats(1e-2, 10.0),
    hbs=st.floats(10.0, 140.0),
    dhbs=st.floats(1e-2, 10.0),
    hut=st.floats(1.0, 10.0),
    h=st.floats(5.0, 50.0),
    w=st.floats(5.0, 50.0),
)
def test_rma_increases_with_distance(f, d, dd, hbs, dhbs, hut, h, w):
    for kernel in (ek.rma_los_loss_db, ek.rma_nlos_loss_db, ek.rma_nlos_prime_loss_db):
        assert kernel(f, d + dd, hbs, hut, h, w) > kernel(f, d, hbs, hut, h, w)
    # Base-station height: only PL'_NLOS carries a height gain, and it is monotone only
    # from d_2D ≥ 1 km: d/dlog h_BS = −(24.37 − 3.7 r²) − 7.4 ln10 r² log h_BS
    # − 3.1 (log d_3D − 3) + (43.42 − 3.1 log h_BS) ∂log d_3D/∂log h_BS, negative there. The
    # LOS formula (and so NLOS = max(LOS, NLOS') where LOS dominates) is not monotone in h_BS:
    # 38.901 RMa LOS has no height gain; h_BS enters only through d_3D (loss grows with it
    # in PL1) and the breakpoint d_BP = 2π h_BS h_UT f / c (moving d_BP can lower PL2 by a few
    # dB). So the "decreases with base-station height" property is tested on PL'_NLOS only.
    if d >= 1000.0:
        base = ek.rma_nlos_prime_loss_db(f, d, hbs, hut, h, w)
        assert ek.rma_nlos_prime_loss_db(f, d, hbs + dhbs, hut, h, w) < base


@PROPS
@given(f=st.floats(1.0, 1e5), d=st.floats(1.0, 1e6), dd=st.floats(1e-3, 1e3))
def test_free_space_increases_with_distance_at_6_db_per_octave(f, d, dd):
    a = free_space_loss_db(d, f)
    assert free_space_loss_db(d + dd, f) > a
    assert free_space_loss_db(2 * d, f) - a == pytest.approx(20 * math.log10(2))
