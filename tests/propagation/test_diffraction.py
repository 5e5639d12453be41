"""Terrain-profile diffraction kernels against the ITU-R references, plus properties.

Oracles (read-only, beside the repository in ../shared/oracles, skipped when absent):

* ``p1812_itu_validation``: the 63 ITU-R WP 3K validation cases of P.1812 with the
  intermediate values of the P.1812-6 MATLAB reference implementation (eeveetza/p1812).
  Clutter treatment decided here (and in ``delta_bullington_clutter_loss_db``): as
  P.1812-6, the representative clutter height R_i is added to the *intermediate* points of
  the profile used by the Bullington construction for L_bulla; the terminals keep the bare
  terrain and h_tc = h_ts, h_rc = h_rs; the smooth-earth surface and the horizon geometry
  are taken from the bare terrain. With that, every case matches (bare profiles with the
  bare kernel, profiles with R ≠ 0 with the clutter kernel, the mixed land/sea
  ``b2iseac`` paths with ω from the case row). The logs carry 10 significant digits, and
  we match them to ~5e-8 dB, so the assertions use 1e-6 dB (the issue asks for 0.1 dB on
  the land profiles; the oracle README suggests 0.01 dB).
* ``knife_edge_j_v``: J(ν) of P.526-15 eq. (31) against the same formula and against the
  exact Fresnel-integral value.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rural_plan.errors import PropagationError
from rural_plan.propagation import _diffraction as dk
from rural_plan.propagation import diffraction
from rural_plan.propagation._kernels import knife_edge_loss_db
from tests.conftest import REPO
from tests.references import nu_itu

ORACLES = REPO.parent / "shared" / "oracles"
P1812 = ORACLES / "p1812_itu_validation"
P1812_CASES = P1812 / "p1812_6_validation_cases_matlab_ref.csv"
KNIFE_TABLE = ORACLES / "knife_edge_j_v" / "knife_edge_j_v_table.csv"

TOL_DB = 1e-6  # losses against the P.1812-6 reference log [dB]
TOL_REL = 1e-6  # geometry, relative (oracle README: "to 1e-6 relative")
A_E_43 = 6_371_000.0 * 4.0 / 3.0


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"oracle not available: {path} (the shared/oracles folder beside the repo)")
    return path


def _load_cases() -> list:
    if not P1812_CASES.exists():
        return [pytest.param(None, id="p1812-oracle-missing")]
    with P1812_CASES.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [pytest.param(r, id=f"{r['profile']}-{r['dataset']}") for r in rows]


CASES = _load_cases()

_PROFILES: dict[str, np.ndarray] = {}


def _profile(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(d [m], h [m amsl], R [m]) of a validation profile."""
    if name not in _PROFILES:
        path = _require(P1812 / "profiles" / f"{name}.csv")
        _PROFILES[name] = np.genfromtxt(path, delimiter=",", skip_header=1)
    a = _PROFILES[name]
    return np.ascontiguousarray(a[:, 0] * 1e3), np.ascontiguousarray(a[:, 1]), a[:, 3].copy()


def _case_inputs(row):
    d, h, r = _profile(row["profile"])
    delta_n = float(row["DN"])
    a_e = 6_371_000.0 * 157.0 / (157.0 - delta_n)  # P.1812-6 eq. (7a), ΔN of the case row
    return (
        d,
        h,
        r,
        float(row["htg_m"]),
        float(row["hrg_m"]),
        float(row["f_mhz"]),
        a_e,
        float(row["res: w"]),
        int(row["pol_1h_2v"]),
    )


def _ref(row, key: str) -> float:
    return float(row[f"res: {key}"])


def _close(got: float, ref: float, *, rel: float = TOL_REL, abs_: float = 1e-6) -> bool:
    return abs(got - ref) <= max(abs_, rel * abs(ref))


def _delta_bullington(row) -> np.ndarray:
    d, h, r, htg, hrg, f, a_e, omega, pol = _case_inputs(row)
    out = np.full(max(dk.DB_N_OUT, dk.SPH_N_OUT), np.nan)
    if np.any(r != 0.0):
        dk.delta_bullington_clutter_loss_db(d, h, r, htg, hrg, f, a_e, omega, pol, out)
    else:
        dk.delta_bullington_loss_db(d, h, htg, hrg, f, a_e, omega, pol, out)
    return out


# --------------------------------------------------------------------------------------------
# P.1812-6 reference implementation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", CASES)
def test_delta_bullington_terms_match_p1812_reference(row):
    if row is None:
        _require(P1812_CASES)
    out = _delta_bullington(row)
    for key, slot in [
        ("Lbulla (dB)", dk.DB_LBULLA),
        ("Lbulls (dB)", dk.DB_LBULLS),
        ("Ldsph (dB)", dk.DB_LDSPH),
        ("Ld50 (dB)", dk.DB_LD),
    ]:
        assert abs(out[slot] - _ref(row, key)) <= TOL_DB, (key, out[slot], _ref(row, key))
    # Smooth-earth heights of the diffraction model (Attachment 1 §5.6.2, eq. 37).
    for key, slot in [
        ("hts (m)", dk.DB_HTS_M),
        ("hrs (m)", dk.DB_HRS_M),
        ("hst (m)", dk.DB_HST_M),
        ("hsr (m)", dk.DB_HSR_M),
        ("hstd (m)", dk.DB_HSTD_M),
        ("hsrd (m)", dk.DB_HSRD_M),
        ("htc' (m)", dk.DB_HTE_M),
        ("hrc' (m)", dk.DB_HRE_M),
    ]:
        assert _close(out[slot], _ref(row, key)), (key, out[slot], _ref(row, key))


@pytest.mark.parametrize("row", CASES)
def test_path_geometry_matches_p1812_reference(row):
    if row is None:
        _require(P1812_CASES)
    d, h, _, htg, hrg, f, a_e, _, _ = _case_inputs(row)
    out = np.full(dk.GEO_N_OUT, np.nan)
    dk.path_geometry(d, h, htg, hrg, f, a_e, out)
    for key, got in [
        ("dlt (km)", out[dk.GEO_DLT_M] * 1e-3),
        ("dlr (km)", out[dk.GEO_DLR_M] * 1e-3),
        ("th_t (mrad)", out[dk.GEO_THETA_T_MRAD]),
        ("th_r (mrad)", out[dk.GEO_THETA_R_MRAD]),
        ("th (mrad)", out[dk.GEO_THETA_MRAD]),
        ("hst (m)", out[dk.GEO_HST_N_M]),
        ("hsr (m)", out[dk.GEO_HSR_N_M]),
        ("hst (m) [2]", out[dk.GEO_HST_M]),
        ("hsr (m) [2]", out[dk.GEO_HSR_M]),
        ("hstd (m)", out[dk.GEO_HSTD_M]),
        ("hsrd (m)", out[dk.GEO_HSRD_M]),
        ("hte (m)", out[dk.GEO_HTE_M]),
        ("hre (m)", out[dk.GEO_HRE_M]),
        ("hm (m)", out[dk.GEO_HM_M]),
    ]:
        assert _close(got, _ref(row, key)), (key, got, _ref(row, key))
    assert _close(a_e * 1e-3, _ref(row, "ae (km)"))


def _land_rows() -> list:
    return [p.values[0] for p in CASES if p.values[0] is not None and _ref(p.values[0], "w") == 0]


def test_max_deviation_on_land_profiles():
    """The issue's requirement (0.1 dB on the land profiles), with the deviation we reach."""
    _require(P1812_CASES)
    rows = _land_rows()
    assert len(rows) == 51  # 51 of the 63 cases are all-land (ω = 0)
    worst = 0.0
    for row in rows:
        out = _delta_bullington(row)
        for key, slot in [
            ("Lbulla (dB)", dk.DB_LBULLA),
            ("Lbulls (dB)", dk.DB_LBULLS),
            ("Ldsph (dB)", dk.DB_LDSPH),
            ("Ld50 (dB)", dk.DB_LD),
        ]:
            worst = max(worst, abs(out[slot] - _ref(row, key)))
    assert worst <= 0.1
    assert worst <= TOL_DB  # achieved: ~5e-8 dB (log rounding)


@pytest.mark.parametrize("row", CASES)
def test_single_models_match_reference_terms(row):
    """Stand-alone Bullington / spherical-earth kernels give the reference L_bulla / L_dsph."""
    if row is None:
        _require(P1812_CASES)
    d, h, r, htg, hrg, f, a_e, omega, pol = _case_inputs(row)
    out = np.full(max(dk.BULL_N_OUT, dk.SPH_N_OUT), np.nan)
    l_dsph = dk.spherical_earth_loss_db(d, h, htg, hrg, f, a_e, omega, pol, out)
    assert abs(l_dsph - _ref(row, "Ldsph (dB)")) <= TOL_DB
    l_bull = dk.bullington_loss_db(d, h, htg, hrg, f, a_e, out)
    if np.all(r == 0.0):
        assert abs(l_bull - _ref(row, "Lbulla (dB)")) <= TOL_DB


def test_clutter_changes_lbulla_on_clutter_profiles():
    """The clutter treatment matters: ignoring R on the urban-clutter path misses the reference."""
    _require(P1812_CASES)
    rows = [p.values[0] for p in CASES if p.values[0]["profile"] == "rburg_urban_with_clutter"]
    row = rows[0]
    d, h, r, htg, hrg, f, a_e, omega, pol = _case_inputs(row)
    out = np.empty(dk.DB_N_OUT)
    dk.delta_bullington_loss_db(d, h, htg, hrg, f, a_e, omega, pol, out)
    assert abs(out[dk.DB_LBULLA] - _ref(row, "Lbulla (dB)")) > 1.0
    dk.delta_bullington_clutter_loss_db(d, h, r, htg, hrg, f, a_e, omega, pol, out)
    assert abs(out[dk.DB_LBULLA] - _ref(row, "Lbulla (dB)")) <= TOL_DB
    # And with R = 0 everywhere the clutter kernel is the bare kernel.
    a = dk.delta_bullington_clutter_loss_db(d, h, 0 * r, htg, hrg, f, a_e, omega, pol, out)
    b = dk.delta_bullington_loss_db(d, h, htg, hrg, f, a_e, omega, pol, out)
    assert a == b


def test_wrapper_matches_kernel_on_a_reference_case():
    _require(P1812_CASES)
    row = next(p.values[0] for p in CASES if p.values[0]["profile"] == "rburg_rural_with_clutter")
    d, h, r, htg, hrg, f, _, omega, pol = _case_inputs(row)
    res = diffraction.delta_bullington(
        d,
        h,
        htg,
        hrg,
        f,
        diffraction.effective_earth_radius_m(delta_n=float(row["DN"])),
        omega=omega,
        pol="horizontal" if pol == 1 else "vertical",
        clutter_m=r,
    )
    assert abs(res.loss_db - _ref(row, "Ld50 (dB)")) <= TOL_DB
    assert abs(res.l_bulla_db - _ref(row, "Lbulla (dB)")) <= TOL_DB
    assert _close(res.h_te_m, _ref(row, "htc' (m)"))
    assert res.line_of_sight is False


# --------------------------------------------------------------------------------------------
# J(ν) table
# --------------------------------------------------------------------------------------------


def _knife_rows() -> list[dict]:
    with _require(KNIFE_TABLE).open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_knife_edge_j_matches_eq31_clamped():
    rows = _knife_rows()
    assert len(rows) == 132
    worst = max(
        abs(knife_edge_loss_db(float(r["v"])) - float(r["J_p526_eq31_clamped_db"])) for r in rows
    )
    assert worst <= 1e-9  # pure formula; the requirement is 0.01 dB


# Bound of the eq. (31) approximation against the exact Fresnel-integral J(ν) for ν > −0.7:
# the oracle README states 0.12 dB (rounded); measured 0.1232 dB, at ν = 4.6.
J_APPROX_BOUND_DB = 0.125


def test_knife_edge_j_error_against_exact_is_bounded():
    rows = [r for r in _knife_rows() if float(r["v"]) > -0.7]
    errors = [abs(knife_edge_loss_db(float(r["v"])) - float(r["J_exact_db"])) for r in rows]
    assert max(errors) <= J_APPROX_BOUND_DB
    assert max(errors) > 0.1  # the bound is tight, not vacuous
    # At grazing, exact J(0) = 20 log10 2 = 6.0206 dB; eq. (31) gives 6.9 + 20 log10(√1.01 − 0.1)
    # = 6.0329 dB.
    assert knife_edge_loss_db(0.0) == pytest.approx(6.9 + 20 * math.log10(math.sqrt(1.01) - 0.1))
    assert knife_edge_loss_db(0.0) - 20 * math.log10(2) == pytest.approx(0.0123, abs=1e-4)


# --------------------------------------------------------------------------------------------
# Hand-built profiles
# --------------------------------------------------------------------------------------------

FLAT_A_E = 1e15  # effectively flat earth: the bulge d1 d2 / (2 a_e) vanishes


def test_single_edge_knife_edge_deygout_and_bullington_agree():
    d = np.array([0.0, 4000.0, 10000.0])
    h = np.array([100.0, 160.0, 100.0])
    f = 900.0
    nu = nu_itu(160.0 - 120.0, 4000.0, 6000.0, f)  # ray at 120 m (both antennas 20 m)
    j = knife_edge_loss_db(nu)
    out = np.empty(16)
    assert dk.knife_edge_profile_loss_db(d, h, 20.0, 20.0, f, FLAT_A_E, out) == pytest.approx(j)
    assert out[dk.KE_I] == 1 and out[dk.KE_H_M] == pytest.approx(40.0)
    assert dk.deygout_loss_db(d, h, 20.0, 20.0, f, FLAT_A_E, False, out) == pytest.approx(j)
    t = 1 - math.exp(-j / 6)
    expected = j + t * (10 + 0.04 * 10.0)
    assert dk.deygout_loss_db(d, h, 20.0, 20.0, f, FLAT_A_E, True, out) == pytest.approx(expected)
    # Bullington on one edge: the Bullington point is the edge itself.
    l_bull = dk.bullington_loss_db(d, h, 20.0, 20.0, f, FLAT_A_E, out)
    assert out[dk.BULL_NU] == pytest.approx(nu)
    assert l_bull == pytest.approx(j + (1 - math.exp(-j / 6)) * (10 + 0.02 * 10.0))


def test_deygout_three_edges_by_hand():
    d = np.array([0.0, 2000.0, 5000.0, 8000.0, 10000.0])
    h = np.array([0.0, 36.0, 60.0, 35.0, 0.0])
    f = 600.0
    # Principal edge: index 2 (height 60 above a 10 m ray).
    nu_p = nu_itu(50.0, 5000.0, 5000.0, f)
    # Tx side: ray from (0, 10) to the top of the principal edge (5000, 60).
    nu_t = nu_itu(36.0 - (10.0 + 50.0 * 2000.0 / 5000.0), 2000.0, 3000.0, f)
    # Rx side: ray from (5000, 60) to (10000, 10).
    nu_r = nu_itu(35.0 - (60.0 - 50.0 * 3000.0 / 5000.0), 3000.0, 2000.0, f)
    out = np.empty(dk.DEY_N_OUT)
    got = dk.deygout_loss_db(d, h, 10.0, 10.0, f, FLAT_A_E, False, out)
    assert out[dk.DEY_I_P] == 2 and out[dk.DEY_I_T] == 1 and out[dk.DEY_I_R] == 3
    assert out[dk.DEY_NU_P] == pytest.approx(nu_p)
    assert out[dk.DEY_NU_T] == pytest.approx(nu_t)
    assert out[dk.DEY_NU_R] == pytest.approx(nu_r)
    jp, jt, jr = (knife_edge_loss_db(v) for v in (nu_p, nu_t, nu_r))
    assert got == pytest.approx(jp + jt + jr)
    got_c = dk.deygout_loss_db(d, h, 10.0, 10.0, f, FLAT_A_E, True, out)
    assert got_c == pytest.approx(jp + (1 - math.exp(-jp / 6)) * (jt + jr + 10 + 0.04 * 10))


def test_deygout_clear_path_has_no_loss():
    d = np.linspace(0, 5000.0, 11)
    h = np.zeros(11)
    out = np.empty(dk.DEY_N_OUT)
    assert dk.deygout_loss_db(d, h, 80.0, 80.0, 900.0, A_E_43, True, out) == 0.0
    assert out[dk.DEY_I_T] == -1 and out[dk.DEY_I_R] == -1


def test_two_point_profile_is_free_of_diffraction():
    d = np.array([0.0, 1000.0])
    h = np.array([10.0, 10.0])
    out = np.empty(32)
    assert dk.bullington_loss_db(d, h, 10.0, 2.0, 900.0, A_E_43, out) == 0.0
    assert dk.deygout_loss_db(d, h, 10.0, 2.0, 900.0, A_E_43, True, out) == 0.0
    assert dk.knife_edge_profile_loss_db(d, h, 10.0, 2.0, 900.0, A_E_43, out) == 0.0


def test_delta_bullington_can_drop_when_an_obstacle_rises():
    """Documented counterexample: delta-Bullington is not monotone in the terrain heights.

    A tall obstacle above the Tx–Rx ray lowers the smooth-earth surface (h_std, h_srd,
    P.1812-6 Attachment 1 eqs 90c–d), raising the effective heights h_te, h_re, so
    L_dsph − L_bulls collapses faster than L_bulla grows. L_bulla itself is monotone.
    """
    d = np.array([0.0, 20000.0, 40000.0, 60000.0])
    h = np.array([0.0, 10.0, 10.0, 0.0])
    out = np.empty(dk.DB_N_OUT)
    low = dk.delta_bullington_loss_db(d, h, 10.0, 10.0, 900.0, A_E_43, 0.0, 1, out)
    lbulla_low, hstd_low = out[dk.DB_LBULLA], out[dk.DB_HSTD_M]
    h2 = h.copy()
    h2[2] = 400.0
    high = dk.delta_bullington_loss_db(d, h2, 10.0, 10.0, 900.0, A_E_43, 0.0, 1, out)
    assert out[dk.DB_LBULLA] > lbulla_low
    assert out[dk.DB_HSTD_M] < hstd_low
    assert high < low


# --------------------------------------------------------------------------------------------
# Properties (hypothesis)
# --------------------------------------------------------------------------------------------

PROPS = settings(max_examples=60, deadline=None)

freqs = st.floats(30.0, 6000.0)
ant = st.floats(1.0, 200.0)
k_factors = st.floats(0.7, 4.0)


def _smooth_profile(n, step, height):
    return np.arange(n, dtype=float) * step, np.full(n, float(height))


@PROPS
@given(
    n=st.integers(3, 120),
    step=st.floats(20.0, 2000.0),
    height=st.floats(0.0, 2500.0),
    h_tx=ant,
    h_rx=st.floats(1.0, 30.0),
    f=freqs,
    k=k_factors,
    pol=st.sampled_from([1, 2]),
)
def test_delta_bullington_on_smooth_earth_is_its_spherical_or_bullington_value(
    n, step, height, h_tx, h_rx, f, k, pol
):
    # On a smooth spherical earth the least-squares surface is the terrain itself, so
    # L_bulla = L_bulls and eq. (39) reduces to L_d = max(L_dsph, L_bulls): the spherical-earth
    # value wherever it exceeds the Bullington one (beyond the horizon, mostly), Bullington
    # otherwise (Bullington can exceed L_dsph by a fraction of a dB near grazing).
    d, h = _smooth_profile(n, step, height)
    a_e = k * 6_371_000.0
    out = np.empty(max(dk.DB_N_OUT, dk.SPH_N_OUT))
    l_d = dk.delta_bullington_loss_db(d, h, h_tx, h_rx, f, a_e, 0.0, pol, out)
    l_bulla, l_bulls, l_dsph = out[dk.DB_LBULLA], out[dk.DB_LBULLS], out[dk.DB_LDSPH]
    assert l_bulla == pytest.approx(l_bulls, abs=1e-6)
    assert l_d == pytest.approx(max(l_dsph, l_bulls), abs=1e-9)
    assert l_d >= l_dsph - 1e-9
    sph = np.empty(dk.SPH_N_OUT)
    assert dk.spherical_earth_loss_db(d, h, h_tx, h_rx, f, a_e, 0.0, pol, sph) == pytest.approx(
        l_dsph, abs=1e-9
    )


@PROPS
@given(
    n=st.integers(3, 120),
    step=st.floats(20.0, 2000.0),
    height=st.floats(0.0, 2500.0),
    h_tx=ant,
    h_rx=st.floats(1.0, 30.0),
    f=freqs,
    k=k_factors,
)
def test_bullington_on_smooth_earth_in_los_is_j_of_the_clearance(n, step, height, h_tx, h_rx, f, k):
    d, h = _smooth_profile(n, step, height)
    a_e = k * 6_371_000.0
    lam = dk.C_ITU_M_S / (f * 1e6)
    d_tot = d[-1]
    di = d[1:-1]
    ray = ((height + h_tx) * (d_tot - di) + (height + h_rx) * di) / d_tot
    clear = height + di * (d_tot - di) / (2 * a_e) - ray  # < 0: the ray passes above
    slope_t = (clear + ray - (height + h_tx)) / di
    assume(np.max(slope_t) < (h_rx - h_tx) / d_tot)  # line of sight (eq. 14 test)
    nu = np.max(clear * np.sqrt(2 * d_tot / (lam * di * (d_tot - di))))
    out = np.empty(dk.BULL_N_OUT)
    got = dk.bullington_loss_db(d, h, h_tx, h_rx, f, a_e, out)
    if nu <= -0.78:
        assert got == 0.0
    else:
        j = knife_edge_loss_db(nu)
        assert got == pytest.approx(j + (1 - math.exp(-j / 6)) * (10 + 0.02 * d_tot / 1e3))


def _all_losses(d, h, h_tx, h_rx, f, a_e, pol):
    out = np.empty(32)
    return np.array(
        [
            dk.bullington_loss_db(d, h, h_tx, h_rx, f, a_e, out),
            dk.delta_bullington_loss_db(d, h, h_tx, h_rx, f, a_e, 0.0, pol, out),
            dk.spherical_earth_loss_db(d, h, h_tx, h_rx, f, a_e, 0.0, pol, out),
            dk.deygout_loss_db(d, h, h_tx, h_rx, f, a_e, True, out),
            dk.deygout_loss_db(d, h, h_tx, h_rx, f, a_e, False, out),
            dk.knife_edge_profile_loss_db(d, h, h_tx, h_rx, f, a_e, out),
        ]
    )


@PROPS
@given(
    n=st.integers(4, 80),
    step=st.floats(30.0, 3000.0),
    height=st.floats(0.0, 2000.0),
    h_tx=ant,
    h_rx=st.floats(1.0, 30.0),
    f=freqs,
    k=k_factors,
    pol=st.sampled_from([1, 2]),
)
def test_loss_never_decreases_with_distance_on_smooth_earth(n, step, height, h_tx, h_rx, f, k, pol):
    d, h = _smooth_profile(n, step, height)
    a_e = k * 6_371_000.0
    prev = None
    for end in range(3, n + 1):  # the receiver walks away along the same profile
        cur = _all_losses(d[:end], h[:end], h_tx, h_rx, f, a_e, pol)
        if prev is not None:
            assert np.all(cur >= prev - 1e-9), (end, prev, cur)
        prev = cur


profiles = st.integers(3, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(1.0, 3000.0), min_size=n - 1, max_size=n - 1),
        st.lists(st.floats(0.0, 400.0), min_size=n, max_size=n),
    )
)


def _profile_from(steps_heights):
    steps, heights = steps_heights
    d = np.concatenate([[0.0], np.cumsum(steps)])
    return d, np.array(heights, dtype=float)


@PROPS
@given(
    prof=profiles,
    where=st.floats(0.0, 1.0),
    rise=st.floats(0.0, 300.0),
    h_tx=ant,
    h_rx=st.floats(1.0, 30.0),
    f=freqs,
    k=k_factors,
)
def test_raising_a_point_never_lowers_bullington_or_the_knife_edge(
    prof, where, rise, h_tx, h_rx, f, k
):
    # Exact for Bullington: ν_b = √(2 a b d / λ) grows with both slopes a = S_tim − S_tr and
    # b = S_rim + S_tr, and on LoS paths ν_max is a max over points; J and eq. (21) are
    # increasing. The knife edge is a max over points.
    d, h = _profile_from(prof)
    a_e = k * 6_371_000.0
    i = 1 + int(where * (len(d) - 3))
    h2 = h.copy()
    h2[i] += rise
    out = np.empty(32)
    for kernel in (dk.bullington_loss_db, dk.knife_edge_profile_loss_db):
        before = kernel(d, h, h_tx, h_rx, f, a_e, out)
        after = kernel(d, h2, h_tx, h_rx, f, a_e, out)
        assert after >= before - 1e-9
    # Delta-Bullington: only its actual-profile term L_bulla is monotone (see the
    # counterexample test above); L_d never falls below it.
    dk.delta_bullington_loss_db(d, h, h_tx, h_rx, f, a_e, 0.0, 1, out)
    bulla = out[dk.DB_LBULLA]
    l_d = dk.delta_bullington_loss_db(d, h2, h_tx, h_rx, f, a_e, 0.0, 1, out)
    assert out[dk.DB_LBULLA] >= bulla - 1e-9
    assert l_d >= out[dk.DB_LBULLA] - 1e-12


@PROPS
@given(
    prof=profiles,
    where=st.floats(0.0, 1.0),
    rise=st.floats(0.0, 300.0),
    h_tx=ant,
    h_rx=st.floats(1.0, 30.0),
    f=freqs,
    correction=st.booleans(),
)
def test_deygout_never_drops_while_the_principal_edge_stays(
    prof, where, rise, h_tx, h_rx, f, correction
):
    # Deygout is not monotone in general: raising the principal edge (or making another point
    # principal) re-draws the secondary rays, and edges that were obstructing can end up in
    # its shadow (e.g. three 30–40 dB edges, 103 dB in total, become one 48 dB edge when the
    # middle one is raised by 200 m). What holds: J(ν_p) never drops, and raising a point
    # that neither is nor becomes the principal edge never lowers the loss.
    d, h = _profile_from(prof)
    i = 1 + int(where * (len(d) - 3))
    out = np.empty(dk.DEY_N_OUT)
    before = dk.deygout_loss_db(d, h, h_tx, h_rx, f, A_E_43, correction, out)
    lp_before, ip_before = out[dk.DEY_LP], out[dk.DEY_I_P]
    h2 = h.copy()
    h2[i] += rise
    after = dk.deygout_loss_db(d, h2, h_tx, h_rx, f, A_E_43, correction, out)
    assert out[dk.DEY_LP] >= lp_before - 1e-9
    if ip_before != i and out[dk.DEY_I_P] == ip_before:
        assert after >= before - 1e-9


# --------------------------------------------------------------------------------------------
# Wrappers: checks and messages
# --------------------------------------------------------------------------------------------


def _flat(n=21, length=10_000.0):
    return np.linspace(0.0, length, n), np.full(n, 100.0)


def test_wrappers_reject_bad_profiles():
    d, h = _flat()
    with pytest.raises(PropagationError, match=r"d_m\[0\] = 5 m must be 0"):
        diffraction.bullington(d + 5.0, h, 10.0, 2.0, 900.0, A_E_43)
    d_bad = d.copy()
    d_bad[3] = d_bad[2]
    with pytest.raises(PropagationError, match="strictly ascending"):
        diffraction.deygout(d_bad, h, 10.0, 2.0, 900.0, A_E_43)
    with pytest.raises(PropagationError, match="one length"):
        diffraction.knife_edge(d, h[:-1], 10.0, 2.0, 900.0, A_E_43)
    with pytest.raises(PropagationError, match="f_mhz = -1 must be finite"):
        diffraction.bullington(d, h, 10.0, 2.0, -1.0, A_E_43)
    with pytest.raises(PropagationError, match="omega"):
        diffraction.delta_bullington(d, h, 10.0, 2.0, 900.0, A_E_43, omega=1.5)
    with pytest.raises(PropagationError, match="pol"):
        diffraction.delta_bullington(d, h, 10.0, 2.0, 900.0, A_E_43, pol="circular")


def test_p1812_ranges_and_extrapolation():
    d, h = _flat()
    with pytest.raises(
        PropagationError, match=r"f_mhz = 10000 MHz is outside the valid range 30–6000 MHz"
    ):
        diffraction.delta_bullington(d, h, 10.0, 2.0, 10_000.0, A_E_43)
    with pytest.raises(PropagationError, match=r"h_rx_m = 0\.5 m is outside"):
        diffraction.spherical_earth(d, h, 10.0, 0.5, 900.0, A_E_43)
    short_d, short_h = _flat(length=200.0)
    with pytest.raises(PropagationError, match="path length"):
        diffraction.delta_bullington(short_d, short_h, 10.0, 2.0, 900.0, A_E_43)
    res = diffraction.delta_bullington(d, h, 10.0, 2.0, 10_000.0, A_E_43, allow_extrapolation=True)
    assert math.isfinite(res.loss_db)


def test_wrappers_return_kernel_values():
    d = np.linspace(0.0, 30_000.0, 61)
    h = 200.0 + 80.0 * np.sin(d / 4000.0)
    a_e = diffraction.effective_earth_radius_m(k_factor=4 / 3)
    assert a_e == pytest.approx(A_E_43)
    assert diffraction.effective_earth_radius_m(delta_n=45.0) == pytest.approx(
        6_371_000.0 * 157 / 112
    )
    out = np.empty(32)
    res = diffraction.delta_bullington(d, h, 30.0, 1.5, 900.0, a_e, pol="vertical")
    assert res.loss_db == dk.delta_bullington_loss_db(d, h, 30.0, 1.5, 900.0, a_e, 0.0, 2, out)
    assert diffraction.bullington(d, h, 30.0, 1.5, 900.0, a_e).loss_db == res.l_bulla_db
    sph = diffraction.spherical_earth(d, h, 30.0, 1.5, 900.0, a_e, pol=2)
    assert sph.loss_db == res.l_dsph_db
    geo = diffraction.path_geometry(d, h, 30.0, 1.5, 900.0, a_e)
    assert geo.h_std_m == res.h_std_m and geo.h_ts_m == res.h_ts_m
    dey = diffraction.deygout(d, h, 30.0, 1.5, 900.0, a_e)
    ke = diffraction.knife_edge(d, h, 30.0, 1.5, 900.0, a_e)
    assert dey.l_p_db == ke.loss_db and dey.i_p == ke.i_edge
    assert dey.loss_db >= ke.loss_db
