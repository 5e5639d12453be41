"""Numba scalar kernels: empirical path-loss models (scalars in, basic transmission loss out).

No validity checks here (the kernels are called per cell inside point-to-area loops);
:mod:`rural_plan.propagation.empirical` wraps them with the range checks.

* Okumura-Hata: M. Hata, "Empirical formula for propagation loss in land mobile radio
  services", IEEE Trans. Veh. Technol. VT-29(3), 1980: urban formula with the small/medium
  and large-city a(h_m), suburban and open-area corrections (valid 150–1500 MHz, h_b 30–200 m,
  h_m 1–10 m, d 1–20 km); restated as eq. (4.4.1) of the COST Action 231 final report ch. 4.
* COST-231 Hata: COST Action 231 final report (1999) §4.4.1, eq. (4.4.3) (1500–2000 MHz).
* 3GPP TR 38.901 v16/v17 Table 7.4.1-1, RMa LOS / NLOS.
* Free space: ITU-R P.525-4 eq. (4) (:func:`rural_plan.propagation._kernels.free_space_loss_db`).
"""

from __future__ import annotations

import math

import numba as nb

from rural_plan.propagation._kernels import free_space_loss_db

# Speed of light of TR 38.901 Table 7.4.1-1 note 1 (c = 3.0e8 m/s), used for its breakpoint.
C_3GPP_M_S = 3.0e8

# Large-city a(h_m) switch: Hata gives the 8.29 form for f ≤ 200 MHz and the 3.2 form for
# f ≥ 400 MHz and nothing in between; the midpoint 300 MHz is used as the boundary.
HATA_LARGE_CITY_SWITCH_MHZ = 300.0


@nb.njit(cache=True)
def hata_a_hm_db(f_mhz, h_m_m, large_city):
    """Mobile-antenna height correction a(h_m) [dB], Hata (1980).

    Small / medium city: (1.1 log f − 0.7) h_m − (1.56 log f − 0.8).
    Large city: 8.29 (log 1.54 h_m)² − 1.1 (f ≤ 200 MHz),
    3.2 (log 11.75 h_m)² − 4.97 (f ≥ 400 MHz); switched at HATA_LARGE_CITY_SWITCH_MHZ.
    """
    if large_city:
        if f_mhz <= HATA_LARGE_CITY_SWITCH_MHZ:
            x = math.log10(1.54 * h_m_m)
            return 8.29 * x * x - 1.1
        x = math.log10(11.75 * h_m_m)
        return 3.2 * x * x - 4.97
    lf = math.log10(f_mhz)
    return (1.1 * lf - 0.7) * h_m_m - (1.56 * lf - 0.8)


@nb.njit(cache=True)
def hata_urban_loss_db(f_mhz, d_km, h_b_m, h_m_m, large_city):
    """Okumura-Hata urban loss L_p [dB], Hata (1980) / COST 231 final report eq. (4.4.1).

    L_p = 69.55 + 26.16 log f − 13.82 log h_b − a(h_m) + (44.9 − 6.55 log h_b) log d,
    f [MHz], d [km], h_b, h_m [m]; a(h_m) from :func:`hata_a_hm_db`.
    """
    lhb = math.log10(h_b_m)
    return (
        69.55
        + 26.16 * math.log10(f_mhz)
        - 13.82 * lhb
        - hata_a_hm_db(f_mhz, h_m_m, large_city)
        + (44.9 - 6.55 * lhb) * math.log10(d_km)
    )


@nb.njit(cache=True)
def hata_suburban_loss_db(f_mhz, d_km, h_b_m, h_m_m, large_city):
    """Okumura-Hata suburban loss [dB], Hata (1980).

    L_ps = L_p(urban) − 2 [log(f/28)]² − 5.4. Hata writes the correction on the
    urban formula with the small/medium-city a(h_m) (``large_city=False``).
    """
    x = math.log10(f_mhz / 28.0)
    return hata_urban_loss_db(f_mhz, d_km, h_b_m, h_m_m, large_city) - 2.0 * x * x - 5.4


@nb.njit(cache=True)
def hata_open_loss_db(f_mhz, d_km, h_b_m, h_m_m, large_city):
    """Okumura-Hata open-area loss [dB], Hata (1980).

    L_po = L_p(urban) − 4.78 (log f)² + 18.33 log f − 40.94 (small/medium-city a(h_m) by
    default, ``large_city=False``).
    """
    lf = math.log10(f_mhz)
    return (
        hata_urban_loss_db(f_mhz, d_km, h_b_m, h_m_m, large_city)
        - 4.78 * lf * lf
        + 18.33 * lf
        - 40.94
    )


@nb.njit(cache=True)
def cost231_hata_loss_db(f_mhz, d_km, h_b_m, h_m_m, large_city, c_m_db):
    """COST-231 Hata loss [dB], COST Action 231 final report §4.4.1 eq. (4.4.3).

    L_b = 46.3 + 33.9 log f − 13.82 log h_b − a(h_m) + (44.9 − 6.55 log h_b) log d + C_m,
    f [MHz] (1500–2000), d [km], h_b, h_m [m]; C_m = 0 dB for medium-sized cities and
    suburban centres with moderate tree density, 3 dB for metropolitan centres. a(h_m) as
    Hata (:func:`hata_a_hm_db`; the large-city form for metropolitan centres).
    """
    lhb = math.log10(h_b_m)
    return (
        46.3
        + 33.9 * math.log10(f_mhz)
        - 13.82 * lhb
        - hata_a_hm_db(f_mhz, h_m_m, large_city)
        + (44.9 - 6.55 * lhb) * math.log10(d_km)
        + c_m_db
    )


@nb.njit(cache=True)
def rma_breakpoint_m(f_mhz, h_bs_m, h_ut_m):
    """RMa breakpoint distance d_BP = 2π h_BS h_UT f_c / c [m], TR 38.901 Table 7.4.1-1 note 5."""
    return 2.0 * math.pi * h_bs_m * h_ut_m * f_mhz * 1e6 / C_3GPP_M_S


@nb.njit(cache=True)
def _rma_pl1_db(d_3d_m, f_ghz, h_m):
    """RMa PL1 [dB], TR 38.901 Table 7.4.1-1 (f_c in GHz, distances and h in m)."""
    h172 = h_m**1.72
    return (
        20.0 * math.log10(40.0 * math.pi * d_3d_m * f_ghz / 3.0)
        + min(0.03 * h172, 10.0) * math.log10(d_3d_m)
        - min(0.044 * h172, 14.77)
        + 0.002 * math.log10(h_m) * d_3d_m
    )


@nb.njit(cache=True)
def rma_los_loss_db(f_mhz, d_2d_m, h_bs_m, h_ut_m, h_m, w_m):
    """3GPP TR 38.901 RMa LOS path loss PL_RMa-LOS [dB], Table 7.4.1-1.

    PL1 for 10 m ≤ d_2D ≤ d_BP, PL2 = PL1(d_BP) + 40 log10(d_3D / d_BP) beyond;
    d_3D = √(d_2D² + (h_BS − h_UT)²). h: average building height [m]; W (``w_m``, street
    width) does not enter the LOS formula (kept for a uniform signature).
    """
    f_ghz = f_mhz * 1e-3
    dh = h_bs_m - h_ut_m
    d_3d = math.sqrt(d_2d_m * d_2d_m + dh * dh)
    d_bp = rma_breakpoint_m(f_mhz, h_bs_m, h_ut_m)
    if d_2d_m <= d_bp:
        return _rma_pl1_db(d_3d, f_ghz, h_m)
    return _rma_pl1_db(d_bp, f_ghz, h_m) + 40.0 * math.log10(d_3d / d_bp)


@nb.njit(cache=True)
def rma_nlos_prime_loss_db(f_mhz, d_2d_m, h_bs_m, h_ut_m, h_m, w_m):
    """PL'_RMa-NLOS [dB], TR 38.901 Table 7.4.1-1.

    161.04 − 7.1 log W + 7.5 log h − (24.37 − 3.7 (h/h_BS)²) log h_BS
    + (43.42 − 3.1 log h_BS)(log d_3D − 3) + 20 log f_c − (3.2 (log 11.75 h_UT)² − 4.97).
    """
    dh = h_bs_m - h_ut_m
    d_3d = math.sqrt(d_2d_m * d_2d_m + dh * dh)
    lhbs = math.log10(h_bs_m)
    r = h_m / h_bs_m
    x = math.log10(11.75 * h_ut_m)
    return (
        161.04
        - 7.1 * math.log10(w_m)
        + 7.5 * math.log10(h_m)
        - (24.37 - 3.7 * r * r) * lhbs
        + (43.42 - 3.1 * lhbs) * (math.log10(d_3d) - 3.0)
        + 20.0 * math.log10(f_mhz * 1e-3)
        - (3.2 * x * x - 4.97)
    )


@nb.njit(cache=True)
def rma_nlos_loss_db(f_mhz, d_2d_m, h_bs_m, h_ut_m, h_m, w_m):
    """3GPP TR 38.901 RMa NLOS path loss [dB]: max(PL_RMa-LOS, PL'_RMa-NLOS), Table 7.4.1-1."""
    return max(
        rma_los_loss_db(f_mhz, d_2d_m, h_bs_m, h_ut_m, h_m, w_m),
        rma_nlos_prime_loss_db(f_mhz, d_2d_m, h_bs_m, h_ut_m, h_m, w_m),
    )


# Model codes of :func:`empirical_loss_db` (per-cell dispatch inside point-to-area loops).
EMP_FREE_SPACE = 0
EMP_HATA_URBAN = 1
EMP_HATA_SUBURBAN = 2
EMP_HATA_OPEN = 3
EMP_COST231_HATA = 4
EMP_RMA_LOS = 5
EMP_RMA_NLOS = 6


@nb.njit(cache=True)
def empirical_loss_db(model, f_mhz, d_m, h_b_m, h_m_m, large_city, h_bld_m, w_m):
    """Loss [dB] of empirical model ``model`` (EMP_* code) at distance ``d_m`` [m].

    ``h_b_m`` / ``h_m_m``: base-station / mobile antenna heights [m] (h_BS / h_UT for RMa).
    ``large_city``: Hata large-city a(h_m); for COST-231 it selects the metropolitan
    centre (large-city a(h_m) and C_m = 3 dB). ``h_bld_m``, ``w_m``: RMa average building
    height and street width [m]. Free space uses the 3-D distance between the antennas.
    No range checks (see :mod:`rural_plan.propagation.empirical`).
    """
    if model == EMP_FREE_SPACE:
        dz = h_b_m - h_m_m
        return free_space_loss_db(math.sqrt(d_m * d_m + dz * dz), f_mhz)
    if model == EMP_HATA_URBAN:
        return hata_urban_loss_db(f_mhz, d_m * 1e-3, h_b_m, h_m_m, large_city)
    if model == EMP_HATA_SUBURBAN:
        return hata_suburban_loss_db(f_mhz, d_m * 1e-3, h_b_m, h_m_m, large_city)
    if model == EMP_HATA_OPEN:
        return hata_open_loss_db(f_mhz, d_m * 1e-3, h_b_m, h_m_m, large_city)
    if model == EMP_COST231_HATA:
        c_m = 3.0 if large_city else 0.0
        return cost231_hata_loss_db(f_mhz, d_m * 1e-3, h_b_m, h_m_m, large_city, c_m)
    if model == EMP_RMA_LOS:
        return rma_los_loss_db(f_mhz, d_m, h_b_m, h_m_m, h_bld_m, w_m)
    if model == EMP_RMA_NLOS:
        return rma_nlos_loss_db(f_mhz, d_m, h_b_m, h_m_m, h_bld_m, w_m)
    return math.nan


@nb.njit(cache=True)
def empirical_loss_many_db(model, f_mhz, d_m, h_b_m, h_m_m, large_city, h_bld_m, w_m, out):
    """:func:`empirical_loss_db` for every distance of the float64 array ``d_m`` into ``out``."""
    for i in range(d_m.shape[0]):
        out[i] = empirical_loss_db(model, f_mhz, d_m[i], h_b_m, h_m_m, large_city, h_bld_m, w_m)
