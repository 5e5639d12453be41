"""Numba kernels: diffraction loss over a terrain profile (arrays and scalars only, float64).

Profile convention (all kernels)
--------------------------------
``d_m``  : float64 array, distance of each profile point from the transmitter [m], ascending,
           ``d_m[0] == 0``; the last point is the receiver.
``h_m``  : float64 array, terrain height of each point above mean sea level [m].
``h_tx_m``, ``h_rx_m`` : antenna heights above ground at the first / last point [m], so
           h_ts = h_m[0] + h_tx_m and h_rs = h_m[-1] + h_rx_m (P.1812-6 eqs in §3 / Table 5).
``f_mhz`` : frequency [MHz]; λ = c / f with c = 2.998e8 m/s (``C_ITU_M_S``, see below).
``a_e_m`` : effective earth radius [m] (k · 6 371 km; P.1812 / P.452 eq. 7a / 5:
           a_e = 6371 · 157/(157 − ΔN) km).
``out``  : float64 scratch array the kernel fills with intermediate values; its layout is
           given by the ``*_N_OUT`` / slot constants below (slots not used stay untouched).

Earth curvature enters, as in P.526-15 §4.5.1 and P.1812-6 §4.3.1, by adding the bulge
d_i (d − d_i) / (2 a_e) to the height of intermediate point i.

Equation numbers: P.1812-6 as labelled in the log of the ITU-R WP 3K reference
implementation (eeveetza/p1812, ``validate_p1812.m``): Bullington §4.3.1 eqs (13)–(21),
spherical earth §4.3.2 eqs (22)–(27), first-term §4.3.3 eqs (28)–(36), delta-Bullington §4.3.4
eqs (37)–(39) (eqs (40)–(41) interpolate in time percentage and are not needed here), path
profile analysis Attachment 1 §4–§5 eqs (76)–(95). The Python port (eeveetza/Py1812) labels the
Attachment 1 quantities two lower (e.g. h_st eq. (85), h_std eq. (89)); the §4.3 labels agree.
P.526-15 carries the same Bullington / delta-Bullington text in §4.5.1 / §4.5.2 ("Complete
method") and J(ν) in eq. (31).

Written from the published equations; the ITU reference implementations (eeveetza/p1812,
eeveetza/Py1812) were read only to check conventions (see
``tests/propagation/test_diffraction.py``).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from rural_plan.propagation._kernels import knife_edge_loss_db

# Speed of light used for λ: 2.998e8 m/s, the value of ITU-R P.2001 that the ITU-R WP 3K
# reference implementation of P.1812-6 uses (λ = 0.2998 / f[GHz]). With it the Bullington
# terms reproduce the reference to ~1e-8 dB; the physical 299 792 458 m/s would shift ν by
# 1.3e-5 relative (≤ 2e-4 dB on the validation profiles).
C_ITU_M_S = 2.998e8

POL_HORIZONTAL = 1
POL_VERTICAL = 2

PATH_LOS = 1
PATH_TRANSHORIZON = 2

# Ground electrical constants of P.1812-6 §4.3.3 (eq. 28): land and sea.
EPS_R_LAND = 22.0
SIGMA_LAND_S_M = 0.003
EPS_R_SEA = 80.0
SIGMA_SEA_S_M = 5.0

# Height modes of the Bullington construction (which heights g_i the profile carries).
_G_TERRAIN = 0  # g_i = h_i
_G_CLUTTER = 1  # g_i = h_i + R_i at intermediate points (P.1812-6 §3.2), terminals bare
_G_ZERO = 2  # g_i = 0 (smooth path of P.1812-6 §4.3.4, for L_bulls)

# --- out layout of bullington_loss_db ------------------------------------------------------
BULL_LBULL = 0  # L_bull [dB], eq. (21)
BULL_LUC = 1  # L_uc, knife-edge loss of the Bullington point [dB], eqs (16)/(20)
BULL_NU = 2  # ν_max (LoS, eq. 15) or ν_b (trans-horizon, eq. 20)
BULL_PATHTYPE = 3  # PATH_LOS (S_tim < S_tr) or PATH_TRANSHORIZON
BULL_STIM = 4  # S_tim [m/m], eq. (13)
BULL_STR = 5  # S_tr [m/m], eq. (14)
BULL_SRIM = 6  # S_rim [m/m], eq. (17); NaN on LoS paths
BULL_DBP_M = 7  # d_bp [m], eq. (18); NaN on LoS paths
BULL_N_OUT = 8

# --- out layout of spherical_earth_diffraction_db / spherical_earth_loss_db ----------------
SPH_LDSPH = 0  # L_dsph [dB], eq. (27)
SPH_DLOS_M = 1  # d_los [m], eq. (22)
SPH_HSE_M = 2  # h_se [m], eq. (23); NaN when d ≥ d_los
SPH_HREQ_M = 3  # h_req [m], eq. (25); NaN when d ≥ d_los
SPH_AEM_M = 4  # a_em [m], eq. (26); NaN when not used
SPH_LDFT = 5  # L_dft [dB], eq. (28) for the radius used; NaN when not needed
SPH_HTE_M = 6  # effective heights used (profile kernel: h_ts − h_std, eq. 38a)
SPH_HRE_M = 7
SPH_N_OUT = 8

# --- out layout of delta_bullington_loss_db / delta_bullington_clutter_loss_db -------------
DB_LD = 0  # L_d [dB], eq. (39)
DB_LBULLA = 1  # L_bulla [dB], Bullington of the actual profile
DB_LBULLS = 2  # L_bulls [dB], Bullington of the smooth (zero-height) profile
DB_LDSPH = 3  # L_dsph [dB], spherical-earth loss for the effective heights
DB_HTS_M = 4  # h_ts = h_1 + h_tg [m amsl]
DB_HRS_M = 5  # h_rs = h_n + h_rg [m amsl]
DB_HST_M = 6  # h_st [m amsl], least-squares smooth surface at Tx, eq. (87) (uncorrected)
DB_HSR_M = 7  # h_sr [m amsl], eq. (88) (uncorrected)
DB_HSTD_M = 8  # h_std [m amsl], eq. (91)
DB_HSRD_M = 9  # h_srd [m amsl], eq. (91)
DB_HTE_M = 10  # h_te = h_ts − h_std [m], eqs (37a)/(38a) (the log's htc')
DB_HRE_M = 11  # h_re = h_rs − h_srd [m], eqs (37b)/(38b) (the log's hrc')
DB_NU_BULLA = 12  # ν of L_bulla's knife edge
DB_NU_BULLS = 13  # ν of L_bulls's knife edge
DB_PATHTYPE = 14  # path type of the actual-profile Bullington construction
DB_N_OUT = 15

# --- out layout of path_geometry -----------------------------------------------------------
GEO_HTS_M = 0
GEO_HRS_M = 1
GEO_HST_N_M = 2  # eq. (87), uncorrected
GEO_HSR_N_M = 3  # eq. (88), uncorrected
GEO_HST_M = 4  # min(h_st, h_1), eq. (92a)
GEO_HSR_M = 5  # min(h_sr, h_n), eq. (92b)
GEO_HSTD_M = 6  # eq. (91)
GEO_HSRD_M = 7  # eq. (91)
GEO_HTE_M = 8  # ducting/layer-reflection effective height h_te, eq. (94a)
GEO_HRE_M = 9  # eq. (94b)
GEO_HM_M = 10  # terrain roughness h_m, eq. (95)
GEO_DLT_M = 11  # Tx horizon distance d_lt [m], eq. (80)
GEO_DLR_M = 12  # Rx horizon distance d_lr [m], eq. (83)
GEO_THETA_T_MRAD = 13  # Tx horizon elevation θ_t [mrad], eqs (76)–(79)
GEO_THETA_R_MRAD = 14  # Rx horizon elevation θ_r [mrad], eqs (81)–(82)
GEO_THETA_MRAD = 15  # path angular distance θ [mrad], eq. (84)
GEO_PATHTYPE = 16  # PATH_LOS or PATH_TRANSHORIZON, eq. (150) of P.452 / θ_max vs θ_td
GEO_N_OUT = 17

# --- out layout of deygout_loss_db ---------------------------------------------------------
DEY_L = 0  # total loss [dB]
DEY_LP = 1  # J(ν_p), principal edge
DEY_LT = 2  # J(ν_t), Tx-side edge
DEY_LR = 3  # J(ν_r), Rx-side edge
DEY_NU_P = 4
DEY_NU_T = 5
DEY_NU_R = 6
DEY_I_P = 7  # profile index of each edge (−1: none)
DEY_I_T = 8
DEY_I_R = 9
DEY_T = 10  # T = 1 − exp(−L_p / 6) (1 without the empirical correction)
DEY_C = 11  # C = 10 + 0.04 D [dB] (0 without the empirical correction)
DEY_N_OUT = 12

# --- out layout of knife_edge_profile_loss_db ----------------------------------------------
KE_J = 0  # J(ν_max) [dB]
KE_NU = 1  # ν_max
KE_I = 2  # profile index of the edge (−1: no intermediate point)
KE_H_M = 3  # height of the edge above the Tx–Rx ray, curvature included [m]
KE_N_OUT = 4


@nb.njit(cache=True)
def _g(h_m, r_m, mode, i):
    """Height g_i used by the Bullington construction (see the ``_G_*`` modes)."""
    if mode == _G_ZERO:
        return 0.0
    if mode == _G_CLUTTER:
        return h_m[i] + r_m[i]
    return h_m[i]


@nb.njit(cache=True)
def _bullington(d_m, h_m, r_m, mode, h_ts_m, h_rs_m, lam_m, a_e_m):
    """Bullington diffraction loss, P.1812-6 §4.3.1 eqs (13)–(21) = P.526-15 §4.5.1.

    Intermediate points are i = 1 … n−2; terminals carry the antenna heights h_ts, h_rs
    [m amsl]. Returns (L_bull, L_uc, ν, path type, S_tim, S_tr, S_rim, d_bp [m]).
    """
    n = d_m.shape[0]
    d0 = d_m[0]
    d_tot = d_m[n - 1] - d0
    two_ae = 2.0 * a_e_m
    # Eq. (13): steepest slope from the Tx antenna to an intermediate point.
    s_tim = -np.inf
    for i in range(1, n - 1):
        di = d_m[i] - d0
        s = (_g(h_m, r_m, mode, i) + di * (d_tot - di) / two_ae - h_ts_m) / di
        if s > s_tim:
            s_tim = s
    # Eq. (14): slope of the Tx–Rx ray.
    s_tr = (h_rs_m - h_ts_m) / d_tot
    s_rim = np.nan
    d_bp = np.nan
    if s_tim < s_tr:
        # Case 1, LoS path: eq. (15), highest diffraction parameter of any point.
        pathtype = PATH_LOS
        nu = -np.inf
        for i in range(1, n - 1):
            di = d_m[i] - d0
            dr = d_tot - di
            clear = _g(h_m, r_m, mode, i) + di * dr / two_ae - (h_ts_m * dr + h_rs_m * di) / d_tot
            v = clear * math.sqrt(2.0 * d_tot / (lam_m * di * dr))
            if v > nu:
                nu = v
    else:
        # Case 2, trans-horizon path: eqs (17)–(20), the Bullington point.
        pathtype = PATH_TRANSHORIZON
        s_rim = -np.inf
        for i in range(1, n - 1):
            di = d_m[i] - d0
            dr = d_tot - di
            s = (_g(h_m, r_m, mode, i) + di * dr / two_ae - h_rs_m) / dr
            if s > s_rim:
                s_rim = s
        d_bp = (h_rs_m - h_ts_m + s_rim * d_tot) / (s_tim + s_rim)  # eq. (18)
        nu = (
            h_ts_m + s_tim * d_bp - (h_ts_m * (d_tot - d_bp) + h_rs_m * d_bp) / d_tot
        ) * math.sqrt(2.0 * d_tot / (lam_m * d_bp * (d_tot - d_bp)))  # eq. (20)
    l_uc = knife_edge_loss_db(nu)  # eqs (16)/(20) with J of eq. (12) = P.526 eq. (31)
    # Eq. (21), d in km.
    l_bull = l_uc + (1.0 - math.exp(-l_uc / 6.0)) * (10.0 + 0.02 * d_tot * 1e-3)
    return l_bull, l_uc, nu, pathtype, s_tim, s_tr, s_rim, d_bp


@nb.njit(cache=True)
def bullington_loss_db(d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, out):
    """Bullington diffraction loss of the actual profile [dB] (P.1812's "L_bull").

    ITU-R P.526-15 §4.5.1 = P.1812-6 §4.3.1 eqs (13)–(21): one knife edge at the
    Bullington point (intersection of the steepest Tx and Rx rays; or the point of
    highest ν on LoS paths), J(ν) of P.526 eq. (31) clamped at ν ≤ −0.78, plus the
    empirical term (1 − exp(−L_uc/6)) (10 + 0.02 d[km]). ``out`` (≥ BULL_N_OUT) gets
    the BULL_* intermediates.
    """
    n = d_m.shape[0]
    lam_m = C_ITU_M_S / (f_mhz * 1e6)
    h_ts = h_m[0] + h_tx_m
    h_rs = h_m[n - 1] + h_rx_m
    l_bull, l_uc, nu, pathtype, s_tim, s_tr, s_rim, d_bp = _bullington(
        d_m, h_m, h_m, _G_TERRAIN, h_ts, h_rs, lam_m, a_e_m
    )
    out[BULL_LBULL] = l_bull
    out[BULL_LUC] = l_uc
    out[BULL_NU] = nu
    out[BULL_PATHTYPE] = pathtype
    out[BULL_STIM] = s_tim
    out[BULL_STR] = s_tr
    out[BULL_SRIM] = s_rim
    out[BULL_DBP_M] = d_bp
    return l_bull


@nb.njit(cache=True)
def _g_height_db(b, k):
    """Height gain G(Y) [dB] of P.1812-6 eq. (34) for B = β Y (eq. 35), floored at 2 + 20 log K."""
    if b > 2.0:
        g = 17.6 * math.sqrt(b - 1.1) - 5.0 * math.log10(b - 1.1) - 8.0
    else:
        g = 20.0 * math.log10(b + 0.1 * b * b * b)
    g_min = 2.0 + 20.0 * math.log10(k)
    if g < g_min:
        g = g_min
    return g


@nb.njit(cache=True)
def first_term_loss_db(eps_r, sigma_s_m, d_km, h_te_m, h_re_m, a_dft_km, f_ghz, pol):
    """First-term spherical-earth diffraction loss L_dft [dB] for one ground, P.1812-6 §4.3.3.

    Eqs (29a)/(29b) normalised surface admittance K (pol: 1 horizontal, 2 vertical),
    (30) β_dft, (31) normalised distance X, (32) normalised heights Y, (33) F(X),
    (34)–(35) G(Y) with the floor 2 + 20 log K, (36) L_dft = −F(X) − G(Y_t) − G(Y_r).
    Units as in the Recommendation: d, a_dft in km, heights in m, f in GHz, σ in S/m.
    Same first-term formulae as P.526-15 §3.1.1.
    """
    s18 = 18.0 * sigma_s_m / f_ghz
    k = 0.036 * (a_dft_km * f_ghz) ** (-1.0 / 3.0) * ((eps_r - 1.0) ** 2 + s18 * s18) ** -0.25
    if pol == POL_VERTICAL:
        k = k * math.sqrt(eps_r * eps_r + s18 * s18)  # eq. (29b)
    k2 = k * k
    beta = (1.0 + 1.6 * k2 + 0.67 * k2 * k2) / (1.0 + 4.5 * k2 + 1.53 * k2 * k2)  # eq. (30)
    x = 21.88 * beta * (f_ghz / (a_dft_km * a_dft_km)) ** (1.0 / 3.0) * d_km  # eq. (31)
    y_scale = 0.9575 * beta * (f_ghz * f_ghz / a_dft_km) ** (1.0 / 3.0)  # eq. (32)
    y_t = y_scale * h_te_m
    y_r = y_scale * h_re_m
    if x >= 1.6:  # eq. (33)
        f_x = 11.0 + 10.0 * math.log10(x) - 17.6 * x
    else:
        f_x = -20.0 * math.log10(x) - 5.6488 * x**1.425
    return -f_x - _g_height_db(beta * y_t, k) - _g_height_db(beta * y_r, k)


@nb.njit(cache=True)
def _first_term_mixed_db(d_km, h_te_m, h_re_m, a_dft_km, f_ghz, omega, pol):
    """L_dft = ω L_dft,sea + (1 − ω) L_dft,land, P.1812-6 eq. (28)."""
    l_land = 0.0
    l_sea = 0.0
    if omega < 1.0:
        l_land = first_term_loss_db(
            EPS_R_LAND, SIGMA_LAND_S_M, d_km, h_te_m, h_re_m, a_dft_km, f_ghz, pol
        )
    if omega > 0.0:
        l_sea = first_term_loss_db(
            EPS_R_SEA, SIGMA_SEA_S_M, d_km, h_te_m, h_re_m, a_dft_km, f_ghz, pol
        )
    return omega * l_sea + (1.0 - omega) * l_land


@nb.njit(cache=True)
def spherical_earth_diffraction_db(d_tot_m, h_te_m, h_re_m, f_mhz, a_e_m, omega, pol, out):
    """Spherical-earth diffraction loss L_dsph [dB], P.1812-6 §4.3.2 eqs (22)–(27).

    Scalar kernel: path length ``d_tot_m`` [m], effective antenna heights above the smooth
    earth ``h_te_m``, ``h_re_m`` [m] (> 0), ``omega`` fraction of the path over sea
    (0 … 1), ``pol`` 1 horizontal / 2 vertical. Beyond the marginal LoS distance d_los
    (eq. 22) L_dsph = L_dft(a_e); inside it, the clearance h_se (eqs 23–24) is compared
    with h_req (eq. 25): zero loss if h_se > h_req, else L_dft for the modified radius
    a_em (eq. 26) scaled by (1 − h_se/h_req) (eq. 27), floored at 0. Same method as
    P.526-15 §3.2. ``out`` (≥ SPH_N_OUT) gets the SPH_* intermediates.
    """
    lam_m = C_ITU_M_S / (f_mhz * 1e6)
    f_ghz = f_mhz * 1e-3
    d_km = d_tot_m * 1e-3
    ae_km = a_e_m * 1e-3
    d_los_m = math.sqrt(2.0 * a_e_m) * (math.sqrt(h_te_m) + math.sqrt(h_re_m))  # eq. (22)
    out[SPH_DLOS_M] = d_los_m
    out[SPH_HSE_M] = np.nan
    out[SPH_HREQ_M] = np.nan
    out[SPH_AEM_M] = np.nan
    out[SPH_LDFT] = np.nan
    out[SPH_HTE_M] = h_te_m
    out[SPH_HRE_M] = h_re_m
    if d_tot_m >= d_los_m:
        l_dft = _first_term_mixed_db(d_km, h_te_m, h_re_m, ae_km, f_ghz, omega, pol)
        out[SPH_LDFT] = l_dft
        out[SPH_LDSPH] = l_dft
        return l_dft
    # Smallest clearance between the curved-earth path and the ray, eqs (23)–(24).
    c = (h_te_m - h_re_m) / (h_te_m + h_re_m)  # eq. (24d)
    m = d_tot_m * d_tot_m / (4.0 * a_e_m * (h_te_m + h_re_m))  # eq. (24e), = 250 d²/(a_e(h+h))
    b = (
        2.0
        * math.sqrt((m + 1.0) / (3.0 * m))
        * math.cos(math.pi / 3.0 + math.acos(1.5 * c * math.sqrt(3.0 * m / (m + 1.0) ** 3)) / 3.0)
    )  # eq. (24c)
    d_se1 = 0.5 * d_tot_m * (1.0 + b)  # eq. (24a)
    d_se2 = d_tot_m - d_se1  # eq. (24b)
    h_se = (
        (h_te_m - d_se1 * d_se1 / (2.0 * a_e_m)) * d_se2
        + (h_re_m - d_se2 * d_se2 / (2.0 * a_e_m)) * d_se1
    ) / d_tot_m  # eq. (23)
    # Eq. (25), distances in km and λ in m as written in the Recommendation.
    h_req = 17.456 * math.sqrt(d_se1 * 1e-3 * d_se2 * 1e-3 * lam_m / d_km)
    out[SPH_HSE_M] = h_se
    out[SPH_HREQ_M] = h_req
    if h_se > h_req:
        out[SPH_LDSPH] = 0.0
        return 0.0
    s = math.sqrt(h_te_m) + math.sqrt(h_re_m)
    a_em_m = 0.5 * d_tot_m * d_tot_m / (s * s)  # eq. (26): 500 (d/(√h_te + √h_re))² km
    out[SPH_AEM_M] = a_em_m
    l_dft = _first_term_mixed_db(d_km, h_te_m, h_re_m, a_em_m * 1e-3, f_ghz, omega, pol)
    out[SPH_LDFT] = l_dft
    if l_dft < 0.0:
        out[SPH_LDSPH] = 0.0
        return 0.0
    l_dsph = (1.0 - h_se / h_req) * l_dft  # eq. (27)
    out[SPH_LDSPH] = l_dsph
    return l_dsph


@nb.njit(cache=True)
def _smooth_surface(d_m, h_m, h_ts_m, h_rs_m):
    """Smooth-earth surface of P.1812-6 Attachment 1 §5.6.1–5.6.2.

    Least-squares straight line through the bare terrain h_i (eqs 85–88) and its
    correction for obstructions above the Tx–Rx ray (eqs 89–91). Returns
    (h_st, h_sr, h_std, h_srd) [m amsl]; h_st, h_sr are the uncorrected eq. (87)/(88) values.
    """
    n = d_m.shape[0]
    d0 = d_m[0]
    d_tot = d_m[n - 1] - d0
    v1 = 0.0
    v2 = 0.0
    for i in range(1, n):
        di = d_m[i] - d0
        dim1 = d_m[i - 1] - d0
        dd = di - dim1
        v1 += dd * (h_m[i] + h_m[i - 1])  # eq. (85)
        v2 += dd * (h_m[i] * (2.0 * di + dim1) + h_m[i - 1] * (di + 2.0 * dim1))  # eq. (86)
    h_st = (2.0 * v1 * d_tot - v2) / (d_tot * d_tot)  # eq. (87)
    h_sr = (v2 - v1 * d_tot) / (d_tot * d_tot)  # eq. (88)
    # §5.6.2 eqs (89)–(90): highest obstruction h_obs above the Tx–Rx ray, slopes α_obt, α_obr.
    h_obs = -np.inf
    a_obt = -np.inf
    a_obr = -np.inf
    for i in range(1, n - 1):
        di = d_m[i] - d0
        dr = d_tot - di
        hh = h_m[i] - (h_ts_m * dr + h_rs_m * di) / d_tot  # height above the ray
        if hh > h_obs:
            h_obs = hh
        if hh / di > a_obt:
            a_obt = hh / di
        if hh / dr > a_obr:
            a_obr = hh / dr
    if h_obs <= 0.0:  # no obstruction: provisional = least-squares heights
        h_stp = h_st
        h_srp = h_sr
    else:  # split h_obs between the terminals in the ratio of the slopes
        g_t = a_obt / (a_obt + a_obr)
        g_r = a_obr / (a_obt + a_obr)
        h_stp = h_st - h_obs * g_t
        h_srp = h_sr - h_obs * g_r
    # Eq. (91): the surface may not lie above the ground at the terminals.
    h_std = h_m[0] if h_stp >= h_m[0] else h_stp
    h_srd = h_m[n - 1] if h_srp > h_m[n - 1] else h_srp
    return h_st, h_sr, h_std, h_srd


@nb.njit(cache=True)
def _delta_bullington(d_m, h_m, r_m, mode, h_tx_m, h_rx_m, f_mhz, a_e_m, omega, pol, out):
    """Delta-Bullington L_d [dB], P.1812-6 §4.3.4 eqs (37)–(39) = P.526-15 §4.5.2."""
    n = d_m.shape[0]
    d_tot = d_m[n - 1] - d_m[0]
    lam_m = C_ITU_M_S / (f_mhz * 1e6)
    h_ts = h_m[0] + h_tx_m
    h_rs = h_m[n - 1] + h_rx_m
    h_st, h_sr, h_std, h_srd = _smooth_surface(d_m, h_m, h_ts, h_rs)
    # Bullington for the actual profile (with clutter at intermediate points if given).
    l_bulla, _, nu_a, path_a, _, _, _, _ = _bullington(
        d_m, h_m, r_m, mode, h_ts, h_rs, lam_m, a_e_m
    )
    # Second time: all profile heights zero, antenna heights above the smooth surface.
    h_te = h_ts - h_std  # eq. (37a) / (38a)
    h_re = h_rs - h_srd  # eq. (37b) / (38b)
    l_bulls, _, nu_s, _, _, _, _, _ = _bullington(d_m, h_m, r_m, _G_ZERO, h_te, h_re, lam_m, a_e_m)
    l_dsph = spherical_earth_diffraction_db(d_tot, h_te, h_re, f_mhz, a_e_m, omega, pol, out)
    l_d = l_bulla + max(l_dsph - l_bulls, 0.0)  # eq. (39)
    out[DB_LD] = l_d
    out[DB_LBULLA] = l_bulla
    out[DB_LBULLS] = l_bulls
    out[DB_LDSPH] = l_dsph
    out[DB_HTS_M] = h_ts
    out[DB_HRS_M] = h_rs
    out[DB_HST_M] = h_st
    out[DB_HSR_M] = h_sr
    out[DB_HSTD_M] = h_std
    out[DB_HSRD_M] = h_srd
    out[DB_HTE_M] = h_te
    out[DB_HRE_M] = h_re
    out[DB_NU_BULLA] = nu_a
    out[DB_NU_BULLS] = nu_s
    out[DB_PATHTYPE] = path_a
    return l_d


@nb.njit(cache=True)
def delta_bullington_loss_db(d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, omega, pol, out):
    """Delta-Bullington diffraction loss L_d [dB] of a bare-terrain profile.

    P.1812-6 §4.3.4 (= P.526-15 §4.5.2 "complete method", P.452-17 §4.2.3):
    L_d = L_bulla + max(L_dsph − L_bulls, 0) (eq. 39), where L_bulla is Bullington on the
    actual profile, L_bulls Bullington with all heights zero and antenna heights
    h_ts − h_std, h_rs − h_srd above the smooth-earth surface (eqs 37, Attachment 1
    §5.6.2), and L_dsph the spherical-earth loss for the same heights (eq. 38, §4.3.2).
    ``omega``: fraction of the path over sea; ``pol``: 1 horizontal, 2 vertical.
    ``out`` (≥ max(DB_N_OUT, SPH_N_OUT)) gets the DB_* intermediates; slots 0…7 are first
    used for the SPH_* values and then overwritten by the DB_* ones.
    """
    return _delta_bullington(
        d_m, h_m, h_m, _G_TERRAIN, h_tx_m, h_rx_m, f_mhz, a_e_m, omega, pol, out
    )


@nb.njit(cache=True)
def delta_bullington_clutter_loss_db(d_m, h_m, r_m, h_tx_m, h_rx_m, f_mhz, a_e_m, omega, pol, out):
    """Delta-Bullington with representative clutter heights, as P.1812-6 §3.2 / §4.3.

    ``r_m``: clutter height R_i [m] of each point. L_bulla uses g_i = h_i + R_i at the
    intermediate points and the bare terrain at the terminals (P.1812-6: terminal clutter
    is no longer added to the profile; h_tc = h_ts, h_rc = h_rs, Table 5); the smooth-earth
    surface (h_std, h_srd) is fitted to the bare terrain h_i (Attachment 1 §5.6), which is
    also what the ITU reference implementation does. Otherwise as
    :func:`delta_bullington_loss_db`.
    """
    return _delta_bullington(
        d_m, h_m, r_m, _G_CLUTTER, h_tx_m, h_rx_m, f_mhz, a_e_m, omega, pol, out
    )


@nb.njit(cache=True)
def spherical_earth_loss_db(d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, omega, pol, out):
    """Spherical-earth diffraction loss L_dsph [dB] of a profile (P.1812-6 §4.3.2, eq. 38).

    Fits the smooth-earth surface (Attachment 1 §5.6.1–5.6.2) and evaluates
    :func:`spherical_earth_diffraction_db` for h_te = h_ts − h_std, h_re = h_rs − h_srd.
    ``out`` (≥ SPH_N_OUT) gets the SPH_* intermediates.
    """
    n = d_m.shape[0]
    h_ts = h_m[0] + h_tx_m
    h_rs = h_m[n - 1] + h_rx_m
    _, _, h_std, h_srd = _smooth_surface(d_m, h_m, h_ts, h_rs)
    return spherical_earth_diffraction_db(
        d_m[n - 1] - d_m[0], h_ts - h_std, h_rs - h_srd, f_mhz, a_e_m, omega, pol, out
    )


@nb.njit(cache=True)
def path_geometry(d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, out):
    """Path-profile parameters of P.1812-6 Attachment 1 §4–§5 (bare terrain h_i).

    Horizon elevation angles and distances θ_t, d_lt (eqs 76–80), θ_r, d_lr (eqs 81–83),
    angular distance θ (eq. 84), smooth-surface heights (eqs 85–92), ducting effective
    heights h_te, h_re (eq. 94) and roughness h_m (eq. 95). On LoS paths d_lt is at the
    point of highest ν (eq. 15), d_lr = d − d_lt. Ties: first point for d_lt on
    trans-horizon paths, last point otherwise (as the reference implementation).
    Returns the path type (PATH_LOS / PATH_TRANSHORIZON); ``out`` (≥ GEO_N_OUT) gets GEO_*.
    """
    n = d_m.shape[0]
    d0 = d_m[0]
    d_tot = d_m[n - 1] - d0
    two_ae = 2.0 * a_e_m
    lam_m = C_ITU_M_S / (f_mhz * 1e6)
    h_ts = h_m[0] + h_tx_m
    h_rs = h_m[n - 1] + h_rx_m
    h_st_n, h_sr_n, h_std, h_srd = _smooth_surface(d_m, h_m, h_ts, h_rs)
    # Eq. (77): θ_i = atan((h_i − h_ts)/d_i − d_i/(2 a_e)); atan is monotonic, so compare the
    # arguments and take one atan.
    x_max = -np.inf
    l_t = 0
    for i in range(1, n - 1):
        di = d_m[i] - d0
        x = (h_m[i] - h_ts) / di - di / two_ae
        if x > x_max:
            x_max = x
            l_t = i
    x_td = (h_rs - h_ts) / d_tot - d_tot / two_ae  # eq. (78)
    if x_max > x_td:
        pathtype = PATH_TRANSHORIZON
        theta_t = 1e3 * math.atan(x_max)  # eq. (79)
        d_lt = d_m[l_t] - d0  # eq. (80)
        x_r = -np.inf
        l_r = n - 2
        for i in range(1, n - 1):
            dr = d_tot - (d_m[i] - d0)
            x = (h_m[i] - h_rs) / dr - dr / two_ae  # eq. (82a)
            if x >= x_r:  # last of equal maxima
                x_r = x
                l_r = i
        theta_r = 1e3 * math.atan(x_r)  # eq. (82)
        d_lr = d_tot - (d_m[l_r] - d0)  # eq. (83)
    else:
        pathtype = PATH_LOS
        theta_t = 1e3 * math.atan(x_td)  # eq. (79) with θ_max ≤ θ_td
        theta_r = 1e3 * math.atan((h_ts - h_rs) / d_tot - d_tot / two_ae)  # eq. (81)
        nu_max = -np.inf
        l_t = 1
        for i in range(1, n - 1):
            di = d_m[i] - d0
            dr = d_tot - di
            clear = h_m[i] + di * dr / two_ae - (h_ts * dr + h_rs * di) / d_tot
            v = clear * math.sqrt(2.0 * d_tot / (lam_m * di * dr))  # eq. (15)
            if v >= nu_max:
                nu_max = v
                l_t = i
        l_r = l_t
        d_lt = d_m[l_t] - d0  # eq. (80)
        d_lr = d_tot - d_lt  # eq. (83a)
    theta = 1e3 * d_tot / a_e_m + theta_t + theta_r  # eq. (84)
    # Attachment 1 §5.6.3: surface for the ducting / layer-reflection model.
    h_st = min(h_st_n, h_m[0])  # eq. (92a)
    h_sr = min(h_sr_n, h_m[n - 1])  # eq. (92b)
    slope = (h_sr - h_st) / d_tot  # eq. (93)
    h_te = h_tx_m + h_m[0] - h_st  # eq. (94a)
    h_re = h_rx_m + h_m[n - 1] - h_sr  # eq. (94b)
    h_rough = -np.inf
    for i in range(l_t, l_r + 1):  # eq. (95)
        v = h_m[i] - (h_st + slope * (d_m[i] - d0))
        if v > h_rough:
            h_rough = v
    out[GEO_HTS_M] = h_ts
    out[GEO_HRS_M] = h_rs
    out[GEO_HST_N_M] = h_st_n
    out[GEO_HSR_N_M] = h_sr_n
    out[GEO_HST_M] = h_st
    out[GEO_HSR_M] = h_sr
    out[GEO_HSTD_M] = h_std
    out[GEO_HSRD_M] = h_srd
    out[GEO_HTE_M] = h_te
    out[GEO_HRE_M] = h_re
    out[GEO_HM_M] = h_rough
    out[GEO_DLT_M] = d_lt
    out[GEO_DLR_M] = d_lr
    out[GEO_THETA_T_MRAD] = theta_t
    out[GEO_THETA_R_MRAD] = theta_r
    out[GEO_THETA_MRAD] = theta
    out[GEO_PATHTYPE] = pathtype
    return pathtype


@nb.njit(cache=True)
def _max_nu(d_m, h_m, i0, i1, z0_m, z1_m, lam_m, a_e_m):
    """Highest Fresnel–Kirchhoff ν over points i0 < i < i1, for the ray (d_i0, z0)–(d_i1, z1).

    Heights relative to the sub-path chord with the bulge (d_i − d_i0)(d_i1 − d_i)/(2 a_e);
    ν = h √(2 d / (λ d_1 d_2)) (P.526-15 eq. 22). Returns (ν_max, index), (−inf, −1) if empty.
    """
    x0 = d_m[i0]
    span = d_m[i1] - x0
    two_ae = 2.0 * a_e_m
    nu_max = -np.inf
    i_max = -1
    for i in range(i0 + 1, i1):
        d1 = d_m[i] - x0
        d2 = span - d1
        clear = h_m[i] + d1 * d2 / two_ae - (z0_m * d2 + z1_m * d1) / span
        v = clear * math.sqrt(2.0 * span / (lam_m * d1 * d2))
        if v > nu_max:
            nu_max = v
            i_max = i
    return nu_max, i_max


@nb.njit(cache=True)
def deygout_loss_db(d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, empirical_correction, out):
    """Deygout diffraction loss [dB] with up to three knife edges.

    The principal edge p is the point of highest ν over the whole path; if it obstructs
    (ν_p > −0.78), the edge of highest ν between the Tx and p (ray Tx antenna → top of p)
    and between p and the Rx (ray top of p → Rx antenna) are added. Knife-edge losses J(ν)
    are P.526-15 eq. (31), 0 for ν ≤ −0.78.

    ``empirical_correction=True``: the form of the cascaded knife-edge method of ITU-R
    P.526-11 (10/2009) §4.4.2, L = J(ν_p) + T [J(ν_t) + J(ν_r) + C] with
    T = 1 − exp(−J(ν_p)/6) and C = 10 + 0.04 D [dB], D in km. No current edition has it:
    from P.526-13 (2013) on, §4.4 keeps only multiple isolated cylinders and §4.5 gives
    Bullington and the complete (delta-Bullington) method, as P.526-15 §4.5 does.
    ``False``: the plain Deygout sum L = J(ν_p) + J(ν_t) + J(ν_r). Not monotone in the
    terrain heights (raising the principal edge can shadow the secondary ones).
    ``out`` (≥ DEY_N_OUT) gets the DEY_* intermediates.
    """
    n = d_m.shape[0]
    lam_m = C_ITU_M_S / (f_mhz * 1e6)
    h_ts = h_m[0] + h_tx_m
    h_rs = h_m[n - 1] + h_rx_m
    nu_p, i_p = _max_nu(d_m, h_m, 0, n - 1, h_ts, h_rs, lam_m, a_e_m)
    l_p = knife_edge_loss_db(nu_p)
    nu_t = -np.inf
    nu_r = -np.inf
    i_t = -1
    i_r = -1
    l_t = 0.0
    l_r = 0.0
    if l_p > 0.0:
        nu_t, i_t = _max_nu(d_m, h_m, 0, i_p, h_ts, h_m[i_p], lam_m, a_e_m)
        nu_r, i_r = _max_nu(d_m, h_m, i_p, n - 1, h_m[i_p], h_rs, lam_m, a_e_m)
        l_t = knife_edge_loss_db(nu_t)
        l_r = knife_edge_loss_db(nu_r)
    if empirical_correction:
        t = 1.0 - math.exp(-l_p / 6.0)
        c = 10.0 + 0.04 * (d_m[n - 1] - d_m[0]) * 1e-3
        loss = l_p + t * (l_t + l_r + c)
    else:
        t = 1.0
        c = 0.0
        loss = l_p + l_t + l_r
    out[DEY_L] = loss
    out[DEY_LP] = l_p
    out[DEY_LT] = l_t
    out[DEY_LR] = l_r
    out[DEY_NU_P] = nu_p
    out[DEY_NU_T] = nu_t
    out[DEY_NU_R] = nu_r
    out[DEY_I_P] = i_p
    out[DEY_I_T] = i_t
    out[DEY_I_R] = i_r
    out[DEY_T] = t
    out[DEY_C] = c
    return loss


@nb.njit(cache=True)
def knife_edge_profile_loss_db(d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, out):
    """Single knife-edge loss J(ν_max) [dB] at the dominant edge of the profile.

    The edge is the intermediate point of highest ν = h √(2 d/(λ d_1 d_2)) (P.526-15
    eq. 22, curvature bulge included, as eq. 15 of P.1812-6); J from P.526-15 eq. (31),
    0 for ν ≤ −0.78 (§4.1). ``out`` (≥ KE_N_OUT) gets the KE_* intermediates.
    """
    n = d_m.shape[0]
    lam_m = C_ITU_M_S / (f_mhz * 1e6)
    h_ts = h_m[0] + h_tx_m
    h_rs = h_m[n - 1] + h_rx_m
    nu, i_e = _max_nu(d_m, h_m, 0, n - 1, h_ts, h_rs, lam_m, a_e_m)
    j = knife_edge_loss_db(nu)
    out[KE_J] = j
    out[KE_NU] = nu
    out[KE_I] = i_e
    if i_e >= 0:
        d_tot = d_m[n - 1] - d_m[0]
        d1 = d_m[i_e] - d_m[0]
        d2 = d_tot - d1
        out[KE_H_M] = h_m[i_e] + d1 * d2 / (2.0 * a_e_m) - (h_ts * d2 + h_rs * d1) / d_tot
    else:
        out[KE_H_M] = np.nan
    return j
