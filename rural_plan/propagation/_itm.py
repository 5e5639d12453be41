"""Numba kernels of the ITS Irregular Terrain Model (ITM, Longley-Rice), version 1.2.2.

Point-to-point mode (terrain profile) and area mode, written from the published algorithm
and behaving like NTIA's C++ release v1.4 ("functionally identical to FORTRAN v1.2.2"),
so that results agree with it to round-off. Everything here is float64 maths on arrays
and scalars; no Python objects inside the compiled code.

Symbols follow the documents. References used in the docstrings:

* [Algorithm] G. A. Hufford, "The ITS Irregular Terrain Model, version 1.2.2: the
  algorithm", NTIA/ITS, 1995 (section and equation numbers as in that note).
* [TN101] P. L. Rice, A. G. Longley, K. A. Norton, A. P. Barsis, "Transmission loss
  predictions for tropospheric communication circuits", NBS Technical Note 101, 1967
  (vol. 1 chapters, vol. 2 annex III equations written "III.n").
* [ERL 79-ITS 67] A. G. Longley, P. L. Rice, "Prediction of tropospheric radio
  transmission loss over irregular terrain: a computer method - 1968", ESSA Tech. Rep.
* [Hufford 1982] G. A. Hufford, A. G. Longley, W. A. Kissick, "A guide to the use of the
  ITS Irregular Terrain Model in the area prediction mode", NTIA Report 82-100
  (NTIS PB82-217977).
* [Vogler 1964] L. E. Vogler, "Calculation of groundwave attenuation in the far
  diffraction region", J. Res. NBS 68D(7), 1964.
* [NTIA C++] github.com/NTIA/itm v1.4, the behavioural reference for branch rules,
  warning flags and error codes (function names cited as e.g. ``QuickPfl``).

Profiles are given as elevations ``z[0..n]`` (metres above sea level, transmitter first)
and a constant spacing ``x_i`` [m]; this is the PFL array ``[n, x_i, z_0..z_n]`` of the
original without its two-number header.

Kernels write their intermediate values into a caller-supplied float64 array ``out`` of
length at least :data:`OUT_SIZE`, at the ``OUT_*`` indices below.
"""

from __future__ import annotations

import cmath
import math

import numba as nb
import numpy as np

# --------------------------------------------------------------------------------------
# Layout of the ``out`` array of intermediate values
# --------------------------------------------------------------------------------------
OUT_THETA_HZN_TX = 0  # horizon elevation angle at the transmitter θ_h1 [rad]
OUT_THETA_HZN_RX = 1  # horizon elevation angle at the receiver θ_h2 [rad]
OUT_D_HZN_TX_M = 2  # horizon distance d_L1 [m]
OUT_D_HZN_RX_M = 3  # horizon distance d_L2 [m]
OUT_H_E_TX_M = 4  # effective height h_e1 [m]
OUT_H_E_RX_M = 5  # effective height h_e2 [m]
OUT_N_S = 6  # surface refractivity N_s [N-units]
OUT_DELTA_H_M = 7  # terrain irregularity Δh [m]
OUT_A_REF_DB = 8  # reference attenuation A_ref [dB]
OUT_A_FS_DB = 9  # free-space basic transmission loss [dB]
OUT_D_M = 10  # path distance d [m]
OUT_MODE = 11  # NTIA propagation mode: 1 line of sight, 2 diffraction, 3 troposcatter
OUT_WARNINGS = 12  # NTIA warning bit flags
OUT_ERROR = 13  # 0 or the NTIA error code (then the returned loss is NaN)
OUT_PATH_TYPE = 14  # geometric path: 0 line of sight, 1 single horizon, 2 double horizon
OUT_A_VAR_DB = 15  # A_ref after variability (loss minus free space) [dB]
OUT_SIZE = 16

# NTIA propagation modes (Enums.h)
MODE_NOT_SET = 0
MODE_LINE_OF_SIGHT = 1
MODE_DIFFRACTION = 2
MODE_TROPOSCATTER = 3

# Geometric path types, from the horizon search on the profile
PATH_LINE_OF_SIGHT = 0
PATH_SINGLE_HORIZON = 1
PATH_DOUBLE_HORIZON = 2

# NTIA warning flags (Warnings.h)
WARN_TX_TERMINAL_HEIGHT = 0x0001
WARN_RX_TERMINAL_HEIGHT = 0x0002
WARN_FREQUENCY = 0x0004
WARN_PATH_DISTANCE_TOO_BIG_1 = 0x0008
WARN_PATH_DISTANCE_TOO_BIG_2 = 0x0010
WARN_PATH_DISTANCE_TOO_SMALL_1 = 0x0020
WARN_PATH_DISTANCE_TOO_SMALL_2 = 0x0040
WARN_TX_HORIZON_ANGLE = 0x0080
WARN_RX_HORIZON_ANGLE = 0x0100
WARN_TX_HORIZON_DISTANCE_1 = 0x0200
WARN_RX_HORIZON_DISTANCE_1 = 0x0400
WARN_TX_HORIZON_DISTANCE_2 = 0x0800
WARN_RX_HORIZON_DISTANCE_2 = 0x1000
WARN_EXTREME_VARIABILITIES = 0x2000
WARN_SURFACE_REFRACTIVITY = 0x4000

# NTIA error codes (Errors.h) that the kernels can produce
ERROR_TX_TERMINAL_HEIGHT = 1000
ERROR_RX_TERMINAL_HEIGHT = 1001
ERROR_INVALID_RADIO_CLIMATE = 1002
ERROR_INVALID_TIME = 1003
ERROR_INVALID_LOCATION = 1004
ERROR_INVALID_SITUATION = 1005
ERROR_FREQUENCY = 1009
ERROR_POLARIZATION = 1010
ERROR_EPSILON = 1011
ERROR_SIGMA = 1012
ERROR_GROUND_IMPEDANCE = 1013
ERROR_MDVAR = 1014
ERROR_EFFECTIVE_EARTH = 1016
ERROR_PATH_DISTANCE = 1017
ERROR_DELTA_H = 1018
ERROR_TX_SITING_CRITERIA = 1019
ERROR_RX_SITING_CRITERIA = 1020
ERROR_SURFACE_REFRACTIVITY_SMALL = 1021
ERROR_SURFACE_REFRACTIVITY_LARGE = 1022
ERROR_PROFILE = 1100  # not NTIA: profile has fewer than 3 points or a spacing <= 0

# Physical constants of the algorithm
_A_0_M = 6370e3  # actual earth radius used by Vogler's C_0 [m]
_A_9000_M = 9000e3  # 9000 km earth radius of the variability distance [m], [Algorithm 5.3]
_GAMMA_A = 157e-9  # curvature of the actual earth [1/m], [Algorithm 3.1]
_THIRD = 1.0 / 3.0
_SQRT2 = math.sqrt(2.0)

# Variability curve coefficients, one column per radio climate 1..7 ([Algorithm] §5,
# TN101 fig. 10.13 fitted by TN101 eq. III.69/III.70; numbers as published in v1.2.2).
# Rows of the median-adjustment curve V_med: c1, c2, x1, x2, x3.
_ALL_YEAR = np.array(
    [
        [-9.67, -0.62, 1.26, -9.21, -0.62, -0.39, 3.15],
        [12.7, 9.19, 15.5, 9.05, 9.19, 2.86, 857.9],
        [144.9e3, 228.9e3, 262.6e3, 84.1e3, 228.9e3, 141.7e3, 2222.0e3],
        [190.3e3, 205.2e3, 185.2e3, 101.1e3, 205.2e3, 315.9e3, 164.8e3],
        [133.8e3, 143.6e3, 99.8e3, 98.6e3, 143.6e3, 167.4e3, 116.3e3],
    ]
)
# σ_T− curve (b_sm1, b_sm2, x_sm1, x_sm2, x_sm3) and σ_T+ curve (b_sp1 … x_sp3)
_SIGMA_T_MINUS = np.array(
    [
        [2.13, 2.66, 6.11, 1.98, 2.68, 6.86, 8.51],
        [159.5, 7.67, 6.65, 13.11, 7.16, 10.38, 169.8],
        [762.2e3, 100.4e3, 138.2e3, 139.1e3, 93.7e3, 187.8e3, 609.8e3],
        [123.6e3, 172.5e3, 242.2e3, 132.7e3, 186.8e3, 169.6e3, 119.9e3],
        [94.5e3, 136.4e3, 178.6e3, 193.5e3, 133.5e3, 108.9e3, 106.6e3],
    ]
)
_SIGMA_T_PLUS = np.array(
    [
        [2.11, 6.87, 10.08, 3.68, 4.75, 8.58, 8.43],
        [102.3, 15.53, 9.60, 159.3, 8.12, 13.97, 8.19],
        [636.9e3, 138.7e3, 165.3e3, 464.4e3, 93.2e3, 216.0e3, 136.2e3],
        [134.8e3, 143.7e3, 225.7e3, 93.1e3, 135.9e3, 152.0e3, 188.5e3],
        [95.6e3, 98.6e3, 129.7e3, 94.2e3, 113.4e3, 122.7e3, 122.9e3],
    ]
)
# C_D and z_D of [Algorithm, Table 5.1]
_C_D = np.array([1.224, 0.801, 1.380, 1.000, 1.224, 1.518, 1.518])
_Z_D = np.array([1.282, 2.161, 1.282, 20.0, 1.282, 1.282, 1.282])
# frequency factors g− (b_fm1..3) and g+ (b_fp1..3) of the time variability
_G_MINUS = np.array(
    [
        [1.0, 1.0, 1.0, 1.0, 0.92, 1.0, 1.0],
        [0.0, 0.0, 0.0, 0.0, 0.25, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 1.77, 0.0, 0.0],
    ]
)
_G_PLUS = np.array(
    [
        [1.0, 0.93, 1.0, 0.93, 0.93, 1.0, 1.0],
        [0.0, 0.31, 0.0, 0.19, 0.31, 0.0, 0.0],
        [0.0, 2.00, 0.0, 1.79, 2.00, 0.0, 0.0],
    ]
)
# H_01(r, j) curve constants a_j, b_j of [Algorithm 6.13]
_H0_A = np.array([25.0, 80.0, 177.0, 395.0, 705.0])
_H0_B = np.array([24.0, 45.0, 68.0, 80.0, 105.0])


# --------------------------------------------------------------------------------------
# Small special functions
# --------------------------------------------------------------------------------------
@nb.njit(cache=True)
def inverse_ccdf(q):
    """Inverse of the standard normal complementary CDF, Q⁻¹(q), 0 < q < 1.

    Abramowitz & Stegun 26.2.23 rational approximation, |error| < 4.5e-4, as used by
    [Algorithm, §5 "qerfi"].
    """
    c0 = 2.515516
    c1 = 0.802853
    c2 = 0.010328
    d1 = 1.432788
    d2 = 0.189269
    d3 = 0.001308
    x = q
    if q > 0.5:
        x = 1.0 - x
    t = math.sqrt(-2.0 * math.log(x))
    zeta = ((c2 * t + c1) * t + c0) / (((d3 * t + d2) * t + d1) * t + 1.0)
    z = t - zeta
    if q > 0.5:
        z = -z
    return z


@nb.njit(cache=True)
def terrain_roughness(d_m, delta_h_m):
    """Δh(d) = Δh · (1 − 0.8 e^{−d/50 km}), [ERL 79-ITS 67, eq. 3] / [Algorithm 3.9]."""
    return delta_h_m * (1.0 - 0.8 * math.exp(-d_m / 50e3))


@nb.njit(cache=True)
def sigma_h(delta_h_m):
    """σ_h(Δh) = 0.78 Δh e^{−(Δh)^{1/4}/2} [m], [ERL 79-ITS 67, eq. 3.6a] / [Algorithm 3.10]."""
    return 0.78 * delta_h_m * math.exp(-0.5 * delta_h_m**0.25)


@nb.njit(cache=True)
def fresnel_knife_edge_db(v2):
    """Knife-edge attenuation A(v, 0) [dB] as a function of v² ([TN101 III.24b,c]).

    6.02 + 9.11 v − 1.27 v² for v < 2.4, else 12.953 + 20 log10 v ([Algorithm 4.21]).
    """
    if v2 < 5.76:
        return 6.02 + 9.11 * math.sqrt(v2) - 1.27 * v2
    return 12.953 + 10.0 * math.log10(v2)


@nb.njit(cache=True)
def ntia_free_space_loss_db(d_m, f_mhz):
    """Free-space loss as ITM 1.2.2 computes it: 32.45 + 20 log10 f_MHz + 20 log10 d_km
    [dB] (NTIA's rounded constant, kept so ITM matches NTIA's code to the bit;
    :func:`rural_plan.units.free_space_loss_db` is the exact P.525 one)."""
    return 32.45 + 20.0 * math.log10(f_mhz) + 20.0 * math.log10(d_m / 1000.0)


# --------------------------------------------------------------------------------------
# Diffraction region
# --------------------------------------------------------------------------------------
@nb.njit(cache=True)
def _knife_edge_db(d_m, f_mhz, a_e_m, theta_los, d_l1_m, d_l2_m):
    """Double knife-edge attenuation A_k = A(v₁,0) + A(v₂,0), [Algorithm 4.14-4.16].

    θ = d/a − θ_e (angular distance beyond the horizons, [Algorithm 4.12]) and
    v_j² = (k/4π)·θ²·d_Lj·(d − d_L)/(d − d_L + d_Lj), [TN101 I.7] with k = f/47.7 MHz·m.
    """
    d_l = d_l1_m + d_l2_m
    theta = d_m / a_e_m - theta_los
    d_nlos = d_m - d_l
    v1_2 = 0.0795775 * (f_mhz / 47.7) * theta**2 * d_l1_m * d_nlos / (d_nlos + d_l1_m)
    v2_2 = 0.0795775 * (f_mhz / 47.7) * theta**2 * d_l2_m * d_nlos / (d_nlos + d_l2_m)
    return fresnel_knife_edge_db(v1_2) + fresnel_knife_edge_db(v2_2)


@nb.njit(cache=True)
def height_gain_db(x_km, k):
    """Vogler's height-gain function F(x, K) [dB], [Algorithm 4.21-4.22] / [Vogler 1964]."""
    if x_km < 200.0:
        w = -math.log(k)
        if k < 1e-5 or x_km * w**3 > 5495.0:
            result = -117.0
            if x_km > 1.0:
                result = 17.372 * math.log(x_km) + result
        else:
            result = 2.5e-5 * x_km**2 / k - 8.686 * w - 15.0
    else:
        result = 0.05751 * x_km - 4.343 * math.log(x_km)
        if x_km < 2000.0:
            w = 0.0134 * x_km * math.exp(-0.005 * x_km)
            result = (1.0 - w) * result + w * (17.372 * math.log(x_km) - 117.0)
    return result


@nb.njit(cache=True)
def _diffraction_setup(
    d_l1_m,
    d_l2_m,
    h_e1_m,
    h_e2_m,
    abs_z_g,
    delta_h_m,
    h1_m,
    h2_m,
    area_mode,
    d_sml_m,
    f_mhz,
    f_third,
    f_mthird,
):
    """The parts of the diffraction attenuation that do not depend on the distance.

    Computed once per path and shared by the two distances of the diffraction line (the
    original's ``adiff(0)`` set-up call, [Algorithm 4.10-4.23]): the terminal terms of the
    three-radii smooth-earth diffraction (radii a_j = d_Lj²/(2 h_ej), C₀ = (4/3 · a_0 /
    a_j)^{1/3}, K_j = 0.017778 C₀ f^{-1/3}/|Z_g|, x_j = (1.607 − K_j) C₀² f^{1/3} d_Lj,km
    and F(x_j, K_j)), the clutter factor A_fo = min(15, 5 log10(1 + 1e-5 h₁h₂ f
    σ_h(Δh(d_Ls)))) [ERL 79-ITS 67, 3.38c] and √(1 + (h_e1h_e2 − h₁h₂)/(h₁h₂ + C)) of the
    weight (C = 10 in point-to-point mode, 0 in area mode); ``f_third``, ``f_mthird`` are
    f^{1/3}, f^{-1/3}. Returns the tuple
    ``(f^{1/3}, f^{-1/3}, x₁, x₂, F(x₁,K₁), F(x₂,K₂), A_fo, √(…))``.
    """
    a1 = 0.5 * d_l1_m**2 / h_e1_m
    a2 = 0.5 * d_l2_m**2 / h_e2_m
    d1_km = d_l1_m / 1000.0
    d2_km = d_l2_m / 1000.0
    c0_1 = ((4.0 / 3.0) * _A_0_M / a1) ** _THIRD
    c0_2 = ((4.0 / 3.0) * _A_0_M / a2) ** _THIRD
    k1 = 0.017778 * c0_1 * f_mthird / abs_z_g
    k2 = 0.017778 * c0_2 * f_mthird / abs_z_g
    b0_1 = 1.607 - k1
    b0_2 = 1.607 - k2
    x1 = b0_1 * c0_1**2 * f_third * d1_km
    x2 = b0_2 * c0_2**2 * f_third * d2_km
    f1 = height_gain_db(x1, k1)
    f2 = height_gain_db(x2, k2)

    delta_h_dsml = terrain_roughness(d_sml_m, delta_h_m)
    sigma_h_d = sigma_h(delta_h_dsml)
    a_fo = min(15.0, 5.0 * math.log10(1.0 + 1e-5 * h1_m * h2_m * f_mhz * sigma_h_d))

    q = h1_m * h2_m
    qk = h_e1_m * h_e2_m - q
    if not area_mode:
        q += 10.0
    term1 = math.sqrt(1.0 + qk / q)
    return f_third, f_mthird, x1, x2, f1, f2, a_fo, term1


@nb.njit(cache=True)
def _smooth_earth_db(d_m, a_e_m, theta_los, d_l1_m, d_l2_m, abs_z_g, setup):
    """Smooth-earth (rounded) diffraction A_r by Vogler's three-radii method.

    [Algorithm 4.17-4.20]: radii a₀ = (d − d_L)/θ, a_j = d_Lj²/(2 h_ej); for each,
    C₀ = (4/3 · a_0 / a)^{1/3}, K = 0.017778 C₀ f^{-1/3} / |Z_g|, B₀ = 1.607 − K,
    x = B₀ C₀² f^{1/3} d_km; A_r = G(x₀) − F(x₁,K₁) − F(x₂,K₂) − 20 with
    G(x) = 0.05751 x − 10 log10 x ([TN101 8.4], [Vogler 1964 eq. 13]). The terminal terms
    (j = 1, 2) come precomputed in ``setup`` (:func:`_diffraction_setup`).
    """
    f_third, f_mthird, x1, x2, f1, f2, _a_fo, _term1 = setup
    theta = d_m / a_e_m - theta_los
    d_l = d_l1_m + d_l2_m
    a0 = (d_m - d_l) / (d_m / a_e_m - theta_los)
    d0_km = (a0 * theta) / 1000.0
    c0_0 = ((4.0 / 3.0) * _A_0_M / a0) ** _THIRD
    k0 = 0.017778 * c0_0 * f_mthird / abs_z_g
    b0_0 = 1.607 - k0
    x0 = b0_0 * c0_0**2 * f_third * d0_km + x1 + x2
    g0 = 0.05751 * x0 - 10.0 * math.log10(x0)
    return g0 - f1 - f2 - 20.0


@nb.njit(cache=True)
def _diffraction_db(d_m, d_l1_m, d_l2_m, abs_z_g, a_e_m, delta_h_m, theta_los, f_mhz, setup):
    """Diffraction attenuation A_d(d) = w A_r + (1 − w) A_k + A_fo, [Algorithm 4.10-4.23].

    A_fo is the clutter factor [ERL 79-ITS 67, 3.38c]; the weight w = 25.1/(25.1 + √Q) with
    Q = (√(1 + (h_e1h_e2 − h₁h₂)/(h₁h₂ + C)) + (d_L − a θ_e)/d)·min(k Δh(d), 6283.2),
    C = 10 in point-to-point mode and 0 in area mode ([ERL 79-ITS 67, eq. 3.23, p. 3-8]).
    ``setup`` holds the distance-independent terms (:func:`_diffraction_setup`).
    """
    a_fo = setup[6]
    term1 = setup[7]
    a_k = _knife_edge_db(d_m, f_mhz, a_e_m, theta_los, d_l1_m, d_l2_m)
    a_r = _smooth_earth_db(d_m, a_e_m, theta_los, d_l1_m, d_l2_m, abs_z_g, setup)

    delta_h_d = terrain_roughness(d_m, delta_h_m)
    d_l = d_l1_m + d_l2_m
    q = (term1 + (-theta_los * a_e_m + d_l) / d_m) * min(delta_h_d * f_mhz / 47.7, 6283.2)
    w = 25.1 / (25.1 + math.sqrt(q))
    return w * a_r + (1.0 - w) * a_k + a_fo


# --------------------------------------------------------------------------------------
# Line-of-sight region
# --------------------------------------------------------------------------------------
@nb.njit(cache=True)
def _line_of_sight_db(d_m, h_e1_m, h_e2_m, z_g, delta_h_m, m_d, a_d0, d_sml_m, f_mhz):
    """Line-of-sight attenuation A_los(d) = w A_t + (1 − w) A_d, [Algorithm 4.43-4.51].

    Two-ray term with sin ψ = (h_e1 + h_e2)/√(d² + (h_e1 + h_e2)²), the rough-earth
    reflection coefficient R_e' = (sin ψ − Z_g)/(sin ψ + Z_g)·e^{−min(10, k σ_h sin ψ)}
    (magnitude floored as in 4.48), phase δ = 2 k h_e1 h_e2 / d (bent over beyond π/2,
    4.50), A_t = −10 log10|e^{−iδ} + R_e'|²; extended diffraction line A_d = M_d d + A_d0;
    weight w = 1/(1 + f Δh / max(10 km, d_Ls)).
    """
    delta_h_d = terrain_roughness(d_m, delta_h_m)
    sigma_h_d = sigma_h(delta_h_d)
    wn = f_mhz / 47.7
    h_sum = h_e1_m + h_e2_m
    sin_psi = h_sum / math.sqrt(d_m**2 + h_sum**2)
    r_e = (sin_psi - z_g) / (sin_psi + z_g) * math.exp(-min(10.0, wn * sigma_h_d * sin_psi))
    q = r_e.real**2 + r_e.imag**2
    if q < 0.25 or q < sin_psi:
        r_e = r_e * math.sqrt(sin_psi / q)
    delta_phi = wn * 2.0 * h_e1_m * h_e2_m / d_m
    if delta_phi > math.pi / 2.0:
        delta_phi = math.pi - (math.pi / 2.0) ** 2 / delta_phi
    rr_re = math.cos(delta_phi) + r_e.real
    rr_im = -math.sin(delta_phi) + r_e.imag
    a_t = -10.0 * math.log10(rr_re**2 + rr_im**2)
    a_d = m_d * d_m + a_d0
    w = 1.0 / (1.0 + f_mhz * delta_h_m / max(10e3, d_sml_m))
    return w * a_t + (1.0 - w) * a_d


# --------------------------------------------------------------------------------------
# Troposcatter region
# --------------------------------------------------------------------------------------
@nb.njit(cache=True)
def _h0_curve_db(j, r):
    """H_01(r, j) = 10 log10(1 + a_j r⁻⁴ + b_j r⁻²), [Algorithm 6.13]."""
    return 10.0 * math.log10(1.0 + _H0_A[j] * (1.0 / r) ** 4 + _H0_B[j] * (1.0 / r) ** 2)


@nb.njit(cache=True)
def _h0_function_db(r, eta_s):
    """Frequency gain H_0(r, η_s), interpolated between integer η_s in [1, 5], [TN101 §9.2]."""
    eta_s = min(max(eta_s, 1.0), 5.0)
    i = int(eta_s)
    q = eta_s - i
    result = _h0_curve_db(i - 1, r)
    if q != 0.0:
        result = (1.0 - q) * result + q * _h0_curve_db(i, r)
    return result


@nb.njit(cache=True)
def _f_function_db(td):
    """Attenuation function F(θd) [dB], [Algorithm 6.9] (three fitted segments)."""
    if td <= 10e3:
        return 133.4 + 0.332e-3 * td + (-10.0) * math.log10(td)
    if td <= 70e3:
        return 104.6 + 0.212e-3 * td + (-2.5) * math.log10(td)
    return 71.8 + 0.157e-3 * td + 5.0 * math.log10(td)


@nb.njit(cache=True)
def _troposcatter_db(
    d_m,
    theta_h1,
    theta_h2,
    d_l1_m,
    d_l2_m,
    h_e1_m,
    h_e2_m,
    a_e_m,
    n_s,
    f_mhz,
    theta_los,
    h0_prev,
):
    """Troposcatter attenuation A_scat(d), [Algorithm 4.52-4.67] / [TN101 §9].

    Returns ``(A_scat, H_0)``. ``h0_prev`` carries H_0 between the two calls made by the
    reference-attenuation routine (−1 for none): if it already exceeds 15 dB it is reused,
    and a new H_0 above 15 dB is replaced by it ([Algorithm] p. 12). Returns 1001 when both
    r₁, r₂ < 0.2 (A_scat undefined, [Algorithm] p. 11).
    """
    wn = f_mhz / 47.7
    if h0_prev > 15.0:
        h_0 = h0_prev
    else:
        ad = d_l1_m - d_l2_m
        rr = h_e2_m / h_e1_m
        if ad < 0.0:
            ad = -ad
            rr = 1.0 / rr
        theta = theta_h1 + theta_h2 + d_m / a_e_m
        r_1 = 2.0 * wn * theta * h_e1_m
        r_2 = 2.0 * wn * theta * h_e2_m
        if r_1 < 0.2 and r_2 < 0.2:
            return 1001.0, h0_prev
        s = (d_m - ad) / (d_m + ad)
        q = min(max(0.1, rr / s), 10.0)
        s = max(0.1, s)
        h_0_m = (d_m - ad) * (d_m + ad) * theta * 0.25 / d_m
        z_0 = 1.7556e3
        z_1 = 8.0e3
        eta_s = (h_0_m / z_0) * (
            1.0
            + (0.031 - n_s * 2.32e-3 + n_s**2 * 5.67e-6) * math.exp(-(min(1.7, h_0_m / z_1) ** 6))
        )
        h_00 = (_h0_function_db(r_1, eta_s) + _h0_function_db(r_2, eta_s)) / 2.0
        delta_h_0 = min(
            h_00, 6.0 * (0.6 - math.log10(max(eta_s, 1.0))) * math.log10(s) * math.log10(q)
        )
        h_0 = h_00 + delta_h_0
        h_0 = max(h_0, 0.0)
        if eta_s < 1.0:
            h_0 = eta_s * h_0 + (1.0 - eta_s) * 10.0 * math.log10(
                ((1.0 + _SQRT2 / r_1) * (1.0 + _SQRT2 / r_2)) ** 2
                * (r_1 + r_2)
                / (r_1 + r_2 + 2.0 * _SQRT2)
            )
        if h_0 > 15.0 and h0_prev >= 0.0:
            h_0 = h0_prev
    th = d_m / a_e_m - theta_los
    a_scat = (
        _f_function_db(th * d_m)
        + 10.0 * math.log10(wn * 47.7 * th**4)
        - 0.1 * (n_s - 301.0) * math.exp(-th * d_m / 40e3)
        + h_0
    )
    return a_scat, h_0


# --------------------------------------------------------------------------------------
# Reference attenuation
# --------------------------------------------------------------------------------------
@nb.njit(cache=True)
def longley_rice(
    theta_h1,
    theta_h2,
    f_mhz,
    z_g,
    d_l1_m,
    d_l2_m,
    h_e1_m,
    h_e2_m,
    gamma_e,
    n_s,
    delta_h_m,
    h1_m,
    h2_m,
    d_m,
    area_mode,
):
    """Reference attenuation A_ref: :func:`longley_rice_f` with f^{±1/3} computed here."""
    return longley_rice_f(
        theta_h1,
        theta_h2,
        f_mhz,
        z_g,
        d_l1_m,
        d_l2_m,
        h_e1_m,
        h_e2_m,
        gamma_e,
        n_s,
        delta_h_m,
        h1_m,
        h2_m,
        d_m,
        area_mode,
        f_mhz**_THIRD,
        f_mhz ** (-_THIRD),
    )


@nb.njit(cache=True)
def longley_rice_f(
    theta_h1,
    theta_h2,
    f_mhz,
    z_g,
    d_l1_m,
    d_l2_m,
    h_e1_m,
    h_e2_m,
    gamma_e,
    n_s,
    delta_h_m,
    h1_m,
    h2_m,
    d_m,
    area_mode,
    f_third,
    f_mthird,
):
    """Reference attenuation A_ref (median, relative to free space), [Algorithm §4].

    Returns ``(A_ref_db, warnings, mode, error)``. The diffraction line A_d0 + M_d d is fitted
    through two distances far in the diffraction region (d₃, d₄, [Algorithm 4.2-4.9]); for
    d < d_Ls the line-of-sight curve A_o + k₁d + k₂ ln d is fitted through d₀, d₁, d_Ls
    ([Algorithm 4.24-4.42], [ERL 79-ITS 67, 3.16-3.21]); beyond, the troposcatter line is
    fitted at d₅ = d_L + 200 km, d₆ = d_L + 400 km and the diffraction-troposcatter
    transition d_x chosen ([Algorithm 4.52-4.60]). A_ref is floored at 0.
    """
    warnings = 0
    a_e = 1.0 / gamma_e
    d_ls1 = math.sqrt(2.0 * h_e1_m * a_e)
    d_ls2 = math.sqrt(2.0 * h_e2_m * a_e)
    d_sml = d_ls1 + d_ls2
    d_ml = d_l1_m + d_l2_m
    theta_los = -max(theta_h1 + theta_h2, -d_ml / a_e)

    if abs(theta_h1) > 200e-3:
        warnings |= WARN_TX_HORIZON_ANGLE
    if abs(theta_h2) > 200e-3:
        warnings |= WARN_RX_HORIZON_ANGLE
    if d_l1_m < 0.1 * d_ls1:
        warnings |= WARN_TX_HORIZON_DISTANCE_1
    if d_l2_m < 0.1 * d_ls2:
        warnings |= WARN_RX_HORIZON_DISTANCE_1
    if d_l1_m > 3.0 * d_ls1:
        warnings |= WARN_TX_HORIZON_DISTANCE_2
    if d_l2_m > 3.0 * d_ls2:
        warnings |= WARN_RX_HORIZON_DISTANCE_2

    if n_s < 150.0:
        return math.nan, warnings, MODE_NOT_SET, ERROR_SURFACE_REFRACTIVITY_SMALL
    if n_s > 400.0:
        return math.nan, warnings, MODE_NOT_SET, ERROR_SURFACE_REFRACTIVITY_LARGE
    if n_s < 250.0:
        warnings |= WARN_SURFACE_REFRACTIVITY
    if a_e < 4000000.0 or a_e > 13333333.0:
        return math.nan, warnings, MODE_NOT_SET, ERROR_EFFECTIVE_EARTH
    if z_g.real <= abs(z_g.imag):
        return math.nan, warnings, MODE_NOT_SET, ERROR_GROUND_IMPEDANCE
    abs_z_g = abs(z_g)

    # two distances far in the diffraction region, [Algorithm 4.2-4.3]
    x_scale = (a_e**2 / f_mhz) ** _THIRD
    d_3 = max(d_sml, d_ml + 5.0 * x_scale)
    d_4 = d_3 + 10.0 * x_scale
    setup = _diffraction_setup(
        d_l1_m,
        d_l2_m,
        h_e1_m,
        h_e2_m,
        abs_z_g,
        delta_h_m,
        h1_m,
        h2_m,
        area_mode,
        d_sml,
        f_mhz,
        f_third,
        f_mthird,
    )
    a_3 = _diffraction_db(d_3, d_l1_m, d_l2_m, abs_z_g, a_e, delta_h_m, theta_los, f_mhz, setup)
    a_4 = _diffraction_db(d_4, d_l1_m, d_l2_m, abs_z_g, a_e, delta_h_m, theta_los, f_mhz, setup)
    m_d = (a_4 - a_3) / (d_4 - d_3)
    a_d0 = a_3 - m_d * d_3

    d_min = abs(h_e1_m - h_e2_m) / 200e-3
    if d_m < d_min:
        warnings |= WARN_PATH_DISTANCE_TOO_SMALL_1
    if d_m < 1e3:
        warnings |= WARN_PATH_DISTANCE_TOO_SMALL_2
    if d_m > 1000e3:
        warnings |= WARN_PATH_DISTANCE_TOO_BIG_1
    if d_m > 2000e3:
        warnings |= WARN_PATH_DISTANCE_TOO_BIG_2

    if d_m < d_sml:
        # line-of-sight region
        a_sml = d_sml * m_d + a_d0
        d_0 = 0.04 * f_mhz * h_e1_m * h_e2_m  # [ERL 79-ITS 67, 3.16a]
        if a_d0 >= 0.0:
            d_0 = min(d_0, 0.5 * d_ml)
            d_1 = d_0 + 0.25 * (d_ml - d_0)  # [ERL 79-ITS 67, 3.16d]
        else:
            d_1 = max(-a_d0 / m_d, 0.25 * d_ml)
        a_1 = _line_of_sight_db(d_1, h_e1_m, h_e2_m, z_g, delta_h_m, m_d, a_d0, d_sml, f_mhz)
        flag = False
        k_1 = 0.0
        k_2 = 0.0
        if d_0 < d_1:
            a_0 = _line_of_sight_db(d_0, h_e1_m, h_e2_m, z_g, delta_h_m, m_d, a_d0, d_sml, f_mhz)
            q = math.log(d_sml / d_0)
            # [ERL 79-ITS 67, 3.20]
            k_2 = max(
                0.0,
                ((d_sml - d_0) * (a_1 - a_0) - (d_1 - d_0) * (a_sml - a_0))
                / ((d_sml - d_0) * math.log(d_1 / d_0) - (d_1 - d_0) * q),
            )
            flag = a_d0 > 0.0 or k_2 > 0.0
            if flag:
                k_1 = (a_sml - a_0 - k_2 * q) / (d_sml - d_0)  # [ERL 79-ITS 67, 3.21]
                if k_1 < 0.0:
                    k_1 = 0.0
                    k_2 = max(a_sml - a_0, 0.0) / q
                    if k_2 == 0.0:
                        k_1 = m_d
        if not flag:
            k_1 = max(a_sml - a_1, 0.0) / (d_sml - d_1)
            k_2 = 0.0
            if k_1 == 0.0:
                k_1 = m_d
        a_o = a_sml - k_1 * d_sml - k_2 * math.log(d_sml)
        a_ref = a_o + k_1 * d_m + k_2 * math.log(d_m)  # [ERL 79-ITS 67, 3.19]
        mode = MODE_LINE_OF_SIGHT
    else:
        # trans-horizon: troposcatter line through d_5, d_6
        d_5 = d_ml + 200e3
        d_6 = d_ml + 400e3
        a_6, h0 = _troposcatter_db(
            d_6,
            theta_h1,
            theta_h2,
            d_l1_m,
            d_l2_m,
            h_e1_m,
            h_e2_m,
            a_e,
            n_s,
            f_mhz,
            theta_los,
            -1.0,
        )
        a_5, h0 = _troposcatter_db(
            d_5,
            theta_h1,
            theta_h2,
            d_l1_m,
            d_l2_m,
            h_e1_m,
            h_e2_m,
            a_e,
            n_s,
            f_mhz,
            theta_los,
            h0,
        )
        if a_5 < 1000.0:
            m_s = (a_6 - a_5) / 200e3
            d_x = max(
                max(d_sml, d_ml + 1.088 * x_scale * math.log(f_mhz)),
                (a_5 - a_d0 - m_s * d_5) / (m_d - m_s),
            )
            a_s0 = (m_d - m_s) * d_x + a_d0
        else:
            m_s = m_d
            a_s0 = a_d0
            d_x = 10e6
        if d_m > d_x:
            a_ref = m_s * d_m + a_s0
            mode = MODE_TROPOSCATTER
        else:
            a_ref = m_d * d_m + a_d0
            mode = MODE_DIFFRACTION
    a_ref = max(a_ref, 0.0)
    return a_ref, warnings, mode, 0


# --------------------------------------------------------------------------------------
# Variability
# --------------------------------------------------------------------------------------
@nb.njit(cache=True)
def _curve(c1, c2, x1, x2, x3, d_e_m):
    """(c₁ + c₂/(1 + ((d_e − x₂)/x₃)²))·(d_e/x₁)²/(1 + (d_e/x₁)²), [TN101 III.69/III.70]."""
    return (
        (c1 + c2 / (1.0 + ((d_e_m - x2) / x3) ** 2)) * (d_e_m / x1) ** 2 / (1.0 + (d_e_m / x1) ** 2)
    )


@nb.njit(cache=True)
def variability_db(
    time_pct,
    location_pct,
    situation_pct,
    h_e1_m,
    h_e2_m,
    delta_h_m,
    f_mhz,
    d_m,
    a_ref_db,
    climate,
    mdvar,
):
    """Quantile of attenuation A(q_T, q_L, q_S) relative to free space, [Algorithm §5].

    Returns ``(A_db, warnings)``. Effective distance d_e ([Algorithm 5.3]), median
    adjustment V_med and time deviations σ_T± for the radio climate, location deviation
    σ_L = 10 kΔh(d)/(kΔh(d) + 13), situation deviation σ_S = 5 + 3 e^{−d_e/100 km}
    ([Algorithm 5.10]), combined per the mode of variability ``mdvar`` (0 single message,
    1 accidental, 2 mobile, 3 broadcast; +10 no location variability, +20 no direct
    situation variability, [Hufford 1982]); negative results are compressed by
    A(29 − A)/(29 − 10A) ([Algorithm 5.12]).
    """
    setup = variability_setup(time_pct, location_pct, situation_pct, f_mhz, climate, mdvar)
    return variability_from_setup(setup, h_e1_m, h_e2_m, delta_h_m, d_m, a_ref_db, climate)


@nb.njit(cache=True)
def variability_setup(time_pct, location_pct, situation_pct, f_mhz, climate, mdvar):
    """The parts of :func:`variability_db` that do not depend on the path: the standard
    normal deviates of the three percentages as the mode of variability combines them,
    k = f/47.7, the frequency term of d_ex, the frequency factors g± of σ_T and the
    extreme-variability warning. A point-to-area run computes them once."""
    warnings = 0
    z_t = inverse_ccdf(time_pct / 100.0)
    z_l = inverse_ccdf(location_pct / 100.0)
    z_s = inverse_ccdf(situation_pct / 100.0)
    c = climate - 1
    wn = f_mhz / 47.7
    d_ex_f = (575.7e12 / wn) ** _THIRD
    mdv = mdvar
    plus20 = mdv >= 20
    if plus20:
        mdv -= 20
    plus10 = mdv >= 10
    if plus10:
        mdv -= 10
    if mdv == 0:  # single message
        z_t = z_s
        z_l = z_s
    elif mdv == 1:  # accidental
        z_l = z_s
    elif mdv == 2:  # mobile
        z_l = z_t
    if abs(z_t) > 3.10 or abs(z_l) > 3.10 or abs(z_s) > 3.10:
        warnings |= WARN_EXTREME_VARIABILITIES
    q = math.log(0.133 * wn)
    g_minus = _G_MINUS[0, c] + _G_MINUS[1, c] / ((_G_MINUS[2, c] * q) ** 2 + 1.0)
    g_plus = _G_PLUS[0, c] + _G_PLUS[1, c] / ((_G_PLUS[2, c] * q) ** 2 + 1.0)
    return z_t, z_l, z_s, wn, d_ex_f, mdv, plus10, plus20, g_minus, g_plus, warnings


@nb.njit(cache=True)
def variability_from_setup(setup, h_e1_m, h_e2_m, delta_h_m, d_m, a_ref_db, climate):
    """:func:`variability_db` with :func:`variability_setup`'s part given."""
    z_t, z_l, z_s, wn, d_ex_f, mdv, plus10, plus20, g_minus, g_plus, warnings = setup
    c = climate - 1

    d_ex = math.sqrt(2.0 * _A_9000_M * h_e1_m) + math.sqrt(2.0 * _A_9000_M * h_e2_m) + d_ex_f
    if d_m < d_ex:
        d_e = 130e3 * d_m / d_ex
    else:
        d_e = 130e3 + d_m - d_ex

    if plus20:
        sigma_s = 0.0
    else:
        sigma_s = 5.0 + 3.0 * math.exp(-d_e / 100e3)

    v_med = _curve(
        _ALL_YEAR[0, c], _ALL_YEAR[1, c], _ALL_YEAR[2, c], _ALL_YEAR[3, c], _ALL_YEAR[4, c], d_e
    )

    if plus10:
        sigma_l = 0.0
    else:
        delta_h_d = terrain_roughness(d_m, delta_h_m)
        sigma_l = 10.0 * wn * delta_h_d / (wn * delta_h_d + 13.0)
    y_l = sigma_l * z_l

    sigma_t_minus = (
        _curve(
            _SIGMA_T_MINUS[0, c],
            _SIGMA_T_MINUS[1, c],
            _SIGMA_T_MINUS[2, c],
            _SIGMA_T_MINUS[3, c],
            _SIGMA_T_MINUS[4, c],
            d_e,
        )
        * g_minus
    )
    sigma_t_plus = (
        _curve(
            _SIGMA_T_PLUS[0, c],
            _SIGMA_T_PLUS[1, c],
            _SIGMA_T_PLUS[2, c],
            _SIGMA_T_PLUS[3, c],
            _SIGMA_T_PLUS[4, c],
            d_e,
        )
        * g_plus
    )
    sigma_td = _C_D[c] * sigma_t_plus
    tgtd = (sigma_t_plus - sigma_td) * _Z_D[c]
    if z_t < 0.0:
        sigma_t = sigma_t_minus
    elif z_t <= _Z_D[c]:
        sigma_t = sigma_t_plus
    else:
        sigma_t = sigma_td + tgtd / z_t
    y_t = sigma_t * z_t

    y_s_temp = sigma_s**2 + y_t**2 / (7.8 + z_s**2) + y_l**2 / (24.0 + z_s**2)
    if mdv == 0:
        y_r = 0.0
        y_s = math.sqrt(sigma_t**2 + sigma_l**2 + y_s_temp) * z_s
    elif mdv == 1:
        y_r = y_t
        y_s = math.sqrt(sigma_l**2 + y_s_temp) * z_s
    elif mdv == 2:
        y_r = math.sqrt(sigma_t**2 + sigma_l**2) * z_t
        y_s = math.sqrt(y_s_temp) * z_s
    else:
        y_r = y_t + y_l
        y_s = math.sqrt(y_s_temp) * z_s

    result = a_ref_db - v_med - y_r - y_s
    if result < 0.0:
        result = result * (29.0 - result) / (29.0 - 10.0 * result)
    return result, warnings


# --------------------------------------------------------------------------------------
# Terrain profile analysis (point-to-point mode)
# --------------------------------------------------------------------------------------
@nb.njit(cache=True)
def find_horizons(z, x_i, a_e_m, h1_m, h2_m):
    """Horizon angles θ_hj and distances d_Lj from the profile, [Algorithm §3, "hzns"].

    Starts from the line-of-sight angles θ_h1 = (z_2 − z_1)/d − d/2a, θ_h2 = −(z_2 − z_1)/d
    − d/2a ([TN101 6.15]) and raises them to the steepest interior point seen from each
    terminal, elevation angle (z_i − z_j)/x − x/2a (curved earth of radius a).
    Returns ``(θ_h1, θ_h2, d_L1, d_L2)``.
    """
    n = z.shape[0] - 1
    d = n * x_i
    z_1 = z[0] + h1_m
    z_2 = z[n] + h2_m
    theta_1 = (z_2 - z_1) / d - d / (2.0 * a_e_m)
    theta_2 = -(z_2 - z_1) / d - d / (2.0 * a_e_m)
    d_l1 = d
    d_l2 = d
    x_1 = 0.0
    x_2 = d
    for i in range(1, n):
        x_1 = x_1 + x_i
        x_2 = x_2 - x_i
        th_1 = (z[i] - z_1) / x_1 - x_1 / (2.0 * a_e_m)
        th_2 = -(z_2 - z[i]) / x_2 - x_2 / (2.0 * a_e_m)
        if th_1 > theta_1:
            theta_1 = th_1
            d_l1 = x_1
        if th_2 > theta_2:
            theta_2 = th_2
            d_l2 = x_2
    return theta_1, theta_2, d_l1, d_l2


@nb.njit(cache=True)
def linear_fit(z, n, x_i, d_start, d_end):
    """Least-squares straight line through z[i_a..i_b], [Algorithm §3, "zlsq1"].

    ``z`` holds n + 1 samples spaced ``x_i``; the fit uses the samples between the
    distances ``d_start`` and ``d_end`` (indices truncated inwards, at least two samples,
    end samples weighted ½ as in the original trapezoid-style sums). Returns the fitted
    heights at the two ends of the whole profile, ``(z_0, z_n)``.
    """
    i_a, i_b = fit_range(n, x_i, d_start, d_end)
    return fit_samples(z, n, i_a, i_b)


@nb.njit(cache=True)
def fit_range(n, x_i, d_start, d_end):
    """The samples (i_a, i_b) :func:`linear_fit` fits between two distances."""
    i_a = int(max(d_start / x_i, 0.0))
    i_b = n - int(max(n - d_end / x_i, 0.0))
    if i_b <= i_a:
        i_a = int(max(i_a - 1.0, 0.0))
        i_b = n - int(max(n - (i_b + 1.0), 0.0))
    return i_a, i_b


@nb.njit(cache=True)
def fit_samples(z, n, i_a, i_b):
    """:func:`linear_fit` over the samples i_a..i_b: the fitted heights at samples 0 and n
    (the first depends on i_a, i_b and the samples between them only)."""
    x_length = float(i_b - i_a)
    x = -0.5 * x_length
    x_end = i_b + x
    sum_y = 0.5 * (z[i_a] + z[i_b])
    scaled = 0.5 * (z[i_a] - z[i_b]) * x
    i = i_a
    k = 2
    while k <= x_length:
        i += 1
        x += 1.0
        sum_y += z[i]
        scaled += z[i] * x
        k += 1
    sum_y = sum_y / x_length
    scaled = scaled * 12.0 / ((x_length * x_length + 2.0) * x_length)
    return sum_y - scaled * x_end, sum_y + scaled * (n - x_end)


@nb.njit(cache=True)
def _extreme_order_statistics(a, n, k, top, bottom):
    """(k-th largest, k-th smallest) of ``a[:n]`` in one pass, k ≤ n.

    Keeps the k largest values seen so far in ``top`` (ascending, so ``top[0]`` is the
    current k-th largest) and the k smallest in ``bottom`` (descending), each a buffer of
    length ≥ k. A value enters a buffer only when it beats that buffer's end, which for
    k ≈ n/10 is rare after the first few values: about n predictable comparisons and a few
    k-long insertions instead of the ~n log n unpredictable ones of a sort. The values
    returned are exactly those a sort would give ("qtile" in [Algorithm §3]).
    """
    for j in range(k):
        x = a[j]
        i = j
        while i > 0 and top[i - 1] > x:
            top[i] = top[i - 1]
            i -= 1
        top[i] = x
        i = j
        while i > 0 and bottom[i - 1] < x:
            bottom[i] = bottom[i - 1]
            i -= 1
        bottom[i] = x
    for j in range(k, n):
        x = a[j]
        if x > top[0]:
            i = 1
            while i < k and top[i] < x:
                top[i - 1] = top[i]
                i += 1
            top[i - 1] = x
        if x < bottom[0]:
            i = 1
            while i < k and bottom[i] > x:
                bottom[i - 1] = bottom[i]
                i += 1
            bottom[i - 1] = x
    return top[0], bottom[0]


@nb.njit(cache=True)
def _kth_smallest(a, n, k, buf):
    """The k-th smallest of ``a[:n]`` (1 ≤ k ≤ n): the k smallest kept in ``buf`` (length
    ≥ k, ascending) by insertion; a value enters only when it beats ``buf[k - 1]``."""
    for j in range(k):
        x = a[j]
        i = j
        while i > 0 and buf[i - 1] > x:
            buf[i] = buf[i - 1]
            i -= 1
        buf[i] = x
    for j in range(k, n):
        x = a[j]
        if x < buf[k - 1]:
            i = k - 1
            while i > 0 and buf[i - 1] > x:
                buf[i] = buf[i - 1]
                i -= 1
            buf[i] = x
    return buf[k - 1]


@nb.njit(cache=True)
def _kth_largest(a, n, k, buf):
    """The k-th largest of ``a[:n]`` (1 ≤ k ≤ n), as the (n − k + 1)-th smallest when that
    keeps the smaller buffer; by insertion (:func:`_kth_smallest`) otherwise."""
    if n - k + 1 <= k:
        return _kth_smallest(a, n, n - k + 1, buf)
    for j in range(k):
        x = a[j]
        i = j
        while i > 0 and buf[i - 1] < x:
            buf[i] = buf[i - 1]
            i -= 1
        buf[i] = x
    for j in range(k, n):
        x = a[j]
        if x > buf[k - 1]:
            i = k - 1
            while i > 0 and buf[i - 1] < x:
                buf[i] = buf[i - 1]
                i -= 1
            buf[i] = x
    return buf[k - 1]


_DECILE_SAMPLE = 48  # values in the strided sample that sets the thresholds


@nb.njit(cache=True)
def decile_pair(a, n, k, work):
    """(k-th largest, k-th smallest) of ``a[:n]``, k ≤ n: what a sort gives, exactly.

    The same values as :func:`_extreme_order_statistics`, found faster for Δh's k ≈ n/10
    (the interdecile range of 245 residuals: the 25th largest and 25th smallest). A
    strided sample of about 48 values gives two thresholds a little inside the deciles
    (the sample's ⌈k·m/n⌉ + 2-th largest and smallest); one branch-free pass copies the
    values at or beyond each threshold to their own buffer; when a buffer holds at least
    k values it holds the k extreme ones, and the k-th of them is found among those few by
    insertion. A threshold the sample set too far in (fewer than k values beyond it: rare)
    falls back to an insertion selection over all n. ``work`` is scratch of length
    ≥ 3n + 48; ``a`` is read, never reordered.
    """
    if n < 2 * _DECILE_SAMPLE:
        return _extreme_order_statistics(a, n, k, work[:k], work[k : 2 * k])
    hi = work[:n]
    lo = work[n : 2 * n]
    sample = work[2 * n : 2 * n + _DECILE_SAMPLE]
    sbuf = work[2 * n + _DECILE_SAMPLE : 3 * n + _DECILE_SAMPLE]
    stride = n // _DECILE_SAMPLE
    for t in range(_DECILE_SAMPLE):
        sample[t] = a[t * stride + stride // 2]
    q = min(k * _DECILE_SAMPLE // n + 3, _DECILE_SAMPLE)
    t_hi = _kth_largest(sample, _DECILE_SAMPLE, q, sbuf)
    t_lo = _kth_smallest(sample, _DECILE_SAMPLE, q, sbuf)
    c_hi = 0
    c_lo = 0
    for j in range(n):
        x = a[j]
        hi[c_hi] = x
        c_hi += x >= t_hi
        lo[c_lo] = x
        c_lo += x <= t_lo
    if c_hi >= k:
        largest = _kth_largest(hi, c_hi, k, sbuf)
    else:
        largest = _kth_largest(a, n, k, hi)
    if c_lo >= k:
        smallest = _kth_smallest(lo, c_lo, k, sbuf)
    else:
        smallest = _kth_smallest(a, n, k, lo)
    return largest, smallest


DELTA_H_WORK = 4 * 245 + _DECILE_SAMPLE
"""Length of the scratch :func:`compute_delta_h_into` needs (at most 245 resampled points)."""


@nb.njit(cache=True)
def compute_delta_h(z, x_i, d_start, d_end):
    """Terrain irregularity Δh of the profile between two distances, [Algorithm §3, "dlthx"].

    The stretch is resampled at n = 10·p10 − 5 equally spaced points (p10 = clamp(0.1·(x + 8),
    4, 25) with x the stretch length in samples), a least-squares line removed, and the
    interdecile range Δh(d) of the residuals taken; it is then converted to the asymptotic
    Δh by inverting Δh(d) = Δh(1 − 0.8 e^{−d/50 km}) ([ERL 79-ITS 67, eq. 3]). The two
    deciles are order statistics of the residuals, the p10-th largest and the p10-th
    smallest ("qtile" in the original), found by :func:`decile_pair`.
    """
    return compute_delta_h_into(z, x_i, d_start, d_end, np.empty(DELTA_H_WORK))


@nb.njit(cache=True)
def compute_delta_h_into(z, x_i, d_start, d_end, work):
    """:func:`compute_delta_h` with its scratch given (length ≥ :data:`DELTA_H_WORK`)."""
    n_prof = z.shape[0] - 1
    x_start = d_start / x_i
    x_end = d_end / x_i
    if x_end - x_start < 2.0:
        return 0.0
    p10 = int(0.1 * (x_end - x_start + 8.0))
    p10 = min(max(4, p10), 25)
    n = 10 * p10 - 5
    n_s = float(n - 1)
    s = work[:n]
    x_step = (x_end - x_start) / n_s
    i = int(x_start)
    x_start -= float(i + 1)
    for j in range(n):
        while x_start > 0.0 and (i + 1) < n_prof:
            x_start -= 1.0
            i += 1
        s[j] = z[i + 1] + (z[i + 1] - z[i]) * x_start
        x_start += x_step
    fit_1, fit_2 = linear_fit(s, n - 1, 1.0, 0.0, n_s)
    slope = (fit_2 - fit_1) / n_s
    for j in range(n):  # residuals, in place
        s[j] = s[j] - fit_1
        fit_1 += slope
    # p10-th largest and p10-th smallest (= (p90 + 1)-th largest, p90 = n - p10)
    q10, q90 = decile_pair(s, n, p10, work[n:])
    delta_h_d = q10 - q90
    return delta_h_d / (1.0 - 0.8 * math.exp(-(d_end - d_start) / 50e3))


@nb.njit(cache=True)
def quick_profile(z, x_i, gamma_e, h1_m, h2_m):
    """Profile parameters for point-to-point mode, [Algorithm §3, "qlrpfl"].

    Horizons from :func:`find_horizons`; Δh over the profile less min(15 h, 0.1 d_L) at each
    end ([Hufford 1982] p. 25); effective heights h_ej = h_j + max(z_j − fit_j, 0) over a
    least-squares terrain line. When d_L1 + d_L2 > 1.5 d (well within line of sight) the
    horizons are replaced by the area-mode estimates of [Algorithm 3.3-3.4] for those
    effective heights. Returns ``(θ_h1, θ_h2, d_L1, d_L2, h_e1, h_e2, Δh, d, path_type)``
    where path_type is the geometric class found by the horizon search.
    """
    n = z.shape[0] - 1
    d = n * x_i
    a_e = 1.0 / gamma_e
    theta_1, theta_2, d_l1, d_l2 = find_horizons(z, x_i, a_e, h1_m, h2_m)

    if d_l1 >= d and d_l2 >= d:
        path_type = PATH_LINE_OF_SIGHT
    elif abs(d_l1 + d_l2 - d) < 0.5 * x_i or d_l1 >= d or d_l2 >= d:
        path_type = PATH_SINGLE_HORIZON
    else:
        path_type = PATH_DOUBLE_HORIZON

    d_start = min(15.0 * h1_m, 0.1 * d_l1)
    d_end = d - min(15.0 * h2_m, 0.1 * d_l2)
    delta_h = compute_delta_h(z, x_i, d_start, d_end)

    if d_l1 + d_l2 > 1.5 * d:
        fit_1, fit_2 = linear_fit(z, n, x_i, d_start, d_end)
        h_e1 = h1_m + max(z[0] - fit_1, 0.0)
        h_e2 = h2_m + max(z[n] - fit_2, 0.0)
        d_l1 = math.sqrt(2.0 * h_e1 * a_e) * math.exp(-0.07 * math.sqrt(delta_h / max(h_e1, 5.0)))
        d_l2 = math.sqrt(2.0 * h_e2 * a_e) * math.exp(-0.07 * math.sqrt(delta_h / max(h_e2, 5.0)))
        d_l = d_l1 + d_l2
        if d_l <= d:
            q = (d / d_l) ** 2
            h_e1 = h_e1 * q
            d_l1 = math.sqrt(2.0 * h_e1 * a_e) * math.exp(
                -0.07 * math.sqrt(delta_h / max(h_e1, 5.0))
            )
            h_e2 = h_e2 * q
            d_l2 = math.sqrt(2.0 * h_e2 * a_e) * math.exp(
                -0.07 * math.sqrt(delta_h / max(h_e2, 5.0))
            )
        q = math.sqrt(2.0 * h_e1 * a_e)
        theta_1 = (0.65 * delta_h * (q / d_l1 - 1.0) - 2.0 * h_e1) / q
        q = math.sqrt(2.0 * h_e2 * a_e)
        theta_2 = (0.65 * delta_h * (q / d_l2 - 1.0) - 2.0 * h_e2) / q
    else:
        fit_1, _unused = linear_fit(z, n, x_i, d_start, 0.9 * d_l1)
        h_e1 = h1_m + max(z[0] - fit_1, 0.0)
        _unused, fit_2 = linear_fit(z, n, x_i, d - 0.9 * d_l2, d_end)
        h_e2 = h2_m + max(z[n] - fit_2, 0.0)
    return theta_1, theta_2, d_l1, d_l2, h_e1, h_e2, delta_h, d, path_type


@nb.njit(cache=True)
def surface_refractivity(z_m, n_0):
    """N_s = N_0 exp(−h_sys/9460 m) ([TN101 eq. 4.3]) as NTIA's ``ITM_P2P_TLS_Ex`` does it.

    h_sys is the mean elevation of the profile points i = ⌊0.1 n⌋ … n − ⌊0.1 n⌋ (n intervals,
    i.e. the first and last 10 % of points left out); h_sys = 0 gives N_s = N_0 exactly.
    """
    n = z_m.shape[0] - 1
    p10 = int(0.1 * n)
    h_sys = 0.0
    for i in range(p10, n - p10 + 1):
        h_sys += z_m[i]
    h_sys = h_sys / (n - 2 * p10 + 1)
    if h_sys == 0.0:
        return n_0
    return n_0 * math.exp(-h_sys / 9460.0)


@nb.njit(cache=True)
def _ground_constants(n_s, f_mhz, pol, epsilon, sigma):
    """Effective-earth curvature γ_e and ground transfer impedance Z_g, [Algorithm 3.1-3.2].

    γ_e = γ_a (1 − 0.04665 e^{N_s/179.3}) ([TN101 4.4]); ε_r' = ε + i 18000 σ / f_MHz,
    Z_g = √(ε_r' − 1) for horizontal and √(ε_r' − 1)/ε_r' for vertical polarisation.
    """
    gamma_e = _GAMMA_A * (1.0 - 0.04665 * math.exp(n_s / 179.3))
    ep_r = complex(epsilon, 18000.0 * sigma / f_mhz)
    z_g = cmath.sqrt(ep_r - 1.0)
    if pol == 1:
        z_g = z_g / ep_r
    return gamma_e, z_g


@nb.njit(cache=True)
def _common_checks(
    h1_m, h2_m, climate, time_pct, location_pct, situation_pct, f_mhz, pol, epsilon, sigma, mdvar
):
    """NTIA ``ValidateInputs`` minus the N_0 check: returns ``(warnings, error)``."""
    warnings = 0
    if h1_m < 1.0 or h1_m > 1000.0:
        warnings |= WARN_TX_TERMINAL_HEIGHT
    if not (h1_m >= 0.5 and h1_m <= 3000.0):
        return warnings, ERROR_TX_TERMINAL_HEIGHT
    if h2_m < 1.0 or h2_m > 1000.0:
        warnings |= WARN_RX_TERMINAL_HEIGHT
    if not (h2_m >= 0.5 and h2_m <= 3000.0):
        return warnings, ERROR_RX_TERMINAL_HEIGHT
    if climate < 1 or climate > 7:
        return warnings, ERROR_INVALID_RADIO_CLIMATE
    if f_mhz < 40.0 or f_mhz > 10000.0:
        warnings |= WARN_FREQUENCY
    if not (f_mhz >= 20.0 and f_mhz <= 20000.0):
        return warnings, ERROR_FREQUENCY
    if pol != 0 and pol != 1:
        return warnings, ERROR_POLARIZATION
    if not epsilon >= 1.0:
        return warnings, ERROR_EPSILON
    if not sigma > 0.0:
        return warnings, ERROR_SIGMA
    if (
        mdvar < 0
        or (mdvar > 3 and mdvar < 10)
        or (mdvar > 13 and mdvar < 20)
        or (mdvar > 23 and mdvar < 30)
        or mdvar > 33
    ):
        return warnings, ERROR_MDVAR
    if not (situation_pct > 0.0 and situation_pct < 100.0):
        return warnings, ERROR_INVALID_SITUATION
    if not (time_pct > 0.0 and time_pct < 100.0):
        return warnings, ERROR_INVALID_TIME
    if not (location_pct > 0.0 and location_pct < 100.0):
        return warnings, ERROR_INVALID_LOCATION
    return warnings, 0


@nb.njit(cache=True)
def _fail(out, warnings, error):
    for k in range(OUT_SIZE):
        out[k] = math.nan
    out[OUT_WARNINGS] = warnings
    out[OUT_ERROR] = error
    return math.nan


# --------------------------------------------------------------------------------------
# Entry kernels
# --------------------------------------------------------------------------------------
@nb.njit(cache=True)
def itm_p2p_tls_kernel(
    z_m,
    step_m,
    h_tx_m,
    h_rx_m,
    n_s,
    f_mhz,
    pol,
    epsilon,
    sigma,
    climate,
    mdvar,
    time,
    location,
    situation,
    out,
):
    """ITM point-to-point basic transmission loss [dB], time/location/situation variability.

    Same steps as NTIA's ``ITM_P2P_TLS_Ex`` ([Algorithm §3-§5]): ground constants, profile
    analysis (:func:`quick_profile`), reference attenuation (:func:`longley_rice`, point-to-
    point weighting), variability (:func:`variability_db`) plus free-space loss.

    ``z_m``: float64 elevations [m AMSL], transmitter first, spacing ``step_m`` [m];
    ``n_s``: surface refractivity N_s (use :func:`surface_refractivity` to get it from
    N_0 the way the NTIA C++ does); ``time``, ``location``, ``situation`` in percent.
    For the confidence/reliability variant pass (reliability, 50, confidence).
    Intermediate values go to ``out`` (length ≥ OUT_SIZE, see the ``OUT_*`` indices). On
    invalid input returns NaN with ``out[OUT_ERROR]`` set to the NTIA error code.
    """
    warnings, err = _common_checks(
        h_tx_m, h_rx_m, climate, time, location, situation, f_mhz, pol, epsilon, sigma, mdvar
    )
    if err != 0:
        return _fail(out, warnings, err)
    n = z_m.shape[0] - 1
    if n < 2 or not step_m > 0.0:
        return _fail(out, warnings, ERROR_PROFILE)

    gamma_e, z_g = _ground_constants(n_s, f_mhz, pol, epsilon, sigma)
    theta_1, theta_2, d_l1, d_l2, h_e1, h_e2, delta_h, d, path_type = quick_profile(
        z_m, step_m, gamma_e, h_tx_m, h_rx_m
    )
    a_ref, w_lr, mode, err = longley_rice(
        theta_1,
        theta_2,
        f_mhz,
        z_g,
        d_l1,
        d_l2,
        h_e1,
        h_e2,
        gamma_e,
        n_s,
        delta_h,
        h_tx_m,
        h_rx_m,
        d,
        False,
    )
    warnings |= w_lr
    if err != 0:
        return _fail(out, warnings, err)
    a_fs = ntia_free_space_loss_db(d, f_mhz)
    a_var, w_var = variability_db(
        time, location, situation, h_e1, h_e2, delta_h, f_mhz, d, a_ref, climate, mdvar
    )
    warnings |= w_var
    loss = a_var + a_fs

    out[OUT_THETA_HZN_TX] = theta_1
    out[OUT_THETA_HZN_RX] = theta_2
    out[OUT_D_HZN_TX_M] = d_l1
    out[OUT_D_HZN_RX_M] = d_l2
    out[OUT_H_E_TX_M] = h_e1
    out[OUT_H_E_RX_M] = h_e2
    out[OUT_N_S] = n_s
    out[OUT_DELTA_H_M] = delta_h
    out[OUT_A_REF_DB] = a_ref
    out[OUT_A_FS_DB] = a_fs
    out[OUT_D_M] = d
    out[OUT_MODE] = mode
    out[OUT_WARNINGS] = warnings
    out[OUT_ERROR] = 0.0
    out[OUT_PATH_TYPE] = path_type
    out[OUT_A_VAR_DB] = a_var
    return loss


@nb.njit(cache=True)
def _area_terminal(siting, gamma_e, delta_h_m, h_m):
    """Effective height, horizon distance and angle of one terminal in area mode.

    [Algorithm 3.2-3.4] / [Hufford 1982]: h_e = h + (1 + B) e^{−min(20, 2h/max(1e-3, Δh))}
    with B = 4 (careful) or 9 (very careful), scaled by sin(0.1πh) below 5 m, and h_e = h for
    random siting; d_Ls = √(2h_e/γ_e), d_L = d_Ls e^{−0.07 √(Δh/max(h_e, 5))},
    θ_e = (0.65 Δh (d_Ls/d_L − 1) − 2 h_e)/d_Ls.
    """
    if siting == 0:
        h_e = h_m
    else:
        b = 4.0 if siting == 1 else 9.0
        if h_m < 5.0:
            b = b * math.sin(0.1 * math.pi * h_m)
        h_e = h_m + (1.0 + b) * math.exp(-min(20.0, 2.0 * h_m / max(1e-3, delta_h_m)))
    d_ls = math.sqrt(2.0 * h_e / gamma_e)
    d_l = d_ls * math.exp(-0.07 * math.sqrt(delta_h_m / max(h_e, 5.0)))
    theta = (0.65 * delta_h_m * (d_ls / d_l - 1.0) - 2.0 * h_e) / d_ls
    return h_e, d_l, theta


@nb.njit(cache=True)
def itm_area_tls_kernel(
    h_tx_m,
    h_rx_m,
    tx_siting,
    rx_siting,
    d_km,
    delta_h_m,
    n_s,
    f_mhz,
    pol,
    epsilon,
    sigma,
    climate,
    mdvar,
    time,
    location,
    situation,
    out,
):
    """ITM area-mode basic transmission loss [dB] (NTIA ``ITM_AREA_TLS_Ex``).

    Terminal parameters from siting criteria (0 random, 1 careful, 2 very careful) and Δh
    ([Algorithm 3.2-3.4], :func:`_area_terminal`), reference attenuation with the area-mode
    weighting, variability and free space. ``n_s`` is used as N_s directly (the NTIA area
    mode passes h_sys = 0, so N_s = N_0). Intermediates and errors as in
    :func:`itm_p2p_tls_kernel` (path type is NaN).
    """
    warnings, err = _common_checks(
        h_tx_m, h_rx_m, climate, time, location, situation, f_mhz, pol, epsilon, sigma, mdvar
    )
    if err != 0:
        return _fail(out, warnings, err)
    if not d_km > 0.0:
        return _fail(out, warnings, ERROR_PATH_DISTANCE)
    if not delta_h_m >= 0.0:
        return _fail(out, warnings, ERROR_DELTA_H)
    if tx_siting < 0 or tx_siting > 2:
        return _fail(out, warnings, ERROR_TX_SITING_CRITERIA)
    if rx_siting < 0 or rx_siting > 2:
        return _fail(out, warnings, ERROR_RX_SITING_CRITERIA)

    gamma_e, z_g = _ground_constants(n_s, f_mhz, pol, epsilon, sigma)
    h_e1, d_l1, theta_1 = _area_terminal(tx_siting, gamma_e, delta_h_m, h_tx_m)
    h_e2, d_l2, theta_2 = _area_terminal(rx_siting, gamma_e, delta_h_m, h_rx_m)
    d = d_km * 1000.0
    a_ref, w_lr, mode, err = longley_rice(
        theta_1,
        theta_2,
        f_mhz,
        z_g,
        d_l1,
        d_l2,
        h_e1,
        h_e2,
        gamma_e,
        n_s,
        delta_h_m,
        h_tx_m,
        h_rx_m,
        d,
        True,
    )
    warnings |= w_lr
    if err != 0:
        return _fail(out, warnings, err)
    a_fs = ntia_free_space_loss_db(d, f_mhz)
    a_var, w_var = variability_db(
        time, location, situation, h_e1, h_e2, delta_h_m, f_mhz, d, a_ref, climate, mdvar
    )
    warnings |= w_var

    out[OUT_THETA_HZN_TX] = theta_1
    out[OUT_THETA_HZN_RX] = theta_2
    out[OUT_D_HZN_TX_M] = d_l1
    out[OUT_D_HZN_RX_M] = d_l2
    out[OUT_H_E_TX_M] = h_e1
    out[OUT_H_E_RX_M] = h_e2
    out[OUT_N_S] = n_s
    out[OUT_DELTA_H_M] = delta_h_m
    out[OUT_A_REF_DB] = a_ref
    out[OUT_A_FS_DB] = a_fs
    out[OUT_D_M] = d
    out[OUT_MODE] = mode
    out[OUT_WARNINGS] = warnings
    out[OUT_ERROR] = 0.0
    out[OUT_PATH_TYPE] = math.nan
    out[OUT_A_VAR_DB] = a_var
    return a_var + a_fs
